/* container.c - see container.h.  The caller's side (start, wait, stop)
 * and the container's init. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_exec.h"
#include "monitor.h"
#include "seccomp_profile.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

const char *
container_state_name (enum container_state s)
{
  switch (s)
    {
    case CONTAINER_CREATED:
      return "created";
    case CONTAINER_RUNNING:
      return "running";
    case CONTAINER_EXITED:
      return "exited";
    default:
      return "unknown";
    }
}

void
container_status_free (struct container_status *s)
{
  free (s->reason);
  free (s->message);
  free (s->started_at);
  free (s->finished_at);
  memset (s, 0, sizeof (*s));
}

/* ---- the container's init ---- */

static int
write_file (const char *path, const char *text, berth_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (text);

  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  if (write (fd, text, len) != (ssize_t)len)
    return berth_error_sys (err, errno, "write %s", path);
  return 0;
}

static int
join_ns (const char *path, int type, berth_error_t *err)
{
  cleanup_close int fd = -1;

  if (path == NULL)
    return 0;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open namespace %s", path);
  if (setns (fd, type) < 0)
    return berth_error_sys (err, errno, "join namespace %s", path);
  return 0;
}

/* argv[0] in the container's PATH (after pivot_root), as runc does. */
static int
find_exec (const char *file, const char *const *envp, char **out,
           berth_error_t *err)
{
  const char *path
      = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  cleanup_free char *copy = NULL;
  char *dir, *save = NULL;
  struct stat st;
  size_t i;

  if (strchr (file, '/') != NULL)
    {
      *out = strdup (file);
      return 0;
    }
  for (i = 0; envp != NULL && envp[i]; i++)
    if (strncmp (envp[i], "PATH=", 5) == 0)
      path = envp[i] + 5;
  copy = strdup (path);
  for (dir = strtok_r (copy, ":", &save); dir;
       dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *p = NULL;
      if (asprintf (&p, "%s/%s", *dir ? dir : ".", file) < 0)
        abort ();
      if (stat (p, &st) == 0 && S_ISREG (st.st_mode) && access (p, X_OK) == 0)
        {
          *out = steal_pointer (&p);
          return 0;
        }
    }
  return berth_error_make (
      err, ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

struct init_paths
{
  char *upper, *work, *merged;
};

static void
init_paths_make (const struct container_spec *spec, struct init_paths *p)
{
  if (asprintf (&p->upper, "%s/upper", spec->instance_dir) < 0
      || asprintf (&p->work, "%s/work", spec->instance_dir) < 0
      || asprintf (&p->merged, "%s/rootfs", spec->instance_dir) < 0)
    abort ();
}

static int
init_seccomp_profile (const struct container_spec *spec, uint64_t caps,
                      struct seccomp_profile *prof, berth_error_t *err)
{
  struct utsname u;
  int major = 0, minor = 0;

  if (spec->privileged || spec->seccomp == CONTAINER_SECCOMP_UNCONFINED)
    return 0;
  if (spec->seccomp == CONTAINER_SECCOMP_LOCALHOST)
    return seccomp_profile_read_localhost (spec->seccomp_root,
                                           spec->seccomp_profile, prof, err);
  if (uname (&u) == 0)
    sscanf (u.release, "%d.%d", &major, &minor);
  seccomp_profile_runtime_default (caps, major, minor, prof);
  return 0;
}

static int
init_namespaces_and_stdio (const struct container_spec *spec, bool in_cgroup,
                           int out_fd, int err_fd, berth_error_t *err)
{
  char buf[32];
  int fd;

  if (spec->cgroup_dir != NULL && !in_cgroup)
    {
      cleanup_free char *procs = NULL;
      if (asprintf (&procs, "%s/cgroup.procs", spec->cgroup_dir) < 0)
        abort ();
      if (write_file (procs, "0", err) < 0)
        return -1;
    }
  if (spec->oom_score_adj_set)
    {
      snprintf (buf, sizeof (buf), "%d", spec->oom_score_adj);
      if (write_file ("/proc/self/oom_score_adj", buf, err) < 0)
        return -1;
    }
  /* A cgroup namespace rooted at the container's cgroup, as containerd
   * does on cgroup v2. */
  if (unshare (CLONE_NEWCGROUP) < 0)
    return berth_error_sys (err, errno, "unshare the cgroup namespace");
  if (join_ns (spec->net_ns, CLONE_NEWNET, err) < 0
      || join_ns (spec->ipc_ns, CLONE_NEWIPC, err) < 0
      || join_ns (spec->uts_ns, CLONE_NEWUTS, err) < 0)
    return -1;
  /* Only a container that owns its uts namespace names it. */
  if (spec->uts_ns == NULL && spec->hostname != NULL
      && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return berth_error_sys (err, errno, "sethostname %s", spec->hostname);
  fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0 || dup2 (fd, 0) < 0 || dup2 (out_fd, 1) < 0
      || dup2 (err_fd, 2) < 0)
    return berth_error_sys (err, errno, "set up stdio");
  close (fd);
  return 0;
}

/* What a container gets under containerd's CRI plugin: it removes the OCI
 * default rlimits (containerd/cri#515, WithoutDefaultSecuritySettings), so
 * the container inherits containerd's own, which containerd.service sets:
 * LimitNPROC and LimitCORE infinity, and since containerd 2.0 (#8924) no
 * LimitNOFILE, hence systemd's default 1024 soft, 524288 hard.  berth sets
 * them instead of passing on whatever its caller had. */
static const struct security_rlimit default_rlimits[] = {
  { RLIMIT_NOFILE, 1024, 524288 },
  { RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY },
  { RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY },
};

static int
apply_rlimits (const struct container_spec *spec, berth_error_t *err)
{
  if (spec->rlimits != NULL)
    return security_apply_rlimits (spec->rlimits, spec->rlimits_len, err);
  return security_apply_rlimits (
      default_rlimits, sizeof (default_rlimits) / sizeof (default_rlimits[0]),
      err);
}

/* The filter: the one container_start compiled, or built here. */
static int
init_seccomp_load (const struct container_prep *prep,
                   const struct seccomp_profile *prof, berth_error_t *err)
{
  if (prep->seccomp_ready)
    return seccomp_bpf_load (&prep->seccomp, err);
  return seccomp_profile_load (prof, err);
}

static int
init_steps (const struct container_spec *spec,
            const struct container_prep *prep, bool in_cgroup, int out_fd,
            int err_fd, berth_error_t *err)
{
  struct seccomp_profile prof = { 0 };
  struct security_user user = { 0 };
  struct init_paths p = { 0 };
  struct rootfs_config rc = { 0 };
  cleanup_free char *exe = NULL;
  bool have_seccomp;
  uint64_t caps;

  setsid ();
  if (init_namespaces_and_stdio (spec, in_cgroup, out_fd, err_fd, err) < 0)
    return -1;
  if (security_caps_compute (spec->privileged, spec->cap_add, spec->cap_add_len,
                             spec->cap_drop, spec->cap_drop_len, &caps, err)
          < 0
      || (!prep->seccomp_ready
          && init_seccomp_profile (spec, caps, &prof, err) < 0))
    return -1;
  have_seccomp = prep->seccomp_ready ? prep->seccomp.len > 0
                                     : prof.len > 0 || prof.default_action != 0;
  init_paths_make (spec, &p);
  rc.lower_dirs = spec->layers;
  rc.lower_len = spec->layers_len;
  rc.upper_dir = p.upper;
  rc.work_dir = p.work;
  rc.merged_dir = p.merged;
  rc.readonly_root = spec->readonly_root;
  rc.privileged = spec->privileged;
  rc.shm_source = spec->shm_source;
  rc.termination_log = spec->termination_log;
  rc.termination_path = spec->termination_path;
  rc.mounts = spec->mounts;
  rc.mounts_len = spec->mounts_len;
  if (rootfs_mount_overlay (&rc, err) < 0)
    return -1;
  if (security_user_resolve (p.merged, &spec->user, &user, err) < 0
      || rootfs_setup (&rc, err) < 0)
    return -1;
  if (chdir (spec->cwd ? spec->cwd : "/") < 0)
    return berth_error_sys (err, errno, "chdir to working dir %s",
                            spec->cwd ? spec->cwd : "/");
  if (find_exec (spec->argv[0], spec->envp, &exe, err) < 0
      || apply_rlimits (spec, err) < 0)
    return -1;
  /* Without no_new_privs the filter needs CAP_SYS_ADMIN: load it while
   * the capabilities are still all there (runc does the same). */
  if (have_seccomp && !spec->no_new_privs
      && init_seccomp_load (prep, &prof, err) < 0)
    return -1;
  if (security_apply_identity (&user, caps, err) < 0)
    return -1;
  if (spec->no_new_privs && security_set_no_new_privs (err) < 0)
    return -1;
  if (have_seccomp && spec->no_new_privs
      && init_seccomp_load (prep, &prof, err) < 0)
    return -1;
  if (syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return berth_error_sys (err, errno, "close_range");
  execve (exe, (char *const *)spec->argv, (char *const *)spec->envp);
  return berth_error_sys (err, errno, "exec %s", exe);
}

void
container_init (const struct container_spec *spec,
                const struct container_prep *prep, bool in_cgroup,
                int stdout_fd, int stderr_fd, int report_fd)
{
  berth_error_t err = NULL;
  const char *msg;

  init_steps (spec, prep, in_cgroup, stdout_fd, stderr_fd, &err);
  msg = berth_error_msg (&err);
  if (write (report_fd, msg, strlen (msg)) < 0)
    _exit (126);
  _exit (127);
}

/* ---- the caller's side ---- */

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *f)
{
  (void)st;
  (void)f;
  return (flag == FTW_DP ? rmdir (path) : unlink (path)) < 0 && errno != ENOENT
             ? -1
             : 0;
}

static int
instance_prepare (const char *dir, berth_error_t *err)
{
  static const char *const fresh[] = { "upper", "work", "rootfs" };
  static const char *const stale[]
      = { "status.json", "container.pid", "monitor.pid" };
  char path[4096];
  size_t i;

  for (i = 0; i < 3; i++)
    {
      snprintf (path, sizeof (path), "%s/%s", dir, stale[i]);
      unlink (path);
    }
  for (i = 0; i < 3; i++)
    {
      snprintf (path, sizeof (path), "%s/%s", dir, fresh[i]);
      if (nftw (path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0
          && errno != ENOENT)
        return berth_error_sys (err, errno, "remove %s", path);
      if (mkdir (path, 0755) < 0)
        return berth_error_sys (err, errno, "mkdir %s", path);
    }
  return 0;
}

static int
read_sync (int fd, pid_t *pid, berth_error_t *err)
{
  char buf[8192];
  size_t n = 0;
  ssize_t r;

  while (n < sizeof (buf) - 1
         && ((r = read (fd, buf + n, sizeof (buf) - 1 - n)) > 0
             || (r < 0 && errno == EINTR)))
    if (r > 0)
      n += r;
  buf[n] = '\0';
  if (strncmp (buf, "ok ", 3) == 0)
    {
      *pid = (pid_t)atol (buf + 3);
      return 0;
    }
  if (strncmp (buf, "error\n", 6) == 0)
    return berth_error_make (err, 0, "%s", buf + 6);
  return berth_error_make (err, EIO, "the monitor exited without a report");
}

/* The monitor runs in "/": every host path must be absolute. */
static int
check_absolute (const struct container_spec *spec, berth_error_t *err)
{
  const char *paths[]
      = { spec->instance_dir, spec->log_path,        spec->net_ns,
          spec->ipc_ns,       spec->uts_ns,          spec->pid_ns,
          spec->shm_source,   spec->termination_log, spec->cgroup_dir,
          spec->seccomp_root };
  const char *names[] = { "instance dir",  "log path",
                          "net namespace", "ipc namespace",
                          "uts namespace", "pid namespace",
                          "shm",           "termination log",
                          "cgroup dir",    "seccomp profile root" };
  size_t i;

  if (spec->instance_dir == NULL || spec->log_path == NULL)
    return berth_error_make (err, EINVAL, "container %s: no %s", spec->id,
                             spec->instance_dir ? "log path" : "instance dir");
  for (i = 0; i < sizeof (paths) / sizeof (paths[0]); i++)
    if (paths[i] != NULL && paths[i][0] != '/')
      return berth_error_make (err, EINVAL,
                               "container %s: %s %s: not an absolute path",
                               spec->id, names[i], paths[i]);
  for (i = 0; i < spec->layers_len; i++)
    if (spec->layers[i][0] != '/')
      return berth_error_make (err, EINVAL,
                               "container %s: layer %s: not an absolute path",
                               spec->id, spec->layers[i]);
  for (i = 0; i < spec->mounts_len; i++)
    if (spec->mounts[i].source[0] != '/')
      return berth_error_make (err, EINVAL,
                               "container %s: mount source %s: not an "
                               "absolute path",
                               spec->id, spec->mounts[i].source);
  return 0;
}

/* The seccomp filter, compiled here (or taken from the cache) rather than
 * in every container's init.  Whatever fails is left to the init, which
 * builds the profile again and reports the failure as a start error. */
static void
prepare_seccomp (const struct container_spec *spec, struct container_prep *p)
{
  struct seccomp_profile prof = { 0 };
  berth_error_t e = NULL;
  uint64_t caps;

  if (security_caps_compute (spec->privileged, spec->cap_add, spec->cap_add_len,
                             spec->cap_drop, spec->cap_drop_len, &caps, &e)
          < 0
      || init_seccomp_profile (spec, caps, &prof, &e) < 0)
    {
      berth_error_release (&e);
      seccomp_profile_free (&prof);
      return;
    }
  if (prof.len == 0 && prof.default_action == 0)
    p->seccomp_ready = true;
  else if (seccomp_cache_get (spec->seccomp_cache_dir, &prof, &p->seccomp, &e)
           == 0)
    p->seccomp_ready = true;
  else
    berth_error_release (&e);
  seccomp_profile_free (&prof);
}

int
container_start (const struct container_spec *spec, pid_t *pid,
                 berth_error_t *err)
{
  struct container_prep prep = { 0 };
  berth_error_t rec_err = NULL;
  int sync[2];
  pid_t child;
  int status, ret;

  if (spec->argv == NULL || spec->argv[0] == NULL)
    return berth_error_make (err, EINVAL, "container %s: empty argv", spec->id);
  if (check_absolute (spec, err) < 0)
    return -1;
  if (spec->run_as_non_root
      && security_verify_run_as_non_root (&spec->user, spec->pod, spec->name,
                                          err)
             < 0)
    return -1;
  if (instance_prepare (spec->instance_dir, err) < 0)
    return berth_error_wrap (err, "container %s", spec->id);
  /* What `berth exec` and exec probes need; a spec this fails on (an
   * unknown capability) fails in the init, with its own report. */
  if (container_exec_record (spec, &rec_err) < 0)
    berth_error_release (&rec_err);
  prepare_seccomp (spec, &prep);
  if (pipe2 (sync, O_CLOEXEC) < 0)
    {
      seccomp_bpf_free (&prep.seccomp);
      return berth_error_sys (err, errno, "pipe");
    }
  child = fork ();
  if (child < 0)
    {
      close (sync[0]);
      close (sync[1]);
      seccomp_bpf_free (&prep.seccomp);
      return berth_error_sys (err, errno, "fork");
    }
  if (child == 0)
    {
      close (sync[0]);
      setsid ();
      child = fork ();
      if (child == 0)
        monitor_run (spec, &prep, sync[1]);
      _exit (child < 0 ? 1 : 0);
    }
  seccomp_bpf_free (&prep.seccomp);
  close (sync[1]);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  ret = read_sync (sync[0], pid, err);
  close (sync[0]);
  if (ret < 0)
    return berth_error_wrap (err, "start container %s", spec->id);
  return 0;
}

int
container_status_read (const char *instance_dir, struct container_status *out,
                       berth_error_t *err)
{
  return monitor_status_read (instance_dir, out, err);
}

static bool
pid_alive (pid_t pid)
{
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

int
container_wait (const char *instance_dir, int timeout_ms,
                struct container_status *out, berth_error_t *err)
{
  struct timespec start, now;
  long elapsed;

  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      memset (out, 0, sizeof (*out));
      if (container_status_read (instance_dir, out, err) < 0)
        return -1;
      if (out->state == CONTAINER_EXITED)
        return 0;
      if (!pid_alive (out->monitor_pid))
        {
          /* Re-read: the monitor writes, then exits. */
          container_status_free (out);
          if (container_status_read (instance_dir, out, err) < 0)
            return -1;
          if (out->state == CONTAINER_EXITED)
            return 0;
          out->state = CONTAINER_UNKNOWN;
          return berth_error_make (err, ESRCH,
                                   "%s: the monitor (pid %d) is gone "
                                   "without recording an exit",
                                   instance_dir, (int)out->monitor_pid);
        }
      clock_gettime (CLOCK_MONOTONIC, &now);
      elapsed = (now.tv_sec - start.tv_sec) * 1000
                + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (timeout_ms >= 0 && elapsed >= timeout_ms)
        return berth_error_make (err, ETIMEDOUT, "%s: still running",
                                 instance_dir);
      container_status_free (out);
      poll (NULL, 0, 20);
    }
}

static int
signal_container (const struct container_status *st, int sig,
                  berth_error_t *err)
{
  cleanup_close int pidfd = syscall (SYS_pidfd_open, st->pid, 0);

  if (pidfd < 0)
    return errno == ESRCH
               ? 0
               : berth_error_sys (err, errno, "pidfd_open %d", (int)st->pid);
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0
      && errno != ESRCH)
    return berth_error_sys (err, errno, "signal %d to pid %d", sig,
                            (int)st->pid);
  return 0;
}

int
container_kill (const char *instance_dir, int sig, berth_error_t *err)
{
  struct container_status st = { 0 };
  int ret;

  if (container_status_read (instance_dir, &st, err) < 0)
    return -1;
  if (st.state == CONTAINER_EXITED)
    {
      container_status_free (&st);
      return 0;
    }
  if (sig == 0)
    sig = st.stop_signal > 0 ? st.stop_signal : SIGTERM;
  ret = signal_container (&st, sig, err);
  container_status_free (&st);
  return ret;
}

int
container_monitor_pidfd (const char *instance_dir, berth_error_t *err)
{
  struct container_status st = { 0 };
  int fd;

  if (container_status_read (instance_dir, &st, err) < 0)
    return -1;
  if (st.monitor_pid <= 0 || st.state == CONTAINER_EXITED)
    {
      container_status_free (&st);
      return berth_error_make (err, ESRCH, "%s: no running monitor",
                               instance_dir);
    }
  fd = (int)syscall (SYS_pidfd_open, st.monitor_pid, 0);
  container_status_free (&st);
  if (fd < 0)
    return berth_error_sys (err, errno, "pidfd_open of the monitor of %s",
                            instance_dir);
  return fd;
}

int
container_stop (const char *instance_dir, int grace_seconds, berth_error_t *err)
{
  struct container_status st = { 0 };
  int sig, ret;

  if (container_status_read (instance_dir, &st, err) < 0)
    return -1;
  if (st.state == CONTAINER_EXITED)
    {
      container_status_free (&st);
      return 0;
    }
  sig = st.stop_signal > 0 ? st.stop_signal : SIGTERM;
  ret = signal_container (&st, sig, err);
  container_status_free (&st);
  if (ret < 0)
    return ret;
  ret = container_wait (instance_dir, grace_seconds * 1000, &st, err);
  if (ret == 0)
    {
      container_status_free (&st);
      return 0;
    }
  if ((*err)->status != ETIMEDOUT)
    return ret;
  berth_error_release (err);
  ret = signal_container (&st, SIGKILL, err);
  container_status_free (&st);
  if (ret < 0)
    return ret;
  ret = container_wait (instance_dir, 60000, &st, err);
  container_status_free (&st);
  return ret;
}
