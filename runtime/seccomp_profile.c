/* seccomp_profile.c - see seccomp_profile.h. */
#include "seccomp_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "node.h"

/* moby's unconditional allow-list (profiles/seccomp/default.json). */
static const char *const default_allow[] = {
  "accept",
  "accept4",
  "access",
  "adjtimex",
  "alarm",
  "bind",
  "brk",
  "cachestat",
  "capget",
  "capset",
  "chdir",
  "chmod",
  "chown",
  "chown32",
  "clock_adjtime",
  "clock_adjtime64",
  "clock_getres",
  "clock_getres_time64",
  "clock_gettime",
  "clock_gettime64",
  "clock_nanosleep",
  "clock_nanosleep_time64",
  "close",
  "close_range",
  "connect",
  "copy_file_range",
  "creat",
  "dup",
  "dup2",
  "dup3",
  "epoll_create",
  "epoll_create1",
  "epoll_ctl",
  "epoll_ctl_old",
  "epoll_pwait",
  "epoll_pwait2",
  "epoll_wait",
  "epoll_wait_old",
  "eventfd",
  "eventfd2",
  "execve",
  "execveat",
  "exit",
  "exit_group",
  "faccessat",
  "faccessat2",
  "fadvise64",
  "fadvise64_64",
  "fallocate",
  "fanotify_mark",
  "fchdir",
  "fchmod",
  "fchmodat",
  "fchmodat2",
  "fchown",
  "fchown32",
  "fchownat",
  "fcntl",
  "fcntl64",
  "fdatasync",
  "fgetxattr",
  "flistxattr",
  "flock",
  "fork",
  "fremovexattr",
  "fsetxattr",
  "fstat",
  "fstat64",
  "fstatat64",
  "fstatfs",
  "fstatfs64",
  "fsync",
  "ftruncate",
  "ftruncate64",
  "futex",
  "futex_requeue",
  "futex_time64",
  "futex_wait",
  "futex_waitv",
  "futex_wake",
  "futimesat",
  "getcpu",
  "getcwd",
  "getdents",
  "getdents64",
  "getegid",
  "getegid32",
  "geteuid",
  "geteuid32",
  "getgid",
  "getgid32",
  "getgroups",
  "getgroups32",
  "getitimer",
  "getpeername",
  "getpgid",
  "getpgrp",
  "getpid",
  "getppid",
  "getpriority",
  "getrandom",
  "getresgid",
  "getresgid32",
  "getresuid",
  "getresuid32",
  "getrlimit",
  "get_robust_list",
  "getrusage",
  "getsid",
  "getsockname",
  "getsockopt",
  "get_thread_area",
  "gettid",
  "gettimeofday",
  "getuid",
  "getuid32",
  "getxattr",
  "inotify_add_watch",
  "inotify_init",
  "inotify_init1",
  "inotify_rm_watch",
  "io_cancel",
  "ioctl",
  "io_destroy",
  "io_getevents",
  "io_pgetevents",
  "io_pgetevents_time64",
  "ioprio_get",
  "ioprio_set",
  "io_setup",
  "io_submit",
  "ipc",
  "kill",
  "landlock_add_rule",
  "landlock_create_ruleset",
  "landlock_restrict_self",
  "lchown",
  "lchown32",
  "lgetxattr",
  "link",
  "linkat",
  "listen",
  "listxattr",
  "llistxattr",
  "_llseek",
  "lremovexattr",
  "lseek",
  "lsetxattr",
  "lstat",
  "lstat64",
  "madvise",
  "map_shadow_stack",
  "membarrier",
  "memfd_create",
  "memfd_secret",
  "mincore",
  "mkdir",
  "mkdirat",
  "mknod",
  "mknodat",
  "mlock",
  "mlock2",
  "mlockall",
  "mmap",
  "mmap2",
  "mprotect",
  "mq_getsetattr",
  "mq_notify",
  "mq_open",
  "mq_timedreceive",
  "mq_timedreceive_time64",
  "mq_timedsend",
  "mq_timedsend_time64",
  "mq_unlink",
  "mremap",
  "msgctl",
  "msgget",
  "msgrcv",
  "msgsnd",
  "msync",
  "munlock",
  "munlockall",
  "munmap",
  "name_to_handle_at",
  "nanosleep",
  "newfstatat",
  "_newselect",
  "open",
  "openat",
  "openat2",
  "pause",
  "pidfd_open",
  "pidfd_send_signal",
  "pipe",
  "pipe2",
  "pkey_alloc",
  "pkey_free",
  "pkey_mprotect",
  "poll",
  "ppoll",
  "ppoll_time64",
  "prctl",
  "pread64",
  "preadv",
  "preadv2",
  "prlimit64",
  "process_mrelease",
  "pselect6",
  "pselect6_time64",
  "pwrite64",
  "pwritev",
  "pwritev2",
  "read",
  "readahead",
  "readlink",
  "readlinkat",
  "readv",
  "recv",
  "recvfrom",
  "recvmmsg",
  "recvmmsg_time64",
  "recvmsg",
  "remap_file_pages",
  "removexattr",
  "rename",
  "renameat",
  "renameat2",
  "restart_syscall",
  "rmdir",
  "rseq",
  "rt_sigaction",
  "rt_sigpending",
  "rt_sigprocmask",
  "rt_sigqueueinfo",
  "rt_sigreturn",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "rt_sigtimedwait_time64",
  "rt_tgsigqueueinfo",
  "sched_getaffinity",
  "sched_getattr",
  "sched_getparam",
  "sched_get_priority_max",
  "sched_get_priority_min",
  "sched_getscheduler",
  "sched_rr_get_interval",
  "sched_rr_get_interval_time64",
  "sched_setaffinity",
  "sched_setattr",
  "sched_setparam",
  "sched_setscheduler",
  "sched_yield",
  "seccomp",
  "select",
  "semctl",
  "semget",
  "semop",
  "semtimedop",
  "semtimedop_time64",
  "send",
  "sendfile",
  "sendfile64",
  "sendmmsg",
  "sendmsg",
  "sendto",
  "setfsgid",
  "setfsgid32",
  "setfsuid",
  "setfsuid32",
  "setgid",
  "setgid32",
  "setgroups",
  "setgroups32",
  "setitimer",
  "setpgid",
  "setpriority",
  "setregid",
  "setregid32",
  "setresgid",
  "setresgid32",
  "setresuid",
  "setresuid32",
  "setreuid",
  "setreuid32",
  "setrlimit",
  "set_robust_list",
  "setsid",
  "setsockopt",
  "set_thread_area",
  "set_tid_address",
  "setuid",
  "setuid32",
  "setxattr",
  "shmat",
  "shmctl",
  "shmdt",
  "shmget",
  "shutdown",
  "sigaltstack",
  "signalfd",
  "signalfd4",
  "sigprocmask",
  "sigreturn",
  "socketcall",
  "socketpair",
  "splice",
  "stat",
  "stat64",
  "statfs",
  "statfs64",
  "statx",
  "symlink",
  "symlinkat",
  "sync",
  "sync_file_range",
  "syncfs",
  "sysinfo",
  "tee",
  "tgkill",
  "time",
  "timer_create",
  "timer_delete",
  "timer_getoverrun",
  "timer_gettime",
  "timer_gettime64",
  "timer_settime",
  "timer_settime64",
  "timerfd_create",
  "timerfd_gettime",
  "timerfd_gettime64",
  "timerfd_settime",
  "timerfd_settime64",
  "times",
  "tkill",
  "truncate",
  "truncate64",
  "ugetrlimit",
  "umask",
  "uname",
  "unlink",
  "unlinkat",
  "utime",
  "utimensat",
  "utimensat_time64",
  "utimes",
  "vfork",
  "vmsplice",
  "wait4",
  "waitid",
  "waitpid",
  "write",
  "writev",
  /* x86 only in moby ("arches"); harmless elsewhere: unknown names are
   * skipped. */
  "arch_prctl",
  "modify_ldt",
};

