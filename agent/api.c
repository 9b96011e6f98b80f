/* api.c - see api.h. */
#include "api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "api_watch.h"
#include "endpoints.h"
#include "k8s_json.h"
#include "service_alloc.h"

/* The largest request body: a manifest file's limit, plus room. */
#define API_MAX_BODY (11 * 1024 * 1024)

static const char *const api_kinds[]
    = { "Pod",     "ConfigMap",  "Secret",     "Namespace",   "Service", "Job",
        "CronJob", "Deployment", "ReplicaSet", "StatefulSet", NULL };

struct route
{
  const struct kind_info *kind; /* NULL for events */
  bool events;
  bool endpoints, slices;              /* computed by endpoints.h, read-only */
  const struct service_ranges *ranges; /* Service allocation, or NULL */
  const char *ns;   /* NULL: all namespaces (or a cluster-scoped kind) */
  const char *name; /* NULL: the collection */
};

struct reply
{
  int code;
  struct node *body;
};

static const struct kind_info *
kind_for_resource (const char *group, const char *version, const char *res)
{
  for (size_t i = 0; api_kinds[i]; i++)
    {
      const struct kind_info *k = kind_lookup (api_kinds[i]);
      if (k && strcmp (k->resource, res) == 0 && strcmp (k->group, group) == 0
          && strcmp (k->version, version) == 0)
        return k;
    }
  return NULL;
}

/* Split PATH into at most 8 segments in BUF; returns their count or -1. */
static int
split_path (const char *path, char *buf, size_t size, char *seg[8])
{
  int n = 0;
  if (strlen (path) >= size)
    return -1;
  strcpy (buf, path);
  for (char *save = NULL, *t = strtok_r (buf, "/", &save); t;
       t = strtok_r (NULL, "/", &save))
    {
      if (n == 8)
        return -1;
      seg[n++] = t;
    }
  return n;
}

/* The resource part after /api/v1 or /apis/GROUP/VERSION. */
static int
route_rest (struct route *r, const char *group, const char *version, char **seg,
            int n)
{
  const char *res;
  if (n >= 3 && strcmp (seg[0], "namespaces") == 0)
    {
      r->ns = seg[1];
      res = seg[2];
      r->name = n >= 4 ? seg[3] : NULL;
      if (n > 4)
        return -1;
    }
  else if (n == 1 || n == 2)
    {
      res = seg[0];
      r->name = n == 2 ? seg[1] : NULL;
    }
  else
    return -1;
  if (*group == '\0' && strcmp (res, "events") == 0)
    {
      r->events = true;
      return 0;
    }
  if ((*group == '\0' && strcmp (res, "endpoints") == 0)
      || (strcmp (group, "discovery.k8s.io") == 0 && strcmp (version, "v1") == 0
          && strcmp (res, "endpointslices") == 0))
    {
      r->slices = *group != '\0';
      r->endpoints = !r->slices;
      return r->name && r->ns == NULL ? -1 : 0;
    }
  r->kind = kind_for_resource (group, version, res);
  if (r->kind == NULL)
    return -1;
  if (!r->kind->namespaced && r->ns)
    return -1;
  if (r->kind->namespaced && r->name && r->ns == NULL)
    return -1;
  return 0;
}

static int
route_parse (struct route *r, char **seg, int n)
{
  memset (r, 0, sizeof (*r));
  if (n >= 2 && strcmp (seg[0], "api") == 0 && strcmp (seg[1], "v1") == 0)
    return route_rest (r, "", "v1", seg + 2, n - 2);
  if (n >= 3 && strcmp (seg[0], "apis") == 0)
    return route_rest (r, seg[1], seg[2], seg + 3, n - 3);
  return -1;
}

static struct reply
reply_status (int code, const char *reason, const char *msg)
{
  return (struct reply){ code, k8s_status_error (code, reason, msg, NULL, NULL,
                                                 NULL) };
}

