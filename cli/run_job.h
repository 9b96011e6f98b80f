/* run_job.h - the engine of `berth run`: the file's objects (Pods, Jobs,
 * ConfigMaps, Secrets...) go into a private in-memory store that the
 * agent's own controllers drive on a private event loop, exactly as in
 * `berth agent`: the pod worker runs the pods (admission, sandbox,
 * cgroups, restart policy, probes and hooks) and writes their statuses
 * back, the Job controller creates and counts the Jobs' pods.
 *
 * Nothing polls: a round (the controllers' syncs, then what changed is
 * printed) follows every store change and every wake-up of the pod worker
 * (a container's monitor exiting, an OOM watch, a probe result).  Once a
 * second the live line of each running container samples its cgroup
 * (run_report.h).  The run ends when every Pod is terminal and every Job
 * finished, at the timeout, or on SIGINT/SIGTERM; then the report is
 * taken, every pod is deleted (gracefully, as `berth delete` does: preStop,
 * the stop signal, SIGKILL after the grace period, teardown), and the
 * report is printed last. */
#ifndef BERTH_RUN_JOB_H
#define BERTH_RUN_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "manifest.h"
#include "pod_runner.h"

struct run_job_input
{
  const struct runner_config *cfg; /* root, logs, sandbox, cgroups, node,
                                      images, seccomp and log defaults */
  int64_t timeout_ms;              /* <= 0: none */
  bool json; /* the report as JSON on stdout: each Pod's report, each Job
                with its status */
  const struct object *const *objects; /* valid objects of the files */
  size_t n;
};

/* Streams to OUT.  Returns the exit status: 0 when every Pod (outside the
 * Jobs) succeeded and every Job is Complete, 1 otherwise. */
int run_job (const struct run_job_input *in, FILE *out);

#endif
