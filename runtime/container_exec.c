/* container_exec.c - see container_exec.h.  The record (process.json),
 * the helper that joins the container, and the caller's side. */
#include "container_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "node.h"
#include "seccomp_profile.h"
#include "security.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* ---- process.json ---- */

static const char *const seccomp_names[]
    = { "RuntimeDefault", "Unconfined", "Localhost" };

static struct node *
record_node (const struct container_spec *spec, uint64_t caps)
{
  struct node *n = node_new_map (), *groups = node_new_seq (), *rl;
  const struct security_user_spec *u = &spec->user;
  char buf[32];
  size_t i;

  /* no env: values from Secrets must not reach the disk; an exec takes
   * the environment of the container's init (/proc/PID/environ) */
  node_map_set_str (n, "cwd", spec->cwd ? spec->cwd : "/");
  node_map_set_str (n, "imageUser", u->image_user ? u->image_user : "");
  if (u->run_as_user_set)
    node_map_set_int (n, "runAsUser", u->run_as_user);
  if (u->run_as_group_set)
    node_map_set_int (n, "runAsGroup", u->run_as_group);
  for (i = 0; i < u->supplemental_groups_len; i++)
    {
      snprintf (buf, sizeof (buf), "%lld",
                (long long)u->supplemental_groups[i]);
      node_seq_append (groups, node_new_scalar (buf, false));
    }
  node_map_set (n, "supplementalGroups", groups);
  snprintf (buf, sizeof (buf), "%llu", (unsigned long long)caps);
  node_map_set_str (n, "capabilities", buf);
  node_map_set_bool (n, "privileged", spec->privileged);
  node_map_set_bool (n, "noNewPrivileges", spec->no_new_privs);
  node_map_set_str (n, "seccomp", seccomp_names[spec->seccomp]);
  if (spec->seccomp_root)
    node_map_set_str (n, "seccompRoot", spec->seccomp_root);
  if (spec->seccomp_profile)
    node_map_set_str (n, "seccompProfile", spec->seccomp_profile);
  rl = node_new_seq ();
  for (i = 0; i < spec->rlimits_len; i++)
    {
      struct node *m = node_new_map ();
      node_map_set_int (m, "resource", spec->rlimits[i].resource);
      snprintf (buf, sizeof (buf), "%llu",
                (unsigned long long)spec->rlimits[i].soft);
      node_map_set_str (m, "soft", buf);
      snprintf (buf, sizeof (buf), "%llu",
                (unsigned long long)spec->rlimits[i].hard);
      node_map_set_str (m, "hard", buf);
      node_seq_append (rl, m);
    }
  node_map_set (n, "rlimits", rl);
  if (spec->cgroup_dir)
    node_map_set_str (n, "cgroupDir", spec->cgroup_dir);
  return n;
}

int
container_exec_record (const struct container_spec *spec, berth_error_t *err)
{
  cleanup_free char *json = NULL, *tmp = NULL, *path = NULL;
  cleanup_close int fd = -1;
  struct node *n;
  uint64_t caps;
  size_t len;
  int ret;

  if (security_caps_compute (spec->privileged, spec->cap_add, spec->cap_add_len,
                             spec->cap_drop, spec->cap_drop_len, &caps, err)
      < 0)
    return -1;
  n = record_node (spec, caps);
  ret = node_write_json (n, true, &json, &len, err);
  node_unref (n);
  if (ret < 0)
    return ret;
  if (asprintf (&tmp, "%s/%s.tmp", spec->instance_dir,
                CONTAINER_EXEC_PROCESS_FILE)
          < 0
      || asprintf (&path, "%s/%s", spec->instance_dir,
                   CONTAINER_EXEC_PROCESS_FILE)
             < 0)
    abort ();
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", tmp);
  if (write (fd, json, len) != (ssize_t)len)
    return berth_error_sys (err, errno, "write %s", tmp);
  if (rename (tmp, path) < 0)
    return berth_error_sys (err, errno, "rename %s", tmp);
  return 0;
}

/* What the helper reads back. */
struct exec_process
{
  char **env;
  char *cwd;
  char *image_user;
  int64_t *groups;
  struct security_user_spec user;
  uint64_t caps;
  bool privileged, no_new_privs;
  enum container_seccomp seccomp;
  char *seccomp_root, *seccomp_profile;
  struct security_rlimit *rlimits;
  size_t n_rlimits;
  char *cgroup_dir;
};

