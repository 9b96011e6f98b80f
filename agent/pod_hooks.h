/* pod_hooks.h - the containers' lifecycle hooks as the kubelet runs them
 * (kuberuntime_container.go, lifecycle/handlers.go): postStart right after
 * a container started (a failure kills it, reason FailedPostStartHook, and
 * it restarts per the pod's policy), preStop before the stop signal, within
 * the grace period (the signal follows when it ends, with at least 2 s
 * left).  exec and httpGet run on the prober's runners (in the container's
 * namespaces, in the pod's network namespace), sleep on a loop timer.
 *
 * Owns one run at a time per container instance; reports through a
 * callback on the loop.  Never blocks the loop. */
#ifndef BERTH_POD_HOOKS_H
#define BERTH_POD_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "probe.h"
#include "types.h"

enum hook_kind
{
  HOOK_POST_START,
  HOOK_PRE_STOP,
};

struct hook_run;

/* OK: the handler succeeded; MESSAGE: the kubelet's message of a failure
 * (NULL on success). */
typedef void (*hook_done_cb) (void *ctx, enum hook_kind kind, bool ok,
                              const char *message);

/* Run HANDLER of container C (TARGET: where, borrowed until DONE) with a
 * budget of TIMEOUT_S seconds.  DONE is called once, from the loop, unless
 * the run is cancelled.  Returns NULL (and calls nothing) when there is
 * nothing to run. */
struct hook_run *
hook_start (struct loop *l, struct probe_runner *runner, enum hook_kind kind,
            const struct lifecycle_handler *handler, const struct container *c,
            const struct probe_target *target, int64_t timeout_s,
            hook_done_cb done, void *ctx, berth_error_t *err);
void hook_cancel (struct hook_run *h);

/* "PostStartHook" / "PreStopHook". */
const char *hook_name (enum hook_kind k);

#endif
