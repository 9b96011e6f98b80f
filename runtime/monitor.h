/* monitor.h - the process that owns a running container.
 *
 * Owns, in the detached monitor process (setsid, own session, outlives the
 * agent as conmon and containerd-shim do): cloning the container with its
 * namespaces, relaying its stdout/stderr into the CRI log (crilog.h),
 * reaping it (signalfd + waitpid loop: no zombies), and recording its
 * status (start/finish times, exit code or 128+signal, termination
 * message) atomically into the instance's status file.  Knows the status
 * file's format; container.c reads it through monitor_status_read.
 */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include "container.h"

/* Run the monitor: never returns.  SYNC_FD gets "ok PID\n" or
 * "error\nMESSAGE" once the container has exec'd or failed. */
__attribute__ ((noreturn)) void monitor_run (const struct container_spec *spec,
                                             const struct container_prep *prep,
                                             int sync_fd);

int monitor_status_write (const char *instance_dir,
                          const struct container_status *s, berth_error_t *err);
int monitor_status_read (const char *instance_dir, struct container_status *out,
                         berth_error_t *err);

#endif
