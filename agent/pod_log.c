/* pod_log.c - see pod_log.h. */
#include "pod_log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"

/* A growing byte buffer. */
struct text
{
  char *data;
  size_t len, cap;
};

static void
text_add (struct text *t, const char *s, size_t n)
{
  if (t->len + n + 1 > t->cap)
    {
      size_t cap = t->cap ? t->cap : 4096;
      while (cap < t->len + n + 1)
        cap *= 2;
      t->data = realloc (t->data, cap);
      if (t->data == NULL)
        abort ();
      t->cap = cap;
    }
  memcpy (t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = '\0';
}

/* The message of one CRI line "<time> <stream> <P|F> <message>" (N bytes,
 * without its newline) appended to OUT, with a newline unless the line is
 * partial (tag P).  Lines of another shape are skipped. */
static void
add_message (struct text *out, const char *line, size_t n)
{
  const char *p = line, *end = line + n, *tag = line;
  for (int field = 0; field < 3; field++)
    {
      if (field == 2)
        tag = p;
      p = memchr (p, ' ', (size_t)(end - p));
      if (p == NULL)
        return;
      p++;
    }
  text_add (out, p, (size_t)(end - p));
  if (*tag != 'P')
    text_add (out, "\n", 1);
}

/* The complete lines of RAW (N bytes) into OUT; returns the bytes used
 * (what follows the last newline is left). */
static size_t
add_lines (struct text *out, const char *raw, size_t n)
{
  size_t used = 0;
  for (;;)
    {
      const char *nl = memchr (raw + used, '\n', n - used);
      if (nl == NULL)
        return used;
      add_message (out, raw + used, (size_t)(nl - (raw + used)));
      used = (size_t)(nl - raw) + 1;
    }
}

/* Keep the last TAIL lines of T (TAIL < 0: all of it). */
static void
keep_tail (struct text *t, long tail)
{
  size_t start = t->len;
  long lines = 0;
  if (tail < 0 || t->data == NULL)
    return;
  while (tail > 0 && start > 0)
    {
      if (t->data[start - 1] == '\n' && start != t->len && ++lines == tail)
        break;
      start--;
    }
  memmove (t->data, t->data + start, t->len - start + 1);
  t->len -= start;
}

/* Read FD to its end: the lines into OUT, an unfinished last line left in
 * RAW.  Returns the bytes read, or -1 with errno. */
static ssize_t
read_lines (int fd, struct text *raw, struct text *out)
{
  char buf[65536];
  ssize_t total = 0, n;
  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      size_t used;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      text_add (raw, buf, (size_t)n);
      used = add_lines (out, raw->data, raw->len);
      memmove (raw->data, raw->data + used, raw->len - used + 1);
      raw->len -= used;
      total += n;
    }
  return total;
}

char *
pod_log_text (const char *path, long tail, size_t *len, int *err_no)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct text raw = { 0 }, out = { 0 };
  if (fd < 0 || read_lines (fd, &raw, &out) < 0)
    {
      *err_no = errno;
      free (raw.data);
      free (out.data);
      return NULL;
    }
  if (raw.len > 0) /* a last line without its newline */
    add_message (&out, raw.data, raw.len);
  free (raw.data);
  keep_tail (&out, tail);
  if (out.data == NULL)
    text_add (&out, "", 0);
  *len = out.len;
  return out.data;
}

/* ---- following ---- */

struct pod_log_follow
{
  struct loop *loop;
  char *path;
  int fd, pidfd;
  struct loop_watcher dir_w, pid_w;
  struct text raw; /* an unfinished line */
  struct text out; /* text not yet returned, from OUT_OFF */
  size_t out_off;
  bool done; /* the monitor has exited */
  void (*wake) (void *ctx);
  void *ctx;
};

static void
on_dir (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct pod_log_follow *f = w->data;
  (void)l;
  (void)events;
  f->wake (f->ctx);
}

static void
on_monitor_exit (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct pod_log_follow *f = w->data;
  (void)l;
  (void)events;
  loop_watcher_del (&f->pid_w);
  f->done = true;
  f->wake (f->ctx);
}

/* The monitor renamed the file away (rotation) and made a new one: switch
 * to it once the old one is drained.  True when it did. */
static bool
reopen_rotated (struct pod_log_follow *f)
{
  struct stat now, ours;
  int fd;
  if (stat (f->path, &now) < 0 || fstat (f->fd, &ours) < 0
      || (now.st_ino == ours.st_ino && now.st_dev == ours.st_dev))
    return false;
  fd = open (f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  close (f->fd);
  f->fd = fd;
  f->raw.len = 0;
  return true;
}

int
pod_log_follow_new (struct loop *l, const char *path, const char *instance_dir,
                    long tail, void (*wake) (void *ctx), void *ctx,
                    struct pod_log_follow **out, berth_error_t *err)
{
  struct pod_log_follow *f = calloc (1, sizeof (*f));
  cleanup_free char *dir = NULL;
  berth_error_t e = NULL;
  if (f == NULL)
    abort ();
  f->loop = l;
  f->wake = wake;
  f->ctx = ctx;
  f->fd = f->pidfd = -1;
  f->dir_w.fd = f->pid_w.fd = -1;
  f->path = strdup (path);
  dir = strdup (path);
  if (f->path == NULL || dir == NULL)
    abort ();
  /* the monitor first: once it has gone, the file has all there will be */
  f->pidfd = container_monitor_pidfd (instance_dir, &e);
  if (f->pidfd < 0)
    {
      berth_error_release (&e);
      f->done = true;
    }
  else if (loop_io_add (l, &f->pid_w, f->pidfd, EPOLLIN, on_monitor_exit, f,
                        err)
           < 0)
    goto fail;
  if (loop_inotify_add (l, &f->dir_w, dirname (dir),
                        IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE,
                        on_dir, f, err)
      < 0)
    goto fail;
  f->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0 || read_lines (f->fd, &f->raw, &f->out) < 0)
    {
      berth_error_sys (err, errno, "read %s", path);
      goto fail;
    }
  keep_tail (&f->out, tail);
  *out = f;
  return 0;
fail:
  pod_log_follow_free (f);
  return -1;
}

ssize_t
pod_log_follow_read (struct pod_log_follow *f, char *buf, size_t max)
{
  for (;;)
    {
      ssize_t n;
      if (f->out_off < f->out.len)
        {
          size_t k = f->out.len - f->out_off;
          if (k > max)
            k = max;
          memcpy (buf, f->out.data + f->out_off, k);
          f->out_off += k;
          if (f->out_off == f->out.len)
            f->out.len = f->out_off = 0;
          return (ssize_t)k;
        }
      n = read_lines (f->fd, &f->raw, &f->out);
      if (n < 0)
        return -1;
      if (n > 0 || f->out.len > 0)
        continue;
      if (reopen_rotated (f))
        continue;
      return f->done ? -1 : 0;
    }
}

void
pod_log_follow_free (struct pod_log_follow *f)
{
  if (f == NULL)
    return;
  loop_watcher_del (&f->dir_w);
  loop_watcher_del (&f->pid_w);
  if (f->pidfd >= 0)
    close (f->pidfd);
  if (f->fd >= 0)
    close (f->fd);
  free (f->raw.data);
  free (f->out.data);
  free (f->path);
  free (f);
}
