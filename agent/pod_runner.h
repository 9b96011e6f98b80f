/* pod_runner.h - one Pod on this node, driven the way the kubelet's
 * syncPod drives it: admission, the sandbox (namespaces, CNI, /etc files),
 * volumes, the pod and container cgroups, then init containers in order and
 * the app containers, restarted per the restart policy with the
 * CrashLoopBackOff schedule, with OOM kills detected on memory.events.
 *
 * It ties the runtime (sandbox.h, volumes.h, container.h, image_store.h,
 * command.h), the cgroups (cgroup_fs.h, cgroup_values.h, oom_watch.h) and
 * the kubelet rules (lifecycle.h) together.  It owns the pod's instance
 * dirs under <root>/pods/<uid>/ and its logs under <log dir>; it owns no
 * event loop: the caller calls pod_runner_sync whenever something may have
 * changed (a timer, a monitor exiting) and reads the status it reports.
 */
#ifndef BERTH_POD_RUNNER_H
#define BERTH_POD_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_fs.h"
#include "cgroup_stats.h"
#include "cgroup_values.h"
#include "container.h"
#include "image_store.h"
#include "lifecycle.h"
#include "sandbox.h"
#include "sysctls.h"
#include "types.h"
#include "volumes.h"

struct runner_config
{
  const char *root;    /* state: <root>/images, <root>/pods */
  const char *log_dir; /* /var/log/pods */
  struct sandbox_config sandbox;
  struct cgroup_fs *cgroups; /* NULL: no resource enforcement */
  struct cgroup_node_config node;
  struct image_store *images;
  const char *host_ip; /* the node's IP: status.hostIP; NULL: none known */
  /* --allowed-unsafe-sysctls besides the safe set; NULL: the safe set */
  const struct sysctl_allowlist *sysctls;
  bool seccomp_unconfined_default; /* the kubelet's default without
                                      --seccomp-default */
  /* The kubelet's containerLogMaxSize (bytes; 0: its 10Mi default, < 0:
   * no rotation) and containerLogMaxFiles (0: its default 5). */
  int64_t container_log_max_size;
  int container_log_max_files;
  /* ConfigMaps and Secrets the pod may reference, by namespace/name. */
  const struct config_map *const *config_maps;
  size_t n_config_maps;
  const struct secret *const *secrets;
  size_t n_secrets;
  /* The Services whose variables containers get (enableServiceLinks). */
  const struct service *const *services;
  size_t n_services;
  /* The pods already admitted on the node, for admission (the kubelet's
   * canAdmitPod sums their requests). */
  const struct pod_spec *const *admitted;
  size_t n_admitted;
  /* Called for every event (kubelet-like reasons: Pulled, Created,
   * Started, Killing, BackOff, OOMKilling, Failed...). */
  void (*event) (void *ctx, const char *type, const char *reason,
                 const char *object, const char *message);
  void *event_ctx;
  /* The caller runs postStart hooks (the pod worker): a container started
   * with one holds every other start of the pod until
   * pod_runner_post_start_done, as the kubelet's startContainer runs the
   * hook before SyncPod starts the next container. */
  bool post_start_gates;
};

/* One finished run of a container. */
struct runner_attempt
{
  int exit_code;
  char *reason;  /* Completed, Error, OOMKilled, StartError */
  char *message; /* the termination message, or NULL */
  char *started_at, *finished_at;
  int64_t backoff_ms; /* how long its start waited after the previous exit */
};

struct runner_container
{
  const struct container *spec;
  bool init, sidecar;
  int restart_count;
  char *instance_dir;
  char *cgroup_dir; /* absolute, NULL without cgroups */
  char *backoff_key;
  struct lifecycle_ctr
  {
    struct lifecycle_status st;
    char *waiting_reason; /* ContainerCreating, CrashLoopBackOff, ... */
    char *waiting_message;
    char *reason; /* of the current or last termination */
    char *message;
    char *started_at, *finished_at;
    int64_t finished_ms;
  } now;
  size_t n_attempts;
  struct runner_attempt *attempts;
  int64_t last_wait_ms;       /* how long the last restart waited */
  uint64_t oom_kills;         /* over every attempt */
  uint64_t attempt_oom_kills; /* in the current attempt */
  struct oom_watch *oom;
  struct image_info *image;
  /* Probe results of the current instance (the prober sets them; reset
   * at each start): Ready and Started as the kubelet reports them. */
  bool probe_ready, probe_started;
  /* Accounting of the current cgroup, refreshed by pod_runner_sample. */
  struct cgroup_stats stats;
  uint64_t cpu_usec_total, throttled_periods_total, periods_total;
  uint64_t throttled_usec_total, memory_peak;
};

