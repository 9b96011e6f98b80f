/* cgroup_values.h - the cgroup v2 values the kubelet and the OCI runtime
 * write for a pod, computed from the object model.  Pure functions: nothing
 * here touches a file (cgroup_fs.h writes them).
 *
 * Sources (see /work/shared/reference/kubelet-behaviour.md sections 4, 5):
 *  - MilliCPUToShares, MilliCPUToQuota, ResourceConfigForPod
 *    (pkg/kubelet/cm/helpers_linux.go);
 *  - container values (kuberuntime_container_linux.go
 *    calculateLinuxResources): shares from the cpu request, or from the limit
 *    when there is no request; quota from the limit (period 100000); memory
 *    from limits.memory; memory.oom.group=1; memory.swap.max=0 (NoSwap);
 *  - QoS cgroups (qos_container_manager_linux.go setCPUCgroupConfig,
 *    setMemoryQoS) and the node-allocatable root
 *    (node_container_manager_linux.go getNodeAllocatableInternalAbsolute);
 *  - GetContainerOOMScoreAdjust (pkg/kubelet/qos/policy.go);
 *  - admission (pkg/kubelet/lifecycle/predicate.go, scheduler noderesources
 *    fit.go fitsRequest): reason "OutOf<resource>", message "Node didn't have
 *    enough resource: ...".
 *
 * cpu.weight: there are two shares->weight conversions on cgroup v2.
 *  - CGROUP_WEIGHT_LINEAR: 1 + ((shares - 2) * 9999) / 262142, capped at
 *    10000.  The kubelet's getCPUWeight (cgroup_manager_linux.go) uses it for
 *    the cgroups it manages itself (root, QoS, pod), and runc < 1.3.2 /
 *    crun < 1.23 used it for containers.
 *  - CGROUP_WEIGHT_QUADRATIC (default for containers): runc >= 1.3.2 and
 *    crun >= 1.23 (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value,
 *    commit fd95216): 0 -> 0 (unset), <= 2 -> 1, >= 262144 -> 10000, else
 *    ceil (10^((L^2 + 125 L) / 612 - 7/34)) with L = log2 (shares), which
 *    maps the default 1024 shares to the default weight 100.  berth is its own
 *    runtime, so it follows the current runtimes for containers and the
 *    kubelet for its own cgroups (cgroup_node_config.container_weight picks
 *    the container formula).
 *
 * The berth root cgroup plays the kubelet's "kubepods": its memory.max and
 * cpu.weight come from capacity - reserved (no eviction threshold, as in
 * getNodeAllocatableInternalAbsolute); admission compares against the node's
 * allocatable, which also subtracts the hard eviction threshold (100Mi of
 * memory by default), as GetNodeAllocatableReservation does.
 */
#ifndef BERTH_CGROUP_VALUES_H
#define BERTH_CGROUP_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "qos.h"
#include "types.h"

/* A value not written by the kubelet/runtime (the kernel default stays). */
#define CGROUP_UNSET INT64_MIN
/* "max" in a cgroup file (no limit). */
#define CGROUP_MAX (-1)

#define CGROUP_MIN_SHARES 2
#define CGROUP_MAX_SHARES 262144
#define CGROUP_CPU_PERIOD 100000 /* µs, the kubelet's default */
#define CGROUP_MIN_QUOTA 1000    /* µs */
#define CGROUP_PAGE_SIZE 4096

enum cgroup_weight_formula
{
  CGROUP_WEIGHT_QUADRATIC, /* runc >= 1.3.2, crun >= 1.23 */
  CGROUP_WEIGHT_LINEAR,    /* kubelet getCPUWeight, older runtimes */
};

/* The node: capacity, reservations and the kubelet settings that change the
 * values.  cgroup_node_config_init gives the kubelet defaults. */
struct cgroup_node_config
{
  int64_t cpu_capacity_milli; /* e.g. 2000 for two CPUs */
  int64_t memory_capacity;    /* bytes (MemTotal) */
  int64_t pids_capacity;      /* kernel.pid_max; 0 = unknown (pids.max max) */
  int64_t max_pods;           /* 110 */
  int64_t cpu_reserved_milli; /* system-reserved + kube-reserved */
  int64_t memory_reserved;    /* bytes */
  int64_t pids_reserved;      /* pids */
  int64_t eviction_memory;    /* hard eviction memory.available: 100Mi */
  int64_t pod_pids_limit;     /* podPidsLimit: -1 = unlimited */
  bool cpu_cfs_quota;         /* cpuCFSQuota: true */
  bool memory_qos;            /* the MemoryQoS feature gate: false */
  double memory_throttling_factor;             /* memoryThrottlingFactor: 0.9 */
  enum cgroup_weight_formula container_weight; /* QUADRATIC */
};

void cgroup_node_config_init (struct cgroup_node_config *c);

/* --reserved cpu=100m,memory=100Mi,pid=1000 (the kubelet's
 * --system-reserved syntax) into NODE's reserved amounts: allocatable is
 * capacity minus them. */
int cgroup_node_parse_reserved (struct cgroup_node_config *node,
                                const char *value, berth_error_t *err);

/* The interface-file values of one cgroup.  Each is CGROUP_UNSET (not
 * written) or a number; CGROUP_MAX stands for "max" where a file takes it. */