static struct reply
reply_error (const struct kind_info *k, const char *name, int ret,
             berth_error_t *err)
{
  struct reply r;
  switch (-ret)
    {
    case EEXIST:
      r = (struct reply){ 409, k8s_status_already_exists (k, name) };
      break;
    case ENOENT:
      r = (struct reply){ 404, k8s_status_not_found (k, name) };
      break;
    case ESTALE:
      r = (struct reply){ 409, k8s_status_error (409, "Conflict",
                                                 berth_error_msg (err),
                                                 k->group, k->resource, name) };
      break;
    default:
      r = reply_status (500, "InternalError", berth_error_msg (err));
    }
  berth_error_release (err);
  return r;
}

static int
compare_entries (const void *a, const void *b)
{
  const struct object *x = (*(struct store_entry *const *)a)->obj;
  const struct object *y = (*(struct store_entry *const *)b)->obj;
  const char *nx = object_namespace (x), *ny = object_namespace (y);
  int c = strcmp (nx ? nx : "", ny ? ny : "");
  return c ? c : strcmp (object_name (x), object_name (y));
}

static char *
api_version_string (const struct kind_info *k)
{
  char *s = NULL;
  if (asprintf (&s, "%s%s%s", k->group, *k->group ? "/" : "", k->version) < 0)
    abort ();
  return s;
}

static struct reply
list_objects (struct store *s, const struct route *r)
{
  struct node *items = node_new_seq ();
  cleanup_free struct store_entry **sel = xcalloc (s->len + 1, sizeof (*sel));
  cleanup_free char *list_kind = NULL;
  cleanup_free char *av = api_version_string (r->kind);
  size_t n = 0;

  for (size_t i = 0; i < s->len; i++)
    {
      const struct object *o = s->items[i]->obj;
      const char *ns = object_namespace (o);
      if (o->info != r->kind)
        continue;
      if (r->ns && (ns == NULL || strcmp (ns, r->ns) != 0))
        continue;
      sel[n++] = s->items[i];
    }
  qsort (sel, n, sizeof (*sel), compare_entries);
  for (size_t i = 0; i < n; i++)
    node_seq_append (items, store_entry_encode (sel[i]));
  if (asprintf (&list_kind, "%sList", r->kind->kind) < 0)
    abort ();
  return (struct reply){ 200, k8s_list (list_kind, av, s->rv, items) };
}

static struct reply
get_events (struct store *s, const struct route *r)
{
  struct node *items = node_new_seq ();
  for (size_t i = 0; i < s->nevents; i++)
    {
      const struct store_event *ev = &s->events[i];
      if (r->ns && strcmp (ev->namespace, r->ns) != 0)
        continue;
      if (r->name && strcmp (ev->name, r->name) != 0)
        continue;
      if (r->name)
        {
          node_unref (items);
          return (struct reply){ 200, store_event_encode (ev) };
        }
      node_seq_append (items, store_event_encode (ev));
    }
  if (r->name)
    {
      cleanup_free char *msg = NULL;
      node_unref (items);
      if (asprintf (&msg, "events \"%s\" not found", r->name) < 0)
        abort ();
      return (struct reply){ 404, k8s_status_error (404, "NotFound", msg, "",
                                                    "events", r->name) };
    }
  return (struct reply){ 200, k8s_list ("EventList", "v1", s->rv, items) };
}

/* Endpoints and EndpointSlices: computed from the Services and Pods. */
static struct reply
get_endpoints (struct store *s, const struct route *r)
{
  struct node *n = endpoints_api_get (s, r->slices, r->ns, r->name);
  if (n == NULL)
    {
      cleanup_free char *msg = NULL;
      const char *res = r->slices ? "endpointslices" : "endpoints";
      if (asprintf (&msg, "%s%s \"%s\" not found", res,
                    r->slices ? ".discovery.k8s.io" : "", r->name)
          < 0)
        abort ();
      return (struct reply){ 404, k8s_status_error (
                                      404, "NotFound", msg,
                                      r->slices ? "discovery.k8s.io" : "", res,
                                      r->name) };
    }
  return (struct reply){ 200, n };
}

