/* run_job.h - `berth run -f job.yaml`: Jobs run to completion in the
 * foreground, without a daemon.  The file's objects go into a private
 * in-memory store that the agent's own controllers drive in a private
 * loop: the Job controller creates and counts the pods, the pod worker
 * runs them (sandbox, cgroups, restart policy) and writes their statuses
 * back, exactly as in `berth agent`.  Events and pod transitions are
 * streamed; the end is a report of every Job and of each of its pods'
 * attempts.  Pods in the same files run alongside. */
#ifndef BERTH_RUN_JOB_H
#define BERTH_RUN_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "manifest.h"
#include "pod_runner.h"

struct run_job_input
{
  const struct runner_config *cfg; /* root, logs, sandbox, cgroups, images */
  int64_t timeout_ms;              /* <= 0: none */
  bool json;                       /* the Jobs (with status) as JSON */
  const struct object *const *objects; /* valid objects of the files */
  size_t n;
};

/* Returns the exit status: 0 when every Job completed (and every Pod
 * succeeded), 1 otherwise. */
int run_job (const struct run_job_input *in, FILE *out);

#endif
