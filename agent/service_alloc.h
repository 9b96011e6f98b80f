/* service_alloc.h - what kube-apiserver does to a Service when it is
 * stored: the ClusterIP from the service CIDR (--service-cluster-ip-range)
 * and the NodePorts from the port range (--service-node-port-range),
 * with the allocators' rules:
 *
 *  - the network and broadcast addresses are never handed out, and the
 *    first address (.1 of 10.96.0.0/12) belongs to the `kubernetes`
 *    Service;
 *  - a dynamic allocation picks at random in the upper band of the range
 *    first (KEP-3070 / KEP-3668: the lower min(max(16, size/16), 256)
 *    addresses and min(max(16, size/32), 128) ports are kept for values
 *    users ask for), then in the lower band;
 *  - a value the user asks for is honoured when it is in the range and
 *    free, else the Service is refused with the API server's field error
 *    ("spec.clusterIPs: Invalid value: ...: failed to allocate IP
 *    10.96.0.10: provided IP is already allocated");
 *  - an update keeps what was allocated (patchAllocatedValues).
 *
 * There is no allocator state: what is in use is read from the Services
 * in the store (as the API server's repair loop rebuilds its bitmaps), so
 * the stored objects are the only record and a restart keeps every IP. */
#ifndef BERTH_SERVICE_ALLOC_H
#define BERTH_SERVICE_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

#define SERVICE_DEFAULT_CIDR "10.96.0.0/12"
#define SERVICE_DEFAULT_NODE_PORTS "30000-32767"

struct service_ranges
{
  uint32_t net;  /* network address, host order */
  unsigned bits; /* prefix length */
  uint32_t max;  /* usable addresses: network+1 .. network+max */
  char cidr[20]; /* "10.96.0.0/12" */
  int port_base, port_size;
  char ports[24]; /* "30000-32767" */
};

/* Parse --service-cluster-ip-range (an IPv4 CIDR from /12, the API
 * server's largest, to /29) and --service-node-port-range ("30000-32767",
 * "30000+2767" or one port). */
int service_ranges_parse (struct service_ranges *r, const char *cidr,
                          const char *ports, berth_error_t *err);

/* The API server's error about one field: PATH ("spec.clusterIPs",
 * "spec.ports[0].nodePort"), the VALUE as it prints it, MSG. */
struct service_alloc_error
{
  char path[64];
  char value[96];
  char msg[256];
  /* The repair controller's event for a stored Service holding it:
   * reason ClusterIPAlreadyAllocated, PortOutOfRange, ... */
  char reason[32];
  char event[256];
};

/* Assign what O (a valid Service, changed in place) needs, as the API
 * server does on create (OLD NULL) or update (OLD: the stored version).
 * Values held by other Services of S (not O's namespace/name) are in use.
 * Returns 0, or -1 with *E filled. */
int service_alloc_assign (const struct service_ranges *r, const struct store *s,
                          struct object *o, const struct object *old,
                          struct service_alloc_error *e);

/* "The Service \"web\" is invalid: spec.clusterIPs: Invalid value: ...",
 * as kubectl prints the 422. */
char *service_alloc_error_message (const struct object *o,
                                   const struct service_alloc_error *e);

/* Whether O's allocation is complete (ClusterIP set or None, NodePorts
 * of NodePort/LoadBalancer Services set). */
bool service_alloc_done (const struct object *o);

/* IPv4 helpers shared with the routing code. */
bool service_parse_ip4 (const char *s, uint32_t *out);

#endif