static char *
get_str (const struct node *m, const char *key)
{
  const struct node *v = node_map_get (m, key);
  return v != NULL && v->kind == NODE_SCALAR ? strdup (v->text) : NULL;
}

static uint64_t
get_u64 (const struct node *m, const char *key)
{
  cleanup_free char *s = get_str (m, key);
  return s ? strtoull (s, NULL, 10) : 0;
}

static void
process_defaults (struct exec_process *p)
{
  static const char *const path
      = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  p->env = calloc (2, sizeof (char *));
  p->env[0] = strdup (path);
  p->cwd = strdup ("/");
  p->caps = security_default_caps ();
  p->seccomp = CONTAINER_SECCOMP_UNCONFINED;
}

static void
process_lists (const struct node *m, struct exec_process *p)
{
  const struct node *v;
  size_t i;
  int64_t x;

  v = node_map_get (m, "env");
  p->env
      = calloc ((v && v->kind == NODE_SEQ ? v->len : 0) + 1, sizeof (char *));
  for (i = 0; v && v->kind == NODE_SEQ && i < v->len; i++)
    p->env[i] = strdup (v->items[i]->text ? v->items[i]->text : "");
  v = node_map_get (m, "supplementalGroups");
  if (v && v->kind == NODE_SEQ && v->len)
    {
      p->groups = calloc (v->len, sizeof (int64_t));
      for (i = 0; i < v->len; i++)
        if (node_as_int64 (v->items[i], &x, NULL))
          p->groups[p->user.supplemental_groups_len++] = x;
      p->user.supplemental_groups = p->groups;
    }
  v = node_map_get (m, "rlimits");
  if (v && v->kind == NODE_SEQ && v->len)
    {
      p->rlimits = calloc (v->len, sizeof (*p->rlimits));
      for (i = 0; i < v->len; i++)
        if (node_as_int64 (node_map_get (v->items[i], "resource"), &x, NULL))
          {
            struct security_rlimit *r = &p->rlimits[p->n_rlimits++];
            r->resource = (int)x;
            r->soft = get_u64 (v->items[i], "soft");
            r->hard = get_u64 (v->items[i], "hard");
          }
    }
}

/* The environment the container's init was started with. */
static char **
environ_of (pid_t pid)
{
  char path[64], *buf = NULL, **env;
  size_t cap = 0, len = 0, n = 0, k = 0;
  cleanup_file FILE *f = NULL;
  size_t got;

  snprintf (path, sizeof (path), "/proc/%d/environ", (int)pid);
  f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  do
    {
      if (len + 4096 > cap)
        {
          cap = cap ? cap * 2 : 8192;
          buf = realloc (buf, cap + 1);
          if (buf == NULL)
            abort ();
        }
      got = fread (buf + len, 1, cap - len, f);
      len += got;
    }
  while (got > 0);
  if (buf == NULL)
    return NULL;
  buf[len] = '\0';
  for (size_t i = 0; i < len; i++)
    n += buf[i] == '\0';
  env = calloc (n + 2, sizeof (char *));
  if (env == NULL)
    abort ();
  for (size_t i = 0; i < len; i += strlen (buf + i) + 1)
    if (buf[i])
      env[k++] = strdup (buf + i);
  free (buf);
  return env;
}