/* Decode a request body into a valid object of the route's kind, or a
 * Status reply explaining why not. */
static struct object *
decode_body (const struct route *r, const char *body, size_t len,
             struct reply *fail)
{
  struct node_stream st = { 0 };
  berth_error_t err = NULL;
  struct object *o;
  cleanup_free char *body_ns = NULL;
  char msg[512];

  if (node_stream_read (body, len, &st, &err) < 0 || st.len != 1
      || st.docs[0] == NULL)
    {
      snprintf (msg, sizeof (msg), "the request body is not one object: %s",
                err ? berth_error_msg (&err) : "none or several documents");
      berth_error_release (&err);
      node_stream_free (&st);
      *fail = reply_status (400, "BadRequest", msg);
      return NULL;
    }
  if (k8s_get_str (st.docs[0], "metadata.namespace"))
    body_ns = xstrdup (k8s_get_str (st.docs[0], "metadata.namespace"));
  o = object_from_node ("<request>", st.docs[0], "");
  node_stream_free (&st);
  if (o->info != NULL && o->info != r->kind)
    {
      snprintf (msg, sizeof (msg),
                "the kind of the object (%s) does not match the resource of "
                "the request (%s)",
                o->info->kind, r->kind->resource);
      *fail = reply_status (400, "BadRequest", msg);
      object_free (o);
      return NULL;
    }
  if (r->ns && body_ns && strcmp (body_ns, r->ns) != 0)
    {
      *fail = reply_status (400, "BadRequest",
                            "the namespace of the provided object does not "
                            "match the namespace sent on the request");
      object_free (o);
      return NULL;
    }
  if (!object_is_valid (o))
    {
      *fail = (struct reply){ 422, k8s_status_invalid (o) };
      object_free (o);
      return NULL;
    }
  if (r->ns && body_ns == NULL)
    {
      struct object_meta *m = object_meta (o);
      free (m->namespace);
      m->namespace = xstrdup (r->ns);
    }
  return o;
}

static struct reply
forbidden_file (const struct store_entry *e, const char *verb)
{
  bool url = strncmp (e->source, "url:", 4) == 0;
  char msg[1024];
  snprintf (
      msg, sizeof (msg),
      "%s \"%s\" is forbidden: it comes from the manifest %s: %s "
      "instead of %s it",
      e->obj->info->resource, object_name (e->obj), e->source + (url ? 4 : 5),
      url ? "change what that URL serves" : "edit or remove that file", verb);
  return (struct reply){
    403, k8s_status_error (403, "Forbidden", msg, e->obj->info->group,
                           e->obj->info->resource, object_name (e->obj))
  };
}

/* A static object: its manifest file or URL owns it, not the API. */
static bool
from_file (const struct store_entry *e)
{
  return e
         && (strncmp (e->source, "file:", 5) == 0
             || strncmp (e->source, "url:", 4) == 0);
}

/* The API server's answer to a Service it cannot allocate for: 422 with
 * the field error, or 500 when a range is full. */
static struct reply
alloc_failure (const struct object *o, const struct service_alloc_error *ae)
{
  cleanup_free char *msg = service_alloc_error_message (o, ae);
  struct node *st, *cause, *causes;
  char cmsg[512];
  if (*ae->value == '\0')
    return reply_status (500, "InternalError", msg);
  st = k8s_status_error (422, "Invalid", msg, "", "services", object_name (o));
  cause = node_new_map ();
  node_map_set_str (cause, "reason", "FieldValueInvalid");
  snprintf (cmsg, sizeof (cmsg), "Invalid value: %s: %s", ae->value, ae->msg);
  node_map_set_str (cause, "message", cmsg);
  node_map_set_str (cause, "field", ae->path);
  causes = node_new_seq ();
  node_seq_append (causes, cause);
  node_map_set (node_map_get (st, "details"), "causes", causes);
  return (struct reply){ 422, st };
}

