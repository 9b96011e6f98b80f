/* endpoints.h - a Service's endpoints as the EndpointSlice controller
 * (kubernetes/endpointslice reconciler.go, utils.go) and the Endpoints
 * controller (pkg/controller/endpoint) compute them, from the Services and
 * Pods of the store.  Pure functions: no I/O, no state.
 *
 *  - Services without a selector, and ExternalName ones, get none (their
 *    endpoints are the user's).
 *  - A Pod is in when its labels match the selector, it is in the same
 *    namespace, has an IP and is neither Succeeded nor Failed; a
 *    terminating Pod (deletionTimestamp) stays in the slices.
 *  - serving = the Pod's Ready condition is True; terminating = it has a
 *    deletionTimestamp; ready = publishNotReadyAddresses || (serving &&
 *    !terminating).
 *  - Each service port's targetPort is resolved per Pod: a number as is, a
 *    name through the ports of its containers and sidecars with the same
 *    protocol; a Pod without the named port lacks that port.  Pods with the
 *    same resolved ports share a group (one EndpointSlice per group, at most
 *    100 endpoints each; one Endpoints subset per port set).
 *  - The legacy Endpoints: ready Pods under addresses, the others under
 *    notReadyAddresses; terminating Pods only with publishNotReadyAddresses;
 *    at most 1000 addresses (annotation endpoints.kubernetes.io/over-capacity).
 *
 * The objects are shaped as the API server serves them; their names, uids
 * and creation times derive from the Service (the slices' random name
 * suffixes are a hash of the Service's uid), so they stay the same across
 * agent restarts. */
#ifndef BERTH_ENDPOINTS_H
#define BERTH_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "store.h"

#define ENDPOINTS_MAX_PER_SLICE 100
#define ENDPOINTS_MAX_CAPACITY 1000

struct endpoint_port
{
  const char *name; /* the service port's name ("" when unnamed) */
  const char *protocol;
  const char *app_protocol; /* NULL when unset */
  int64_t port;
};

struct endpoint
{
  const char *ip;
  bool ready, serving, terminating;
  const struct store_entry *pod;
  const char *hostname; /* set when the Pod's hostname/subdomain match */
};

/* Endpoints that resolve the service ports to the same numbers. */
struct endpoint_group
{
  struct endpoint_port *ports;
  size_t nports;
  struct endpoint *eps;
  size_t neps;
};

struct service_endpoints
{
  const struct store_entry *svc;
  bool managed; /* false: no selector or ExternalName, no endpoints */
  struct endpoint_group *groups;
  size_t ngroups;
};

/* Compute SVC's endpoints from the Pods of S.  OUT refers into S: use it
 * before S changes. */
void endpoints_compute (const struct store *s, const struct store_entry *svc,
                        struct service_endpoints *out);
void endpoints_free (struct service_endpoints *e);
/* E as computed with POD's Ready condition SERVING instead of the stored
 * one (a readiness change not yet written to the status): serving and
 * ready of POD's endpoints, by the rules above. */
void endpoints_set_serving (struct service_endpoints *e,
                            const struct store_entry *pod, bool serving);

/* Does POD (a Pod entry) match SVC's selector (same namespace)? */
bool endpoints_selects (const struct store_entry *svc,
                        const struct store_entry *pod);

/* The Pod's Ready condition is True. */
bool endpoints_pod_ready (const struct store_entry *pod);

/* The EndpointSlices of E (discovery.k8s.io/v1 objects, appended to SEQ):
 * one per group and 100 endpoints, or one placeholder without endpoints.
 * RV: the resourceVersion to show. */
void endpoints_encode_slices (const struct service_endpoints *e, uint64_t rv,
                              struct node *seq);
/* The v1 Endpoints object of E. */
struct node *endpoints_encode_v1 (const struct service_endpoints *e,
                                  uint64_t rv);

/* The API's view: an EndpointSliceList / EndpointsList of namespace NS
 * (NULL: all), or with NAME the one object (NULL when there is none).
 * SLICES picks the kind. */
struct node *endpoints_api_get (const struct store *s, bool slices,
                                const char *ns, const char *name);

#endif
