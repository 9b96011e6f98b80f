/* probe_http.c - the httpGet and grpc probes on libcurl's multi interface,
 * driven by the agent's loop (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), each
 * socket opened in the pod's network namespace (CURLOPT_OPENSOCKETFUNCTION).
 * httpGet follows pkg/probe/http (request.go, http.go): headers, no
 * keep-alive, no proxy, no TLS verification, same-host redirects only (at
 * most 10 requests), 10 KiB of body, 200-399.  grpc follows
 * pkg/probe/grpc: Health/Check over HTTP/2 cleartext, SERVING. */
#include "probe_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

struct curl_sock
{
  struct probe_runner *r;
  curl_socket_t fd;
  struct loop_watcher w;
};

/* ---- the multi handle on the loop ---- */

static void check_done (struct probe_runner *r);

static void
sock_cb_io (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct curl_sock *s = w->data;
  struct probe_runner *r = s->r;
  int mask = 0;
  (void)l;

  if (events & EPOLLIN)
    mask |= CURL_CSELECT_IN;
  if (events & EPOLLOUT)
    mask |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP))
    mask |= CURL_CSELECT_ERR;
  /* S may be freed inside: it is not used after this call. */
  curl_multi_socket_action (r->multi, s->fd, mask, &r->still_running);
  check_done (r);
}

static int
socket_fn (CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  struct probe_runner *r = userp;
  struct curl_sock *s = socketp;
  berth_error_t err = NULL;
  uint32_t ev = 0;
  (void)easy;

  if (what == CURL_POLL_REMOVE)
    {
      if (s)
        {
          loop_watcher_del (&s->w);
          curl_multi_assign (r->multi, fd, NULL);
          free (s);
        }
      return 0;
    }
  if (s == NULL)
    {
      s = calloc (1, sizeof (*s));
      if (s == NULL)
        abort ();
      s->r = r;
      s->fd = fd;
      s->w.fd = -1;
      curl_multi_assign (r->multi, fd, s);
    }
  loop_watcher_del (&s->w);
  if (what & CURL_POLL_IN)
    ev |= EPOLLIN;
  if (what & CURL_POLL_OUT)
    ev |= EPOLLOUT;
  if (loop_io_add (r->loop, &s->w, fd, ev, sock_cb_io, s, &err) < 0)
    {
      berth_error_release (&err);
      return -1;
    }
  return 0;
}

static void
timer_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct probe_runner *r = w->data;
  (void)l;
  (void)events;
  curl_multi_socket_action (r->multi, CURL_SOCKET_TIMEOUT, 0,
                            &r->still_running);
  check_done (r);
}

static int
timer_fn (CURLM *multi, long timeout_ms, void *userp)
{
  struct probe_runner *r = userp;
  berth_error_t err = NULL;
  (void)multi;

  /* 0: "now", which must not recurse into curl: the next loop turn. */
  if (loop_timer_set (&r->curl_timer,
                      timeout_ms < 0 ? 0 : timeout_ms + !timeout_ms, 0, &err)
      < 0)
    {
      berth_error_release (&err);
      return -1;
    }
  return 0;
}