static struct reply
write_object (struct store *s, const struct route *r, bool create,
              const char *body, size_t len)
{
  struct reply fail;
  struct object *o = decode_body (r, body, len, &fail);
  struct object_meta *m;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  cleanup_free char *expect_rv = NULL;
  char name[256];
  int ret;

  if (o == NULL)
    return fail;
  m = object_meta (o);
  snprintf (name, sizeof (name), "%s", object_name (o));
  if (!create && strcmp (name, r->name) != 0)
    {
      char msg[768];
      snprintf (msg, sizeof (msg),
                "the name of the object (%s) does not match the name on the "
                "URL (%s)",
                name, r->name);
      object_free (o);
      return reply_status (400, "BadRequest", msg);
    }
  if (!create && from_file (store_get (s, r->kind, object_namespace (o), name)))
    {
      struct reply rep = forbidden_file (
          store_get (s, r->kind, object_namespace (o), name), "replacing");
      object_free (o);
      return rep;
    }
  if (r->ranges && o->info->id == KIND_SERVICE)
    {
      struct store_entry *old
          = create ? NULL : store_get (s, r->kind, object_namespace (o), name);
      struct service_alloc_error ae;
      if (service_alloc_assign (r->ranges, s, o, old ? old->obj : NULL, &ae)
          < 0)
        {
          struct reply rep = alloc_failure (o, &ae);
          object_free (o);
          return rep;
        }
    }
  /* What the server owns is not the client's to set. */
  expect_rv = steal_pointer (&m->resource_version);
  free (steal_pointer (&m->uid));
  free (steal_pointer (&m->creation_timestamp));
  ret = store_apply (s, o, "api",
                     create ? STORE_CREATE_ONLY : STORE_UPDATE_ONLY, expect_rv,
                     &res, &e, &err);
  if (ret < 0 && e == NULL)
    return reply_error (r->kind, name, ret, &err);
  berth_error_release (&err); /* persisted or not, it is in the store */
  if (e == NULL)              /* its last finalizer removed: deleted */
    return reply_status (200, "Success", "the object is deleted");
  return (struct reply){ res == STORE_CREATED ? 201 : 200,
                         store_entry_encode (e) };
}

static struct reply
delete_object (struct store *s, const struct route *r)
{
  struct store_entry *e = store_get (s, r->kind, r->ns, r->name);
  berth_error_t err = NULL;
  struct reply rep;
  int ret;

  if (from_file (e))
    return forbidden_file (e, "deleting");
  ret = store_delete (s, r->kind, r->ns, r->name, &e, &err);
  if (ret < 0 && -ret == ENOENT)
    return reply_error (r->kind, r->name, ret, &err);
  berth_error_release (&err);
  if (e == NULL) /* a pod marked for graceful deletion */
    return (struct reply){ 200, store_entry_encode (
                                    store_get (s, r->kind, r->ns, r->name)) };
  rep = (struct reply){ 200, store_entry_encode (e) };
  store_entry_free (e);
  return rep;
}

static struct reply
dispatch (struct store *s, const char *method, const struct route *r,
          const char *body, size_t len)
{
  bool get = strcmp (method, "GET") == 0;
  if (r->events)
    return get ? get_events (s, r)
               : reply_status (405, "MethodNotAllowed", "events are read-only");
  if (r->endpoints || r->slices)
    return get ? get_endpoints (s, r)
               : reply_status (405, "MethodNotAllowed",
                               "the server does not allow this method on the "
                               "requested resource");
  if (get && r->name == NULL)
    return list_objects (s, r);
  if (get)
    {
      struct store_entry *e = store_get (s, r->kind, r->ns, r->name);
      if (e == NULL)
        return (struct reply){ 404, k8s_status_not_found (r->kind, r->name) };
      return (struct reply){ 200, store_entry_encode (e) };
    }
  if (strcmp (method, "POST") == 0 && r->name == NULL)
    return write_object (s, r, true, body, len);
  if (strcmp (method, "PUT") == 0 && r->name)
    return write_object (s, r, false, body, len);
  if (strcmp (method, "DELETE") == 0 && r->name)
    return delete_object (s, r);
  return reply_status (405, "MethodNotAllowed",
                       "the server does not allow "
                       "this method on the requested "
                       "resource");
}

