/* pod_runner_state.h - what the agent must remember of a pod runner across
 * its own restart: the containers' restart counts, states, current
 * instance dirs and past attempts, the pod's phase, and the CrashLoopBackOff
 * table, as a JSON-able tree saved in <root>/pods/<uid>/runner.json.
 *
 * It reads and writes struct pod_runner fields only; pod_runner_setup with
 * ADOPT does the re-adoption of processes and namespaces. */
#ifndef BERTH_POD_RUNNER_STATE_H
#define BERTH_POD_RUNNER_STATE_H

#include "node.h"
#include "pod_runner.h"

/* The state of R as a tree (caller unrefs). */
struct node *pod_runner_state_encode (const struct pod_runner *r);

/* Restore into R, which pod_runner_init filled from the same pod spec.
 * Containers are matched by name; unknown ones are skipped. */
void pod_runner_state_restore (struct pod_runner *r, const struct node *st);

/* Write the state to <r->dir>/runner.json atomically when it differs from
 * *LAST (the text last written, updated; may be NULL at first). */
int pod_runner_state_save (const struct pod_runner *r, char **last,
                           berth_error_t *err);

/* Read <root>/pods/<uid>/runner.json: 0 and *OUT, or -ENOENT. */
int pod_runner_state_load (const char *root, const char *uid, struct node **out,
                           berth_error_t *err);

#endif
