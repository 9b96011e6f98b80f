/* source_url.h - manifest URLs (the kubelet's --manifest-url, staticPodURL):
 * each URL is fetched with libcurl at start and then httpCheckFrequency
 * after the previous request ended, and its body is read as a manifest
 * stream (one object, several YAML documents, a List or PodList).
 *
 * The requests run in the agent's loop through the curl multi interface:
 * curl's sockets become io watchers and its timeout a timerfd, so a slow or
 * dead server never blocks the loop, and nothing else needs a thread or a
 * lock.  Requests carry the configured headers, If-None-Match and
 * If-Modified-Since: a 304, or a body equal to the last one, changes
 * nothing and is not parsed again.
 *
 * A good body replaces the URL's set (source_set.h): pods get the kubelet's
 * defaults for http pods (uid from the pod and "url:<URL>", name suffixed
 * with the node name, config.source "http"); each object's source is
 * "url:<URL>".  A request that fails (unreachable, timeout, TLS, any status
 * but 200 and 304, a body of 10 MiB or more, one that does not parse or
 * holds an invalid object) keeps the last good set and records a Warning
 * event (reason FailedToLoad) naming the URL and the cause; the agent logs
 * the first three failures in a row and the recovery, as the kubelet does.
 * An empty body (status 200) is the kubelet's empty set: the URL's objects
 * are removed, and the event says so. */
#ifndef BERTH_SOURCE_URL_H
#define BERTH_SOURCE_URL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "loop.h"
#include "store.h"

/* The kubelet's httpCheckFrequency and its client's timeout. */
#define SOURCE_URL_DEFAULT_PERIOD_MS 20000
#define SOURCE_URL_TIMEOUT_MS 10000

struct source_url_options
{
  const char *const *urls;
  size_t nurls;
  const char *const *headers; /* "Key: Value" lines (source_url_headers) */
  size_t nheaders;
  int64_t period_ms;
  int64_t timeout_ms;
  const char *cacert; /* CA bundle instead of the system's */
  const char *cert;   /* client certificate (PEM) */
  const char *key;    /* its key, when not in CERT */
  bool insecure;      /* skip the server certificate's verification */
};

/* One request's outcome, as source_url_handle reads it. */
struct source_url_response
{
  const char *error;       /* the transfer failed: curl's message */
  long status;             /* HTTP status code */
  const char *status_text; /* "404 Not Found" */
  const char *body;
  size_t len;
  bool too_big; /* the body reached SOURCE_MAX_BYTES */
  const char *etag, *last_modified;
};

struct source_url;

struct source_url_target
{
  struct source_url *owner;
  char *url;
  char *source;              /* "url:<URL>" */
  struct loop_watcher poll;  /* the next request */
  CURL *easy;                /* the request in flight, or NULL */
  struct curl_slist *header; /* its headers */
  char errbuf[CURL_ERROR_SIZE];
  /* the response being read */
  char *body;
  size_t len, cap;
  bool too_big;
  char *status_text, *etag_in, *last_modified_in;
  /* the last body read (status 200) */
  char *etag, *last_modified;
  uint64_t hash;
  bool have_body, body_ok;
  unsigned failures; /* in a row */
};

struct source_url_socket;

struct source_url
{
  struct loop *loop;
  struct store *store;
  char *node_name;
  struct source_url_options opt; /* deep copy */
  CURLM *multi;
  struct loop_watcher timer; /* curl's timeout */
  struct source_url_socket *sockets;
  size_t n;
  struct source_url_target *targets;
};

/* Split one --manifest-url-header value, the kubelet's "a:hello,b:again"
 * (comma-separated Key:Value pairs, blanks around each trimmed), into
 * "Key: Value" lines appended to *LINES (N of them, caller frees each and
 * the array). */
int source_url_headers (const char *flag, char ***lines, size_t *n,
                        berth_error_t *err);

/* Fetch every URL of OPT now, then every OPT->period_ms. */
int source_url_start (struct source_url *u, struct loop *l, struct store *s,
                      const struct source_url_options *opt,
                      const char *node_name, berth_error_t *err);
void source_url_stop (struct source_url *u);

/* Apply one response to T's set (also for tests: U zeroed but for store
 * and node_name, T from source_url_target_init). */
void source_url_handle (struct source_url_target *t,
                        const struct source_url_response *r);
void source_url_target_init (struct source_url_target *t,
                             struct source_url *owner, const char *url);
void source_url_target_free (struct source_url_target *t);

#endif
