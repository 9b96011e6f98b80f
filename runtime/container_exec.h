/* container_exec.h - running a command in a running container, as
 * `runc exec` does for CRI ExecSync and `kubectl exec`.
 *
 * Owns the instance's process.json (what the container's process was
 * given: env, cwd, user, capabilities, no_new_privs, seccomp, rlimits,
 * cgroup; written by container_start) and the exec itself: a helper
 * process joins the container's cgroup and its namespaces (cgroup, ipc,
 * uts, net, pid, mnt: from /proc/PID/ns of the container's init), then
 * forks the command, which takes the container's identity and
 * confinement and execs.  The helper reports the command's host pid and
 * its exit status through a pipe, enforces the timeout (SIGKILL to the
 * command's process group) and kills the same way when told to (SIGTERM
 * to the helper).  Nothing here blocks: a caller on an event loop watches
 * the status fd; container_exec_run is the blocking form for the CLI.
 */
#ifndef BERTH_CONTAINER_EXEC_H
#define BERTH_CONTAINER_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"

#define CONTAINER_EXEC_PROCESS_FILE "process.json"

struct container_exec_target
{
  pid_t pid;                /* the container's init, in our pid namespace */
  const char *instance_dir; /* for process.json; NULL: defaults (root,
                               PATH only, containerd's capabilities) */
};

struct container_exec_opts
{
  const char *const *argv;
  int stdin_fd, stdout_fd, stderr_fd; /* -1: /dev/null */
  bool tty;       /* stdin_fd is a terminal: make it the controlling one */
  int timeout_ms; /* <= 0: none */
};

enum container_exec_state
{
  CONTAINER_EXEC_RUNNING,
  CONTAINER_EXEC_EXITED,    /* exit_code: code, or 128 + signal */
  CONTAINER_EXEC_TIMED_OUT, /* killed at the timeout */
  CONTAINER_EXEC_KILLED,    /* killed on container_exec_kill */
  CONTAINER_EXEC_FAILED,    /* never ran: message says why */
};

struct container_exec
{
  pid_t helper;
  int helper_pidfd;
  int status_fd; /* readable: call container_exec_poll */
  pid_t pid;     /* the command, once reported */
  enum container_exec_state state;
  int exit_code;
  char *message;
  char buf[4096];
  size_t len;
};

/* Record what an exec in this container needs (process.json in the
 * instance dir).  Called by container_start before the container runs. */
int container_exec_record (const struct container_spec *spec,
                           berth_error_t *err);

/* Start ARGV in the container.  On success X is set up; the caller polls
 * X->status_fd (or calls container_exec_wait) and then frees X. */
int container_exec_start (const struct container_exec_target *t,
                          const struct container_exec_opts *o,
                          struct container_exec *x, berth_error_t *err);

/* Read what the helper reported; returns 1 once X->state is final (the
 * helper then is reaped), 0 while it runs, <0 on error. */
int container_exec_poll (struct container_exec *x, berth_error_t *err);

/* Kill the command (its process group) and end the helper. */
void container_exec_kill (struct container_exec *x);

/* Wait for the final state (blocking). */
int container_exec_wait (struct container_exec *x, berth_error_t *err);

/* Close the fds; a helper still running is killed and reaped. */
void container_exec_free (struct container_exec *x);

/* Start and wait: the blocking form. */
int container_exec_run (const struct container_exec_target *t,
                        const struct container_exec_opts *o,
                        struct container_exec *x, berth_error_t *err);

#endif
