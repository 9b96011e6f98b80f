/* pod_log.h - reading a container's CRI log file
 * (/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log) as the kubelet's
 * log endpoint returns it: the message of each line, partial lines (tag P)
 * joined, optionally only the last N lines; and following it
 * (?follow=true) while the container instance runs.
 *
 * A follower owns the open log file, an inotify watch on it (writes, and
 * the monitor's rotation renaming it) and the pidfd of the instance's
 * monitor: it reads what was appended when woken, reopens the path after a
 * rotation once the old file is drained, and ends at the end of the file
 * once the monitor has exited.  It never polls. */
#ifndef BERTH_POD_LOG_H
#define BERTH_POD_LOG_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"

/* The text of the log at PATH; the last TAIL lines when TAIL >= 0.  NULL
 * with *ERR_NO set when it cannot be read. */
char *pod_log_text (const char *path, long tail, size_t *len, int *err_no);

struct pod_log_follow;

/* Follow PATH, written by the monitor of INSTANCE_DIR, from its start (the
 * last TAIL lines of what it has when TAIL >= 0).  WAKE(CTX) is called
 * from the loop when pod_log_follow_read has something new to return. */
int pod_log_follow_new (struct loop *l, const char *path,
                        const char *instance_dir, long tail,
                        void (*wake) (void *ctx), void *ctx,
                        struct pod_log_follow **out, berth_error_t *err);

/* Up to MAX bytes of the log's text into BUF: the count, 0 when nothing
 * new is there yet (WAKE comes when there is), -1 at the end (the
 * container's monitor has exited and everything was returned). */
ssize_t pod_log_follow_read (struct pod_log_follow *f, char *buf, size_t max);

void pod_log_follow_free (struct pod_log_follow *f);

#endif