static int
process_read (const char *instance_dir, struct exec_process *p,
              berth_error_t *err)
{
  cleanup_free char *path = NULL, *buf = NULL, *sc = NULL;
  cleanup_file FILE *f = NULL;
  struct node_stream st = { 0 };
  const struct node *m;
  size_t len, i;
  int64_t v;
  bool b;

  memset (p, 0, sizeof (*p));
  if (instance_dir == NULL)
    {
      process_defaults (p);
      return 0;
    }
  if (asprintf (&path, "%s/%s", instance_dir, CONTAINER_EXEC_PROCESS_FILE) < 0)
    abort ();
  f = fopen (path, "re");
  if (f == NULL)
    return berth_error_sys (err, errno, "open %s", path);
  buf = malloc (1 << 20);
  len = buf ? fread (buf, 1, (1 << 20) - 1, f) : 0;
  if (node_stream_read (buf, len, &st, err) < 0)
    return berth_error_wrap (err, "%s", path);
  m = st.len ? st.docs[0] : NULL;
  if (m == NULL || m->kind != NODE_MAP)
    {
      node_stream_free (&st);
      return berth_error_make (err, EINVAL, "%s: not an object", path);
    }
  process_lists (m, p);
  p->cwd = get_str (m, "cwd");
  p->image_user = get_str (m, "imageUser");
  p->user.image_user = p->image_user;
  if (node_as_int64 (node_map_get (m, "runAsUser"), &v, NULL))
    p->user.run_as_user_set = true, p->user.run_as_user = v;
  if (node_as_int64 (node_map_get (m, "runAsGroup"), &v, NULL))
    p->user.run_as_group_set = true, p->user.run_as_group = v;
  p->caps = get_u64 (m, "capabilities");
  p->privileged = node_as_bool (node_map_get (m, "privileged"), &b) && b;
  p->no_new_privs = node_as_bool (node_map_get (m, "noNewPrivileges"), &b) && b;
  sc = get_str (m, "seccomp");
  for (i = 0; sc && i < 3; i++)
    if (strcmp (sc, seccomp_names[i]) == 0)
      p->seccomp = (enum container_seccomp)i;
  p->seccomp_root = get_str (m, "seccompRoot");
  p->seccomp_profile = get_str (m, "seccompProfile");
  p->cgroup_dir = get_str (m, "cgroupDir");
  node_stream_free (&st);
  return 0;
}

/* ---- the helper (a child of the caller) ---- */

static void
report (int fd, const char *fmt, ...)
{
  char buf[4096];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  if (n > (int)sizeof (buf) - 1)
    n = sizeof (buf) - 1;
  if (n > 0 && write (fd, buf, n) < 0)
    _exit (1);
}

/* The cgroup to join: the recorded one, else the init's (cgroup v2). */
static char *
target_cgroup (const struct exec_process *p, pid_t pid)
{
  char path[64], line[4096];
  cleanup_file FILE *f = NULL;
  char *r = NULL;

  if (p->cgroup_dir)
    return strdup (p->cgroup_dir);
  snprintf (path, sizeof (path), "/proc/%d/cgroup", (int)pid);
  f = fopen (path, "re");
  while (f && fgets (line, sizeof (line), f))
    if (strncmp (line, "0::/", 4) == 0)
      {
        line[strcspn (line, "\n")] = '\0';
        if (asprintf (&r, "/sys/fs/cgroup%s", line + 3) < 0)
          abort ();
        break;
      }
  return r;
}

static int
join_cgroup (const char *dir, berth_error_t *err)
{
  cleanup_free char *procs = NULL;
  cleanup_close int fd = -1;

  if (dir == NULL)
    return 0;
  if (asprintf (&procs, "%s/cgroup.procs", dir) < 0)
    abort ();
  fd = open (procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, "0", 1) != 1)
    return berth_error_sys (err, errno, "join cgroup %s", dir);
  return 0;
}

/* Join the namespaces of PID that differ from ours; mnt last. */
static int
join_namespaces (pid_t pid, berth_error_t *err)
{
  static const char *const names[]
      = { "cgroup", "ipc", "uts", "net", "pid", "mnt" };
  static const int types[] = { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWUTS,
                               CLONE_NEWNET,    CLONE_NEWPID, CLONE_NEWNS };
  int fds[6];
  char path[64];
  struct stat theirs, ours;
  size_t i;

  for (i = 0; i < 6; i++)
    {
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int)pid, names[i]);
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        return berth_error_sys (err, errno, "open %s", path);
      snprintf (path, sizeof (path), "/proc/self/ns/%s", names[i]);
      if (fstat (fds[i], &theirs) == 0 && stat (path, &ours) == 0
          && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
        {
          close (fds[i]);
          fds[i] = -1;
        }
    }
  for (i = 0; i < 6; i++)
    if (fds[i] >= 0)
      {
        if (setns (fds[i], types[i]) < 0)
          return berth_error_sys (err, errno, "join the %s namespace of %d",
                                  names[i], (int)pid);
        close (fds[i]);
      }
  return 0;
}