/* Syscalls moby allows only with a capability ("includes": {"caps"}). */
struct cap_rule
{
  int cap;
  const char *names[12];
};

static const struct cap_rule cap_rules[] = {
  { CAP_SYS_ADMIN,
    { "bpf", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
      "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
      NULL } },
  { CAP_SYS_ADMIN,
    { "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
      "sethostname", "setns", "syslog", "umount", "umount2", "unshare", "clone",
      "clone3" } },
  { CAP_SYS_BOOT, { "reboot", NULL } },
  { CAP_SYS_CHROOT, { "chroot", NULL } },
  { CAP_SYS_MODULE, { "delete_module", "init_module", "finit_module", NULL } },
  { CAP_SYS_PACCT, { "acct", NULL } },
  { CAP_SYS_PTRACE,
    { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
      "process_vm_writev", "ptrace", NULL } },
  { CAP_SYS_RAWIO, { "iopl", "ioperm", NULL } },
  { CAP_SYS_TIME,
    { "settimeofday", "stime", "clock_settime", "clock_settime64", NULL } },
  { CAP_SYS_TTY_CONFIG, { "vhangup", NULL } },
  { CAP_SYS_NICE,
    { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node",
      NULL } },
  { CAP_SYSLOG, { "syslog", NULL } },
  { CAP_BPF, { "bpf", NULL } },
  { CAP_PERFMON, { "perf_event_open", NULL } },
};

