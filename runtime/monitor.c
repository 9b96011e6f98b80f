/* monitor.c - see monitor.h. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "crilog.h"
#include "node.h"

#define TERMINATION_MESSAGE_MAX 4096
#define FALLBACK_LINES 80
#define FALLBACK_BYTES 2048

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  char buf[CRILOG_TIME_MAX];

  clock_gettime (CLOCK_REALTIME, &ts);
  crilog_format_time (&ts, buf);
  return strdup (buf);
}

/* ---- the status file ---- */

int
monitor_status_write (const char *instance_dir,
                      const struct container_status *s, berth_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  struct node *n = node_new_map ();
  size_t len;
  int ret;

  node_map_set_str (n, "state", container_state_name (s->state));
  node_map_set_int (n, "pid", s->pid);
  node_map_set_int (n, "monitorPid", s->monitor_pid);
  if (s->exit_code_set)
    node_map_set_int (n, "exitCode", s->exit_code);
  if (s->signal)
    node_map_set_int (n, "signal", s->signal);
  if (s->stop_signal)
    node_map_set_int (n, "stopSignal", s->stop_signal);
  if (s->reason)
    node_map_set_str (n, "reason", s->reason);
  if (s->message)
    node_map_set_str (n, "message", s->message);
  if (s->started_at)
    node_map_set_str (n, "startedAt", s->started_at);
  if (s->finished_at)
    node_map_set_str (n, "finishedAt", s->finished_at);
  ret = node_write_json (n, true, &json, &len, err);
  node_unref (n);
  if (ret < 0)
    return ret;
  if (asprintf (&tmp, "%s/status.json.tmp", instance_dir) < 0
      || asprintf (&path, "%s/status.json", instance_dir) < 0)
    abort ();
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", tmp);
  if (write (fd, json, len) != (ssize_t)len || fsync (fd) < 0)
    return berth_error_sys (err, errno, "write %s", tmp);
  if (rename (tmp, path) < 0)
    return berth_error_sys (err, errno, "rename %s", tmp);
  return 0;
}

static char *
get_str (const struct node *m, const char *key)
{
  const struct node *v = node_map_get (m, key);
  return v != NULL && v->kind == NODE_SCALAR ? strdup (v->text) : NULL;
}

static bool
get_int (const struct node *m, const char *key, int64_t *out)
{
  return node_as_int64 (node_map_get (m, key), out, NULL);
}

int
monitor_status_read (const char *instance_dir, struct container_status *out,
                     berth_error_t *err)
{
  static const char *const states[] = { "created", "running", "exited" };
  cleanup_free char *path = NULL;
  cleanup_free char *state = NULL;
  cleanup_free char *buf = NULL;
  cleanup_file FILE *f = NULL;
  struct node_stream st = { 0 };
  const struct node *m;
  size_t len = 0, i;
  int64_t v;

  memset (out, 0, sizeof (*out));
  if (asprintf (&path, "%s/status.json", instance_dir) < 0)
    abort ();
  f = fopen (path, "re");
  if (f == NULL)
    return berth_error_sys (err, errno, "open %s", path);
  buf = malloc (65536);
  if (buf == NULL)
    abort ();
  len = fread (buf, 1, 65535, f);
  if (node_stream_read (buf, len, &st, err) < 0)
    return berth_error_wrap (err, "%s", path);
  m = st.len ? st.docs[0] : NULL;
  if (m == NULL || m->kind != NODE_MAP)
    {
      node_stream_free (&st);
      return berth_error_make (err, EINVAL, "%s: not an object", path);
    }
  state = get_str (m, "state");
  out->state = CONTAINER_UNKNOWN;
  for (i = 0; state && i < 3; i++)
    if (strcmp (state, states[i]) == 0)
      out->state = (enum container_state)i;
  if (get_int (m, "pid", &v))
    out->pid = (pid_t)v;
  if (get_int (m, "monitorPid", &v))
    out->monitor_pid = (pid_t)v;
  if (get_int (m, "exitCode", &v))
    {
      out->exit_code_set = true;
      out->exit_code = (int)v;
    }
  if (get_int (m, "signal", &v))
    out->signal = (int)v;
  if (get_int (m, "stopSignal", &v))
    out->stop_signal = (int)v;
  out->reason = get_str (m, "reason");
  out->message = get_str (m, "message");
  out->started_at = get_str (m, "startedAt");
  out->finished_at = get_str (m, "finishedAt");
  node_stream_free (&st);
  return 0;
}

