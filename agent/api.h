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
#include <sys/types.h>

#include "error.h"
#include "loop.h"
#include "store.h"

struct MHD_Daemon;
struct api_stream;

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
  struct api_stream *streams; /* the streamed replies in progress */
};

/* A reply streamed as its content comes, as the kubelet streams a followed
 * log.  READ puts up to MAX bytes into BUF and returns the count, 0 when
 * nothing is ready yet (the reply waits, without polling, until
 * api_stream_wake), or -1 at the end; FREE is called once the reply is
 * over (the end, the client gone, or the agent stopping). */
struct api_stream_source
{
  ssize_t (*read) (void *ctx, char *buf, size_t max);
  void (*free) (void *ctx);
  void *ctx;
};

/* What an extra handler returns once it has queued a streamed reply. */
#define API_REPLY_QUEUED 1000

/* From an extra handler: reply 200 with CONTENT_TYPE on the connection it
 * was given as ACTX, streaming SRC.  On failure SRC->free is called. */
int api_stream_reply (struct api *a, void *actx,
                      const struct api_stream_source *src,
                      const char *content_type, struct api_stream **out,
                      berth_error_t *err);
/* SRC has something new to read. */
void api_stream_wake (struct api_stream *s);
/* Something changed (the store): every streamed reply looks again. */
void api_streams_wake (struct api *a);

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
