/* source_url.c - see source_url.h. */
#include "source_url.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "cleanup.h"
#include "codec.h"
#include "node.h"
#include "source_set.h"

/* The kubelet logs the first three failures in a row, then stays quiet
 * until the URL is read again. */
#define SOURCE_URL_LOGGED_FAILURES 3

struct source_url_socket
{
  struct loop_watcher w;
  struct source_url *owner;
  curl_socket_t fd;
  struct source_url_socket *next;
};

static char *
trimmed (const char *s, size_t len)
{
  char *r;
  while (len > 0 && (*s == ' ' || *s == '\t'))
    s++, len--;
  while (len > 0
         && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'
             || s[len - 1] == '\n'))
    len--;
  r = strndup (s, len);
  if (r == NULL)
    abort ();
  return r;
}

/* As the kubelet's ColonSeparatedMultimapStringString: empty pairs are
 * skipped, a pair without ':' is an error, key and value are trimmed. */
int
source_url_headers (const char *flag, char ***lines, size_t *n,
                    berth_error_t *err)
{
  const char *p = flag;
  while (*p)
    {
      size_t plen = strcspn (p, ",");
      const char *colon = memchr (p, ':', plen);
      cleanup_free char *key = NULL, *value = NULL;
      char **grown;
      if (plen > 0 && colon == NULL)
        return berth_error_make (
            err, EINVAL, "%s: malformed pair, expect string:string", flag);
      if (plen > 0)
        {
          key = trimmed (p, (size_t)(colon - p));
          value = trimmed (colon + 1, (size_t)(p + plen - colon - 1));
          if (*key == '\0')
            return berth_error_make (err, EINVAL, "%s: empty header name",
                                     flag);
          grown = reallocarray (*lines, *n + 1, sizeof (**lines));
          if (grown == NULL)
            abort ();
          *lines = grown;
          if (asprintf (&(*lines)[(*n)++], "%s: %s", key, value) < 0)
            abort ();
        }
      p += plen;
      if (*p == ',')
        p++;
    }
  return 0;
}

/* ---- the kubelet's applyDefaults for http pods ---- */

/* md5 over the pod as read and "url:<URL>", in hex. */
static char *
url_pod_uid (const struct object *pod, const char *url)
{
  struct node *n = object_encode (pod);
  cleanup_free char *json = NULL, *data = NULL;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  size_t len = 0;
  berth_error_t err = NULL;
  char *hex;

  if (node_write_json (n, false, &json, &len, &err) < 0)
    {
      berth_error_release (&err); /* not for a decoded object */
      json = xstrdup (object_name (pod));
    }
  node_unref (n);
  if (asprintf (&data, "%surl:%s", json, url) < 0)
    abort ();
  if (EVP_Digest (data, strlen (data), md, &mdlen, EVP_md5 (), NULL) != 1)
    abort ();
  hex = xcalloc (mdlen * 2 + 1, 1);
  for (unsigned i = 0; i < mdlen; i++)
    snprintf (hex + i * 2, 3, "%02x", md[i]);
  return hex;
}

/* An http pod differs from a file pod (store_static_pod_defaults) in
 * three ways: a uid it carries is kept, and otherwise the hash leaves the
 * host out; config.source is "http"; there is no NoExecute toleration. */
static void
url_pod_defaults (struct object *pod, const struct source_set *set)
{
  struct pod *p = pod->data;
  struct object_meta *m = &p->metadata;
  cleanup_free char *uid
      = m->uid && *m->uid ? xstrdup (m->uid) : url_pod_uid (pod, set->where);
  size_t ntol = p->spec.tolerations.len;

  store_static_pod_defaults (pod, set->node_name, set->where, loop_wall_ms ());
  free (m->uid);
  m->uid = xstrdup (uid);
  strmap_set (&m->annotations, "kubernetes.io/config.hash", uid);
  strmap_set (&m->annotations, "kubernetes.io/config.source", "http");
  while (p->spec.tolerations.len > ntol)
    {
      struct toleration *t
          = &p->spec.tolerations.items[--p->spec.tolerations.len];
      free (t->operator);
      free (t->effect);
    }
}

/* ---- one response ---- */

