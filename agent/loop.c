/* loop.c - see loop.h. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int
loop_init (struct loop *l, berth_error_t *err)
{
  memset (l, 0, sizeof (*l));
  l->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (l->epfd < 0)
    return berth_error_sys (err, errno, "epoll_create1");
  return 0;
}

void
loop_close (struct loop *l)
{
  if (l->epfd >= 0)
    close (l->epfd);
  l->epfd = -1;
}

void
loop_stop (struct loop *l, int status)
{
  l->stop = true;
  l->status = status;
}

static int
watcher_start (struct loop *l, struct loop_watcher *w, int fd, bool owns,
               uint32_t events, loop_cb cb, void *data, berth_error_t *err)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };
  w->fd = fd;
  w->owns_fd = owns;
  w->cb = cb;
  w->data = data;
  w->loop = l;
  if (epoll_ctl (l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    {
      int e = errno;
      if (owns)
        close (fd);
      w->fd = -1;
      return berth_error_sys (err, e, "epoll_ctl add fd %d", fd);
    }
  return 0;
}

int
loop_io_add (struct loop *l, struct loop_watcher *w, int fd, uint32_t events,
             loop_cb cb, void *data, berth_error_t *err)
{
  w->type = LOOP_IO;
  return watcher_start (l, w, fd, false, events, cb, data, err);
}

static void
ms_to_timespec (int64_t ms, struct timespec *ts)
{
  ts->tv_sec = ms / 1000;
  ts->tv_nsec = (ms % 1000) * 1000000;
}

int
loop_timer_set (struct loop_watcher *w, int64_t first_ms, int64_t period_ms,
                berth_error_t *err)
{
  struct itimerspec its = { 0 };
  /* A zero it_value disarms a timerfd. */
  if (first_ms <= 0 && period_ms > 0)
    first_ms = period_ms;
  ms_to_timespec (first_ms > 0 ? first_ms : 0, &its.it_value);
  ms_to_timespec (period_ms > 0 ? period_ms : 0, &its.it_interval);
  if (timerfd_settime (w->fd, 0, &its, NULL) < 0)
    return berth_error_sys (err, errno, "timerfd_settime");
  return 0;
}

int
loop_timer_add (struct loop *l, struct loop_watcher *w, int64_t first_ms,
                int64_t period_ms, loop_cb cb, void *data, berth_error_t *err)
{
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0)
    return berth_error_sys (err, errno, "timerfd_create");
  w->type = LOOP_TIMER;
  if (watcher_start (l, w, fd, true, EPOLLIN, cb, data, err) < 0)
    return -1;
  if (loop_timer_set (w, first_ms, period_ms, err) < 0)
    {
      loop_watcher_del (w);
      return -1;
    }
  return 0;
}

int
loop_signal_add (struct loop *l, struct loop_watcher *w, const int *signals,
                 size_t n, loop_cb cb, void *data, berth_error_t *err)
{
  sigset_t set;
  int fd;
  sigemptyset (&set);
  for (size_t i = 0; i < n; i++)
    sigaddset (&set, signals[i]);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return berth_error_sys (err, errno, "sigprocmask");
  fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    return berth_error_sys (err, errno, "signalfd");
  w->type = LOOP_SIGNAL;
  return watcher_start (l, w, fd, true, EPOLLIN, cb, data, err);
}

int
loop_inotify_add (struct loop *l, struct loop_watcher *w, const char *path,
                  uint32_t mask, loop_cb cb, void *data, berth_error_t *err)
{
  cleanup_close int fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0)
    return berth_error_sys (err, errno, "inotify_init1");
  if (inotify_add_watch (fd, path, mask) < 0)
    return berth_error_sys (err, errno, "inotify_add_watch %s", path);
  w->type = LOOP_INOTIFY;
  return watcher_start (l, w, steal_fd (&fd), true, EPOLLIN, cb, data, err);
}

bool
loop_watcher_active (const struct loop_watcher *w)
{
  return w->loop != NULL && w->fd >= 0;
}

void
loop_watcher_del (struct loop_watcher *w)
{
  if (!loop_watcher_active (w))
    return;
  epoll_ctl (w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
  if (w->owns_fd)
    close (w->fd);
  w->fd = -1;
  w->loop = NULL;
}

/* Consume what the fd signals before the callback runs; false when there
 * was nothing (a spurious wakeup). */
static bool
watcher_drain (struct loop_watcher *w)
{
  switch (w->type)
    {
    case LOOP_TIMER:
      {
        uint64_t n = 0;
        if (read (w->fd, &n, sizeof (n)) != sizeof (n))
          return false;
        w->expirations = n;
        return true;
      }
    case LOOP_SIGNAL:
      {
        struct signalfd_siginfo si;
        if (read (w->fd, &si, sizeof (si)) != sizeof (si))
          return false;
        w->signo = (int)si.ssi_signo;
        return true;
      }
    case LOOP_INOTIFY:
      {
        char buf[4096] __attribute__ ((aligned (8)));
        bool any = false;
        while (read (w->fd, buf, sizeof (buf)) > 0)
          any = true;
        return any;
      }
    case LOOP_IO:
    default:
      return true;
    }
}

int
loop_run (struct loop *l, berth_error_t *err)
{
  l->stop = false;
  while (!l->stop)
    {
      struct epoll_event ev;
      struct loop_watcher *w;
      int n = epoll_wait (l->epfd, &ev, 1, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error_sys (err, errno, "epoll_wait");
      if (n == 0)
        continue;
      w = ev.data.ptr;
      if (!watcher_drain (w))
        continue;
      w->cb (l, w, ev.events); /* last: it may delete W */
    }
  return l->status;
}

int64_t
loop_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
loop_wall_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