int
api_handle (struct store *s, const char *method, const char *path,
            const char *body, size_t body_len, char **out, size_t *out_len,
            const char **content_type)
{
  return api_handle_services (s, NULL, method, path, body, body_len, out,
                              out_len, content_type);
}

int
api_handle_services (struct store *s, const struct service_ranges *ranges,
                     const char *method, const char *path, const char *body,
                     size_t body_len, char **out, size_t *out_len,
                     const char **content_type)
{
  char buf[1024], *seg[8];
  struct route r;
  struct reply rep;
  berth_error_t err = NULL;
  int n = split_path (path, buf, sizeof (buf), seg);

  *content_type = "application/json";
  if (n == 1 && strcmp (seg[0], "healthz") == 0)
    {
      *content_type = "text/plain; charset=utf-8";
      *out = xstrdup ("ok");
      *out_len = 2;
      return 200;
    }
  if (n < 0 || route_parse (&r, seg, n) < 0)
    {
      char msg[1200];
      snprintf (msg, sizeof (msg),
                "the server could not find the requested "
                "resource");
      rep = reply_status (404, "NotFound", msg);
    }
  else
    {
      r.ranges = ranges;
      rep = dispatch (s, method, &r, body ? body : "", body_len);
    }
  if (node_write_json (rep.body, false, out, out_len, &err) < 0)
    {
      berth_error_release (&err);
      *out = xstrdup ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                      "\"Failure\",\"reason\":\"InternalError\",\"code\":500}");
      *out_len = strlen (*out);
      rep.code = 500;
    }
  node_unref (rep.body);
  return rep.code;
}

/* ---- libmicrohttpd, driven by the loop ---- */

struct api_request
{
  char *body;
  size_t len;
  bool too_large;
};

static enum MHD_Result
send_reply (struct MHD_Connection *c, int code, char *body, size_t len,
            const char *content_type)
{
  struct MHD_Response *resp
      = MHD_create_response_from_buffer (len, body, MHD_RESPMEM_MUST_FREE);
  enum MHD_Result r;
  if (resp == NULL)
    {
      free (body);
      return MHD_NO;
    }
  MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  r = MHD_queue_response (c, (unsigned)code, resp);
  MHD_destroy_response (resp);
  return r;
}

