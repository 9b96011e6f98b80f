/* sandbox.h - the pod sandbox: the network, IPC and UTS namespaces (and, with
 * shareProcessNamespace, a PID namespace with a reaper as its PID 1) that
 * all containers of a pod join, the pod's network (CNI), its /dev/shm and
 * its /etc/hosts, /etc/hostname and /etc/resolv.conf.
 *
 * Layout under the run dir (default /run/berth):
 *   pods/<uid>/ns/net, ipc, uts (pid)  the namespace files: bind mounts of
 *       /proc/<pid>/ns/..., like `ip netns add`; ns/ itself is a private
 *       bind mount
 *   pods/<uid>/shm                     tmpfs, 64Mi, the pod's /dev/shm
 *   pods/<uid>/hosts, hostname, resolv.conf
 *   pods/<uid>/reaper.pid              PID 1 of the pod's PID namespace
 *   pods/<uid>/ip                      the pod IP from CNI, when it has one
 *   pods/<uid>/volumes/                volumes_setup (POD_DIR = dir)
 *   cni-cache/<uid>.json               the CNI ADD, for DEL after a restart
 *
 * Owns creating and removing all of that; never touches containers.
 */
#ifndef BERTH_SANDBOX_H
#define BERTH_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "cni.h"
#include "error.h"
#include "etc_files.h"
#include "types.h"

#define SANDBOX_DEFAULT_RUN_DIR "/run/berth"
#define SANDBOX_SHM_SIZE "64m"

struct sandbox_config
{
  const char *run_dir;         /* NULL: /run/berth */
  const char *cni_conf_dir;    /* NULL: /etc/berth/net.d */
  const char *cni_plugin_path; /* NULL: /usr/lib/cni */
  const char *pod_cidr;        /* default conflist only; NULL: 10.88.0.0/16 */
  const char *bridge;          /* default conflist only; NULL: berth0 */
  bool no_cni;                 /* loopback only, no plugin is run */
  struct etc_files_dns dns;
};

struct sandbox
{
  char *uid;      /* metadata.uid, else "<namespace>_<name>" */
  char *dir;      /* <run>/pods/<uid> */
  char *net_ns;   /* <dir>/ns/net; NULL with hostNetwork */
  char *ipc_ns;   /* <dir>/ns/ipc */
  char *uts_ns;   /* <dir>/ns/uts; NULL with hostNetwork */
  char *pid_ns;   /* <dir>/ns/pid with shareProcessNamespace, else NULL */
  pid_t reaper;   /* PID 1 of pid_ns (in berth's PID namespace), or 0 */
  char *ip;       /* the pod IP; NULL when loopback only */
  char *hostname; /* as set in the UTS namespace */
  char *shm_dir;  /* <dir>/shm */
  char *hosts_path, *hostname_path, *resolv_path;
  char *warning; /* e.g. "no CNI plugins: loopback only"; may be NULL */
};

/* Create the sandbox of POD.  On failure everything made so far is torn
 * down (CNI DEL included) before returning. */
int sandbox_create (const struct sandbox_config *cfg, const struct pod *pod,
                    struct sandbox **out, berth_error_t *err);

/* The sandbox of POD as sandbox_create left it, for an agent that
 * restarted: -ENOENT when its namespaces are gone (a reboot). */
int sandbox_open (const struct sandbox_config *cfg, const struct pod *pod,
                  struct sandbox **out, berth_error_t *err);

/* Tear down the sandbox of the pod with UID: CNI DEL (always, from the
 * cached ADD), kill the reaper, unmount and remove the namespace files, the
 * shm, the /etc files and the pod dir.  Idempotent: a missing or half-made
 * sandbox is fine.  Every step is tried; the errors are joined. */
int sandbox_destroy (const struct sandbox_config *cfg, const char *uid,
                     berth_error_t *err);

/* The uid a sandbox of POD gets. */
char *sandbox_pod_uid (const struct pod *pod);

/* Bring up lo in the current network namespace (netlink RTM_NEWLINK). */
int sandbox_loopback_up (berth_error_t *err);

void sandbox_free (struct sandbox *sb);

#endif