void
seccomp_profile_free (struct seccomp_profile *p)
{
  size_t i;

  for (i = 0; i < p->len; i++)
    free (p->rules[i].name);
  free (p->rules);
  memset (p, 0, sizeof (*p));
}

static struct seccomp_profile_rule *
add_rule (struct seccomp_profile *p, const char *name,
          enum seccomp_profile_action action, int errno_ret)
{
  struct seccomp_profile_rule *r;

  if (p->len == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      p->rules = realloc (p->rules, p->cap * sizeof (*p->rules));
      if (p->rules == NULL)
        abort ();
    }
  r = &p->rules[p->len++];
  memset (r, 0, sizeof (*r));
  r->name = strdup (name);
  if (r->name == NULL)
    abort ();
  r->action = action;
  r->errno_ret = errno_ret;
  return r;
}

static bool
has_rule (const struct seccomp_profile *p, const char *name)
{
  size_t i;

  for (i = 0; i < p->len; i++)
    if (strcmp (p->rules[i].name, name) == 0 && p->rules[i].nargs == 0)
      return true;
  return false;
}

static void
add_arg (struct seccomp_profile_rule *r, unsigned index, uint64_t value,
         uint64_t two, enum seccomp_profile_op op)
{
  struct seccomp_profile_arg *a = &r->args[r->nargs++];
  a->index = index;
  a->value = value;
  a->value_two = two;
  a->op = op;
}

static void
add_conditional (struct seccomp_profile *p, uint64_t caps, int kmajor,
                 int kminor)
{
  static const uint64_t personas[]
      = { 0x0, 0x0008, 0x20000, 0x20008, 0xffffffff };
  const uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC
                            | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
                            | CLONE_NEWCGROUP;
  bool sys_admin = caps & (UINT64_C (1) << CAP_SYS_ADMIN);
  size_t i;

  for (i = 0; i < sizeof (personas) / sizeof (personas[0]); i++)
    add_arg (add_rule (p, "personality", SECCOMP_PROFILE_ALLOW, 0), 0,
             personas[i], 0, SECCOMP_PROFILE_OP_EQ);
  /* Every socket family but AF_VSOCK (40). */
  add_arg (add_rule (p, "socket", SECCOMP_PROFILE_ALLOW, 0), 0, 40, 0,
           SECCOMP_PROFILE_OP_NE);
  if (kmajor > 4 || (kmajor == 4 && kminor >= 8))
    {
      add_rule (p, "process_vm_readv", SECCOMP_PROFILE_ALLOW, 0);
      add_rule (p, "process_vm_writev", SECCOMP_PROFILE_ALLOW, 0);
      add_rule (p, "ptrace", SECCOMP_PROFILE_ALLOW, 0);
    }
  if (!sys_admin)
    {
      /* clone without namespace flags (x86_64: flags are argument 0);
       * clone3 cannot be filtered on its flags: ENOSYS makes libc fall
       * back to clone. */
      add_arg (add_rule (p, "clone", SECCOMP_PROFILE_ALLOW, 0), 0, ns_flags, 0,
               SECCOMP_PROFILE_OP_MASKED_EQ);
      add_rule (p, "clone3", SECCOMP_PROFILE_ERRNO, ENOSYS);
    }
}

