/* agent_http.h - the agent's API paths beyond the stored objects:
 * /metrics (and /metrics/cadvisor), /stats/summary and
 * /api/v1/namespaces/{ns}/pods/{name}/log; the extra handler of api.h,
 * with the struct agent as its context. */
#ifndef BERTH_AGENT_HTTP_H
#define BERTH_AGENT_HTTP_H

#include <stddef.h>

#include "agent.h"

int agent_http_extra (void *ctx, const char *method, const char *path,
                      const char *(*arg) (void *actx, const char *key),
                      void *actx, char **out, size_t *out_len,
                      const char **content_type);

#endif