static const char *
query_arg (void *conn, const char *key)
{
  return MHD_lookup_connection_value (conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result start_watch (struct api *a, struct MHD_Connection *c,
                                    const char *url);

static bool
is_true (const char *v)
{
  return v && (strcmp (v, "true") == 0 || strcmp (v, "1") == 0);
}

static enum MHD_Result
on_request (void *cls, struct MHD_Connection *c, const char *url,
            const char *method, const char *version, const char *upload,
            size_t *upload_size, void **con_cls)
{
  struct api *a = cls;
  struct api_request *req = *con_cls;
  const char *ctype;
  char *out = NULL;
  size_t out_len = 0;
  int code;

  (void)version;
  if (req == NULL)
    {
      *con_cls = xcalloc (1, sizeof (struct api_request));
      return MHD_YES;
    }
  if (*upload_size > 0)
    {
      if (req->len + *upload_size > API_MAX_BODY)
        req->too_large = true;
      else
        {
          char *nb = realloc (req->body, req->len + *upload_size + 1);
          if (nb == NULL)
            return MHD_NO;
          memcpy (nb + req->len, upload, *upload_size);
          req->body = nb;
          req->len += *upload_size;
          req->body[req->len] = '\0';
        }
      *upload_size = 0;
      return MHD_YES;
    }
  if (req->too_large)
    {
      struct node *st = k8s_status_error (
          413, "RequestEntityTooLarge",
          "the request body is larger than the limit of 11 MiB", NULL, NULL,
          NULL);
      berth_error_t err = NULL;
      if (node_write_json (st, false, &out, &out_len, &err) < 0)
        berth_error_release (&err);
      node_unref (st);
      return send_reply (c, 413, out ? out : xstrdup (""), out_len,
                         "application/json");
    }
  if (strcmp (method, "GET") == 0 && is_true (query_arg (c, "watch")))
    return start_watch (a, c, url);
  if (a->extra
      && (code = a->extra (a->extra_ctx, method, url, query_arg, c, &out,
                           &out_len, &ctype))
             > 0)
    return code == API_REPLY_QUEUED ? MHD_YES
                                    : send_reply (c, code, out, out_len, ctype);
  code = api_handle_services (a->store, a->service_ranges, method, url,
                              req->body, req->len, &out, &out_len, &ctype);
  return send_reply (c, code, out, out_len, ctype);
}

static void
on_completed (void *cls, struct MHD_Connection *c, void **con_cls,
              enum MHD_RequestTerminationCode toe)
{
  struct api_request *req = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (req)
    {
      free (req->body);
      free (req);
      *con_cls = NULL;
    }
}

/* ---- streamed replies ---- */

struct api_stream
{
  struct api *api;
  struct MHD_Connection *conn;
  struct api_stream_source src;
  bool suspended, stopping;
  struct api_stream *next;
};

static ssize_t
stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
  struct api_stream *s = cls;
  ssize_t n;
  (void)pos;
  if (s->stopping)
    return MHD_CONTENT_READER_END_OF_STREAM;
  n = s->src.read (s->src.ctx, buf, max);
  if (n < 0)
    return MHD_CONTENT_READER_END_OF_STREAM;
  if (n == 0)
    {
      /* nothing yet: off MHD's polling until api_stream_wake */
      MHD_suspend_connection (s->conn);
      s->suspended = true;
    }
  return n;
}

static void
stream_free (void *cls)
{
  struct api_stream *s = cls;
  for (struct api_stream **p = &s->api->streams; *p; p = &(*p)->next)
    if (*p == s)
      {
        *p = s->next;
        break;
      }
  s->src.free (s->src.ctx);
  free (s);
}

int
api_stream_reply (struct api *a, void *actx,
                  const struct api_stream_source *src, const char *content_type,
                  struct api_stream **out, berth_error_t *err)
{
  struct api_stream *s = xcalloc (1, sizeof (*s));
  struct MHD_Response *resp;
  enum MHD_Result r;
  s->api = a;
  s->conn = actx;
  s->src = *src;
  resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 16384,
                                            stream_read, s, stream_free);
  if (resp == NULL)
    {
      stream_free (s);
      return berth_error_make (err, ENOMEM, "a streamed reply");
    }
  s->next = a->streams;
  a->streams = s;
  MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  r = MHD_queue_response (s->conn, MHD_HTTP_OK, resp);
  MHD_destroy_response (resp); /* frees S when the reply is over */
  if (r != MHD_YES)
    return berth_error_make (err, EIO, "queue a streamed reply");
  *out = s;
  return 0;
}

void
api_stream_wake (struct api_stream *s)
{
  const union MHD_ConnectionInfo *ci;
  struct api *a;
  berth_error_t err = NULL;
  if (s == NULL || !s->suspended)
    return;
  s->suspended = false;
  MHD_resume_connection (s->conn);
  /* without a thread of its own, MHD takes the resumed connection back at
   * its next MHD_run: run it from the loop at once */
  a = s->api;
  ci = MHD_get_connection_info (s->conn, MHD_CONNECTION_INFO_DAEMON);
  if (ci == NULL)
    return;
  if (ci->daemon == a->unix_l.daemon)
    loop_timer_set (&a->unix_l.timer, 1, 0, &err);
  else if (ci->daemon == a->tcp_l.daemon)
    loop_timer_set (&a->tcp_l.timer, 1, 0, &err);
  berth_error_release (&err);
}

void
api_streams_wake (struct api *a)
{
  for (struct api_stream *s = a->streams; s; s = s->next)
    api_stream_wake (s);
}

