/* oom_watch.c - see oom_watch.h. */
#include "oom_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup_fs.h"
#include "cleanup.h"

struct oom_watch
{
  char *dir;
  int dirfd; /* O_PATH */
  int ifd;   /* inotify */
  bool gone;
  struct cgroup_memory_events last;
};

/* Read memory.events; returns 0 with *OK false when it is gone. */
static int
read_events (struct oom_watch *w, struct cgroup_memory_events *out, bool *ok,
             berth_error_t *err)
{
  cleanup_free char *buf = NULL;
  *ok = false;
  if (cgroup_fs_read_opt (w->dirfd, w->dir, "memory.events", &buf, err) < 0)
    {
      if ((*err)->status != ENODEV)
        return -1;
      berth_error_release (err);
    }
  if (buf == NULL)
    {
      w->gone = true;
      return 0;
    }
  cgroup_stats_parse_memory_events (buf, out);
  *ok = out->oom.set || out->oom_kill.set;
  return 0;
}

int
oom_watch_open (const char *dir, struct oom_watch **out, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  struct oom_watch *w = calloc (1, sizeof (*w));
  bool ok;
  if (w == NULL)
    return berth_error_sys (err, ENOMEM, "oom watch %s", dir);
  w->dirfd = w->ifd = -1;
  if ((w->dir = strdup (dir)) == NULL
      || asprintf (&path, "%s/memory.events", dir) < 0)
    {
      oom_watch_free (w);
      return berth_error_sys (err, ENOMEM, "oom watch %s", dir);
    }
  w->dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (w->dirfd < 0)
    {
      berth_error_sys (err, errno, "oom watch: open %s", dir);
      oom_watch_free (w);
      return -1;
    }
  w->ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (w->ifd < 0 || inotify_add_watch (w->ifd, path, IN_MODIFY) < 0)
    {
      berth_error_sys (err, errno, "oom watch: inotify on %s", path);
      oom_watch_free (w);
      return -1;
    }
  /* The baseline is read after the watch exists, so no change is lost. */
  if (read_events (w, &w->last, &ok, err) < 0 || !ok)
    {
      if (!ok && *err == NULL)
        berth_error_make (err, ENOENT, "oom watch: %s: no oom counters", path);
      oom_watch_free (w);
      return -1;
    }
  *out = w;
  return 0;
}

void
oom_watch_free (struct oom_watch *w)
{
  if (w == NULL)
    return;
  if (w->ifd >= 0)
    close (w->ifd);
  if (w->dirfd >= 0)
    close (w->dirfd);
  free (w->dir);
  free (w);
}

int
oom_watch_fd (const struct oom_watch *w)
{
  return w->ifd;
}

bool
oom_watch_gone (const struct oom_watch *w)
{
  return w->gone;
}

static uint64_t
increase (const struct cgroup_counter *last, const struct cgroup_counter *now)
{
  if (!now->set)
    return 0;
  if (!last->set || now->v < last->v)
    return now->v;
  return now->v - last->v;
}

int
oom_watch_compare (const struct cgroup_memory_events *last,
                   const struct cgroup_memory_events *now,
                   struct oom_delta *out)
{
  memset (out, 0, sizeof (*out));
  out->oom = increase (&last->oom, &now->oom);
  out->oom_kill = increase (&last->oom_kill, &now->oom_kill);
  out->oom_group_kill = increase (&last->oom_group_kill, &now->oom_group_kill);
  out->now = *now;
  return out->oom || out->oom_kill || out->oom_group_kill;
}

int
oom_watch_check (struct oom_watch *w, struct oom_delta *out, berth_error_t *err)
{
  struct cgroup_memory_events now;
  bool ok;
  memset (out, 0, sizeof (*out));
  if (read_events (w, &now, &ok, err) < 0)
    return -1;
  if (!ok)
    return 0; /* gone, or caught mid-rewrite: keep the last values */
  int r = oom_watch_compare (&w->last, &now, out);
  w->last = now;
  return r;
}

int
oom_watch_process (struct oom_watch *w, struct oom_delta *out,
                   berth_error_t *err)
{
  char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  for (;;)
    {
      ssize_t n = read (w->ifd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n < 0)
        return berth_error_sys (err, errno, "oom watch %s: read inotify",
                                w->dir);
      if (n == 0)
        break;
      for (char *p = buf; p < buf + n;)
        {
          const struct inotify_event *ev = (const struct inotify_event *)p;
          if (ev->mask & IN_IGNORED)
            w->gone = true;
          p += sizeof (*ev) + ev->len;
        }
    }
  return oom_watch_check (w, out, err);
}