struct pod_runner
{
  const struct runner_config *cfg;
  const struct pod *pod;
  char *uid, *ref; /* ref: "name_namespace(uid)" as format.Pod */
  char *dir;       /* <root>/pods/<uid> */
  struct sandbox *sandbox;
  struct volumes_set vols;
  enum qos_class qos;
  struct cgroup_pod_values cv;
  bool pod_cgroup;
  size_t n; /* init containers first, then app containers */
  struct runner_container *c;
  struct backoff_table backoff;
  enum pod_phase phase;
  char *reason, *message; /* a pod-level failure (admission, sandbox) */
  bool terminal;
  bool stopping;        /* being killed: no restarts (the pod is deleted) */
  bool sandbox_adopted; /* pod_runner_setup found the sandbox running */
  /* Started, its postStart hook not done yet (post_start_gates). */
  struct runner_container *post_start_wait;
  /* The tokens of its serviceAccountToken projections (pod_volumes.c). */
  struct runner_token *tokens;
  size_t n_tokens;
};

/* Admit the pod, create its sandbox, volumes and cgroups.  A failure is
 * reported in the runner's reason and message (phase Failed for
 * admission), not as a crash; 0 is returned unless nothing could be set
 * up at all. */
int pod_runner_start (struct pod_runner *r, const struct runner_config *cfg,
                      const struct pod *pod, berth_error_t *err);

/* pod_runner_start in two steps, for an agent that restarted: INIT fills
 * the runner from the spec (no I/O), the caller restores the state it
 * saved (pod_runner_state.h), then SETUP with ADOPT re-opens the sandbox,
 * volumes and cgroups; when the sandbox is gone (a reboot) the containers
 * that were running are recorded as lost (exit 255, Unknown) and a new
 * sandbox is made.  Without ADOPT, SETUP admits the pod first. */
void pod_runner_init (struct pod_runner *r, const struct runner_config *cfg,
                      const struct pod *pod);
int pod_runner_setup (struct pod_runner *r, bool adopt, berth_error_t *err);
void pod_runner_mark_lost (struct pod_runner *r);

/* Collect exits, decide restarts, start what is due.  *NEXT_MS: when to be
 * called again at the latest (a back-off ending), -1 for no deadline. */
int pod_runner_sync (struct pod_runner *r, int64_t now_ms, int64_t *next_ms,
                     berth_error_t *err);

/* The postStart hook of C (r->post_start_wait) ended, or will not run: the
 * pod's other containers may start at the next sync. */
void pod_runner_post_start_done (struct pod_runner *r,
                                 const struct runner_container *c);

/* Read every container's cgroup accounting (cpu.stat, memory.*). */
void pod_runner_sample (struct pod_runner *r);

/* The fds to poll for OOM events (one per running container); returns the
 * count written to FDS (at most MAX). */
size_t pod_runner_poll_fds (const struct pod_runner *r, int *fds, size_t max);

/* Stop every container (preStop is the agent's, later), grace period from
 * the pod, then tear down cgroups, volumes and sandbox. */
int pod_runner_stop (struct pod_runner *r, berth_error_t *err);
void pod_runner_free (struct pod_runner *r);

/* The lookup volumes_setup needs for R's pod: its ConfigMaps and Secrets,
 * and pod_runner_sa_token. */
struct volumes_lookup pod_runner_volumes_lookup (struct pod_runner *r);
/* pod_volumes.c: the kubelet's token manager for R (CTX): the token of
 * projection P, reused until sa_token_needs_refresh. */
int pod_runner_sa_token (void *ctx, const struct pod *pod,
                         const struct service_account_token_projection *p,
                         char **token, berth_error_t *err);
/* The kubelet's periodic volume remount: write R's configMap, secret,
 * downwardAPI and projected volumes again from the current objects (a file
 * changes only when its content does; a token is replaced once 80% of its
 * lifetime has passed).  A failure keeps what the containers see and is
 * reported as a FailedMount event, as the kubelet's volume manager does. */
void pod_runner_refresh_volumes (struct pod_runner *r);
void pod_runner_tokens_free (struct pod_runner *r);

#endif