/* GET ...?watch=true: the watch events of the collection (or of the one
 * object of the path or of fieldSelector=metadata.name=NAME). */
static enum MHD_Result
start_watch (struct api *a, struct MHD_Connection *c, const char *url)
{
  char buf[512], *seg[8];
  const char *sel = query_arg (c, "fieldSelector");
  const char *name;
  struct route r;
  berth_error_t err = NULL;
  struct reply rep;
  int n = split_path (url, buf, sizeof buf, seg);

  if (n < 0 || route_parse (&r, seg, n) < 0)
    rep = reply_status (404, "NotFound",
                        "the server could not find the "
                        "requested resource");
  else if (r.kind == NULL && !r.events)
    rep = reply_status (405, "MethodNotAllowed",
                        "watch is not supported on this resource");
  else if (sel && *sel && strncmp (sel, "metadata.name=", 14) != 0)
    rep = reply_status (400, "BadRequest",
                        "only the field selector metadata.name=NAME is "
                        "supported");
  else
    {
      name = r.name;
      if (sel && *sel)
        name = sel + 14 + (sel[14] == '=');
      if (api_watch_start (a, c, r.kind, r.ns, name,
                           query_arg (c, "resourceVersion"), &err)
          == 0)
        return MHD_YES;
      rep = reply_status (500, "InternalError", berth_error_msg (&err));
      berth_error_release (&err);
    }
  {
    char *out = NULL;
    size_t len = 0;
    if (node_write_json (rep.body, false, &out, &len, &err) < 0)
      berth_error_release (&err);
    node_unref (rep.body);
    return send_reply (c, rep.code, out ? out : xstrdup (""), len,
                       "application/json");
  }
}

/* Run MHD, then arm the timer for its next connection timeout. */
static void
listener_run (struct api_listener *l)
{
  MHD_UNSIGNED_LONG_LONG ms = 0;
  berth_error_t err = NULL;
  MHD_run (l->daemon);
  if (MHD_get_timeout (l->daemon, &ms) == MHD_YES)
    loop_timer_set (&l->timer, ms > 0 ? (int64_t)ms : 1, 0, &err);
  else
    loop_timer_set (&l->timer, 0, 0, &err);
  berth_error_release (&err);
}

static void
on_listener_io (struct loop *loop, struct loop_watcher *w, uint32_t events)
{
  (void)loop;
  (void)events;
  listener_run (w->data);
}

static int
listener_start (struct api *a, struct api_listener *l, struct loop *loop,
                struct MHD_Daemon *d, const char *what, berth_error_t *err)
{
  const union MHD_DaemonInfo *info;
  if (d == NULL)
    return berth_error_make (err, EIO, "start the HTTP server on %s", what);
  l->daemon = d;
  info = MHD_get_daemon_info (d, MHD_DAEMON_INFO_EPOLL_FD);
  if (info == NULL)
    return berth_error_make (err, EIO, "%s: no epoll fd from libmicrohttpd",
                             what);
  if (loop_io_add (loop, &l->io, info->epoll_fd, EPOLLIN, on_listener_io, l,
                   err)
      < 0)
    return -1;
  if (loop_timer_add (loop, &l->timer, 0, 0, on_listener_io, l, err) < 0)
    return -1;
  (void)a;
  return 0;
}

static int
mkdir_parent (const char *path, berth_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  char *slash = strrchr (p, '/');
  if (slash == NULL || slash == p)
    return 0;
  *slash = '\0';
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        mkdir (p, 0755);
        *s = '/';
      }
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    return berth_error_sys (err, errno, "mkdir %s", p);
  return 0;
}

