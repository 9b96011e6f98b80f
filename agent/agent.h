/* agent.h - the berth agent daemon: its context struct, which owns
 * everything the daemon has (the loop, the object store, its persistence,
 * the HTTP API, the manifest directory source, the signal watcher), and the
 * wiring of those into one loop.  There is no other mutable state.
 *
 * Everything that reacts to the store (the pod worker, the Job, CronJob and
 * endpoint controllers) is a controller (controller.h) the agent syncs. */
#ifndef BERTH_AGENT_H
#define BERTH_AGENT_H

#include <stdint.h>

#include "api.h"
#include "controller.h"
#include "error.h"
#include "loop.h"
#include "persist.h"
#include "pod_worker.h"
#include "source_dir.h"
#include "service_alloc.h"
#include "source_url.h"
#include "store.h"
#include "sysctls.h"

#define AGENT_DEFAULT_ROOT "/var/lib/berth"
#define AGENT_DEFAULT_SOCKET "/run/berth/berth.sock"
#define AGENT_DEFAULT_FILE_CHECK_MS 20000

struct agent_options
{
  const char *root;
  const char *socket;
  const char *manifest_dir; /* NULL: no manifest directory */
  const char *listen;       /* NULL: no TCP listener */
  const char *hostname_override;
  int64_t file_check_ms;
  int64_t sync_ms;               /* the kubelet's --sync-frequency (0: 1m) */
  struct source_url_options url; /* no URLs: no URL source */
  /* Running pods (the pod worker): as `berth run`'s flags. */
  const char *run_dir; /* NULL: /run/berth */
  const char *log_dir; /* NULL: /var/log/pods */
  const char *cgroup_root;
  bool no_enforcement; /* no cgroup v2: no limits, no accounting */
  struct sandbox_config sandbox;
  bool seccomp_unconfined_default;
  int64_t max_pods;     /* 0: 110 */
  const char *reserved; /* cpu=100m,memory=100Mi,pid=1000, or NULL */
  const char *allowed_unsafe_sysctls; /* --allowed-unsafe-sysctls, or NULL */
  int64_t pod_max_pids;               /* 0: unlimited (-1) */
  int64_t container_log_max_size;
  int container_log_max_files;
  /* Services: kube-apiserver's --service-cluster-ip-range and
   * --service-node-port-range, kube-proxy's --cluster-cidr (NULL: the
   * defaults); no_service_routing: endpoints only, no nftables. */
  const char *service_cidr, *node_port_range, *cluster_cidr;
  bool no_service_routing;
};

struct agent
{
  struct agent_options opt;
  char *node_name;
  struct loop loop;
  struct store store;
  struct persist persist;
  struct api api;
  struct source_dir source;
  struct loop_watcher signals;
  bool have_source;
  struct source_url url_source;
  bool have_url_source;
  /* Controllers, synced after store changes (coalesced through the
   * zero-delay sync timer) and at the deadlines they ask for. */
  struct cgroup_fs *cgroups; /* NULL without resource enforcement */
  struct image_store *images;
  struct sysctl_allowlist sysctls; /* --allowed-unsafe-sysctls */
  char *nft_marker;                /* see service_controller_options */
  struct pod_worker *worker;       /* owned through controllers[] */
  struct controller *controllers[8];
  size_t n_controllers;
  struct loop_watcher sync_timer;
  bool sync_pending;
  uint64_t events_saved; /* store.events_changed at the last write */
  struct service_ranges service_ranges;
  /* CLOCK_MONOTONIC ns of the first store change since the last round
   * began, and of the round running (for the services controller's
   * readiness propagation time). */
  int64_t change_ns, round_change_ns;
};

/* Take C (freed by agent_free) and sync it with the others. */

void agent_add_controller (struct agent *a, struct controller *c);
/* A sync round soon (something outside the store changed). */
void agent_wake (struct agent *a);

/* The node name: OVERRIDE or the hostname, lowercased. */
char *agent_node_name (const char *override, berth_error_t *err);

/* Load the state, open the socket, watch the manifest directory. */
int agent_init (struct agent *a, const struct agent_options *opt,
                berth_error_t *err);
/* Serve until SIGINT or SIGTERM. */
int agent_run (struct agent *a, berth_error_t *err);
void agent_free (struct agent *a);

/* "berth agent: MSG" with a timestamp on standard error. */
void agent_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
