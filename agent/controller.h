/* controller.h - the agent's controllers (Job, CronJob, endpoints, the pod
 * worker): level-triggered reconcilers over the object store, as the
 * Kubernetes controllers are over the API server.
 *
 * The agent calls every controller's sync soon after any change to the
 * store (changes are coalesced: one round per loop iteration) and again
 * when the deadline a sync asked for (*NEXT_MS) has come.  A sync reads
 * the store and writes through it (store_apply, store_delete,
 * store_set_status, store_event); each write triggers another round, so a
 * sync must reach a fixed point: writing an equal object or status is no
 * change (store_apply gives STORE_UNCHANGED, store_set_status returns
 * without notifying).  A controller owns its own state; the agent owns
 * the controllers. */
#ifndef BERTH_CONTROLLER_H
#define BERTH_CONTROLLER_H

#include <stdint.h>

#include "error.h"
#include "store.h"

struct controller;

struct controller_ops
{
  const char *name;
  /* NOW_MS: the wall clock (loop_wall_ms), injectable for tests.  *NEXT_MS:
   * the wall-clock time of the next sync this controller needs even
   * without a change (-1: none).  A failure is logged by the agent; the
   * next round retries. */
  int (*sync) (struct controller *c, struct store *s, int64_t now_ms,
               int64_t *next_ms, berth_error_t *err);
  void (*free) (struct controller *c);
};

struct controller
{
  const struct controller_ops *ops;
};

#endif