static int
build_seccomp (const struct exec_process *p, struct seccomp_profile *prof,
               berth_error_t *err)
{
  struct utsname u;
  int major = 0, minor = 0;

  if (p->privileged || p->seccomp == CONTAINER_SECCOMP_UNCONFINED)
    return 0;
  if (p->seccomp == CONTAINER_SECCOMP_LOCALHOST)
    return seccomp_profile_read_localhost (p->seccomp_root, p->seccomp_profile,
                                           prof, err);
  if (uname (&u) == 0)
    sscanf (u.release, "%d.%d", &major, &minor);
  seccomp_profile_runtime_default (p->caps, major, minor, prof);
  return 0;
}

/* The command, in the container: its identity and confinement, then exec.
 * Only returns on failure. */
static int
command_steps (const struct exec_process *p, const struct seccomp_profile *prof,
               const struct container_exec_opts *o, berth_error_t *err)
{
  struct security_user user = { 0 };
  bool have_seccomp = prof->len > 0 || prof->default_action != 0;
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setsid ();
  if (o->tty && ioctl (0, TIOCSCTTY, 0) < 0)
    return berth_error_sys (err, errno, "set the controlling terminal");
  if (security_user_resolve ("/", &p->user, &user, err) < 0)
    return -1;
  if (chdir (p->cwd && *p->cwd ? p->cwd : "/") < 0)
    return berth_error_sys (err, errno, "chdir to working dir %s", p->cwd);
  if (security_apply_rlimits (p->rlimits, p->n_rlimits, err) < 0)
    return -1;
  if (have_seccomp && !p->no_new_privs && seccomp_profile_load (prof, err) < 0)
    return -1;
  if (security_apply_identity (&user, p->caps, err) < 0)
    return -1;
  if (p->no_new_privs && security_set_no_new_privs (err) < 0)
    return -1;
  if (have_seccomp && p->no_new_privs && seccomp_profile_load (prof, err) < 0)
    return -1;
  syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  environ = p->env;
  execvp (o->argv[0], (char *const *)o->argv);
  if (errno == ENOENT && strchr (o->argv[0], '/') == NULL)
    return berth_error_make (err, ENOENT,
                             "exec: \"%s\": executable file not found in "
                             "$PATH",
                             o->argv[0]);
  return berth_error_sys (err, errno, "exec %s", o->argv[0]);
}

static void
kill_command (pid_t pid)
{
  kill (-pid, SIGKILL);
  kill (pid, SIGKILL);
}

/* Wait for the command, its timeout or a SIGTERM; report; exit. */
__attribute__ ((noreturn)) static void
supervise (pid_t pid, const struct timespec *start, int timeout_ms,
           int status_fd, int sigfd)
{
  struct signalfd_siginfo si;
  struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
  struct timespec now;
  int wstatus, left = timeout_ms, r;

  for (;;)
    {
      r = waitpid (pid, &wstatus, WNOHANG);
      if (r == pid)
        break;
      if (r < 0 && errno != EINTR)
        report (status_fd, "error\nwait for the command: %s", strerror (errno)),
            _exit (0);
      if (timeout_ms > 0)
        {
          clock_gettime (CLOCK_MONOTONIC, &now);
          left = timeout_ms
                 - (int)((now.tv_sec - start->tv_sec) * 1000
                         + (now.tv_nsec - start->tv_nsec) / 1000000);
          if (left <= 0)
            {
              kill_command (pid);
              waitpid (pid, NULL, 0);
              report (status_fd, "timeout\n");
              _exit (0);
            }
        }
      if (poll (&pfd, 1, timeout_ms > 0 ? left : -1) > 0
          && read (sigfd, &si, sizeof (si)) == sizeof (si)
          && si.ssi_signo != SIGCHLD)
        {
          kill_command (pid);
          waitpid (pid, NULL, 0);
          report (status_fd, "killed\n");
          _exit (0);
        }
    }
  if (WIFEXITED (wstatus))
    report (status_fd, "exit %d\n", WEXITSTATUS (wstatus));
  else
    report (status_fd, "exit %d\n", 128 + WTERMSIG (wstatus));
  _exit (0);
}

