/* oom_watch.h - OOM detection for one cgroup, as conmon does it on cgroup
 * v2 but without its blind spots: an inotify watch (IN_MODIFY) on the
 * cgroup's memory.events; each time it fires, the oom, oom_kill and
 * oom_group_kill counters are compared with the last values seen and every
 * increase is reported.  Changes that are not OOMs (low, high, max) are
 * absorbed and the watch goes on.  oom_watch_check compares once more
 * without waiting, for when the container's process has exited (the
 * inotify event may not have been read yet).
 *
 * The watch exposes one fd for the caller's epoll loop and keeps no global
 * state.  It never writes to the cgroup. */
#ifndef BERTH_OOM_WATCH_H
#define BERTH_OOM_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_stats.h"
#include "error.h"

struct oom_watch;

struct oom_delta
{
  uint64_t oom;                    /* increase of memory.events oom */
  uint64_t oom_kill;               /* increase of oom_kill */
  uint64_t oom_group_kill;         /* increase of oom_group_kill */
  struct cgroup_memory_events now; /* the values read */
};

/* Watch DIR/memory.events.  The counters at this point are the baseline:
 * OOMs from before the call are not reported. */
int oom_watch_open (const char *dir, struct oom_watch **out,
                    berth_error_t *err);
void oom_watch_free (struct oom_watch *w);

/* The inotify fd (non-blocking, close-on-exec) to poll for POLLIN. */
int oom_watch_fd (const struct oom_watch *w);

/* Drain the fd's events and compare: returns 1 and fills *OUT when any of
 * the counters grew, 0 when nothing did (a non-OOM change, or no event). */
int oom_watch_process (struct oom_watch *w, struct oom_delta *out,
                       berth_error_t *err);

/* Compare once more without reading events (after the process exited). */
int oom_watch_check (struct oom_watch *w, struct oom_delta *out,
                     berth_error_t *err);

/* Whether the cgroup (or its memory.events) went away: no more events. */
bool oom_watch_gone (const struct oom_watch *w);

/* Pure comparison: the increases from LAST to NOW into *OUT; returns 1 when
 * any counter grew.  A counter that went down (a new cgroup under the same
 * name) counts from zero. */
int oom_watch_compare (const struct cgroup_memory_events *last,
                       const struct cgroup_memory_events *now,
                       struct oom_delta *out);

#endif
