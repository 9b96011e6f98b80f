/* api.h - the agent's HTTP/JSON API, Kubernetes-shaped
 * (/api/v1/namespaces/{ns}/pods/{name}, /apis/batch/v1/..., /healthz),
 * served by libmicrohttpd on a unix socket (mode 0600) and optionally on a
 * loopback TCP address.
 *
 * libmicrohttpd runs without a thread of its own: each daemon uses epoll
 * (MHD_USE_EPOLL) and its epoll fd is one io watcher of the agent's loop,
 * which calls MHD_run when it is readable and arms a timer from
 * MHD_get_timeout.  Requests are therefore handled on the loop's thread and
 * touch the store with no lock and no hand-off.
 *
 * api_handle is the request handler without HTTP, for the unit tests. */
#ifndef BERTH_API_H
#define BERTH_API_H

#include <stddef.h>

#include "error.h"
#include "loop.h"
#include "store.h"

struct MHD_Daemon;

struct api_listener
{
  struct MHD_Daemon *daemon;
  struct loop_watcher io;
  struct loop_watcher timer;
};

struct service_ranges;

struct api
{
  struct store *store;
  struct loop *loop;
  struct api_listener unix_l, tcp_l;
  char *socket_path; /* removed by api_stop */
  /* Paths that are not stored objects (/metrics, /stats/summary, a pod's
   * log), tried first: returns the HTTP status with a malloc'ed body, or 0
   * when PATH is not its.  ARG looks up a query parameter (?container=). */
  int (*extra) (void *ctx, const char *method, const char *path,
                const char *(*arg) (void *actx, const char *key), void *actx,
                char **out, size_t *out_len, const char **content_type);
  void *extra_ctx;
  /* ClusterIP and NodePort allocation for Services written through the
   * API (service_alloc.h); NULL: the services controller does it after. */
  const struct service_ranges *service_ranges;
};

/* Serve on SOCKET_PATH (its parent created, an old socket replaced) and,
 * when LISTEN is set ("PORT", "ADDR:PORT"; ADDR defaults to 127.0.0.1), on
 * TCP. */
int api_start (struct api *a, struct loop *l, struct store *s,
               const char *socket_path, const char *listen, berth_error_t *err);
void api_stop (struct api *a);

/* Handle one request: returns the HTTP status and a malloc'ed body in
 * *OUT (JSON, or "ok" for /healthz) with its *CONTENT_TYPE. */
int api_handle (struct store *s, const char *method, const char *path,
                const char *body, size_t body_len, char **out, size_t *out_len,
                const char **content_type);
/* The same, allocating for Services from R (NULL: no allocation). */
int api_handle_services (struct store *s, const struct service_ranges *r,
                         const char *method, const char *path, const char *body,
                         size_t body_len, char **out, size_t *out_len,
                         const char **content_type);

#endif
