/* container.h - starting, stopping and observing one container instance.
 *
 * Owns the container_spec (everything one start needs, already resolved by
 * the caller: layers from the image store, namespace files from the pod
 * sandbox, the cgroup dir from the cgroup module, argv/env from command.h),
 * the instance directory's layout and its status file, and the start
 * protocol: a detached monitor (double fork + setsid, monitor.h) clones the
 * container, which sets itself up (rootfs.h, security.h, seccomp_profile.h)
 * and execs; a start failure comes back to container_start's caller as an
 * error naming the failing path.  The container outlives the caller.
 *
 * Instance dir: upper/ work/ rootfs/ (overlay), status.json (atomic),
 * container.pid, monitor.pid.
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "seccomp_cache.h"
#include "rootfs.h"
#include "security.h"

enum container_seccomp
{
  CONTAINER_SECCOMP_RUNTIME_DEFAULT,
  CONTAINER_SECCOMP_UNCONFINED,
  CONTAINER_SECCOMP_LOCALHOST,
};

struct container_spec
{
  const char *id;           /* names the container in messages */
  const char *pod;          /* format.Pod: "name_namespace(uid)" */
  const char *name;         /* the container's name in the pod */
  const char *instance_dir; /* exists; upper/work are made fresh in it */

  const char *const *layers; /* bottom layer first */
  size_t layers_len;
  bool readonly_root;

  /* Namespaces to join (bind-mounted ns files) or NULL.  No net: the
   * host's network; no ipc/uts: a new one; no pid: a new one. */
  const char *net_ns;
  const char *ipc_ns;
  const char *uts_ns;
  const char *pid_ns;
  const char *hostname; /* set only when the container owns its uts ns */

  const char *const *argv; /* argv[0] is looked up in the container's PATH */
  const char *const *envp;
  const char *cwd; /* NULL: "/" */

  struct security_user_spec user;
  bool run_as_non_root;

  bool privileged;
  const char *const *cap_add;
  size_t cap_add_len;
  const char *const *cap_drop;
  size_t cap_drop_len;
  bool no_new_privs; /* allowPrivilegeEscalation: false */
  enum container_seccomp seccomp;
  const char *seccomp_root;    /* Localhost: the kubelet's seccomp dir */
  const char *seccomp_profile; /* Localhost: the file under it */
  /* Compiled filters are kept here (seccomp_cache.h); NULL: compiled at
   * every start. */
  const char *seccomp_cache_dir;

  const struct rootfs_mount *mounts; /* volumes, /etc/hosts, ... */
  size_t mounts_len;
  const char *shm_source;
  const char *termination_log;  /* host file, or NULL */
  const char *termination_path; /* NULL: /dev/termination-log */
  bool termination_fallback_to_logs;

  const struct security_rlimit *rlimits; /* NULL: containerd's (RLIMIT_NOFILE
                                            1024:524288, container.c) */
  size_t rlimits_len;
  const char *cgroup_dir; /* joined before exec, or NULL */
  bool oom_score_adj_set;
  int oom_score_adj;

  const char *log_path; /* the CRI log file (parent dirs are made) */
  int64_t log_max_size; /* rotate at this size (<= 0: never), logrotate.h */
  int log_max_files;    /* rotated files kept, with the current one */
  int stop_signal;      /* 0: SIGTERM */
};

enum container_state
{
  CONTAINER_CREATED,
  CONTAINER_RUNNING,
  CONTAINER_EXITED,
  CONTAINER_UNKNOWN,
};

struct container_status
{
  enum container_state state;
  pid_t pid; /* in the monitor's pid namespace */
  pid_t monitor_pid;
  bool exit_code_set; /* never invented: unset when unknown */
  int exit_code;      /* code, or 128 + signal */
  int signal;         /* the killing signal, or 0 */
  char *reason;       /* Completed, Error, StartError */
  char *message;      /* termination message / start error */
  char *started_at;   /* RFC3339Nano */
  char *finished_at;
  int stop_signal;
};

void container_status_free (struct container_status *s);

/* Start.  Returns when the container has exec'd (0, *PID set) or failed
 * to start (<0, the error names the failing path; the status file then
 * says StartError, exit code 128). */
int container_start (const struct container_spec *spec, pid_t *pid,
                     berth_error_t *err);

/* Read INSTANCE_DIR/status.json (also for an agent that restarted). */
int container_status_read (const char *instance_dir,
                           struct container_status *out, berth_error_t *err);

/* Wait until the container has exited and its monitor recorded it;
 * TIMEOUT_MS < 0 waits forever.  -ETIMEDOUT on timeout. */
int container_wait (const char *instance_dir, int timeout_ms,
                    struct container_status *out, berth_error_t *err);

/* The stop signal, then SIGKILL after GRACE_SECONDS; returns once the
 * monitor recorded the exit. */
int container_stop (const char *instance_dir, int grace_seconds,
                    berth_error_t *err);

/* Send SIG (0: the container's stop signal) without waiting; 0 when it
 * has exited already. */
int container_kill (const char *instance_dir, int sig, berth_error_t *err);

/* A pidfd (close-on-exec) of the container's monitor: it becomes readable
 * once the monitor has recorded the exit and is gone.  -ESRCH when the
 * container has exited already (read the status instead). */
int container_monitor_pidfd (const char *instance_dir, berth_error_t *err);

const char *container_state_name (enum container_state s);

/* Internal, for monitor.c: what container_start works out before the
 * monitor forks.  SECCOMP_READY: SECCOMP is the filter to load (len 0:
 * none); otherwise the init builds it from the spec and reports what
 * fails. */
struct container_prep
{
  bool seccomp_ready;
  struct seccomp_bpf seccomp;
};

/* Internal, for monitor.c: the container's init in the cloned child.
 * Never returns: execs, or writes what failed to REPORT_FD (close-on-exec)
 * and exits 127.  STDOUT_FD/STDERR_FD become its fds 1 and 2.  IN_CGROUP:
 * it was cloned into spec->cgroup_dir already. */
__attribute__ ((noreturn)) void
container_init (const struct container_spec *spec,
                const struct container_prep *prep, bool in_cgroup,
                int stdout_fd, int stderr_fd, int report_fd);

#endif