void
seccomp_profile_runtime_default (uint64_t caps, int kernel_major,
                                 int kernel_minor, struct seccomp_profile *out)
{
  size_t i, j;

  memset (out, 0, sizeof (*out));
  out->default_action = SECCOMP_PROFILE_ERRNO;
  out->default_errno = EPERM;
  for (i = 0; i < sizeof (default_allow) / sizeof (default_allow[0]); i++)
    add_rule (out, default_allow[i], SECCOMP_PROFILE_ALLOW, 0);
  add_conditional (out, caps, kernel_major, kernel_minor);
  for (i = 0; i < sizeof (cap_rules) / sizeof (cap_rules[0]); i++)
    {
      if (!(caps & (UINT64_C (1) << cap_rules[i].cap)))
        continue;
      for (j = 0; j < 12 && cap_rules[i].names[j]; j++)
        if (!has_rule (out, cap_rules[i].names[j]))
          add_rule (out, cap_rules[i].names[j], SECCOMP_PROFILE_ALLOW, 0);
    }
}

static uint32_t
to_scmp_action (enum seccomp_profile_action a, int errno_ret)
{
  switch (a)
    {
    case SECCOMP_PROFILE_ALLOW:
      return SCMP_ACT_ALLOW;
    case SECCOMP_PROFILE_ERRNO:
      return SCMP_ACT_ERRNO (errno_ret);
    case SECCOMP_PROFILE_KILL_PROCESS:
      return SCMP_ACT_KILL_PROCESS;
    case SECCOMP_PROFILE_KILL_THREAD:
      return SCMP_ACT_KILL_THREAD;
    case SECCOMP_PROFILE_TRAP:
      return SCMP_ACT_TRAP;
    case SECCOMP_PROFILE_LOG:
      return SCMP_ACT_LOG;
    case SECCOMP_PROFILE_TRACE:
      return SCMP_ACT_TRACE (errno_ret);
    }
  return SCMP_ACT_KILL_PROCESS;
}