struct cgroup_values
{
  int64_t cpu_shares;  /* the v1 shares cpu.weight derives from (not a file) */
  int64_t cpu_weight;  /* cpu.weight */
  int64_t cpu_quota;   /* cpu.max first field: µs or CGROUP_MAX */
  int64_t cpu_period;  /* cpu.max second field */
  int64_t memory_max;  /* memory.max: bytes or CGROUP_MAX */
  int64_t memory_high; /* memory.high (MemoryQoS) */
  int64_t memory_min;  /* memory.min (MemoryQoS) */
  int64_t memory_swap_max;  /* memory.swap.max */
  int64_t memory_oom_group; /* memory.oom.group */
  int64_t pids_max;         /* pids.max: count or CGROUP_MAX */
};

void cgroup_values_init (struct cgroup_values *v); /* all CGROUP_UNSET */

/* One interface file and the string written to it. */
struct cgroup_entry
{
  const char *file; /* "cpu.max" */
  char value[48];   /* "70000 100000" */
};

#define CGROUP_MAX_ENTRIES 9

/* The files V sets, in the order they should be written; returns how many
 * of OUT (CGROUP_MAX_ENTRIES long) were filled. */
size_t cgroup_values_entries (const struct cgroup_values *v,
                              struct cgroup_entry *out);

/* ---- conversions (helpers_linux.go, runc) ---- */

/* MilliCPUToShares: 0 -> 2; m * 1024 / 1000 clamped to [2, 262144]. */
int64_t cgroup_milli_cpu_to_shares (int64_t milli);
/* MilliCPUToQuota: 0 -> 0 (no quota); m * period / 1000, at least 1000. */
int64_t cgroup_milli_cpu_to_quota (int64_t milli, int64_t period);
/* shares -> cpu.weight with formula F (see the top of this file). */
int64_t cgroup_shares_to_weight (int64_t shares, enum cgroup_weight_formula f);

/* ---- per pod ---- */

struct cgroup_container_values
{
  const char *name; /* borrowed from the pod spec */
  bool init;        /* an init container */
  bool sidecar;     /* an init container with restartPolicy Always */
  int oom_score_adj;
  struct cgroup_values values;
};

struct cgroup_pod_values
{
  enum qos_class qos;
  struct cgroup_values pod;
  size_t n_containers; /* init containers first, then app containers */
  struct cgroup_container_values *containers;
};

/* The values of the pod cgroup (ResourceConfigForPod) and of each of its
 * containers.  SPEC must be defaulted (manifest_read_file does it); it must
 * outlive OUT (names are borrowed).  Fails only on quantities too large for
 * int64. */
int cgroup_values_for_pod (const struct pod_spec *spec,
                           const struct cgroup_node_config *node,
                           struct cgroup_pod_values *out, berth_error_t *err);
void cgroup_pod_values_free (struct cgroup_pod_values *v);

/* One container's values alone (calculateLinuxResources); POD gives the QoS
 * class and node allocatable is used for memory.high without a limit. */
int cgroup_values_for_container (const struct pod_spec *spec,
                                 const struct container *c,
                                 const struct cgroup_node_config *node,
                                 struct cgroup_values *out, berth_error_t *err);

/* GetContainerOOMScoreAdjust for C (a member of SPEC's containers or init
 * containers), against MEMORY_CAPACITY bytes.  berth's pods come from files,
 * so they are static pods and thus critical; they are node-critical (-997)
 * when priorityClassName is "system-node-critical". */
int cgroup_oom_score_adj (const struct pod_spec *spec,
                          const struct container *c, int64_t memory_capacity,
                          int *out, berth_error_t *err);

/* ---- pod totals (resource helpers PodRequests / PodLimits) ---- */

struct cgroup_pod_resources
{
  int64_t cpu_milli; /* 0 when none */
  int64_t memory;    /* bytes, 0 when none */
};

/* PodRequests: max(sum of app containers + sidecars, the largest init
 * container step) + overhead; pod-level resources win when set. */
int cgroup_pod_requests (const struct pod_spec *spec,
                         struct cgroup_pod_resources *out, berth_error_t *err);

/* ---- QoS cgroups and the root ---- */

struct cgroup_qos_values
{
  struct cgroup_values root;       /* the berth root ("kubepods") */
  struct cgroup_values burstable;  /* ROOT/burstable */
  struct cgroup_values besteffort; /* ROOT/besteffort */
};

/* The root and QoS cgroup values for the N pods PODS running on NODE. */
int cgroup_values_for_qos (const struct pod_spec *const *pods, size_t n,
                           const struct cgroup_node_config *node,
                           struct cgroup_qos_values *out, berth_error_t *err);

/* Node allocatable as the Node status reports it (used by admission):
 * capacity - reserved - hard eviction threshold, never negative. */
void cgroup_node_allocatable (const struct cgroup_node_config *node,
                              struct cgroup_pod_resources *out);

/* ---- admission ---- */

struct cgroup_admission
{
  bool admit;
  char reason[32]; /* "OutOfcpu", "OutOfmemory", "OutOfpods" */
  char message[160];
};

/* Whether SPEC fits on NODE next to the N already admitted pods ADMITTED
 * (pods count, cpu, memory; the first failure is reported, as the kubelet
 * does). */
int cgroup_admit (const struct pod_spec *spec,
                  const struct pod_spec *const *admitted, size_t n,
                  const struct cgroup_node_config *node,
                  struct cgroup_admission *out, berth_error_t *err);

#endif