static void
target_ok (struct source_url_target *t)
{
  if (t->failures > 0)
    agent_log ("%s: read pods from the URL again", t->url);
  t->failures = 0;
}

static void
target_failed (struct source_url_target *t, const char *msg)
{
  if (t->failures < SOURCE_URL_LOGGED_FAILURES)
    agent_log ("failed to read pods from URL: %s", msg);
  else if (t->failures == SOURCE_URL_LOGGED_FAILURES)
    agent_log ("failed to read pods from URL (not logged again until it "
               "succeeds): %s",
               msg);
  t->failures++;
}

static void
replace_str (char **dst, const char *src)
{
  free (*dst);
  *dst = src ? xstrdup (src) : NULL;
}

/* The kubelet's reply to an empty body: an empty set. */
static void
empty_body (struct source_url_target *t)
{
  struct source_url *u = t->owner;
  cleanup_free char *msg = NULL;
  source_set_clear (u->store, t->source);
  /* forget the body, so that the same body as before is applied again */
  t->have_body = false;
  replace_str (&t->etag, NULL);
  replace_str (&t->last_modified, NULL);
  if (asprintf (&msg, "zero-length data received from %s: its objects removed",
                t->url)
      < 0)
    abort ();
  source_event (u->store, u->node_name, "%s", msg);
  target_failed (t, msg);
}

static void
read_body (struct source_url_target *t, const struct source_url_response *r)
{
  struct source_url *u = t->owner;
  struct source_set set = { .store = u->store,
                            .node_name = u->node_name,
                            .source = t->source,
                            .where = t->url,
                            .pod_defaults = url_pod_defaults };
  cleanup_free char *first = NULL;
  struct manifest m;
  uint64_t h = source_hash (r->body, r->len);

  replace_str (&t->etag, r->etag);
  replace_str (&t->last_modified, r->last_modified);
  if (t->have_body && h == t->hash)
    {
      if (t->body_ok)
        target_ok (t);
      return; /* a bad body's events are there already */
    }
  t->have_body = true;
  t->hash = h;
  manifest_read_buffer (t->url, r->body, r->len, &m);
  t->body_ok = source_set_apply (&set, &m, &first) == 0;
  manifest_free (&m);
  if (t->body_ok)
    target_ok (t);
  else
    target_failed (t, first);
}

void
source_url_handle (struct source_url_target *t,
                   const struct source_url_response *r)
{
  struct source_url *u = t->owner;
  cleanup_free char *msg = NULL;
  int ret = 0;

  if (r->error)
    ret = asprintf (&msg, "%s: %s", t->url, r->error);
  else if (r->status == 304 && t->have_body)
    {
      if (t->body_ok)
        target_ok (t);
      return;
    }
  else if (r->status != 200)
    ret = r->status_text && *r->status_text
              ? asprintf (&msg, "%s: %s", t->url, r->status_text)
              : asprintf (&msg, "%s: HTTP status %ld", t->url, r->status);
  else if (r->too_big)
    ret = asprintf (&msg,
                    "%s: the response reached the limit of %d bytes (the "
                    "kubelet's maxConfigLength)",
                    t->url, SOURCE_MAX_BYTES);
  if (ret < 0)
    abort ();
  if (msg)
    {
      source_event (u->store, u->node_name, "%s", msg);
      target_failed (t, msg);
    }
  else if (r->len == 0)
    empty_body (t);
  else
    read_body (t, r);
}

/* ---- requests in the loop (curl multi) ---- */

static size_t
on_body (char *p, size_t size, size_t nmemb, void *data)
{
  struct source_url_target *t = data;
  size_t n = size * nmemb;
  if (t->len + n >= SOURCE_MAX_BYTES)
    {
      t->too_big = true;
      return 0; /* ends the transfer */
    }
  if (t->len + n + 1 > t->cap)
    {
      size_t cap = t->cap ? t->cap : 16384;
      while (cap < t->len + n + 1)
        cap *= 2;
      t->body = realloc (t->body, cap);
      if (t->body == NULL)
        abort ();
      t->cap = cap;
    }
  memcpy (t->body + t->len, p, n);
  t->len += n;
  t->body[t->len] = '\0';
  return n;
}

