/* probe.h - running one probe, asynchronously, as the kubelet's pkg/probe
 * does: exec (in the container, through container_exec.h), httpGet and
 * grpc (libcurl's multi interface, sockets opened in the pod's network
 * namespace), tcpSocket (a non-blocking connect in the pod's network
 * namespace).  Every probe runs on the agent's loop (loop.h): nothing
 * blocks it and any number run at once.
 *
 * Owns the executors and their outcome (pkg/probe's Result, output and
 * error).  Knows nothing of workers, thresholds or results per container
 * (prober.h); never kills containers.
 */
#ifndef BERTH_PROBE_H
#define BERTH_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"
#include "types.h"

/* The Kubernetes version berth's probes claim: User-Agent kube-probe/x.y. */
#define PROBE_KUBE_VERSION "1.36"
#define PROBE_USER_AGENT "kube-probe/" PROBE_KUBE_VERSION
/* pkg/probe: at most 10 KiB of output or body is kept. */
#define PROBE_MAX_OUTPUT 10240

/* pkg/probe.Result. */
enum probe_outcome
{
  PROBE_OUT_SUCCESS,
  PROBE_OUT_WARNING,
  PROBE_OUT_FAILURE,
  PROBE_OUT_UNKNOWN,
};

/* Where a probe goes: the container instance and its pod. */
struct probe_target
{
  const char *net_ns; /* the pod's netns file; NULL: the host's (hostNetwork) */
  const char *pod_ip; /* default host of httpGet, tcpSocket, grpc; NULL
                         (no CNI): the pod's loopback, where Go's dial of
                         an empty host goes */
  pid_t pid;          /* the container's init, in the agent's pid ns */
  const char *cgroup_dir;   /* the container's cgroup, or NULL */
  const char *instance_dir; /* the container's instance dir (process.json) */
};

/* One probe to run.  Everything is borrowed until the callback. */
struct probe_call
{
  const struct probe *spec;
  const struct container *container; /* ports (named ports), env ($(VAR)) */
  const struct probe_target *target;
};

/* OUTPUT: pkg/probe's output (the message of a Failure or Warning);
 * ERROR: non-NULL when the probe errored (the kubelet retries, then
 * records "probe errored" and discards the result). */
typedef void (*probe_done_cb) (void *ctx, enum probe_outcome outcome,
                               const char *output, const char *error);

struct probe_runner;
struct probe_run;

int probe_runner_new (struct loop *l, struct probe_runner **out,
                      berth_error_t *err);
void probe_runner_free (struct probe_runner *r);

/* Start CALL; DONE is called exactly once, from the loop (never from
 * inside probe_run_start), unless the run is cancelled first.  *RUN is
 * valid until DONE is called or probe_run_cancel. */
int probe_run_start (struct probe_runner *r, const struct probe_call *call,
                     probe_done_cb done, void *ctx, struct probe_run **run,
                     berth_error_t *err);
/* Stop RUN (kills an exec probe's process); DONE is not called. */
void probe_run_cancel (struct probe_run *run);

const char *probe_outcome_name (enum probe_outcome o);

/* ---- internals shared by probe_*.c ---- */

/* The port of an httpGet or tcpSocket action: a number, or a name
 * resolved against the container's ports (pkg/probe/util.go's
 * ResolveContainerPort, with its messages).  Returns the port or -1. */
int probe_resolve_port (const struct int_or_string *port,
                        const struct container *c, berth_error_t *err);

/* The host a probe without one dials: the pod IP, or 127.0.0.1. */
const char *probe_default_host (const struct probe_target *t);

/* The gRPC health protocol (grpc.health.v1): the framed request for
 * SERVICE, and the status in a framed response (-1: malformed). */
size_t probe_grpc_encode_request (const char *service, uint8_t *buf,
                                  size_t size);
int probe_grpc_decode_response (const uint8_t *buf, size_t len, int *status);
/* UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN. */
const char *probe_grpc_status_name (int status);

#endif