static int
unix_listen (const char *path, berth_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  if (strlen (path) >= sizeof (sa.sun_path))
    return berth_error_make (err, ENAMETOOLONG,
                             "socket path %s is longer than %zu bytes", path,
                             sizeof (sa.sun_path) - 1);
  strcpy (sa.sun_path, path);
  if (mkdir_parent (path, err) < 0)
    return -1;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return berth_error_sys (err, errno, "socket");
  if (unlink (path) < 0 && errno != ENOENT)
    return berth_error_sys (err, errno, "remove the old socket %s", path);
  /* fchmod does not apply to a unix socket's file: narrow it at once,
   * before listen, so no one can connect in between. */
  if (bind (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    return berth_error_sys (err, errno, "bind %s", path);
  if (chmod (path, 0600) < 0)
    return berth_error_sys (err, errno, "chmod %s", path);
  if (listen (fd, 64) < 0)
    return berth_error_sys (err, errno, "listen on %s", path);
  return steal_fd (&fd);
}

static int
parse_listen (const char *listen, struct sockaddr_in *sa, berth_error_t *err)
{
  const char *colon = strrchr (listen, ':');
  char addr[64] = "127.0.0.1";
  char *end;
  long port;
  if (colon)
    {
      size_t l = (size_t)(colon - listen);
      if (l == 0 || l >= sizeof (addr))
        return berth_error_make (err, EINVAL, "--listen %s: bad address",
                                 listen);
      memcpy (addr, listen, l);
      addr[l] = '\0';
    }
  port = strtol (colon ? colon + 1 : listen, &end, 10);
  if (*end || port <= 0 || port > 65535)
    return berth_error_make (err, EINVAL, "--listen %s: bad port", listen);
  memset (sa, 0, sizeof (*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons ((uint16_t)port);
  if (strcmp (addr, "localhost") == 0)
    strcpy (addr, "127.0.0.1");
  if (inet_pton (AF_INET, addr, &sa->sin_addr) != 1)
    return berth_error_make (
        err, EINVAL, "--listen %s: %s is not an IPv4 address", listen, addr);
  return 0;
}

int
api_start (struct api *a, struct loop *l, struct store *s,
           const char *socket_path, const char *listen, berth_error_t *err)
{
  const unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
  int fd;

  memset (a, 0, sizeof (*a));
  a->store = s;
  a->loop = l;
  a->unix_l.io.fd = a->unix_l.timer.fd = a->tcp_l.io.fd = a->tcp_l.timer.fd
      = -1;
  fd = unix_listen (socket_path, err);
  if (fd < 0)
    return -1;
  a->socket_path = xstrdup (socket_path);
  if (listener_start (
          a, &a->unix_l, l,
          MHD_start_daemon (
              flags, 0, NULL, NULL, on_request, a, MHD_OPTION_LISTEN_SOCKET, fd,
              MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END),
          socket_path, err)
      < 0)
    {
      if (a->unix_l.daemon == NULL)
        close (fd);
      return -1;
    }
  if (listen && *listen)
    {
      struct sockaddr_in sa;
      if (parse_listen (listen, &sa, err) < 0)
        return -1;
      if (listener_start (
              a, &a->tcp_l, l,
              MHD_start_daemon (
                  flags, ntohs (sa.sin_port), NULL, NULL, on_request, a,
                  MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                  on_completed, a, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END),
              listen, err)
          < 0)
        return -1;
    }
  return 0;
}

static void
listener_stop (struct api_listener *l)
{
  loop_watcher_del (&l->io);
  loop_watcher_del (&l->timer);
  if (l->daemon)
    MHD_stop_daemon (l->daemon);
  l->daemon = NULL;
}

void
api_stop (struct api *a)
{
  /* streamed replies end; MHD cannot stop with suspended connections */
  for (struct api_stream *s = a->streams; s; s = s->next)
    {
      s->stopping = true;
      api_stream_wake (s);
    }
  if (a->unix_l.daemon)
    MHD_run (a->unix_l.daemon);
  if (a->tcp_l.daemon)
    MHD_run (a->tcp_l.daemon);
  listener_stop (&a->unix_l);
  listener_stop (&a->tcp_l);
  if (a->socket_path)
    unlink (a->socket_path);
  free (a->socket_path);
  a->socket_path = NULL;
}