int
probe_http_init (struct probe_runner *r, berth_error_t *err)
{
  if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return berth_error_make (err, EIO, "curl_global_init failed");
  r->multi = curl_multi_init ();
  if (r->multi == NULL)
    return berth_error_make (err, ENOMEM, "curl_multi_init failed");
  curl_multi_setopt (r->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
  curl_multi_setopt (r->multi, CURLMOPT_SOCKETDATA, r);
  curl_multi_setopt (r->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
  curl_multi_setopt (r->multi, CURLMOPT_TIMERDATA, r);
  if (r->loop
      && loop_timer_add (r->loop, &r->curl_timer, 0, 0, timer_cb, r, err) < 0)
    {
      curl_multi_cleanup (r->multi);
      return -1;
    }
  return 0;
}

void
probe_http_cleanup (struct probe_runner *r)
{
  loop_watcher_del (&r->curl_timer);
  if (r->multi)
    curl_multi_cleanup (r->multi);
  r->multi = NULL;
}

void
probe_http_release (struct probe_run *run)
{
  if (run->easy)
    {
      curl_multi_remove_handle (run->r->multi, run->easy);
      curl_easy_cleanup (run->easy);
      run->easy = NULL;
    }
  curl_slist_free_all (run->headers);
  run->headers = NULL;
  free (run->url);
  free (run->orig_host);
  free (run->grpc_message);
  free (run->body);
  run->url = run->orig_host = run->grpc_message = run->body = NULL;
}

/* ---- one easy handle ---- */

static curl_socket_t
open_socket_fn (void *clientp, curlsocktype purpose,
                struct curl_sockaddr *address)
{
  struct probe_run *run = clientp;
  berth_error_t err = NULL;
  int fd;
  (void)purpose;

  fd = probe_socket_in_netns (run, address->family, address->socktype, &err);
  if (fd < 0)
    {
      berth_error_release (&err);
      return CURL_SOCKET_BAD;
    }
  return fd;
}

static int
close_socket_fn (void *clientp, curl_socket_t fd)
{
  probe_close_socket (clientp, fd);
  return 0;
}

static size_t
write_fn (char *data, size_t size, size_t n, void *userp)
{
  struct probe_run *run = userp;
  size_t len = size * n, keep;

  if (run->body == NULL)
    run->body = malloc (PROBE_MAX_OUTPUT + 1);
  keep = PROBE_MAX_OUTPUT - run->body_len;
  if (len < keep)
    keep = len;
  memcpy (run->body + run->body_len, data, keep);
  run->body_len += keep;
  run->body[run->body_len] = '\0';
  if (keep < len && run->type == RUN_HTTP)
    {
      run->truncated = true; /* ReadAtMost: not fatal */
      return 0;
    }
  return len;
}

/* grpc-status and grpc-message arrive as headers (trailers-only) or
 * trailers; curl hands both to the header callback. */
static size_t
header_fn (char *data, size_t size, size_t n, void *userp)
{
  struct probe_run *run = userp;
  size_t len = size * n;

  if (len > 12 && strncasecmp (data, "grpc-status:", 12) == 0)
    run->grpc_status = atoi (data + 12);
  else if (len > 13 && strncasecmp (data, "grpc-message:", 13) == 0)
    {
      const char *v = data + 13;
      size_t vl = len - 13;
      while (vl && (*v == ' '))
        v++, vl--;
      while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
      free (run->grpc_message);
      run->grpc_message = strndup (v, vl);
    }
  return len;
}

static int
remaining_ms (const struct probe_run *run)
{
  int64_t left = run->deadline_ms - loop_now_ms ();
  return left > 1 ? (int)left : 1;
}

static int
easy_setup (struct probe_run *run, berth_error_t *err)
{
  run->easy = curl_easy_init ();
  if (run->easy == NULL)
    return berth_error_make (err, ENOMEM, "curl_easy_init failed");
  curl_easy_setopt (run->easy, CURLOPT_PRIVATE, run);
  curl_easy_setopt (run->easy, CURLOPT_URL, run->url);
  curl_easy_setopt (run->easy, CURLOPT_OPENSOCKETFUNCTION, open_socket_fn);
  curl_easy_setopt (run->easy, CURLOPT_OPENSOCKETDATA, run);
  curl_easy_setopt (run->easy, CURLOPT_CLOSESOCKETFUNCTION, close_socket_fn);
  curl_easy_setopt (run->easy, CURLOPT_CLOSESOCKETDATA, run->r);
  curl_easy_setopt (run->easy, CURLOPT_WRITEFUNCTION, write_fn);
  curl_easy_setopt (run->easy, CURLOPT_WRITEDATA, run);
  curl_easy_setopt (run->easy, CURLOPT_HEADERFUNCTION, header_fn);
  curl_easy_setopt (run->easy, CURLOPT_HEADERDATA, run);
  curl_easy_setopt (run->easy, CURLOPT_HTTPHEADER, run->headers);
  curl_easy_setopt (run->easy, CURLOPT_TIMEOUT_MS, (long)remaining_ms (run));
  curl_easy_setopt (run->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (run->easy, CURLOPT_PROXY, "");
  curl_easy_setopt (run->easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt (run->easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt (run->easy, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt (run->easy, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt (run->easy, CURLOPT_PROTOCOLS_STR, "http,https");
  return 0;
}

static int
easy_add (struct probe_run *run, berth_error_t *err)
{
  if (curl_multi_add_handle (run->r->multi, run->easy) != CURLM_OK)
    return berth_error_make (err, EIO, "curl_multi_add_handle failed");
  return 0;
}

static char *
url_host (const char *url)
{
  CURLU *u = curl_url ();
  char *host = NULL, *r = NULL;

  if (u && curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
    r = strdup (host);
  curl_free (host);
  curl_url_cleanup (u);
  return r;
}

/* The host and port a URL dials (the port defaulted by scheme). */
static char *
url_addr (const char *url)
{
  CURLU *u = curl_url ();
  char *host = NULL, *port = NULL, *r = NULL;

  if (u && curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)
             == CURLUE_OK
      && asprintf (&r, "%s:%s", host, port) < 0)
    abort ();
  curl_free (host);
  curl_free (port);
  curl_url_cleanup (u);
  return r;
}

/* Go's client.Do error, as the probe's output: Get "URL": ... */
static void
http_error (struct probe_run *run, CURLcode rc)
{
  cleanup_free char *msg = NULL, *addr = NULL;
  long oserr = 0;
  char buf[128];

  curl_easy_getinfo (run->easy, CURLINFO_OS_ERRNO, &oserr);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    {
      if (asprintf (&msg,
                    "Get \"%s\": context deadline exceeded "
                    "(Client.Timeout exceeded while awaiting headers)",
                    run->url)
          < 0)
        abort ();
    }
  else if (rc == CURLE_COULDNT_CONNECT && oserr
           && (addr = url_addr (run->url)) != NULL)
    {
      probe_go_errno ((int)oserr, buf, sizeof (buf));
      if (asprintf (&msg, "Get \"%s\": dial tcp %s: connect: %s", run->url,
                    addr, buf)
          < 0)
        abort ();
    }
  else if (asprintf (&msg, "Get \"%s\": %s", run->url, curl_easy_strerror (rc))
           < 0)
    abort ();
  probe_run_finish (run, PROBE_OUT_FAILURE, msg, NULL);
}

static void
http_done (struct probe_run *run, CURLcode rc)
{
  cleanup_free char *msg = NULL, *host = NULL;
  char *location = NULL;
  long code = 0;

  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && run->truncated))
    {
      http_error (run, rc);
      return;
    }
  curl_easy_getinfo (run->easy, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo (run->easy, CURLINFO_REDIRECT_URL, &location);
  if (code >= 300 && code < 400 && location != NULL
      && (host = url_host (location)) != NULL
      && strcmp (host, run->orig_host) == 0)
    {
      /* RedirectChecker: same host, and at most 10 requests */
      free (run->url);
      run->url = strdup (location);
      if (run->n_requests >= 10)
        {
          if (asprintf (&msg, "Get \"%s\": stopped after 10 redirects",
                        run->url)
              < 0)
            abort ();
          probe_run_finish (run, PROBE_OUT_FAILURE, msg, NULL);
          return;
        }
      run->n_requests++;
      run->body_len = 0;
      curl_multi_remove_handle (run->r->multi, run->easy);
      curl_easy_setopt (run->easy, CURLOPT_URL, run->url);
      curl_easy_setopt (run->easy, CURLOPT_TIMEOUT_MS,
                        (long)remaining_ms (run));
      curl_multi_add_handle (run->r->multi, run->easy);
      return;
    }
  if (code >= 200 && code < 400)
    {
      if (code >= 300)
        {
          if (asprintf (&msg, "Probe terminated redirects, Response body: %s",
                        run->body ? run->body : "")
              < 0)
            abort ();
          probe_run_finish (run, PROBE_OUT_WARNING, msg, NULL);
          return;
        }
      probe_run_finish (run, PROBE_OUT_SUCCESS, run->body ? run->body : "",
                        NULL);
      return;
    }
  if (asprintf (&msg, "HTTP probe failed with statuscode: %ld", code) < 0)
    abort ();
  probe_run_finish (run, PROBE_OUT_FAILURE, msg, NULL);
}

static const char *
grpc_code_name (int c)
{
  static const char *const names[] = { "OK",
                                       "Canceled",
                                       "Unknown",
                                       "InvalidArgument",
                                       "DeadlineExceeded",
                                       "NotFound",
                                       "AlreadyExists",
                                       "PermissionDenied",
                                       "ResourceExhausted",
                                       "FailedPrecondition",
                                       "Aborted",
                                       "OutOfRange",
                                       "Unimplemented",
                                       "Internal",
                                       "Unavailable",
                                       "DataLoss",
                                       "Unauthenticated" };
  return c >= 0 && c < 17 ? names[c] : "Unknown";
}

static void
grpc_done (struct probe_run *run, CURLcode rc)
{
  cleanup_free char *msg = NULL;
  const char *addr = run->addr;
  char dur[32];
  int status = 0, r;

  probe_go_seconds (run->timeout_ms / 1000, dur, sizeof (dur));
  if (rc == CURLE_COULDNT_CONNECT
      || (rc != CURLE_OK && run->body_len == 0
          && rc != CURLE_OPERATION_TIMEDOUT))
    {
      /* grpc.WithBlock: the dial retries until its deadline */
      r = asprintf (&msg,
                    "timeout: failed to connect service \"%s\" within %s: "
                    "context deadline exceeded",
                    addr, dur);
      if (r < 0)
        abort ();
      probe_run_finish_at (run, run->deadline_ms - loop_now_ms (),
                           PROBE_OUT_FAILURE, msg, NULL);
      return;
    }
  if (rc == CURLE_OPERATION_TIMEDOUT || run->grpc_status == 4)
    r = asprintf (&msg, "timeout: health rpc did not complete within %s", dur);
  else if (run->grpc_status == 12)
    r = asprintf (&msg,
                  "this server does not implement the grpc health protocol "
                  "(grpc.health.v1.Health): %s",
                  run->grpc_message ? run->grpc_message : "");
  else if (run->grpc_status != 0 || rc != CURLE_OK)
    r = asprintf (&msg,
                  "error: health rpc probe failed: rpc error: code = %s "
                  "desc = %s",
                  grpc_code_name (rc != CURLE_OK ? 14 : run->grpc_status),
                  rc != CURLE_OK      ? curl_easy_strerror (rc)
                  : run->grpc_message ? run->grpc_message
                                      : "");
  else if (probe_grpc_decode_response ((const uint8_t *)run->body,
                                       run->body_len, &status)
           < 0)
    r = asprintf (&msg,
                  "error: health rpc probe failed: rpc error: code = "
                  "Internal desc = grpc: failed to unmarshal the received "
                  "message");
  else if (status != 1)
    r = asprintf (&msg, "service unhealthy (responded with \"%s\")",
                  probe_grpc_status_name (status));
  else
    {
      probe_run_finish (run, PROBE_OUT_SUCCESS, "service healthy", NULL);
      return;
    }
  if (r < 0)
    abort ();
  probe_run_finish (run, PROBE_OUT_FAILURE, msg, NULL);
}

static void
check_done (struct probe_runner *r)
{
  struct probe_run *run;
  CURLMsg *m;
  int left;

  while ((m = curl_multi_info_read (r->multi, &left)) != NULL)
    {
      if (m->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (m->easy_handle, CURLINFO_PRIVATE, (char **)&run);
      if (run->type == RUN_GRPC)
        grpc_done (run, m->data.result);
      else
        http_done (run, m->data.result);
    }
}

/* ---- starting ---- */

static bool
has_header (const struct http_get_action *a, const char *name)
{
  for (size_t i = 0; i < a->http_headers.len; i++)
    if (a->http_headers.items[i].name
        && strcasecmp (a->http_headers.items[i].name, name) == 0)
      return true;
  return false;
}

static void
build_headers (struct probe_run *run, const struct http_get_action *a)
{
  cleanup_free char *h = NULL;
  size_t i;

  for (i = 0; i < a->http_headers.len; i++)
    {
      const struct http_header *hd = &a->http_headers.items[i];
      if (hd->name == NULL)
        continue;
      /* an empty value: curl needs "Name;" to send it, "Name:" removes */
      if (asprintf (&h, hd->value && *hd->value ? "%s: %s" : "%s;", hd->name,
                    hd->value)
          < 0)
        abort ();
      if (strcasecmp (hd->name, "Accept") == 0 && !(hd->value && *hd->value))
        {
          free (h);
          h = strdup ("Accept:"); /* a user-set empty Accept removes it */
        }
      run->headers = curl_slist_append (run->headers, h);
      free (steal_pointer (&h));
    }
  if (!has_header (a, "User-Agent"))
    run->headers
        = curl_slist_append (run->headers, "User-Agent: " PROBE_USER_AGENT);
  if (!has_header (a, "Accept"))
    run->headers = curl_slist_append (run->headers, "Accept: */*");
  run->headers = curl_slist_append (run->headers, "Connection: close");
}

int
probe_http_start (struct probe_run *run, const struct probe_call *call,
                  berth_error_t *err)
{
  const struct http_get_action *a = call->spec->http_get;
  const char *host
      = a->host && *a->host ? a->host : probe_default_host (call->target);
  cleanup_free char *scheme = NULL, *hp = NULL;
  int port;

  port = probe_resolve_port (&a->port, call->container, err);
  if (port < 0)
    return -1;
  scheme = strdup (a->scheme && *a->scheme ? a->scheme : "http");
  for (char *s = scheme; *s; s++)
    *s = (char)tolower ((unsigned char)*s);
  hp = probe_join_host_port (host, port);
  if (asprintf (&run->url, "%s://%s%s%s", scheme, hp,
                a->path && a->path[0] && a->path[0] != '/' ? "/" : "",
                a->path ? a->path : "")
      < 0)
    abort ();
  run->orig_host = url_host (run->url);
  if (run->orig_host == NULL)
    return berth_error_make (err, EINVAL, "parse %s: invalid URL", run->url);
  run->n_requests = 1;
  build_headers (run, a);
  if (easy_setup (run, err) < 0)
    return -1;
  return easy_add (run, err);
}

int
probe_grpc_start (struct probe_run *run, const struct probe_call *call,
                  berth_error_t *err)
{
  const struct grpc_action *a = call->spec->grpc;
  const char *host = probe_default_host (call->target);
  uint8_t req[512];
  size_t n;
  char h[64];

  run->addr = probe_join_host_port (host, (int)a->port.v);
  run->orig_host = strdup (host);
  if (asprintf (&run->url, "http://%s/grpc.health.v1.Health/Check", run->addr)
      < 0)
    abort ();
  n = probe_grpc_encode_request (a->service, req, sizeof (req));
  if (n == 0)
    return berth_error_make (err, EINVAL, "grpc service name too long");
  run->headers
      = curl_slist_append (run->headers, "Content-Type: application/grpc");
  run->headers = curl_slist_append (run->headers, "TE: trailers");
  run->headers
      = curl_slist_append (run->headers, "User-Agent: " PROBE_USER_AGENT);
  snprintf (h, sizeof (h), "grpc-timeout: %dm", run->timeout_ms);
  run->headers = curl_slist_append (run->headers, h);
  run->headers = curl_slist_append (run->headers, "Accept:");
  if (easy_setup (run, err) < 0)
    return -1;
  curl_easy_setopt (run->easy, CURLOPT_HTTP_VERSION,
                    (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
  curl_easy_setopt (run->easy, CURLOPT_POSTFIELDSIZE, (long)n);
  curl_easy_setopt (run->easy, CURLOPT_COPYPOSTFIELDS, req);
  return easy_add (run, err);
}
