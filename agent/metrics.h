/* metrics.h - /metrics text in the Prometheus exposition format 0.0.4,
 * with cAdvisor's container metrics as the kubelet serves them on
 * /metrics/cadvisor (google/cadvisor lib/metrics/prometheus.go, labels from
 * the kubelet's containerPrometheusLabelsFunc, pkg/kubelet/server/
 * server.go), computed from pod_runners' last samples.  It also owns the
 * low-level writer (HELP/TYPE lines, escaped labels, Go's float format)
 * for other metric families (the prober's prober_probe_total...): the API
 * handler writes each family set into one FILE and serves the whole.
 * Pure: it reads runners and writes a FILE, nothing else.
 *
 * As client_golang prints them: families sorted by name, HELP then TYPE,
 * series sorted by label values, labels sorted by name; sample values as
 * Go's strconv 'g' -1 (1.048576e+06), stats samples followed by the
 * sample time in ms, spec samples without.
 *
 * Series: one per container cgroup, labels container, id (the cgroup path
 * below /sys/fs/cgroup), image (the image reference), name ("": cAdvisor
 * puts the runtime's container ID there, berth has none), namespace, pod;
 * and one per pod cgroup (container="") for the families whose pod value
 * is the sum of its containers' (CPU usage, memory usage, working set,
 * RSS) and for the spec families (the pod cgroup's own values).  As in
 * cAdvisor, the container_cpu_cfs_* families appear only for cgroups with
 * a CPU quota, container_spec_cpu_quota only with a quota, and
 * container_cpu_usage_seconds_total (label cpu="total" on cgroup v2) only
 * once usage is above 0.  container_spec_memory_limit_bytes is 0 without a
 * limit; container_spec_cpu_shares is cAdvisor's conversion back from
 * cpu.weight.  container_oom_events_total counts the container's OOM kills
 * over all its attempts; container_pressure_* appear where PSI is read.
 */
#ifndef BERTH_METRICS_H
#define BERTH_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pod_runner.h"

/* The Content-Type of the text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Write the cAdvisor families for the N runners PODS.  TIMESTAMP_MS is
 * when they were sampled (wall clock); 0 writes no timestamps. */
void metrics_write_pods (FILE *out, const struct pod_runner *const *pods,
                         size_t n, int64_t timestamp_ms);
/* The same with each pod's own sample time, as cAdvisor serves each
 * container's stats with the time they were read: SAMPLED_MS[i] for
 * PODS[i] (pod_worker_sampled_ms), 0 for no timestamp. */
void metrics_write_pods_sampled (FILE *out,
                                 const struct pod_runner *const *pods,
                                 const int64_t *sampled_ms, size_t n);

/* ---- the writer, for other families ---- */

struct metrics_label
{
  const char *name, *value;
};

/* "# HELP NAME HELP\n# TYPE NAME TYPE\n" (TYPE: counter, gauge, ...). */
void metrics_write_family (FILE *out, const char *name, const char *help,
                           const char *type);
/* NAME{L1="v1",...} VALUE [TIMESTAMP_MS]; labels in the order given (pass
 * them sorted by name, as client_golang prints them); TIMESTAMP_MS 0: none.
 */
void metrics_write_sample (FILE *out, const char *name,
                           const struct metrics_label *labels, size_t n,
                           double value, int64_t timestamp_ms);
/* A sample value as client_golang writes it: 0, 1, -1, NaN, +Inf, -Inf, or
 * Go's strconv.FormatFloat (V, 'g', -1, 64). */
void metrics_format_value (char *buf, size_t size, double v);

#endif