/* ---- the monitor ---- */

static void
write_pid_file (const char *dir, const char *name, pid_t pid)
{
  char path[4096], buf[32];
  int fd;

  snprintf (path, sizeof (path), "%s/%s", dir, name);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  snprintf (buf, sizeof (buf), "%d\n", (int)pid);
  if (write (fd, buf, strlen (buf)) < 0)
    {
      /* The status file has the pid too. */
    }
  close (fd);
}

/* The termination message as the kubelet computes it. */
static char *
termination_message (const struct container_spec *spec, int exit_code)
{
  char *msg = NULL;
  ssize_t n = 0;
  int fd;

  if (spec->termination_log != NULL)
    {
      fd = open (spec->termination_log, O_RDONLY | O_CLOEXEC);
      msg = calloc (1, TERMINATION_MESSAGE_MAX + 1);
      if (fd >= 0 && msg != NULL)
        {
          n = read (fd, msg, TERMINATION_MESSAGE_MAX);
          msg[n > 0 ? n : 0] = '\0';
        }
      if (fd >= 0)
        close (fd);
    }
  if ((msg == NULL || msg[0] == '\0') && spec->termination_fallback_to_logs
      && exit_code != 0 && spec->log_path != NULL)
    {
      berth_error_t err = NULL;
      free (msg);
      msg = NULL;
      if (crilog_tail_text (spec->log_path, FALLBACK_LINES, FALLBACK_BYTES,
                            &msg, &err)
          < 0)
        berth_error_release (&err);
    }
  if (msg != NULL && msg[0] == '\0')
    {
      free (msg);
      msg = NULL;
    }
  return msg;
}

struct relay
{
  int fd[2];
  struct crilog_stream s[2];
  struct logrotate log;
};

/* Read what is there; returns the number of pipes still open. */
static int
relay_pipes (struct relay *r, int timeout_ms)
{
  struct pollfd pfd[2];
  char buf[65536];
  int i, open_pipes = 0;

  for (i = 0; i < 2; i++)
    {
      pfd[i].fd = r->fd[i];
      pfd[i].events = POLLIN;
      pfd[i].revents = 0;
      open_pipes += r->fd[i] >= 0;
    }
  if (open_pipes == 0 || poll (pfd, 2, timeout_ms) <= 0)
    return open_pipes;
  for (i = 0; i < 2; i++)
    if (r->fd[i] >= 0 && pfd[i].revents)
      {
        berth_error_t err = NULL;
        ssize_t n = read (r->fd[i], buf, sizeof (buf));
        if (n > 0 && crilog_stream_feed (&r->s[i], buf, n, &err) < 0)
          berth_error_release (&err);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
          {
            if (crilog_stream_flush (&r->s[i], &err) < 0)
              berth_error_release (&err);
            close (r->fd[i]);
            r->fd[i] = -1;
            open_pipes--;
          }
      }
  return open_pipes;
}

static void
record_exit (const struct container_spec *spec, struct container_status *st,
             int wstatus)
{
  berth_error_t err = NULL;

  st->state = CONTAINER_EXITED;
  st->exit_code_set = true;
  if (WIFEXITED (wstatus))
    st->exit_code = WEXITSTATUS (wstatus);
  else
    {
      st->signal = WTERMSIG (wstatus);
      st->exit_code = 128 + st->signal;
    }
  st->reason = strdup (st->exit_code == 0 ? "Completed" : "Error");
  st->message = termination_message (spec, st->exit_code);
  if (monitor_status_write (spec->instance_dir, st, &err) < 0)
    berth_error_release (&err);
}

/* After exec: relay output until the container exits, reap everything. */
__attribute__ ((noreturn)) static void
monitor_loop (const struct container_spec *spec, struct container_status *st,
              struct relay *r, int sigfd)
{
  struct signalfd_siginfo si;
  struct pollfd pfd[3];
  bool exited = false;
  int wstatus = 0, i;
  pid_t p;