static int
add_scmp_rule (scmp_filter_ctx ctx, uint32_t def,
               const struct seccomp_profile_rule *r, berth_error_t *err)
{
  static const enum scmp_compare ops[] = {
    [SECCOMP_PROFILE_OP_NE] = SCMP_CMP_NE,
    [SECCOMP_PROFILE_OP_LT] = SCMP_CMP_LT,
    [SECCOMP_PROFILE_OP_LE] = SCMP_CMP_LE,
    [SECCOMP_PROFILE_OP_EQ] = SCMP_CMP_EQ,
    [SECCOMP_PROFILE_OP_GE] = SCMP_CMP_GE,
    [SECCOMP_PROFILE_OP_GT] = SCMP_CMP_GT,
    [SECCOMP_PROFILE_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
  };
  struct scmp_arg_cmp cmps[SECCOMP_PROFILE_MAX_ARGS];
  uint32_t action = to_scmp_action (r->action, r->errno_ret);
  int nr, ret;
  size_t i;

  nr = seccomp_syscall_resolve_name (r->name);
  if (nr == __NR_SCMP_ERROR)
    return 0;
  if (action == def)
    return 0;
  for (i = 0; i < r->nargs; i++)
    {
      cmps[i].arg = r->args[i].index;
      cmps[i].op = ops[r->args[i].op];
      cmps[i].datum_a = r->args[i].value;
      cmps[i].datum_b = r->args[i].value_two;
      /* moby's MASKED_EQ: (arg & value) == valueTwo */
    }
  ret = seccomp_rule_add_array (ctx, action, nr, r->nargs, cmps);
  if (ret < 0)
    return berth_error_sys (err, -ret, "seccomp rule for %s", r->name);
  return 1;
}

void
seccomp_profile_ctx_release (void *ctx)
{
  if (ctx != NULL)
    seccomp_release (ctx);
}

int
seccomp_profile_build (const struct seccomp_profile *p, void **ctx_out,
                       berth_error_t *err)
{
  uint32_t def = to_scmp_action (p->default_action, p->default_errno);
  scmp_filter_ctx ctx;
  int ret, n = 0;
  size_t i;

  ctx = seccomp_init (def);
  if (ctx == NULL)
    return berth_error_make (err, EINVAL, "seccomp_init failed");
  /* Whether no_new_privs is set is the caller's choice. */
  ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    {
      seccomp_release (ctx);
      return berth_error_sys (err, -ret, "seccomp_attr_set");
    }
  for (i = 0; i < p->len; i++)
    {
      ret = add_scmp_rule (ctx, def, &p->rules[i], err);
      if (ret < 0)
        {
          seccomp_release (ctx);
          return ret;
        }
      n += ret;
    }
  *ctx_out = ctx;
  return n;
}

int
seccomp_profile_load (const struct seccomp_profile *p, berth_error_t *err)
{
  void *ctx = NULL;
  int ret;

  ret = seccomp_profile_build (p, &ctx, err);
  if (ret < 0)
    return ret;
  ret = seccomp_load (ctx);
  seccomp_release (ctx);
  if (ret < 0)
    return berth_error_sys (err, -ret, "load the seccomp filter");
  return 0;
}

/* ---- Localhost profiles (OCI/docker seccomp JSON) ---- */

static int
parse_action (const char *path, const char *where, const struct node *n,
              enum seccomp_profile_action *out, berth_error_t *err)
{
  static const struct
  {
    const char *name;
    enum seccomp_profile_action action;
  } actions[] = {
    { "SCMP_ACT_ALLOW", SECCOMP_PROFILE_ALLOW },
    { "SCMP_ACT_ERRNO", SECCOMP_PROFILE_ERRNO },
    { "SCMP_ACT_KILL", SECCOMP_PROFILE_KILL_THREAD },
    { "SCMP_ACT_KILL_THREAD", SECCOMP_PROFILE_KILL_THREAD },
    { "SCMP_ACT_KILL_PROCESS", SECCOMP_PROFILE_KILL_PROCESS },
    { "SCMP_ACT_TRAP", SECCOMP_PROFILE_TRAP },
    { "SCMP_ACT_LOG", SECCOMP_PROFILE_LOG },
    { "SCMP_ACT_TRACE", SECCOMP_PROFILE_TRACE },
  };
  size_t i;

  if (n == NULL || n->kind != NODE_SCALAR)
    return berth_error_make (err, EINVAL, "%s: %s: missing action", path,
                             where);
  for (i = 0; i < sizeof (actions) / sizeof (actions[0]); i++)
    if (strcmp (n->text, actions[i].name) == 0)
      {
        *out = actions[i].action;
        return 0;
      }
  return berth_error_make (err, EINVAL, "%s: %s: unknown action \"%s\"", path,
                           where, n->text);
}

static int
parse_errno (const struct node *n, int def)
{
  int64_t v;

  if (n != NULL && node_as_int64 (n, &v, NULL) && v >= 0 && v < 4096)
    return (int)v;
  return def;
}

static int
parse_args (const char *path, const char *where, const struct node *args,
            struct seccomp_profile_arg *out, size_t *nargs, berth_error_t *err)
{
  static const char *const ops[]
      = { NULL,          "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
          "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
  size_t i, k;
  int64_t v;

  *nargs = 0;
  if (args == NULL || node_is_null (args))
    return 0;
  if (args->kind != NODE_SEQ || args->len > SECCOMP_PROFILE_MAX_ARGS)
    return berth_error_make (err, EINVAL,
                             "%s: %s.args: not a list of at "
                             "most 6",
                             path, where);
  for (i = 0; i < args->len; i++)
    {
      const struct node *a = args->items[i], *op;
      memset (&out[i], 0, sizeof (out[i]));
      if (node_as_int64 (node_map_get (a, "index"), &v, NULL))
        out[i].index = (unsigned)v;
      if (node_as_int64 (node_map_get (a, "value"), &v, NULL))
        out[i].value = (uint64_t)v;
      if (node_as_int64 (node_map_get (a, "valueTwo"), &v, NULL))
        out[i].value_two = (uint64_t)v;
      op = node_map_get (a, "op");
      for (k = 1; k < sizeof (ops) / sizeof (ops[0]); k++)
        if (op != NULL && op->kind == NODE_SCALAR
            && strcmp (op->text, ops[k]) == 0)
          out[i].op = k;
      if (out[i].op == 0 || out[i].index > 5)
        return berth_error_make (err, EINVAL,
                                 "%s: %s.args[%zu]: bad op or "
                                 "index",
                                 path, where, i);
    }
  *nargs = args->len;
  return 0;
}

static int
parse_syscall (const char *path, size_t idx, const struct node *s,
               int default_errno, struct seccomp_profile *out,
               berth_error_t *err)
{
  struct seccomp_profile_arg args[SECCOMP_PROFILE_MAX_ARGS];
  enum seccomp_profile_action action;
  const struct node *names = node_map_get (s, "names");
  const struct node *name = node_map_get (s, "name");
  char where[64];
  size_t nargs = 0, i;
  int errno_ret, ret;

  snprintf (where, sizeof (where), "syscalls[%zu]", idx);
  ret = parse_action (path, where, node_map_get (s, "action"), &action, err);
  if (ret == 0)
    ret = parse_args (path, where, node_map_get (s, "args"), args, &nargs, err);
  if (ret < 0)
    return ret;
  errno_ret = parse_errno (node_map_get (s, "errnoRet"), default_errno);
  if (names != NULL && names->kind == NODE_SEQ)
    for (i = 0; i < names->len; i++)
      {
        struct seccomp_profile_rule *r;
        if (names->items[i]->kind != NODE_SCALAR)
          continue;
        r = add_rule (out, names->items[i]->text, action, errno_ret);
        r->nargs = nargs;
        memcpy (r->args, args, sizeof (args));
      }
  else if (name != NULL && name->kind == NODE_SCALAR)
    {
      struct seccomp_profile_rule *r
          = add_rule (out, name->text, action, errno_ret);
      r->nargs = nargs;
      memcpy (r->args, args, sizeof (args));
    }
  else
    return berth_error_make (err, EINVAL, "%s: %s: no names", path, where);
  return 0;
}

int
seccomp_profile_parse (const char *path, const char *text, size_t len,
                       struct seccomp_profile *out, berth_error_t *err)
{
  struct node_stream st = { 0 };
  const struct node *doc, *syscalls;
  size_t i;
  int ret;

  memset (out, 0, sizeof (*out));
  ret = node_stream_read (text, len, &st, err);
  if (ret < 0)
    return berth_error_wrap (err, "%s", path);
  doc = st.len > 0 ? st.docs[0] : NULL;
  if (doc == NULL || doc->kind != NODE_MAP)
    {
      node_stream_free (&st);
      return berth_error_make (err, EINVAL, "%s: not a JSON object", path);
    }
  ret = parse_action (path, "defaultAction",
                      node_map_get (doc, "defaultAction"), &out->default_action,
                      err);
  out->default_errno
      = parse_errno (node_map_get (doc, "defaultErrnoRet"), EPERM);
  syscalls = node_map_get (doc, "syscalls");
  for (i = 0; ret == 0 && syscalls != NULL && syscalls->kind == NODE_SEQ
              && i < syscalls->len;
       i++)
    ret = parse_syscall (path, i, syscalls->items[i], EPERM, out, err);
  node_stream_free (&st);
  if (ret < 0)
    seccomp_profile_free (out);
  return ret;
}

int
seccomp_profile_read_localhost (const char *root, const char *name,
                                struct seccomp_profile *out, berth_error_t *err)
{
  struct open_how how
      = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
  cleanup_close int dfd = -1, fd = -1;
  cleanup_free char *buf = NULL;
  cleanup_free char *path = NULL;
  size_t len = 0, cap = 0;
  ssize_t r;

  if (asprintf (&path, "%s/%s", root, name) < 0)
    abort ();
  dfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_error_sys (err, errno, "seccomp profile root %s", root);
  fd = syscall (SYS_openat2, dfd, name, &how, sizeof (how));
  if (fd < 0)
    return berth_error_sys (err, errno, "seccomp profile %s", path);
  do
    {
      if (len + 4096 + 1 > cap)
        {
          cap = (len + 4096 + 1) * 2;
          buf = realloc (buf, cap);
          if (buf == NULL)
            abort ();
        }
      r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno != EINTR)
        return berth_error_sys (err, errno, "read %s", path);
      if (r > 0)
        len += r;
    }
  while (r != 0);
  buf[len] = '\0';
  return seccomp_profile_parse (path, buf, len, out, err);
}
