/* sandbox.c - see sandbox.h.  The namespaces are made by a short-lived
 * child that unshares them and waits while its /proc/<pid>/ns files are
 * bind-mounted, as `ip netns add` does. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "sysctls.h"
#include "volumes.h"

/* Raw netlink, no allocation: also called in the forked child. */
static int
lo_up_raw (void)
{
  struct
  {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
  } req = { 0 };
  struct
  {
    struct nlmsghdr nh;
    struct nlmsgerr e;
    char pad[256];
  } resp;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  ssize_t n;

  if (fd < 0)
    return -errno;
  req.nh.nlmsg_len = sizeof req;
  req.nh.nlmsg_type = RTM_NEWLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = 1; /* lo is always ifindex 1 in a new netns */
  req.ifi.ifi_flags = IFF_UP;
  req.ifi.ifi_change = IFF_UP;
  if (sendto (fd, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  n = recv (fd, &resp, sizeof resp, 0);
  close (fd);
  if (n < 0)
    return -errno;
  if ((size_t)n < sizeof resp.nh + sizeof resp.e
      || resp.nh.nlmsg_type != NLMSG_ERROR)
    return -EPROTO;
  return resp.e.error; /* 0 or -errno */
}

int
sandbox_loopback_up (berth_error_t *err)
{
  int r = lo_up_raw ();
  if (r < 0)
    return berth_error_sys (err, -r, "netlink: set lo up");
  return 0;
}

char *
sandbox_pod_uid (const struct pod *pod)
{
  char *s = NULL;
  if (pod->metadata.uid && *pod->metadata.uid)
    return strdup (pod->metadata.uid);
  if (asprintf (&s, "%s_%s",
                pod->metadata.namespace ? pod->metadata.namespace : "default",
                pod->metadata.name ? pod->metadata.name : "")
      < 0)
    return NULL;
  return s;
}

void
sandbox_free (struct sandbox *sb)
{
  if (sb == NULL)
    return;
  free (sb->uid);
  free (sb->dir);
  free (sb->net_ns);
  free (sb->ipc_ns);
  free (sb->uts_ns);
  free (sb->pid_ns);
  free (sb->ip);
  free (sb->hostname);
  free (sb->shm_dir);
  free (sb->hosts_path);
  free (sb->hostname_path);
  free (sb->resolv_path);
  free (sb->warning);
  free (sb);
}

/* ---- the namespace child ---- */

struct ns_msg
{
  int error; /* -errno or 0 */
  int stage; /* which step failed */
  pid_t reaper;
  size_t sysctl; /* stage 5: which sysctl */
};

static const char *const stage_names[] = { "ok",          "unshare",
                                           "sethostname", "set lo up",
                                           "fork reaper", "set sysctl" };

/* PID 1 of a pod's PID namespace: reaps orphans, exits on TERM/INT/HUP,
 * as the pause container does. */
static void __attribute__ ((noreturn)) reaper_main (void)
{
  sigset_t all;
  int fd;

#ifdef SYS_close_range
  syscall (SYS_close_range, 0U, ~0U, 0U);
#else
  for (fd = 0; fd < 1024; fd++)
    close (fd);
#endif
  fd = open ("/dev/null", O_RDWR); /* 0, 1, 2 */
  if (fd == 0)
    {
      dup2 (0, 1);
      dup2 (0, 2);
    }
  setsid ();
  if (chdir ("/") < 0)
    _exit (1);
  prctl (PR_SET_NAME, "berth-pause", 0, 0, 0);
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  for (;;)
    {
      int sig = sigwaitinfo (&all, NULL);
      if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
        _exit (0);
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
    }
}

static void __attribute__ ((noreturn))
ns_child (int ready, int go, int flags, const char *hostname,
          const struct pod *pod)
{
  struct ns_msg m = { 0 };
  char c;

  if (unshare (flags) < 0)
    m = (struct ns_msg){ -errno, 1, 0 };
  else if ((flags & CLONE_NEWUTS)
           && sethostname (hostname, strlen (hostname)) < 0)
    m = (struct ns_msg){ -errno, 2, 0 };
  else if ((flags & CLONE_NEWNET) && (m.error = lo_up_raw ()) < 0)
    m.stage = 3;
  /* the pod's sysctls, in its new IPC and network namespaces */
  else if ((m.error = sysctl_apply (pod, &m.sysctl)) < 0)
    m.stage = 5;
  else if (flags & CLONE_NEWPID)
    {
      pid_t p = fork ();
      if (p == 0)
        reaper_main ();
      if (p < 0)
        m = (struct ns_msg){ -errno, 4, 0 };
      m.reaper = p;
    }
  if (write (ready, &m, sizeof m) != sizeof m)
    _exit (1);
  while (read (go, &c, 1) < 0 && errno == EINTR)
    ;
  _exit (0);
}

static int
bind_ns (pid_t pid, const char *ns, const char *target, berth_error_t *err)
{
  char src[64];
  int fd;

  snprintf (src, sizeof src, "/proc/%d/ns/%s", (int)pid, ns);
  fd = open (target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", target);
  close (fd);
  if (mount (src, target, NULL, MS_BIND, NULL) < 0)
    return berth_error_sys (err, errno, "bind %s on %s", src, target);
  return 0;
}

struct ns_paths
{
  const char *net, *ipc, *uts, *pid;
};

static int
make_namespaces (int flags, const char *hostname, const struct pod *pod,
                 const struct ns_paths *p, pid_t *reaper, berth_error_t *err)
{
  int ready[2], go[2], st, ret = 0;
  struct ns_msg m = { 0 };
  pid_t pid;

  if (pipe2 (ready, O_CLOEXEC) < 0)
    return berth_error_sys (err, errno, "pipe");
  if (pipe2 (go, O_CLOEXEC) < 0)
    {
      close (ready[0]);
      close (ready[1]);
      return berth_error_sys (err, errno, "pipe");
    }
  pid = fork ();
  if (pid == 0)
    {
      /* go[1] stays open only in the parent: its close is the signal. */
      close (ready[0]);
      close (go[1]);
      ns_child (ready[1], go[0], flags, hostname, pod);
    }
  close (ready[1]);
  close (go[0]);
  if (pid < 0)
    ret = berth_error_sys (err, errno, "fork");
  else if (read (ready[0], &m, sizeof m) != sizeof m)
    ret = berth_error_make (err, EIO, "namespace child died");
  else if (m.error < 0 && m.stage == 5)
    ret = berth_error_sys (
        err, -m.error, "set sysctl \"%s\"",
        pod->spec.security_context->sysctls.items[m.sysctl].name);
  else if (m.error < 0)
    ret = berth_error_sys (err, -m.error, "%s", stage_names[m.stage]);
  else
    {
      *reaper = m.reaper;
      if ((p->net && bind_ns (pid, "net", p->net, err) < 0)
          || bind_ns (pid, "ipc", p->ipc, err) < 0
          || (p->uts && bind_ns (pid, "uts", p->uts, err) < 0)
          || (p->pid && bind_ns (m.reaper, "pid", p->pid, err) < 0))
        ret = -1;
    }
  close (go[1]);
  close (ready[0]);
  if (pid > 0)
    while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
      ;
  if (ret < 0 && m.reaper > 0)
    kill (m.reaper, SIGKILL);
  return ret;
}

/* ---- create / destroy ---- */

static char *
path_join (const char *a, const char *b)
{
  char *s = NULL;
  if (asprintf (&s, "%s/%s", a, b) < 0)
    abort ();
  return s;
}

static bool
uid_is_safe (const char *uid)
{
  return uid != NULL && *uid != '\0' && strchr (uid, '/') == NULL
         && strcmp (uid, ".") != 0 && strcmp (uid, "..") != 0;
}

static char *
cni_cache_dir (const struct sandbox_config *cfg)
{
  return path_join (cfg->run_dir ? cfg->run_dir : SANDBOX_DEFAULT_RUN_DIR,
                    "cni-cache");
}

static void
cni_config_of (const struct sandbox_config *cfg, char *cache,
               struct cni_config *c)
{
  *c = (struct cni_config){ .conf_dir = cfg->cni_conf_dir,
                            .plugin_path = cfg->cni_plugin_path,
                            .cache_dir = cache,
                            .pod_cidr = cfg->pod_cidr,
                            .bridge = cfg->bridge };
}

static int
make_dirs (struct sandbox *sb, berth_error_t *err)
{
  cleanup_free char *nsdir = path_join (sb->dir, "ns");

  if (fs_mkdir_p (sb->dir, 0711, err) < 0)
    return -1;
  if (mkdir (nsdir, 0755) < 0)
    return berth_error_sys (err, errno, "mkdir %s", nsdir);
  /* A private bind mount of its own, so the ns mounts under it do not
   * propagate into (and get pinned by) other mount namespaces. */
  if (mount (nsdir, nsdir, NULL, MS_BIND, NULL) < 0
      || mount (NULL, nsdir, NULL, MS_PRIVATE, NULL) < 0)
    return berth_error_sys (err, errno, "private bind mount %s", nsdir);
  if (mkdir (sb->shm_dir, 01777) < 0)
    return berth_error_sys (err, errno, "mkdir %s", sb->shm_dir);
  if (mount ("shm", sb->shm_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "mode=1777,size=" SANDBOX_SHM_SIZE)
      < 0)
    return berth_error_sys (err, errno, "mount tmpfs on %s", sb->shm_dir);
  return 0;
}

static struct cni_port_mapping *
pod_host_ports (const struct pod *pod, size_t *n)
{
  struct cni_port_mapping *p = NULL;
  size_t i, j;

  *n = 0;
  for (i = 0; i < pod->spec.containers.len; i++)
    {
      const struct container *c = &pod->spec.containers.items[i];
      for (j = 0; j < c->ports.len; j++)
        {
          const struct container_port *cp = &c->ports.items[j];
          if (!cp->host_port.set || cp->host_port.v <= 0)
            continue;
          p = realloc (p, (*n + 1) * sizeof *p);
          if (p == NULL)
            abort ();
          p[*n] = (struct cni_port_mapping){
            .host_port = (int)cp->host_port.v,
            .container_port = (int)cp->container_port.v,
            .protocol
            = cp->protocol && strcmp (cp->protocol, "UDP") == 0    ? "udp"
              : cp->protocol && strcmp (cp->protocol, "SCTP") == 0 ? "sctp"
                                                                   : "tcp",
            .host_ip = cp->host_ip,
          };
          (*n)++;
        }
    }
  return p;
}

static int
setup_network (const struct sandbox_config *cfg, const struct pod *pod,
               struct sandbox *sb, berth_error_t *err)
{
  cleanup_free char *cache = cni_cache_dir (cfg);
  cleanup_free struct cni_port_mapping *ports = NULL;
  struct cni_network *net = NULL;
  struct cni_result res = { 0 };
  struct cni_config cc;
  size_t n_ports = 0;
  int ret;

  if (cfg->no_cni)
    return 0;
  cni_config_of (cfg, cache, &cc);
  if (cni_load (&cc, &net, err) < 0)
    return -1;
  if (net->loopback_only)
    {
      sb->warning = net->warning ? strdup (net->warning) : NULL;
      cni_network_free (net);
      return 0;
    }
  if (fs_mkdir_p (cache, 0700, err) < 0)
    {
      cni_network_free (net);
      return -1;
    }
  ports = pod_host_ports (pod, &n_ports);
  ret = cni_add (
      &cc, net,
      &(struct cni_pod_ref){ .container_id = sb->uid,
                             .netns = sb->net_ns,
                             .ifname = "eth0",
                             .pod_name = pod->metadata.name,
                             .pod_namespace = pod->metadata.namespace,
                             .pod_uid = pod->metadata.uid },
      ports, n_ports, &res, err);
  cni_network_free (net);
  if (ret < 0)
    return -1;
  sb->ip = steal_pointer (&res.ip);
  cni_result_clear (&res);
  return 0;
}

static int
write_small_file (const char *dir, const char *name, const char *text,
                  berth_error_t *err)
{
  cleanup_free char *p = path_join (dir, name);
  cleanup_file FILE *f = fopen (p, "we");

  if (f == NULL || fprintf (f, "%s\n", text) < 0)
    return berth_error_sys (err, errno, "write %s", p);
  return 0;
}

static int
write_reaper_pid (const struct sandbox *sb, berth_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int)sb->reaper);
  return write_small_file (sb->dir, "reaper.pid", buf, err);
}

static int
create_steps (const struct sandbox_config *cfg, const struct pod *pod,
              struct sandbox *sb, berth_error_t *err)
{
  bool host_net = pod->spec.host_network.set && pod->spec.host_network.v;
  bool share_pid = pod->spec.share_process_namespace.set
                   && pod->spec.share_process_namespace.v;
  int flags = CLONE_NEWIPC;
  struct ns_paths p;

  if (!host_net)
    flags |= CLONE_NEWNET | CLONE_NEWUTS;
  if (share_pid)
    flags |= CLONE_NEWPID;
  if (make_dirs (sb, err) < 0)
    return -1;
  sb->ipc_ns = path_join (sb->dir, "ns/ipc");
  if (!host_net)
    {
      sb->net_ns = path_join (sb->dir, "ns/net");
      sb->uts_ns = path_join (sb->dir, "ns/uts");
    }
  if (share_pid)
    sb->pid_ns = path_join (sb->dir, "ns/pid");
  p = (struct ns_paths){ sb->net_ns, sb->ipc_ns, sb->uts_ns, sb->pid_ns };
  if (make_namespaces (flags, sb->hostname, pod, &p, &sb->reaper, err) < 0)
    return berth_error_wrap (err, "create namespaces");
  if (sb->reaper > 0 && write_reaper_pid (sb, err) < 0)
    return -1;
  if (!host_net && setup_network (cfg, pod, sb, err) < 0)
    return -1;
  if (sb->ip && write_small_file (sb->dir, "ip", sb->ip, err) < 0)
    return -1;
  if (etc_files_write (pod, sb->dir, sb->ip, &cfg->dns, err) < 0)
    return -1;
  return 0;
}

int
sandbox_create (const struct sandbox_config *cfg, const struct pod *pod,
                struct sandbox **out, berth_error_t *err)
{
  const char *run = cfg->run_dir ? cfg->run_dir : SANDBOX_DEFAULT_RUN_DIR;
  struct sandbox *sb = calloc (1, sizeof *sb);
  cleanup_free char *pods = path_join (run, "pods");

  if (sb == NULL)
    abort ();
  sb->uid = sandbox_pod_uid (pod);
  sb->hostname = etc_files_pod_hostname (pod);
  if (sb->uid == NULL || sb->hostname == NULL)
    abort ();
  if (!uid_is_safe (sb->uid))
    {
      berth_error_make (err, EINVAL,
                        "pod uid \"%s\" is not usable as a "
                        "directory name",
                        sb->uid);
      sandbox_free (sb);
      return -1;
    }
  sb->dir = path_join (pods, sb->uid);
  sb->shm_dir = path_join (sb->dir, "shm");
  sb->hosts_path = path_join (sb->dir, "hosts");
  sb->hostname_path = path_join (sb->dir, "hostname");
  sb->resolv_path = path_join (sb->dir, "resolv.conf");
  if (access (sb->dir, F_OK) == 0)
    {
      berth_error_make (err, EEXIST, "pod sandbox %s exists already", sb->dir);
      sandbox_free (sb);
      return -1;
    }
  if (create_steps (cfg, pod, sb, err) < 0)
    {
      berth_error_t derr = NULL;
      if (sandbox_destroy (cfg, sb->uid, &derr) < 0)
        {
          cleanup_free char *m = strdup (berth_error_msg (err));
          berth_error_make (err, EIO, "%s (and the teardown: %s)", m,
                            berth_error_msg (&derr));
          berth_error_release (&derr);
        }
      berth_error_wrap (err, "create pod sandbox %s", sb->uid);
      sandbox_free (sb);
      return -1;
    }
  *out = sb;
  return 0;
}

/* Kill the reaper if it is still the PID 1 of the pod's PID namespace. */
static void
kill_reaper (const char *dir)
{
  cleanup_free char *pidfile = path_join (dir, "reaper.pid");
  cleanup_free char *nsfile = path_join (dir, "ns/pid");
  cleanup_file FILE *f = fopen (pidfile, "re");
  struct stat a, b;
  char proc[64];
  int pid = 0;

  if (f == NULL || fscanf (f, "%d", &pid) != 1 || pid <= 1)
    return;
  snprintf (proc, sizeof proc, "/proc/%d/ns/pid", pid);
  if (stat (proc, &a) == 0 && stat (nsfile, &b) == 0 && a.st_ino == b.st_ino
      && a.st_dev == b.st_dev)
    kill (pid, SIGKILL);
}

static void
collect (FILE *m, int *failed, berth_error_t *e)
{
  fprintf (m, "%s%s", (*failed)++ ? "; " : "", berth_error_msg (e));
  berth_error_release (e);
}

int
sandbox_destroy (const struct sandbox_config *cfg, const char *uid,
                 berth_error_t *err)
{
  const char *run = cfg->run_dir ? cfg->run_dir : SANDBOX_DEFAULT_RUN_DIR;
  cleanup_free char *pods = path_join (run, "pods");
  cleanup_free char *dir = NULL, *netns = NULL, *cache = NULL;
  char *msgs = NULL;
  size_t len = 0;
  int failed = 0;
  berth_error_t e = NULL;
  struct cni_config cc;
  FILE *m;

  if (!uid_is_safe (uid))
    return berth_error_make (err, EINVAL, "pod uid \"%s\" is not valid",
                             uid ? uid : "");
  dir = path_join (pods, uid);
  netns = path_join (dir, "ns/net");
  cache = cni_cache_dir (cfg);
  cni_config_of (cfg, cache, &cc);
  m = open_memstream (&msgs, &len);
  if (m == NULL)
    return berth_error_sys (err, errno, "open_memstream");
  /* DEL first, while the netns (if any) still exists; from the cache, so it
   * runs whatever state the rest is in. */
  if (cni_del (&cc, NULL,
               &(struct cni_pod_ref){ .container_id = uid,
                                      .netns
                                      = access (netns, F_OK) == 0 ? netns : "",
                                      .ifname = "eth0" },
               &e)
      < 0)
    collect (m, &failed, &e);
  kill_reaper (dir);
  if (volumes_unmount_under (dir, &e) < 0)
    collect (m, &failed, &e);
  if (volumes_remove_tree (dir, &e) < 0)
    collect (m, &failed, &e);
  fclose (m);
  if (failed)
    berth_error_make (err, EIO, "destroy pod sandbox %s: %s", uid, msgs);
  free (msgs);
  return failed ? -1 : 0;
}

/* A namespace file made by bind_ns: a mount of nsfs. */
static bool
is_ns_file (const char *path)
{
  struct statfs f;
  return statfs (path, &f) == 0 && f.f_type == NSFS_MAGIC;
}

static char *
read_first_line (const char *dir, const char *name)
{
  cleanup_free char *p = path_join (dir, name);
  cleanup_file FILE *f = fopen (p, "re");
  char buf[256];
  if (f == NULL || fgets (buf, sizeof buf, f) == NULL)
    return NULL;
  buf[strcspn (buf, "\n")] = '\0';
  return strdup (buf);
}

int
sandbox_open (const struct sandbox_config *cfg, const struct pod *pod,
              struct sandbox **out, berth_error_t *err)
{
  const char *run = cfg->run_dir ? cfg->run_dir : SANDBOX_DEFAULT_RUN_DIR;
  bool host_net = pod->spec.host_network.set && pod->spec.host_network.v;
  bool share_pid = pod->spec.share_process_namespace.set
                   && pod->spec.share_process_namespace.v;
  cleanup_free char *pods = path_join (run, "pods");
  cleanup_free char *pidline = NULL;
  struct sandbox *sb = calloc (1, sizeof *sb);

  if (sb == NULL)
    abort ();
  sb->uid = sandbox_pod_uid (pod);
  sb->hostname = etc_files_pod_hostname (pod);
  if (sb->uid == NULL || sb->hostname == NULL)
    abort ();
  sb->dir = path_join (pods, sb->uid);
  sb->shm_dir = path_join (sb->dir, "shm");
  sb->hosts_path = path_join (sb->dir, "hosts");
  sb->hostname_path = path_join (sb->dir, "hostname");
  sb->resolv_path = path_join (sb->dir, "resolv.conf");
  sb->ipc_ns = path_join (sb->dir, "ns/ipc");
  if (!host_net)
    {
      sb->net_ns = path_join (sb->dir, "ns/net");
      sb->uts_ns = path_join (sb->dir, "ns/uts");
    }
  if (share_pid)
    {
      sb->pid_ns = path_join (sb->dir, "ns/pid");
      pidline = read_first_line (sb->dir, "reaper.pid");
      sb->reaper = pidline ? (pid_t)atoi (pidline) : 0;
    }
  if (!uid_is_safe (sb->uid) || !is_ns_file (sb->ipc_ns)
      || (sb->net_ns && !is_ns_file (sb->net_ns))
      || (sb->uts_ns && !is_ns_file (sb->uts_ns))
      || (sb->pid_ns
          && (!is_ns_file (sb->pid_ns) || sb->reaper <= 1
              || kill (sb->reaper, 0) < 0)))
    {
      berth_error_make (err, ENOENT, "pod sandbox %s is gone", sb->dir);
      sandbox_free (sb);
      return -1;
    }
  sb->ip = read_first_line (sb->dir, "ip");
  *out = sb;
  return 0;
}
