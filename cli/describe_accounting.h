/* describe_accounting.h - the "Accounting:" section of `berth describe
 * pod`: the status.berth block (agent/pod_stats.h has its shape) said in
 * words, per container and for the pod:
 *
 *   Accounting:
 *     Resource enforcement:  on (cgroup /sys/fs/cgroup/berth/pod1234)
 *     app:
 *       CPU time: 1.58 s
 *       CPU throttled in 31 of 32 periods (1.58 s)
 *       Memory: 49.0 MiB now, 48.0 MiB working set
 *       OOM kills: 2, peak 50.0 MiB of a 50 MiB limit
 *       Memory events: low 0, high 0, max 119, oom 2, oom_kill 2, ...
 *       Pressure (% of time, avg10/avg60/avg300):
 *         cpu:     some 1.71/2.36/2.57  full 0.50/0.25/0.10
 *     Pod total:
 *       ...
 *
 * Pure: it reads a JSON tree (the CLI sees only the API's JSON) and writes
 * to a FILE. */
#ifndef BERTH_DESCRIBE_ACCOUNTING_H
#define BERTH_DESCRIBE_ACCOUNTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "node.h"

/* The section for STATUS (a pod's .status; its "berth" block may be
 * absent: "<none>"). */
void describe_accounting_print (FILE *out, const struct node *status);

/* Bytes for a person: "512 B", "50.0 MiB"; with EXACT, a whole number of
 * units loses its decimal ("50 MiB", as limits are written). */
void describe_bytes (char *buf, size_t size, uint64_t v, bool exact);

#endif
