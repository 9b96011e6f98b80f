/* source_dir.c - see source_dir.h. */
#include "source_dir.h"

#include <dirent.h>
#include <stdarg.h>
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

#define SOURCE_MAX_BYTES (10 * 1024 * 1024)

#define SOURCE_INOTIFY_MASK                                                    \
  (IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM        \
   | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static void file_event (struct source_dir *d, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* A problem with a whole file: an event about the node, as the kubelet
 * reports what it cannot attach to a pod. */
static void
file_event (struct source_dir *d, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  store_event (d->store, "Warning", "FailedToLoad", "Node", NULL, d->node_name,
               NULL, msg);
}

static void
append_msg (char **buf, const char *s)
{
  char *n = NULL;
  if (asprintf (&n, "%s%s%s", *buf ? *buf : "", *buf ? "; " : "", s) < 0)
    abort ();
  free (*buf);
  *buf = n;
}

/* One event per invalid object, all its errors in the message. */
static void
object_event (struct source_dir *d, const char *path, const struct object *o)
{
  cleanup_free char *msg = NULL;
  cleanup_free char *name = NULL;
  const char *kind = o->info ? o->info->kind : NULL;
  const char *ns = object_namespace (o);

  for (size_t i = 0; i < o->diags.len; i++)
    {
      const struct diag *g = &o->diags.items[i];
      cleanup_free char *line = NULL;
      const char *pre = o->path_prefix;
      if (g->level != DIAG_ERROR)
        continue;
      if (asprintf (&line, "%s: %s%s%s%s%s", path, pre,
                    *pre && *g->path ? "." : "", g->path,
                    *pre || *g->path ? ": " : "", g->msg)
          < 0)
        abort ();
      append_msg (&msg, line);
    }
  if (kind && *object_name (o))
    {
      if (o->info->id == KIND_POD)
        {
          if (asprintf (&name, "%s-%s", object_name (o), d->node_name) < 0)
            abort ();
        }
      else
        name = xstrdup (object_name (o));
      store_event (d->store, "Warning", "FailedToLoad", kind, ns, name, NULL,
                   msg ? msg : "invalid object");
    }
  else
    file_event (d, "%s", msg ? msg : "invalid object");
}

static uint64_t
fnv1a (const char *buf, size_t len)
{
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++)
    {
      h ^= (unsigned char)buf[i];
      h *= 1099511628211ULL;
    }
  return h;
}

static char *
source_of (const char *path)
{
  char *s = NULL;
  if (asprintf (&s, "file:%s", path) < 0)
    abort ();
  return s;
}

struct source_key
{
  const struct kind_info *kind;
  char *ns; /* NULL for cluster-scoped kinds */
  char *name;
};

static bool
key_matches (const struct source_key *k, const struct object *o)
{
  const char *ns = object_namespace (o);
  return k->kind == o->info && strcmp (k->name, object_name (o)) == 0
         && (!o->info->namespaced || strcmp (k->ns, ns) == 0);
}

/* Remove the objects of SOURCE that KEEP (N keys) does not name. */
static void
remove_stale (struct source_dir *d, const char *source,
              const struct source_key *keep, size_t n)
{
  for (size_t i = 0; i < d->store->len;)
    {
      struct store_entry *e = d->store->items[i], *removed = NULL;
      const struct object *o = e->obj;
      bool kept = false;
      berth_error_t err = NULL;
      cleanup_free char *ns = NULL, *name = NULL;
      for (size_t j = 0; j < n && !kept; j++)
        kept = key_matches (&keep[j], o);
      if (kept || strcmp (e->source, source) != 0)
        {
          i++;
          continue;
        }
      ns = object_namespace (o) ? xstrdup (object_namespace (o)) : NULL;
      name = xstrdup (object_name (o));
      if (store_delete (d->store, o->info, ns, name, &removed, &err) < 0)
        berth_error_release (&err);
      if (removed == NULL && i < d->store->len && d->store->items[i] == e)
        i++; /* a pod being terminated gracefully: stays until stopped */
      store_entry_free (removed);
    }
}

/* Keep config.seen of the stored pod when it is the same pod, so that a
 * rescan of an unchanged pod is no change. */
static void
keep_seen (struct source_dir *d, struct object *o)
{
  struct object_meta *m = object_meta (o);
  struct store_entry *e
      = store_get (d->store, o->info, object_namespace (o), object_name (o));
  const char *seen;
  if (e == NULL || m->uid == NULL || object_meta (e->obj)->uid == NULL
      || strcmp (m->uid, object_meta (e->obj)->uid) != 0)
    return;
  seen = strmap_get (&object_meta (e->obj)->annotations,
                     "kubernetes.io/config.seen");
  if (seen)
    strmap_set (&m->annotations, "kubernetes.io/config.seen", seen);
}

static void
apply_manifest (struct source_dir *d, const char *path, struct manifest *m)
{
  cleanup_free char *source = source_of (path);
  cleanup_free struct source_key *keys = NULL;
  bool all_valid = true;
  size_t n = 0;

  for (size_t i = 0; i < m->diags.len; i++)
    file_event (d, "%s: %s", path, m->diags.items[i].msg);
  if (m->diags.len > 0)
    return; /* unreadable: keep what the file gave before */
  keys = xcalloc (m->len + 1, sizeof (*keys));
  for (size_t i = 0; i < m->len; i++)
    {
      struct object *o = m->objects[i];
      enum store_result res;
      berth_error_t err = NULL;
      if (!object_is_valid (o))
        {
          object_event (d, path, o);
          all_valid = false;
          continue;
        }
      if (o->info->id == KIND_POD)
        {
          store_static_pod_defaults (o, d->node_name, path, loop_wall_ms ());
          keep_seen (d, o);
        }
      keys[n].kind = o->info;
      keys[n].ns = object_namespace (o) ? xstrdup (object_namespace (o)) : NULL;
      keys[n++].name = xstrdup (object_name (o));
      m->objects[i] = NULL;
      if (store_apply (d->store, o, source, STORE_UPSERT, NULL, &res, NULL,
                       &err)
          < 0)
        {
          file_event (d, "%s: %s", path, berth_error_msg (&err));
          berth_error_release (&err);
        }
    }
  if (all_valid)
    remove_stale (d, source, keys, n);
  for (size_t i = 0; i < n; i++)
    {
      free (keys[i].ns);
      free (keys[i].name);
    }
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
      file_event (d, "%s: %s", path, strerror (errno));
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
      file_event (d,
                  "%s: file is %lld bytes, larger than the limit of %d bytes",
                  path, (long long)st.st_size, SOURCE_MAX_BYTES);
      return;
    }
  if (read_fd (fd, (size_t)st.st_size, &buf, &len) < 0)
    {
      file_event (d, "%s: read: %s", path, strerror (errno));
      return;
    }
  h = fnv1a (buf, len);
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
      remove_stale (d, source, NULL, 0);
      i = 0; /* the array changed under us */
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