/* Stdio to 0-2 and the status fd to 3; nothing else of the caller's. */
static int
helper_fds (const struct container_exec_opts *o, int status_fd)
{
  int want[4] = { o->stdin_fd, o->stdout_fd, o->stderr_fd, status_fd };
  int high[4], i, null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  for (i = 0; i < 4; i++)
    high[i] = fcntl (want[i] >= 0 ? want[i] : null, F_DUPFD_CLOEXEC, 64);
  for (i = 0; i < 4; i++)
    if (high[i] < 0 || dup2 (high[i], i) < 0)
      return -1;
  fcntl (3, F_SETFD, FD_CLOEXEC);
  syscall (SYS_close_range, 4, ~0U, 0);
  return 3;
}

__attribute__ ((noreturn)) static void
helper_main (const struct container_exec_target *t,
             const struct container_exec_opts *o, int status_fd)
{
  struct seccomp_profile prof = { 0 };
  struct exec_process p;
  berth_error_t err = NULL;
  cleanup_free char *cg = NULL;
  char msg[4096];
  int rep[2], sigfd;
  ssize_t n, got = 0;
  struct timespec start;
  sigset_t mask;
  pid_t pid;

  /* The timeout counts from here, joining the container included, as
   * ExecSync's does. */
  clock_gettime (CLOCK_MONOTONIC, &start);
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigprocmask (SIG_SETMASK, &mask, NULL);
  status_fd = helper_fds (o, status_fd);
  sigfd = signalfd (-1, &mask, SFD_CLOEXEC);
  if (status_fd < 0 || sigfd < 0)
    _exit (1);
  if (process_read (t->instance_dir, &p, &err) < 0
      || build_seccomp (&p, &prof, &err) < 0)
    goto fail;
  if (t->instance_dir && (p.env == NULL || p.env[0] == NULL))
    {
      char **env = environ_of (t->pid);
      if (env == NULL)
        {
          /* gone or unreadable: the defaults' PATH */
          struct exec_process d;
          process_defaults (&d);
          env = d.env;
          free (d.cwd);
        }
      free (p.env);
      p.env = env;
    }
  cg = target_cgroup (&p, t->pid);
  if (join_cgroup (cg, &err) < 0 || join_namespaces (t->pid, &err) < 0)
    goto fail;
  if (pipe2 (rep, O_CLOEXEC) < 0)
    _exit (1);
  pid = fork ();
  if (pid < 0)
    {
      berth_error_sys (&err, errno, "fork in the container's namespaces");
      goto fail;
    }
  if (pid == 0)
    {
      close (rep[0]);
      command_steps (&p, &prof, o, &err);
      report (rep[1], "%s", berth_error_msg (&err));
      _exit (127);
    }
  close (rep[1]);
  /* The command's stdio is its own: EOF on it when the command is done. */
  n = open ("/dev/null", O_RDWR | O_CLOEXEC);
  dup2 (n, 0);
  dup2 (n, 1);
  dup2 (n, 2);
  report (status_fd, "pid %d\n", (int)pid);
  while ((n = read (rep[0], msg + got, sizeof (msg) - 1 - got)) > 0
         || (n < 0 && errno == EINTR))
    got += n > 0 ? n : 0;
  if (got > 0)
    {
      msg[got] = '\0';
      waitpid (pid, NULL, 0);
      report (status_fd, "error\n%s", msg);
      _exit (0);
    }
  close (rep[0]);
  supervise (pid, &start, o->timeout_ms, status_fd, sigfd);
fail:
  report (status_fd, "error\n%s", berth_error_msg (&err));
  _exit (0);
}

/* ---- the caller's side ---- */

int
container_exec_start (const struct container_exec_target *t,
                      const struct container_exec_opts *o,
                      struct container_exec *x, berth_error_t *err)
{
  int st[2];
  pid_t pid;