  while (!exited)
    {
      pfd[0].fd = sigfd;
      for (i = 0; i < 2; i++)
        pfd[i + 1].fd = r->fd[i];
      for (i = 0; i < 3; i++)
        pfd[i].events = POLLIN, pfd[i].revents = 0;
      if (poll (pfd, 3, -1) < 0 && errno != EINTR)
        break;
      if (pfd[1].revents || pfd[2].revents)
        relay_pipes (r, 0);
      if (!pfd[0].revents)
        continue;
      while (read (sigfd, &si, sizeof (si)) > 0)
        ;
      while ((p = waitpid (-1, &wstatus, WNOHANG)) > 0)
        if (p == st->pid)
          {
            exited = true;
            free (st->finished_at);
            st->finished_at = now_rfc3339 ();
            break;
          }
    }
  /* Drain what the container left in the pipes (bounded: a process that
   * escaped could keep them open). */
  for (i = 0; i < 20 && relay_pipes (r, 100) > 0; i++)
    ;
  for (i = 0; i < 2; i++)
    {
      berth_error_t err = NULL;
      if (crilog_stream_flush (&r->s[i], &err) < 0)
        berth_error_release (&err);
    }
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  if (exited)
    record_exit (spec, st, wstatus);
  _exit (0);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args up to cgroup (CLONE_ARGS_SIZE_VER2). */
struct clone3_args
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
      tls, set_tid, set_tid_size, cgroup;
};

/* Straight into the container's cgroup when the kernel can (5.7+), as
 * crun does: writing cgroup.procs afterwards moves a running task, which
 * costs the cgroup core an RCU grace period.  *IN_CGROUP says which. */
static pid_t
clone_flags (const struct container_spec *spec, unsigned long flags,
             bool *in_cgroup)
{
  struct clone3_args a = { .flags = flags, .exit_signal = SIGCHLD };
  cleanup_close int cg = -1;
  pid_t pid;

  *in_cgroup = false;
  if (spec->cgroup_dir != NULL)
    cg = open (spec->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg >= 0)
    {
      a.flags |= CLONE_INTO_CGROUP;
      a.cgroup = (uint64_t)cg;
      pid = syscall (SYS_clone3, &a, sizeof (a));
      if (pid >= 0)
        {
          *in_cgroup = true;
          return pid;
        }
      /* an older kernel, or a cgroup it refuses: the init joins it by
       * cgroup.procs, which reports what is wrong */
    }
  return syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static pid_t
clone_container (const struct container_spec *spec,
                 const struct container_prep *prep, int pipes[2][2],
                 int report[2], const sigset_t *old, berth_error_t *err)
{
  unsigned long flags = CLONE_NEWNS;
  bool in_cgroup;
  pid_t pid;
  int fd;

  if (spec->pid_ns != NULL)
    {
      fd = open (spec->pid_ns, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, CLONE_NEWPID) < 0)
        return berth_error_sys (err, errno, "join pid namespace %s",
                                spec->pid_ns);
      close (fd);
    }
  else
    flags |= CLONE_NEWPID;
  if (spec->ipc_ns == NULL)
    flags |= CLONE_NEWIPC;
  if (spec->uts_ns == NULL)
    flags |= CLONE_NEWUTS;
  pid = clone_flags (spec, flags, &in_cgroup);
  if (pid < 0)
    return berth_error_sys (err, errno, "clone");
  if (pid == 0)
    {
      sigprocmask (SIG_SETMASK, old, NULL);
      close (pipes[0][0]);
      close (pipes[1][0]);
      close (report[0]);
      container_init (spec, prep, in_cgroup, pipes[0][1], pipes[1][1],
                      report[1]);
    }
  return pid;
}

/* The monitor's own fds: /dev/null for stdio, nothing inherited but
 * SYNC_FD (moved to 3). */
