/* source_dir.c - see source_dir.h. */
#include "source_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "source_set.h"

#define SOURCE_INOTIFY_MASK                                                    \
  (IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM        \
   | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static char *
source_of (const char *path)
{
  char *s = NULL;
  if (asprintf (&s, "file:%s", path) < 0)
    abort ();
  return s;
}

/* A static pod from a file: the kubelet's applyDefaults for a file. */
static void
file_pod_defaults (struct object *pod, const struct source_set *set)
{
  store_static_pod_defaults (pod, set->node_name, set->where, loop_wall_ms ());
}

static void
apply_manifest (struct source_dir *d, const char *path, struct manifest *m)
{
  cleanup_free char *source = source_of (path);
  struct source_set set = { .store = d->store,
                            .node_name = d->node_name,
                            .source = source,
                            .where = path,
                            .pod_defaults = file_pod_defaults };
  source_set_apply (&set, m, NULL);
}

static struct source_file *
file_record (struct source_dir *d, const char *path)
{
  struct source_file *f;
  for (size_t i = 0; i < d->nfiles; i++)
    if (strcmp (d->files[i].path, path) == 0)
      return &d->files[i];
  f = reallocarray (d->files, d->nfiles + 1, sizeof (*f));
  if (f == NULL)
    abort ();
  d->files = f;
  f = &d->files[d->nfiles++];
  memset (f, 0, sizeof (*f));
  f->path = xstrdup (path);
  return f;
}

static int64_t
ts_ns (const struct timespec *ts)
{
  return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int
read_fd (int fd, size_t size, char **out, size_t *len)
{
  char *buf = malloc (size + 1);
  size_t off = 0;
  if (buf == NULL)
    return -1;
  while (off < size)
    {
      ssize_t n = read (fd, buf + off, size - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          free (buf);
          return -1;
        }
      if (n == 0)
        break;
      off += (size_t)n;
    }
  buf[off] = '\0';
  *out = buf;
  *len = off;
  return 0;
}

/* Read PATH when its stat or content changed, and apply it. */
static void
scan_file (struct source_dir *d, int dirfd, const char *name)
{
  cleanup_free char *path = NULL;
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  struct source_file *f;
  struct manifest m;
  struct stat st;
  size_t len = 0;
  uint64_t h;

  if (asprintf (&path, "%s/%s", d->dir, name) < 0)
    abort ();
  fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      source_event (d->store, d->node_name, "%s: %s", path, strerror (errno));
      return;
    }
  if (!S_ISREG (st.st_mode))
    return;
  f = file_record (d, path);
  f->seen = true;
  if (f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size
      && f->mtime_ns == ts_ns (&st.st_mtim)
      && f->ctime_ns == ts_ns (&st.st_ctim))
    return;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  f->size = st.st_size;
  f->mtime_ns = ts_ns (&st.st_mtim);
  f->ctime_ns = ts_ns (&st.st_ctim);
  if (st.st_size > SOURCE_MAX_BYTES)
    {
      f->hash = 0;
      source_event (d->store, d->node_name,
                    "%s: file is %lld bytes, larger than the limit of %d bytes",
                    path, (long long)st.st_size, SOURCE_MAX_BYTES);
      return;
    }
  if (read_fd (fd, (size_t)st.st_size, &buf, &len) < 0)
    {
      source_event (d->store, d->node_name, "%s: read: %s", path,
                    strerror (errno));
      return;
    }
  h = source_hash (buf, len);
  if (h == f->hash && h != 0)
    return;
  f->hash = h;
  manifest_read_buffer (path, buf, len, &m);
  apply_manifest (d, path, &m);
  manifest_free (&m);
}

static bool
under_dir (const struct source_dir *d, const char *source)
{
  size_t l = strlen (d->dir);
  return strncmp (source, "file:", 5) == 0
         && strncmp (source + 5, d->dir, l) == 0 && source[5 + l] == '/'
         && strchr (source + 6 + l, '/') == NULL;
}

/* Objects whose file is gone (also while the agent was down). */
static void
remove_vanished (struct source_dir *d)
{
  for (size_t i = 0; i < d->store->len;)
    {
      struct store_entry *e = d->store->items[i];
      bool present = false;
      cleanup_free char *source = NULL;
      if (!under_dir (d, e->source))
        {
          i++;
          continue;
        }
      for (size_t j = 0; j < d->nfiles && !present; j++)
        present = strcmp (d->files[j].path, e->source + 5) == 0;
      if (present)
        {
          i++;
          continue;
        }
      source = xstrdup (e->source);
      source_set_clear (d->store, source);
      /* the array changed under us; a pod being terminated gracefully
       * stays where it was until it is stopped */
      i = i < d->store->len && d->store->items[i] == e ? i + 1 : 0;
    }
}

static int
compare_names (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

static int
not_hidden (const struct dirent *e)
{
  return e->d_name[0] != '.';
}

void
source_dir_scan (struct source_dir *d)
{
  cleanup_close int dirfd = open (d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct dirent **ents = NULL;
  int n = dirfd < 0 ? -1 : scandir (d->dir, &ents, not_hidden, compare_names);
  size_t kept = 0;

  for (size_t i = 0; i < d->nfiles; i++)
    d->files[i].seen = false;
  for (int i = 0; i < n; i++)
    {
      scan_file (d, dirfd, ents[i]->d_name);
      free (ents[i]);
    }
  free (ents);
  if (n < 0)
    return; /* missing or unreadable (as the kubelet): change nothing */
  for (size_t i = 0; i < d->nfiles; i++)
    if (d->files[i].seen)
      d->files[kept++] = d->files[i];
    else
      free (d->files[i].path);
  d->nfiles = kept;
  remove_vanished (d);
}

static void on_change (struct loop *l, struct loop_watcher *w, uint32_t events);

static void
watch_dir (struct source_dir *d)
{
  berth_error_t err = NULL;
  if (d->loop == NULL || loop_watcher_active (&d->inotify))
    return;
  if (loop_inotify_add (d->loop, &d->inotify, d->dir, SOURCE_INOTIFY_MASK,
                        on_change, d, &err)
      < 0)
    berth_error_release (&err); /* missing: the periodic scan looks again */
}

static void
on_change (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct source_dir *d = w->data;
  (void)l;
  (void)events;
  if (w == &d->timer)
    watch_dir (d);
  source_dir_scan (d);
  /* the directory itself went away: watch it again when it is back */
  if (access (d->dir, F_OK) < 0)
    loop_watcher_del (&d->inotify);
}

int
source_dir_start (struct source_dir *d, struct loop *l, struct store *s,
                  const char *dir, const char *node_name, int64_t period_ms,
                  berth_error_t *err)
{
  memset (d, 0, sizeof (*d));
  d->inotify.fd = d->timer.fd = -1;
  d->dir = xstrdup (dir);
  d->node_name = xstrdup (node_name);
  d->period_ms = period_ms;
  d->store = s;
  d->loop = l;
  if (loop_timer_add (l, &d->timer, period_ms, period_ms, on_change, d, err)
      < 0)
    return -1;
  watch_dir (d);
  source_dir_scan (d);
  return 0;
}

void
source_dir_stop (struct source_dir *d)
{
  loop_watcher_del (&d->inotify);
  loop_watcher_del (&d->timer);
  for (size_t i = 0; i < d->nfiles; i++)
    free (d->files[i].path);
  free (d->files);
  free (d->dir);
  free (d->node_name);
  memset (d, 0, sizeof (*d));
  d->inotify.fd = d->timer.fd = -1;
}