static bool
header_is (const char *line, size_t len, const char *name)
{
  size_t l = strlen (name);
  return len > l && strncasecmp (line, name, l) == 0 && line[l] == ':';
}

/* The status line and the validators of the last response (a redirect or
 * a 100 Continue starts a new one). */
static size_t
on_header (char *p, size_t size, size_t nmemb, void *data)
{
  struct source_url_target *t = data;
  size_t n = size * nmemb;
  if (n > 5 && strncmp (p, "HTTP/", 5) == 0)
    {
      const char *sp = memchr (p, ' ', n);
      replace_str (&t->etag_in, NULL);
      replace_str (&t->last_modified_in, NULL);
      free (t->status_text);
      t->status_text = sp ? trimmed (sp + 1, (size_t)(p + n - sp - 1)) : NULL;
    }
  else if (header_is (p, n, "ETag"))
    {
      free (t->etag_in);
      t->etag_in = trimmed (p + 5, n - 5);
    }
  else if (header_is (p, n, "Last-Modified"))
    {
      free (t->last_modified_in);
      t->last_modified_in = trimmed (p + 14, n - 14);
    }
  return n;
}

static struct curl_slist *
slist_add (struct curl_slist *l, const char *prefix, const char *value)
{
  cleanup_free char *line = NULL;
  struct curl_slist *r;
  if (asprintf (&line, "%s%s", prefix, value) < 0)
    abort ();
  r = curl_slist_append (l, line);
  if (r == NULL)
    abort ();
  return r;
}

static void
request_setopts (struct source_url_target *t, CURL *e)
{
  const struct source_url_options *o = &t->owner->opt;
  curl_easy_setopt (e, CURLOPT_URL, t->url);
  curl_easy_setopt (e, CURLOPT_PRIVATE, t);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt (e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt (e, CURLOPT_HTTPHEADER, t->header);
  curl_easy_setopt (e, CURLOPT_USERAGENT, "berth/" PACKAGE_VERSION);
  curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
  curl_easy_setopt (e, CURLOPT_MAXFILESIZE_LARGE,
                    (curl_off_t)SOURCE_MAX_BYTES - 1);
  curl_easy_setopt (e, CURLOPT_ACCEPT_ENCODING, "");
  /* as Go's client: redirects followed, up to 10 */
  curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (e, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (o->cacert)
    curl_easy_setopt (e, CURLOPT_CAINFO, o->cacert);
  if (o->cert)
    curl_easy_setopt (e, CURLOPT_SSLCERT, o->cert);
  if (o->key)
    curl_easy_setopt (e, CURLOPT_SSLKEY, o->key);
  if (o->insecure)
    {
      curl_easy_setopt (e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void
request_reset (struct source_url_target *t)
{
  free (t->body);
  t->body = NULL;
  t->len = t->cap = 0;
  t->too_big = false;
  replace_str (&t->status_text, NULL);
  replace_str (&t->etag_in, NULL);
  replace_str (&t->last_modified_in, NULL);
  t->errbuf[0] = '\0';
  curl_slist_free_all (t->header);
  t->header = NULL;
}

static void
schedule_next (struct source_url_target *t)
{
  berth_error_t err = NULL;
  if (loop_timer_set (&t->poll, t->owner->opt.period_ms, 0, &err) < 0)
    {
      agent_log ("%s: %s", t->url, berth_error_msg (&err));
      berth_error_release (&err);
    }
}

static void
target_fetch (struct source_url_target *t)
{
  struct source_url *u = t->owner;
  CURLMcode mc;

  request_reset (t);
  for (size_t i = 0; i < u->opt.nheaders; i++)
    t->header = slist_add (t->header, "", u->opt.headers[i]);
  if (t->etag)
    t->header = slist_add (t->header, "If-None-Match: ", t->etag);
  if (t->last_modified)
    t->header = slist_add (t->header, "If-Modified-Since: ", t->last_modified);
  t->easy = curl_easy_init ();
  if (t->easy == NULL)
    abort ();
  request_setopts (t, t->easy);
  mc = curl_multi_add_handle (u->multi, t->easy);
  if (mc != CURLM_OK)
    {
      struct source_url_response r = { .error = curl_multi_strerror (mc) };
      curl_easy_cleanup (t->easy);
      t->easy = NULL;
      source_url_handle (t, &r);
      schedule_next (t);
    }
}

/* The transfer's error as an event can say it: the same cause gives the
 * same words (curl's buffer holds elapsed times for these two). */
static const char *
transfer_error (struct source_url_target *t, CURLcode rc)
{
  if (rc == CURLE_OK || t->too_big)
    return NULL;
  if (rc == CURLE_FILESIZE_EXCEEDED)
    {
      t->too_big = true;
      return NULL;
    }
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT
      || t->errbuf[0] == '\0')
    return curl_easy_strerror (rc);
  return t->errbuf;
}

static void
request_done (struct source_url_target *t, CURLcode rc)
{
  struct source_url_response r = { 0 };
  long status = 0;

  curl_easy_getinfo (t->easy, CURLINFO_RESPONSE_CODE, &status);
  r.error = transfer_error (t, rc);
  r.status = status;
  r.status_text = t->status_text;
  r.body = t->body ? t->body : "";
  r.len = t->len;
  r.too_big = t->too_big;
  r.etag = t->etag_in;
  r.last_modified = t->last_modified_in;
  curl_multi_remove_handle (t->owner->multi, t->easy);
  curl_easy_cleanup (t->easy);
  t->easy = NULL;
  source_url_handle (t, &r);
  request_reset (t);
  schedule_next (t);
}

static void
check_done (struct source_url *u)
{
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read (u->multi, &left)))
    if (msg->msg == CURLMSG_DONE)
      {
        struct source_url_target *t = NULL;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        request_done (t, rc);
      }
}

static void
on_socket_ready (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct source_url_socket *s = w->data;
  struct source_url *u = s->owner;
  curl_socket_t fd = s->fd;
  int flags = 0, running = 0;
  (void)l;
  if (events & EPOLLIN)
    flags |= CURL_CSELECT_IN;
  if (events & EPOLLOUT)
    flags |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP))
    flags |= CURL_CSELECT_ERR;
  /* S may be freed in here (CURL_POLL_REMOVE) */
  curl_multi_socket_action (u->multi, fd, flags, &running);
  check_done (u);
}