static int
monitor_sanitize (int sync_fd)
{
  int high = fcntl (sync_fd, F_DUPFD_CLOEXEC, 10);
  int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  struct sigaction sa = { .sa_handler = SIG_DFL };
  sigset_t none;
  int sig;

  /* Nothing of the caller's: stdio, fds, cwd, signal dispositions and
   * mask (an inherited SIG_IGN for SIGCHLD would hide the exit). */
  if (fd >= 0)
    {
      dup2 (fd, 0);
      dup2 (fd, 1);
      dup2 (fd, 2);
    }
  dup3 (high >= 0 ? high : sync_fd, 3, O_CLOEXEC);
  syscall (SYS_close_range, 4, ~0U, 0);
  for (sig = 1; sig < NSIG; sig++)
    sigaction (sig, &sa, NULL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (chdir ("/") < 0)
    {
      /* Paths are absolute (container_start checks). */
    }
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  return 3;
}

static void
report_start_error (const struct container_spec *spec,
                    struct container_status *st, int sync_fd, const char *msg)
{
  berth_error_t err = NULL;
  char *out = NULL;

  st->state = CONTAINER_EXITED;
  st->exit_code_set = true;
  st->exit_code = 128;
  st->reason = strdup ("StartError");
  st->message = strdup (msg);
  st->finished_at = now_rfc3339 ();
  if (monitor_status_write (spec->instance_dir, st, &err) < 0)
    berth_error_release (&err);
  if (asprintf (&out, "error\n%s", msg) > 0
      && write (sync_fd, out, strlen (out)) < 0)
    _exit (1);
  free (out);
  _exit (1);
}

void
monitor_run (const struct container_spec *spec,
             const struct container_prep *prep, int sync_fd)
{
  struct container_status st = { 0 };
  berth_error_t err = NULL;
  struct relay r;
  int pipes[2][2], report[2], sigfd, i;
  char buf[4096], ok[64];
  sigset_t mask, old;
  ssize_t n, got = 0;

  sync_fd = monitor_sanitize (sync_fd);
  st.monitor_pid = getpid ();
  st.stop_signal = spec->stop_signal;
  st.state = CONTAINER_CREATED;
  if (logrotate_open (&r.log, spec->log_path, spec->log_max_size,
                      spec->log_max_files, &err)
      < 0)
    report_start_error (spec, &st, sync_fd, berth_error_msg (&err));
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, &old);
  sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0 || pipe2 (pipes[0], O_CLOEXEC) < 0
      || pipe2 (pipes[1], O_CLOEXEC) < 0 || pipe2 (report, O_CLOEXEC) < 0)
    report_start_error (spec, &st, sync_fd, "monitor: pipes");
  st.pid = clone_container (spec, prep, pipes, report, &old, &err);
  if (st.pid < 0)
    report_start_error (spec, &st, sync_fd, berth_error_msg (&err));
  close (pipes[0][1]);
  close (pipes[1][1]);
  close (report[1]);
  while ((n = read (report[0], buf + got, sizeof (buf) - 1 - got)) > 0
         || (n < 0 && errno == EINTR))
    got += n > 0 ? n : 0;
  close (report[0]);
  if (got > 0)
    {
      buf[got] = '\0';
      while (waitpid (st.pid, NULL, 0) < 0 && errno == EINTR)
        ;
      report_start_error (spec, &st, sync_fd, buf);
    }
  st.state = CONTAINER_RUNNING;
  st.started_at = now_rfc3339 ();
  write_pid_file (spec->instance_dir, "container.pid", st.pid);
  write_pid_file (spec->instance_dir, "monitor.pid", st.monitor_pid);
  if (monitor_status_write (spec->instance_dir, &st, &err) < 0)
    berth_error_release (&err);
  snprintf (ok, sizeof (ok), "ok %d\n", (int)st.pid);
  if (write (sync_fd, ok, strlen (ok)) < 0)
    {
      /* The caller is gone: the container runs on. */
    }
  close (sync_fd);
  for (i = 0; i < 2; i++)
    {
      r.fd[i] = pipes[i][0];
      crilog_stream_init (&r.s[i], i == 0 ? "stdout" : "stderr", r.log.fd);
      crilog_stream_set_rotation (&r.s[i], &r.log);
    }
  monitor_loop (spec, &st, &r, sigfd);
}
