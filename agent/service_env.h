/* service_env.h - the environment variables the kubelet gives containers
 * for Services (pkg/kubelet/envvars, getServiceEnvVarMap):
 * NAME_SERVICE_HOST, NAME_SERVICE_PORT, NAME_SERVICE_PORT_<PORT NAME> and
 * the Docker-link variables NAME_PORT, NAME_PORT_<port>_<PROTO>[_PROTO,
 * _PORT, _ADDR], for the Services of the pod's namespace that have a
 * cluster IP (with enableServiceLinks, the default) and for the
 * "kubernetes" Service of the default namespace (always).
 */
#ifndef BERTH_SERVICE_ENV_H
#define BERTH_SERVICE_ENV_H

#include <stddef.h>

#include "command.h"
#include "types.h"

/* Add the variables for POD from SERVICES (N of them) to OUT.  The
 * container's own env and envFrom, set after them, replace any of the same
 * name, and can refer to them with $(VAR), as in the kubelet. */
void service_env_add (const struct pod *pod,
                      const struct service *const *services, size_t n,
                      struct command_env *out);

#endif
