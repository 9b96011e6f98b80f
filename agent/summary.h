/* summary.h - /stats/summary: the kubelet's Summary API
 * (k8s.io/kubelet/pkg/apis/stats/v1alpha1 Summary) for this node and its
 * pods, built from pod_runners' last samples and from /proc, as the
 * kubelet's cAdvisor stats provider fills it:
 *
 *   {node: {nodeName, startTime, cpu, memory},
 *    pods: [{podRef: {name, namespace, uid}, startTime,
 *            containers: [{name, startTime, cpu, memory, io}],
 *            cpu, memory}]}
 *   cpu: {time, usageNanoCores, usageCoreNanoSeconds, psi}
 *   memory: {time, availableBytes, usageBytes, workingSetBytes, rssBytes,
 *            pageFaults, majorPageFaults, psi}
 *   io: {time, psi};  psi: {full: {total, avg10, avg60, avg300}, some: ...}
 *
 * usageNanoCores is a rate: it needs two samples.  The caller owns a
 * summary_history and records into it every time it samples (after
 * pod_runner_sample, and for the node); the rate is the one between the
 * last two samples, as cAdvisor's is between its last two housekeeping
 * passes, so it does not depend on how often /stats/summary is fetched.
 *
 * Values as the kubelet computes them: usageCoreNanoSeconds = cpu.stat
 * usage_usec * 1000; workingSetBytes = memory.current - inactive_file;
 * rssBytes = memory.stat anon; pageFaults / majorPageFaults = memory.stat
 * pgfault / pgmajfault; availableBytes = limit - workingSet, only with a
 * limit.  A pod's values are its containers' sums (its cgroup holds only
 * them) and it has no psi.  The node's come from /proc: CPU time but idle
 * and iowait (/proc/stat), usage = MemTotal - MemFree, working set = usage -
 * Inactive(file), available = MemTotal - working set (/proc/meminfo),
 * faults from /proc/vmstat, startTime the boot time.
 */
#ifndef BERTH_SUMMARY_H
#define BERTH_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "node.h"
#include "pod_runner.h"

struct summary_node_stats
{
  int64_t time_ms; /* wall clock of the reading */
  int64_t boot_ms; /* wall clock of the boot (node startTime) */
  uint64_t cpu_usage_ns;
  uint64_t memory_total, memory_usage, working_set, rss;
  uint64_t page_faults, major_page_faults;
};

/* Pure: the node values from the texts of /proc/stat, /proc/meminfo and
 * /proc/vmstat (CLK_TCK: sysconf (_SC_CLK_TCK)). */
int summary_node_parse (const char *stat, const char *meminfo,
                        const char *vmstat, long clk_tck, int64_t now_ms,
                        struct summary_node_stats *out, berth_error_t *err);
/* Read them from /proc now (NOW_MS: the wall clock). */
int summary_node_read (int64_t now_ms, struct summary_node_stats *out,
                       berth_error_t *err);

/* The last two CPU samples of every pod, container and the node. */
struct summary_rate;
struct summary_history
{
  size_t n, cap;
  struct summary_rate *rates;
};

void summary_history_init (struct summary_history *h);
void summary_history_free (struct summary_history *h);
/* After pod_runner_sample (R) at SAMPLE_MS (wall clock). */
void summary_history_record_pod (struct summary_history *h,
                                 const struct pod_runner *r, int64_t sample_ms);
void summary_history_record_node (struct summary_history *h,
                                  const struct summary_node_stats *n);
/* When the pod UID is gone. */
void summary_history_forget_pod (struct summary_history *h, const char *uid);

/* The Summary of NODE_NAME, its NODE reading (NULL: no node cpu/memory)
 * and the N pods PODS.  START_TIMES[i] (may be NULL, or hold NULLs) is pod
 * i's status.startTime; without it the first start of its containers is
 * used.  Stats come from H: a pod or container never recorded has none. */
struct node *summary_encode (const char *node_name,
                             const struct summary_node_stats *node,
                             const struct pod_runner *const *pods,
                             const char *const *start_times, size_t n,
                             const struct summary_history *h);

#endif
