/* job_controller.h - the Job controller (kube-controller-manager's
 * pkg/controller/job, its pod back-off and the ttl-after-finished
 * controller), over the agent's object store.
 *
 * For every Job it creates and deletes the Job's pods and keeps the Job's
 * status (active, ready, terminating, succeeded, failed, completed and
 * failed indexes, conditions, start and completion times) as the real
 * controller does.  Terminated pods are counted exactly once, across agent
 * restarts, with the real controller's protocol: pods carry the
 * batch.kubernetes.io/job-tracking finalizer; a finished pod's UID goes to
 * status.uncountedTerminatedPods first, then its finalizer is removed, then
 * the UID moves into the counters.  Everything is derived from the store
 * (pods, their finalizers, the Job status), so a restart in the middle of
 * any step recounts nothing and loses nothing.
 *
 * It also does what the garbage collector does for Jobs: pods whose Job is
 * gone are deleted.  It owns the pod re-creation back-off records (in
 * memory, as the real controller: a restart forgets them). */
#ifndef BERTH_JOB_CONTROLLER_H
#define BERTH_JOB_CONTROLLER_H

#include "controller.h"

struct controller *job_controller_new (void);

#endif
