/* run_report.h - what `berth run` prints about a pod: its status
 * transitions, the live line per container (memory, CPU, throttling,
 * readiness), and the final report (text, or JSON through lib/node).
 *
 * The live line samples each running container's cgroup itself, once a
 * second: cpu.stat and memory.current through descriptors kept open
 * (one pread each), memory.peak only for the final numbers.  The runner's
 * own accounting (pod_runner_sample) is the pod worker's; the report takes
 * the larger of the two, since both are cumulative over the container's
 * attempts (one cgroup per container). */
#ifndef BERTH_RUN_REPORT_H
#define BERTH_RUN_REPORT_H

#include <stdio.h>

#include "node.h"
#include "pod_runner.h"

/* One container: what was printed and sampled last. */
struct run_ctr_watch
{
  char last[128];     /* its state line */
  int cpu_fd, mem_fd; /* cpu.stat and memory.current; -1: not open */
  bool gone;          /* its cgroup went away */
  bool sampled;
  uint64_t usage_usec, periods, throttled, throttled_usec;
  uint64_t mem_current, mem_peak;
  uint64_t rate_usec; /* usage at the previous live line */
  int64_t rate_ms;    /* ... and its time */
};

/* One pod. */
struct run_watch
{
  enum pod_phase phase;
  bool phase_printed;
  size_t n;
  struct run_ctr_watch *c;
};

void run_watch_free (struct run_watch *w);

/* The prober's counts of one probe: prober_probe_total by result. */
struct run_probe_total
{
  char *pod_uid, *container, *type; /* type: Liveness, Readiness, Startup */
  uint64_t successful, failed, unknown;
};

struct run_probes
{
  size_t n;
  struct run_probe_total *items;
};

/* The prober_probe_total series of METRICS (prober_metrics_render's
 * Prometheus text) into OUT (appended). */
void run_probes_parse (const char *metrics, struct run_probes *out);
void run_probes_free (struct run_probes *p);

/* Print the pod's phase and each container's state when they changed. */
void run_report_changes (FILE *out, const struct pod_runner *r,
                         struct run_watch *w);
/* Read the running containers' cgroup counters now; with PEAK also
 * memory.peak (for the final report). */
void run_report_sample (const struct pod_runner *r, struct run_watch *w,
                        bool peak);
/* Sample, then one line per running container. */
void run_report_live (FILE *out, const struct pod_runner *r,
                      struct run_watch *w, int64_t now_ms);
/* The final report of the pod: every attempt, restarts, CPU, throttling,
 * memory peak, OOM kills, probes (PROBES may be NULL). */
void run_report_text (FILE *out, const struct pod_runner *r,
                      const struct run_watch *w, const struct run_probes *p,
                      const char *ending);
struct node *run_report_json (const struct pod_runner *r,
                              const struct run_watch *w,
                              const struct run_probes *p, const char *ending);

/* "12.3Mi", "100Mi", "1.5Gi" */
void run_format_bytes (char *buf, size_t size, uint64_t bytes);

#endif
