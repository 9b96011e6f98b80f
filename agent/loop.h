/* loop.h - the agent's one event loop, in the style of libuev: every
 * watcher is a file descriptor (a socket, a timerfd, a signalfd, an inotify
 * fd) registered with epoll and dispatched through epoll_data.ptr.
 *
 * The loop owns no memory: watchers are embedded in their owners' structs
 * and passed in.  A callback is the last thing the loop does with its
 * watcher, so it may delete (and free) the watcher; other watchers may be
 * deleted too, because the loop takes one event per epoll_wait and so never
 * holds a stale pointer.  An idle loop sleeps in epoll_wait. */
#ifndef BERTH_LOOP_H
#define BERTH_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "error.h"

struct loop;
struct loop_watcher;

/* EVENTS: the epoll events (EPOLLIN, ...).  For a signal watcher
 * W->signo holds the signal; for a timer W->expirations the count. */
typedef void (*loop_cb) (struct loop *l, struct loop_watcher *w,
                         uint32_t events);

enum loop_watcher_type
{
  LOOP_IO,
  LOOP_TIMER,
  LOOP_SIGNAL,
  LOOP_INOTIFY,
};

struct loop_watcher
{
  enum loop_watcher_type type;
  int fd;       /* -1 when not active */
  bool owns_fd; /* closed by loop_watcher_del (timer, signal, inotify) */
  loop_cb cb;
  void *data;
  struct loop *loop;
  int signo;            /* LOOP_SIGNAL: the signal received */
  uint64_t expirations; /* LOOP_TIMER */
};

struct loop
{
  int epfd;
  bool stop;
  int status; /* passed to loop_stop */
};

int loop_init (struct loop *l, berth_error_t *err);
void loop_close (struct loop *l);

/* Run until loop_stop; returns the status given to it. */
int loop_run (struct loop *l, berth_error_t *err);
void loop_stop (struct loop *l, int status);

/* Watch FD (not owned) for EVENTS. */
int loop_io_add (struct loop *l, struct loop_watcher *w, int fd,
                 uint32_t events, loop_cb cb, void *data, berth_error_t *err);
/* A timer firing after FIRST_MS, then every PERIOD_MS (0: once). */
int loop_timer_add (struct loop *l, struct loop_watcher *w, int64_t first_ms,
                    int64_t period_ms, loop_cb cb, void *data,
                    berth_error_t *err);
/* Re-arm (FIRST_MS 0 and PERIOD_MS 0: disarm). */
int loop_timer_set (struct loop_watcher *w, int64_t first_ms, int64_t period_ms,
                    berth_error_t *err);
/* Block SIGNALS (N of them) and deliver them through a signalfd. */
int loop_signal_add (struct loop *l, struct loop_watcher *w, const int *signals,
                     size_t n, loop_cb cb, void *data, berth_error_t *err);
/* An inotify watch of PATH with MASK; the loop drains the queued events
 * before calling CB (callers rescan, they do not need the records). */
int loop_inotify_add (struct loop *l, struct loop_watcher *w, const char *path,
                      uint32_t mask, loop_cb cb, void *data,
                      berth_error_t *err);
/* Stop watching; closes the fd when the watcher owns it.  Safe on a
 * watcher that is not active. */
void loop_watcher_del (struct loop_watcher *w);
bool loop_watcher_active (const struct loop_watcher *w);

/* Milliseconds of CLOCK_MONOTONIC and of the wall clock. */
int64_t loop_now_ms (void);
int64_t loop_wall_ms (void);

#endif