static void
socket_free (struct source_url *u, struct source_url_socket *s)
{
  for (struct source_url_socket **p = &u->sockets; *p; p = &(*p)->next)
    if (*p == s)
      {
        *p = s->next;
        break;
      }
  loop_watcher_del (&s->w);
  free (s);
}

static int
on_curl_socket (CURL *easy, curl_socket_t fd, int what, void *userp,
                void *socketp)
{
  struct source_url *u = userp;
  struct source_url_socket *s = socketp;
  uint32_t events = 0;
  berth_error_t err = NULL;
  (void)easy;

  if (what == CURL_POLL_REMOVE)
    {
      if (s)
        socket_free (u, s);
      return 0;
    }
  if (s == NULL)
    {
      s = xcalloc (1, sizeof (*s));
      s->w.fd = -1;
      s->owner = u;
      s->fd = fd;
      s->next = u->sockets;
      u->sockets = s;
      curl_multi_assign (u->multi, fd, s);
    }
  loop_watcher_del (&s->w);
  if (what & CURL_POLL_IN)
    events |= EPOLLIN;
  if (what & CURL_POLL_OUT)
    events |= EPOLLOUT;
  if (loop_io_add (u->loop, &s->w, fd, events, on_socket_ready, s, &err) < 0)
    {
      agent_log ("manifest URL: watch a socket: %s", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  return 0;
}

static void
on_timeout (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct source_url *u = w->data;
  int running = 0;
  (void)l;
  (void)events;
  curl_multi_socket_action (u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done (u);
}

/* Curl's one timeout: -1 none, 0 at once (from the loop, never from
 * here). */
static int
on_curl_timer (CURLM *multi, long timeout_ms, void *userp)
{
  struct source_url *u = userp;
  berth_error_t err = NULL;
  (void)multi;
  if (loop_timer_set (&u->timer, timeout_ms < 0 ? 0 : timeout_ms + 1, 0, &err)
      < 0)
    {
      agent_log ("manifest URL: %s", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  return 0;
}

static void
on_poll (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)l;
  (void)events;
  target_fetch (w->data);
}

/* ---- the source ---- */

void
source_url_target_init (struct source_url_target *t, struct source_url *owner,
                        const char *url)
{
  memset (t, 0, sizeof (*t));
  t->owner = owner;
  t->poll.fd = -1;
  t->url = xstrdup (url);
  if (asprintf (&t->source, "url:%s", url) < 0)
    abort ();
}

void
source_url_target_free (struct source_url_target *t)
{
  if (t->easy)
    {
      curl_multi_remove_handle (t->owner->multi, t->easy);
      curl_easy_cleanup (t->easy);
      t->easy = NULL;
    }
  loop_watcher_del (&t->poll);
  request_reset (t);
  free (t->url);
  free (t->source);
  free (t->etag);
  free (t->last_modified);
  memset (t, 0, sizeof (*t));
  t->poll.fd = -1;
}

static const char **
strv_dup (const char *const *v, size_t n)
{
  const char **r = xcalloc (n + 1, sizeof (*r));
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

static void
strv_free (const char *const *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free ((char *)v[i]);
  free ((void *)v);
}

static const char *
dup_opt (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

static void
copy_options (struct source_url *u, const struct source_url_options *opt)
{
  u->opt = *opt;
  u->opt.urls = strv_dup (opt->urls, opt->nurls);
  u->opt.headers = strv_dup (opt->headers, opt->nheaders);
  u->opt.cacert = dup_opt (opt->cacert);
  u->opt.cert = dup_opt (opt->cert);
  u->opt.key = dup_opt (opt->key);
  if (u->opt.period_ms <= 0)
    u->opt.period_ms = SOURCE_URL_DEFAULT_PERIOD_MS;
  if (u->opt.timeout_ms <= 0)
    u->opt.timeout_ms = SOURCE_URL_TIMEOUT_MS;
}

int
source_url_start (struct source_url *u, struct loop *l, struct store *s,
                  const struct source_url_options *opt, const char *node_name,
                  berth_error_t *err)
{
  memset (u, 0, sizeof (*u));
  u->timer.fd = -1;
  u->loop = l;
  u->store = s;
  u->node_name = xstrdup (node_name);
  copy_options (u, opt);
  if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return berth_error_make (err, EIO, "manifest URL: curl_global_init failed");
  u->multi = curl_multi_init ();
  if (u->multi == NULL)
    return berth_error_make (err, ENOMEM, "manifest URL: curl_multi_init");
  curl_multi_setopt (u->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt (u->multi, CURLMOPT_SOCKETDATA, u);
  curl_multi_setopt (u->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt (u->multi, CURLMOPT_TIMERDATA, u);
  if (loop_timer_add (l, &u->timer, 0, 0, on_timeout, u, err) < 0)
    return -1;
  u->targets = xcalloc (u->opt.nurls, sizeof (*u->targets));
  for (size_t i = 0; i < u->opt.nurls; i++, u->n++)
    {
      struct source_url_target *t = &u->targets[i];
      source_url_target_init (t, u, u->opt.urls[i]);
      if (loop_timer_add (l, &t->poll, 0, 0, on_poll, t, err) < 0)
        return berth_error_wrap (err, "manifest URL %s", t->url);
      agent_log ("reading pods from %s every %lld ms", t->url,
                 (long long)u->opt.period_ms);
      target_fetch (t);
    }
  return 0;
}

void
source_url_stop (struct source_url *u)
{
  for (size_t i = 0; i < u->n; i++)
    source_url_target_free (&u->targets[i]);
  free (u->targets);
  if (u->multi)
    {
      curl_multi_cleanup (u->multi);
      curl_global_cleanup ();
    }
  while (u->sockets)
    socket_free (u, u->sockets);
  loop_watcher_del (&u->timer);
  strv_free (u->opt.urls, u->opt.nurls);
  strv_free (u->opt.headers, u->opt.nheaders);
  free ((char *)u->opt.cacert);
  free ((char *)u->opt.cert);
  free ((char *)u->opt.key);
  free (u->node_name);
  memset (u, 0, sizeof (*u));
  u->timer.fd = -1;
}