  memset (x, 0, sizeof (*x));
  x->status_fd = x->helper_pidfd = -1;
  if (o->argv == NULL || o->argv[0] == NULL)
    return berth_error_make (err, EINVAL, "exec: no command");
  if (t->pid <= 0)
    return berth_error_make (err, ESRCH, "exec: the container is not running");
  if (pipe2 (st, O_CLOEXEC) < 0)
    return berth_error_sys (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (st[0]);
      close (st[1]);
      return berth_error_sys (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (st[0]);
      helper_main (t, o, st[1]);
    }
  close (st[1]);
  fcntl (st[0], F_SETFL, O_NONBLOCK);
  x->helper = pid;
  x->helper_pidfd = syscall (SYS_pidfd_open, pid, 0);
  x->status_fd = st[0];
  x->state = CONTAINER_EXEC_RUNNING;
  return 0;
}

static void
reap_helper (struct container_exec *x)
{
  siginfo_t si;

  if (x->helper <= 0)
    return;
  if (x->helper_pidfd >= 0)
    while (waitid (P_PIDFD, x->helper_pidfd, &si, WEXITED) < 0
           && errno == EINTR)
      ;
  else
    while (waitpid (x->helper, NULL, 0) < 0 && errno == EINTR)
      ;
  x->helper = 0;
}

/* The report: "pid N\n", then "exit N\n" | "timeout\n" | "killed\n" |
 * "error\nMESSAGE". */
static void
parse_report (struct container_exec *x)
{
  char *nl, *s = x->buf;

  x->buf[x->len] = '\0';
  if (strncmp (s, "pid ", 4) == 0 && (nl = strchr (s, '\n')) != NULL)
    {
      x->pid = (pid_t)atol (s + 4);
      s = nl + 1;
    }
  if (strncmp (s, "exit ", 5) == 0)
    {
      x->state = CONTAINER_EXEC_EXITED;
      x->exit_code = atoi (s + 5);
    }
  else if (strncmp (s, "timeout", 7) == 0)
    x->state = CONTAINER_EXEC_TIMED_OUT;
  else if (strncmp (s, "killed", 6) == 0)
    x->state = CONTAINER_EXEC_KILLED;
  else
    {
      x->state = CONTAINER_EXEC_FAILED;
      x->message = strdup (strncmp (s, "error\n", 6) == 0
                               ? s + 6
                               : "the exec helper exited without a report");
    }
}

int
container_exec_poll (struct container_exec *x, berth_error_t *err)
{
  ssize_t n;

  if (x->state != CONTAINER_EXEC_RUNNING)
    return 1;
  for (;;)
    {
      n = read (x->status_fd, x->buf + x->len, sizeof (x->buf) - 1 - x->len);
      if (n > 0)
        {
          x->len += n;
          if (x->len < sizeof (x->buf) - 1)
            continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          /* the pid line may be complete already */
          if (x->pid == 0 && strncmp (x->buf, "pid ", 4) == 0
              && memchr (x->buf, '\n', x->len))
            x->pid = (pid_t)atol (x->buf + 4);
          return 0;
        }
      if (n < 0)
        return berth_error_sys (err, errno, "read the exec status");
      break; /* EOF (or full): the helper is done */
    }
  parse_report (x);
  reap_helper (x);
  return 1;
}

void
container_exec_kill (struct container_exec *x)
{
  /* Only through the pidfd: a helper reaped by someone else's
   * waitpid (-1) may have left its pid to another process. */
  if (x->helper <= 0 || x->helper_pidfd < 0)
    return;
  syscall (SYS_pidfd_send_signal, x->helper_pidfd, SIGTERM, NULL, 0);
}

int
container_exec_wait (struct container_exec *x, berth_error_t *err)
{
  struct pollfd pfd = { .fd = x->status_fd, .events = POLLIN };
  int r;

  while ((r = container_exec_poll (x, err)) == 0)
    if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
      return berth_error_sys (err, errno, "poll");
  return r < 0 ? r : 0;
}

void
container_exec_free (struct container_exec *x)
{
  if (x->helper > 0)
    {
      container_exec_kill (x);
      reap_helper (x);
    }
  if (x->status_fd >= 0)
    close (x->status_fd);
  if (x->helper_pidfd >= 0)
    close (x->helper_pidfd);
  free (x->message);
  x->status_fd = x->helper_pidfd = -1;
  x->message = NULL;
}

int
container_exec_run (const struct container_exec_target *t,
                    const struct container_exec_opts *o,
                    struct container_exec *x, berth_error_t *err)
{
  if (container_exec_start (t, o, x, err) < 0)
    return -1;
  return container_exec_wait (x, err);
}
