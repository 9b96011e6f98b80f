/* store.c - see store.h. */
#include "store.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "lifecycle.h"
#include "loop.h"
#include "qos.h"

void
store_init (struct store *s)
{
  memset (s, 0, sizeof (*s));
}

void
store_entry_free (struct store_entry *e)
{
  if (e == NULL)
    return;
  object_free (e->obj);
  node_unref (e->status);
  free (e->source);
  free (e);
}

static void
event_clear (struct store_event *ev)
{
  free (ev->name);
  free (ev->namespace);
  free (ev->uid);
  free (ev->resource_version);
  free (ev->type);
  free (ev->reason);
  free (ev->message);
  free (ev->obj_kind);
  free (ev->obj_namespace);
  free (ev->obj_name);
  free (ev->obj_uid);
  free (ev->obj_api_version);
  free (ev->host);
  memset (ev, 0, sizeof (*ev));
}

void
store_free (struct store *s)
{
  for (size_t i = 0; i < s->len; i++)
    store_entry_free (s->items[i]);
  free (s->items);
  for (size_t i = 0; i < s->nevents; i++)
    event_clear (&s->events[i]);
  memset (s, 0, sizeof (*s));
}

static bool
str_eq (const char *a, const char *b)
{
  return (a ? a : "")[0] == (b ? b : "")[0]
         && strcmp (a ? a : "", b ? b : "") == 0;
}

static ssize_t
find_index (const struct store *s, const struct kind_info *k, const char *ns,
            const char *name)
{
  for (size_t i = 0; i < s->len; i++)
    {
      const struct object *o = s->items[i]->obj;
      if (o->info == k && str_eq (object_name (o), name)
          && (!k->namespaced || str_eq (object_namespace (o), ns)))
        return (ssize_t)i;
    }
  return -1;
}

struct store_entry *
store_get (const struct store *s, const struct kind_info *k, const char *ns,
           const char *name)
{
  ssize_t i = find_index (s, k, ns, name);
  return i < 0 ? NULL : s->items[i];
}

char *
store_uuid4 (void)
{
  unsigned char b[16];
  char *s = NULL;
  size_t got = 0;
  while (got < sizeof (b))
    {
      ssize_t n = getrandom (b + got, sizeof (b) - got, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        abort (); /* getrandom cannot fail on Linux >= 3.17 once seeded */
      got += (size_t)n;
    }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  if (asprintf (&s,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x"
                "%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                b[10], b[11], b[12], b[13], b[14], b[15])
      < 0)
    abort ();
  return s;
}

static void
set_str (char **field, const char *value)
{
  free (*field);
  *field = value ? xstrdup (value) : NULL;
}

static void
set_rv (struct store *s, struct object_meta *m)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%llu", (unsigned long long)++s->rv);
  set_str (&m->resource_version, buf);
}

/* The status the API server and the scheduler give a new object: a Pod is
 * Pending with PodScheduled=True (nothing runs it yet), a Namespace Active. */
static struct node *
initial_status (const struct object *o, int64_t now_ms)
{
  struct node *st;
  if (o->info->id == KIND_POD)
    {
      const struct pod *p = o->data;
      struct pod_condition c[COND_COUNT];
      struct node *conds = node_new_seq (), *cond = node_new_map ();
      cleanup_free char *ts = k8s_rfc3339 (now_ms);
      st = node_new_map ();
      node_map_set_str (st, "phase", lifecycle_phase_name (PHASE_PENDING));
      lifecycle_conditions (&p->spec, NULL, 0, PHASE_PENDING, false, c);
      node_map_set_str (cond, "type", c[COND_SCHEDULED].type);
      node_map_set_str (cond, "status",
                        c[COND_SCHEDULED].status ? "True" : "False");
      node_map_set (cond, "lastProbeTime", node_new_scalar ("null", false));
      node_map_set_str (cond, "lastTransitionTime", ts);
      lifecycle_conditions_free (c);
      node_seq_append (conds, cond);
      node_map_set (st, "conditions", conds);
      node_map_set_str (st, "qosClass",
                        qos_class_name (qos_compute (&p->spec)));
      return st;
    }
  if (o->info->id == KIND_NAMESPACE)
    {
      st = node_new_map ();
      node_map_set_str (st, "phase", "Active");
      return st;
    }
  return NULL;
}

/* The Job strategy's generateSelector: without manualSelector the pod
 * template gets the controller-uid and job-name labels (the
 * batch.kubernetes.io/ ones and the legacy ones) and the selector matches
 * the controller-uid. */
static void
job_generate_selector (struct object *o)
{
  struct job *j = o->data;
  const struct object_meta *m = object_meta (o);
  struct strmap *labels = &j->spec.template.metadata.labels;
  if (o->info->id != KIND_JOB || m->uid == NULL
      || (j->spec.manual_selector.set && j->spec.manual_selector.v))
    return;
  strmap_set (labels, "batch.kubernetes.io/controller-uid", m->uid);
  strmap_set (labels, "batch.kubernetes.io/job-name", m->name);
  strmap_set (labels, "controller-uid", m->uid);
  strmap_set (labels, "job-name", m->name);
  if (j->spec.selector == NULL)
    j->spec.selector = xcalloc (1, sizeof (*j->spec.selector));
  strmap_set (&j->spec.selector->match_labels,
              "batch.kubernetes.io/controller-uid", m->uid);
  /* SetDefaults_Job, applied again whenever the object is read: a Job
   * without labels has its template's */
  if (j->metadata.labels.len == 0)
    for (size_t i = 0; i < labels->len; i++)
      strmap_set (&j->metadata.labels, labels->keys[i], labels->values[i]);
}

/* Copy what the server owns from OLD to NEW so that the two compare equal
 * when the user changed nothing. */
static void
copy_server_meta (struct object_meta *to, const struct object_meta *from)
{
  set_str (&to->uid, from->uid);
  set_str (&to->creation_timestamp, from->creation_timestamp);
  set_str (&to->resource_version, from->resource_version);
  to->generation = from->generation;
  /* a deletion, once begun, is not the client's to undo */
  if (from->deletion_timestamp)
    {
      set_str (&to->deletion_timestamp, from->deletion_timestamp);
      to->deletion_grace_period_seconds = from->deletion_grace_period_seconds;
    }
}

static bool
objects_equal (const struct object *a, const struct object *b)
{
  struct node *na = object_encode (a), *nb = object_encode (b);
  bool eq = node_equal (na, nb);
  node_unref (na);
  node_unref (nb);
  return eq;
}

/* A change of the object E (not only of its status). */
static int
notify (struct store *s, const struct store_entry *e, bool deleted,
        berth_error_t *err)
{
  s->objects_changed++;
  if (s->on_change == NULL)
    return 0;
  return s->on_change (s, e, deleted, s->change_data, err);
}

static void
append_entry (struct store *s, struct store_entry *e)
{
  if (s->len == s->cap)
    {
      size_t cap = s->cap ? s->cap * 2 : 16;
      struct store_entry **items
          = reallocarray (s->items, cap, sizeof (*items));
      if (items == NULL)
        abort ();
      s->items = items;
      s->cap = cap;
    }
  e->owner = s;
  s->items[s->len++] = e;
}

/* The API server's ServiceAccount admission: a pod that names no service
 * account runs as "default" (spec.serviceAccountName, and the deprecated
 * spec.serviceAccount that defaulting keeps equal).  Static pods are
 * mirror pods there, which the plugin leaves alone. */
static void
pod_default_service_account (struct pod *p)
{
  if (p->spec.service_account_name == NULL || !*p->spec.service_account_name)
    {
      free (p->spec.service_account_name);
      p->spec.service_account_name
          = xstrdup (p->spec.service_account && *p->spec.service_account
                         ? p->spec.service_account
                         : "default");
    }
  if (p->spec.service_account == NULL || !*p->spec.service_account)
    {
      free (p->spec.service_account);
      p->spec.service_account = xstrdup (p->spec.service_account_name);
    }
}

static int
store_create_entry (struct store *s, struct object *o, const char *source,
                    struct store_entry **out, berth_error_t *err)
{
  struct object_meta *m = object_meta (o);
  int64_t now = loop_wall_ms ();
  struct store_entry *e = xcalloc (1, sizeof (*e));

  if (m->uid == NULL || *m->uid == '\0')
    {
      free (m->uid);
      m->uid = store_uuid4 ();
    }
  free (m->creation_timestamp);
  m->creation_timestamp = k8s_rfc3339 (now);
  m->generation.set = true;
  m->generation.v = 1;
  if (o->info->id == KIND_POD && s->node_name
      && ((struct pod *)o->data)->spec.node_name == NULL)
    ((struct pod *)o->data)->spec.node_name = xstrdup (s->node_name);
  if (o->info->id == KIND_POD && strcmp (source, "api") == 0)
    pod_default_service_account (o->data);
  set_rv (s, m);
  job_generate_selector (o);
  e->obj = o;
  e->status = initial_status (o, now);
  e->source = xstrdup (source);
  append_entry (s, e);
  if (out)
    *out = e;
  return notify (s, e, false, err);
}

static int remove_at (struct store *s, ssize_t i, struct store_entry **removed,
                      berth_error_t *err);

/* *REMOVED: the update removed the last finalizer of an object being
 * deleted, and the entry is gone (E freed). */
static int
store_replace_entry (struct store *s, struct store_entry *e, struct object *o,
                     const char *source, enum store_result *result,
                     bool *removed, berth_error_t *err)
{
  struct object_meta *m = object_meta (o), *old = object_meta (e->obj);
  bool changed;

  copy_server_meta (m, old);
  job_generate_selector (o);
  if (o->info->id == KIND_POD
      && ((struct pod *)o->data)->spec.node_name == NULL)
    set_str (&((struct pod *)o->data)->spec.node_name,
             ((struct pod *)e->obj->data)->spec.node_name);
  if (o->info->id == KIND_POD && strcmp (source, "api") == 0)
    pod_default_service_account (o->data);
  changed = !objects_equal (e->obj, o) || !str_eq (e->source, source);
  if (!changed)
    {
      object_free (o);
      *result = STORE_UNCHANGED;
      return 0;
    }
  if (m->generation.set)
    m->generation.v++;
  set_rv (s, m);
  object_free (e->obj);
  e->obj = o;
  set_str (&e->source, source);
  *result = STORE_CONFIGURED;
  if (e->remove_when_finalized && m->finalizers.len == 0)
    {
      ssize_t i
          = find_index (s, o->info, object_namespace (o), object_name (o));
      struct store_entry *gone = NULL;
      int ret = i < 0 ? 0 : remove_at (s, i, &gone, err);
      store_entry_free (gone);
      *removed = true;
      return ret;
    }
  return notify (s, e, false, err);
}

int
store_apply (struct store *s, struct object *o, const char *source,
             enum store_mode mode, const char *expect_rv,
             enum store_result *result, struct store_entry **out,
             berth_error_t *err)
{
  const char *uid = object_meta (o)->uid;
  ssize_t i = find_index (s, o->info, object_namespace (o), object_name (o));
  struct store_entry *e = i < 0 ? NULL : s->items[i];
  cleanup_free char *name = xstrdup (object_name (o));

  *result = STORE_UNCHANGED;
  if (e && mode == STORE_CREATE_ONLY)
    {
      object_free (o);
      return berth_error_make (err, EEXIST, "%s \"%s\" already exists",
                               e->obj->info->resource, name);
    }
  if (e == NULL && mode == STORE_UPDATE_ONLY)
    {
      int r = berth_error_make (err, ENOENT, "%s \"%s\" not found",
                                o->info->resource, name);
      object_free (o);
      return r;
    }
  if (e && expect_rv && *expect_rv
      && !str_eq (expect_rv, object_meta (e->obj)->resource_version))
    {
      object_free (o);
      return berth_error_make (
          err, ESTALE,
          "Operation cannot be fulfilled on %s \"%s\": the object has been "
          "modified; please apply your changes to the latest version and try "
          "again",
          e->obj->info->resource, name);
    }
  if (e && uid && *uid && !str_eq (uid, object_meta (e->obj)->uid))
    {
      /* Another uid: a new object under the same name (a static pod whose
       * content changed), created afresh with a new status. */
      memmove (&s->items[i], &s->items[i + 1],
               (s->len - (size_t)i - 1) * sizeof (*s->items));
      s->len--;
      if (notify (s, e, true, err) < 0)
        {
          store_entry_free (e);
          object_free (o);
          return -1;
        }
      store_entry_free (e);
      e = NULL;
    }
  if (e == NULL)
    {
      *result = STORE_CREATED;
      return store_create_entry (s, o, source, out, err);
    }
  {
    bool removed = false;
    int ret = store_replace_entry (s, e, o, source, result, &removed, err);
    if (out)
      *out = removed ? NULL : e;
    return ret;
  }
}

static int
remove_at (struct store *s, ssize_t i, struct store_entry **removed,
           berth_error_t *err)
{
  struct store_entry *e = s->items[i];
  /* keep the order of the rest: lists come out in creation order */
  memmove (&s->items[i], &s->items[i + 1],
           (s->len - (size_t)i - 1) * sizeof (*s->items));
  s->len--;
  *removed = e;
  return notify (s, e, true, err);
}

/* The API server's graceful deletion of a pod bound to a node. */
static int
mark_deleting (struct store *s, struct store_entry *e, int64_t grace,
               berth_error_t *err)
{
  struct object_meta *m = object_meta (e->obj);
  const struct pod *p = e->obj->data;
  if (m->deletion_timestamp)
    return 0;
  if (grace < 0)
    grace = p->spec.termination_grace_period_seconds.set
                ? p->spec.termination_grace_period_seconds.v
                : 30;
  m->deletion_timestamp = k8s_rfc3339 (loop_wall_ms () + grace * 1000);
  m->deletion_grace_period_seconds.set = true;
  m->deletion_grace_period_seconds.v = grace;
  set_rv (s, m);
  return notify (s, e, false, err);
}

int
store_delete_grace (struct store *s, const struct kind_info *k, const char *ns,
                    const char *name, int64_t grace_seconds,
                    struct store_entry **removed, berth_error_t *err)
{
  ssize_t i = find_index (s, k, ns, name);
  *removed = NULL;
  if (i < 0)
    return berth_error_make (err, ENOENT, "%s \"%s\" not found", k->resource,
                             name);
  if (s->graceful_pods && k->id == KIND_POD)
    return mark_deleting (s, s->items[i], grace_seconds, err);
  return remove_at (s, i, removed, err);
}

int
store_delete (struct store *s, const struct kind_info *k, const char *ns,
              const char *name, struct store_entry **removed,
              berth_error_t *err)
{
  return store_delete_grace (s, k, ns, name, -1, removed, err);
}

int
store_remove (struct store *s, const struct kind_info *k, const char *ns,
              const char *name, const char *uid, berth_error_t *err)
{
  ssize_t i = find_index (s, k, ns, name);
  struct store_entry *e = NULL;
  int ret;
  if (i < 0 || (uid && !str_eq (uid, object_meta (s->items[i]->obj)->uid)))
    return berth_error_make (err, ENOENT, "%s \"%s\" not found", k->resource,
                             name);
  if (object_meta (s->items[i]->obj)->finalizers.len > 0)
    {
      s->items[i]->remove_when_finalized = true;
      return 0;
    }
  ret = remove_at (s, i, &e, err);
  store_entry_free (e);
  return ret;
}

int
store_set_status (struct store *s, struct store_entry *e, struct node *status,
                  berth_error_t *err)
{
  if (e->status && status && node_equal (e->status, status))
    {
      node_unref (status);
      return 0;
    }
  node_unref (e->status);
  e->status = status;
  set_rv (s, object_meta (e->obj));
  return s->on_change ? s->on_change (s, e, false, s->change_data, err) : 0;
}

void
store_insert_loaded (struct store *s, struct object *o, struct node *status,
                     const char *source)
{
  struct store_entry *e = xcalloc (1, sizeof (*e));
  const char *rv = object_meta (o)->resource_version;
  unsigned long long v = rv ? strtoull (rv, NULL, 10) : 0;
  e->obj = o;
  e->status = status;
  e->source = xstrdup (source);
  if (v > s->rv)
    s->rv = v;
  append_entry (s, e);
}

/* STATUS with its "berth" key replaced by EXTRA (taken): a new map that
 * shares the other values. */
static struct node *
status_with_extra (const struct node *status, struct node *extra)
{
  struct node *m = node_new_map ();
  bool placed = false;
  for (size_t i = 0; i < status->len; i++)
    {
      const char *key = status->pairs[i].key->text;
      if (strcmp (key, "berth") == 0)
        {
          node_map_set (m, key, extra);
          placed = true;
        }
      else
        node_map_set (m, key, node_ref (status->pairs[i].value));
    }
  if (!placed)
    node_map_set (m, "berth", extra);
  return m;
}

struct node *
store_entry_encode (const struct store_entry *e)
{
  const struct store *s = e->owner;
  struct node *extra = NULL, *n;
  if (e->status && e->status->kind == NODE_MAP && s && s->status_extra)
    extra = s->status_extra (e, e->status, s->status_extra_data);
  if (extra == NULL)
    return store_entry_encode_stored (e);
  n = object_encode (e->obj);
  node_map_set (n, "status", status_with_extra (e->status, extra));
  return n;
}

struct node *
store_entry_encode_stored (const struct store_entry *e)
{
  struct node *n = object_encode (e->obj);
  if (e->status)
    node_map_set (n, "status", node_ref (e->status));
  return n;
}

int
store_each_of_kind (struct store *s, const struct kind_info *k,
                    const char *what, store_each_fn fn, void *data,
                    berth_error_t *err)
{
  cleanup_free char **keys = xcalloc (2 * s->len + 2, sizeof (char *));
  size_t n = 0;
  int ret = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->items[i]->obj->info == k)
      {
        const char *ns = object_namespace (s->items[i]->obj);
        keys[n++] = ns ? xstrdup (ns) : NULL;
        keys[n++] = xstrdup (object_name (s->items[i]->obj));
      }
  for (size_t i = 0; i < n; i += 2)
    {
      struct store_entry *e = store_get (s, k, keys[i], keys[i + 1]);
      if (ret == 0 && e && fn (s, e, data, err) < 0)
        ret = berth_error_wrap (err, "%s %s", what, keys[i + 1]);
    }
  for (size_t i = 0; i < n; i++)
    free (keys[i]);
  return ret;
}

/* ---- static pods (pkg/kubelet/config/common.go applyDefaults) ---- */

static void
hex_md5_update (EVP_MD_CTX *ctx, const char *s)
{
  EVP_DigestUpdate (ctx, s, strlen (s));
}

/* The UID: md5 over the pod as read, "host:<node>" and "file:<path>", in
 * hex, as the kubelet's hash of the pod, host and source. */
static char *
static_pod_uid (const struct object *pod, const char *node_name,
                const char *path)
{
  struct node *n = object_encode (pod);
  cleanup_free char *json = NULL;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  size_t len = 0;
  berth_error_t err = NULL;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  char *hex;

  if (ctx == NULL)
    abort ();
  if (node_write_json (n, false, &json, &len, &err) < 0)
    {
      /* cannot happen for a decoded object; hash its name instead */
      berth_error_release (&err);
      json = xstrdup (object_name (pod));
    }
  node_unref (n);
  EVP_DigestInit_ex (ctx, EVP_md5 (), NULL);
  hex_md5_update (ctx, json);
  hex_md5_update (ctx, "host:");
  hex_md5_update (ctx, node_name);
  hex_md5_update (ctx, "file:");
  hex_md5_update (ctx, path);
  EVP_DigestFinal_ex (ctx, md, &mdlen);
  EVP_MD_CTX_free (ctx);
  hex = xcalloc (mdlen * 2 + 1, 1);
  for (unsigned i = 0; i < mdlen; i++)
    snprintf (hex + i * 2, 3, "%02x", md[i]);
  return hex;
}

void
store_static_pod_defaults (struct object *pod, const char *node_name,
                           const char *path, int64_t now_ms)
{
  struct pod *p = pod->data;
  struct object_meta *m = &p->metadata;
  cleanup_free char *uid = static_pod_uid (pod, node_name, path);
  cleanup_free char *name = NULL;
  cleanup_free char *seen = k8s_rfc3339_nano (now_ms);
  struct toleration *t;

  if (asprintf (&name, "%s-%s", m->name ? m->name : "", node_name) < 0)
    abort ();
  set_str (&m->name, name);
  set_str (&m->uid, uid);
  if (m->namespace == NULL)
    m->namespace = xstrdup ("default");
  set_str (&p->spec.node_name, node_name);
  strmap_set (&m->annotations, "kubernetes.io/config.hash", uid);
  strmap_set (&m->annotations, "kubernetes.io/config.seen", seen);
  strmap_set (&m->annotations, "kubernetes.io/config.source", "file");
  /* "Set the default status to pending" and tolerate every NoExecute
   * taint, as file pods do. */
  t = list_append (&p->spec.tolerations, sizeof (*t));
  t->operator= xstrdup ("Exists");
  t->effect = xstrdup ("NoExecute");
}

/* ---- events (client-go tools/record events_cache.go) ---- */

static bool
event_matches (const struct store_event *ev, const char *type,
               const char *reason, const char *kind, const char *ns,
               const char *name, const char *uid, const char *message)
{
  return str_eq (ev->type, type) && str_eq (ev->reason, reason)
         && str_eq (ev->obj_kind, kind) && str_eq (ev->obj_namespace, ns)
         && str_eq (ev->obj_name, name) && str_eq (ev->obj_uid, uid)
         && str_eq (ev->message, message);
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

void
store_event (struct store *s, const char *type, const char *reason,
             const char *kind, const char *ns, const char *name,
             const char *uid, const char *message)
{
  int64_t now = loop_wall_ms ();
  struct store_event *ev = NULL;
  const struct kind_info *k = kind ? kind_lookup (kind) : NULL;
  char buf[64];

  for (size_t i = 0; i < s->nevents; i++)
    if (event_matches (&s->events[i], type, reason, kind, ns, name, uid,
                       message))
      {
        ev = &s->events[i];
        s->events_changed++;
        ev->count++;
        ev->last_ms = now;
        snprintf (buf, sizeof (buf), "%llu", (unsigned long long)++s->rv);
        set_str (&ev->resource_version, buf);
        return;
      }
  s->events_changed++;
  if (s->nevents == STORE_MAX_EVENTS)
    {
      event_clear (&s->events[0]);
      memmove (&s->events[0], &s->events[1],
               (STORE_MAX_EVENTS - 1) * sizeof (s->events[0]));
      memset (&s->events[STORE_MAX_EVENTS - 1], 0, sizeof (s->events[0]));
      s->nevents--;
    }
  ev = &s->events[s->nevents++];
  if (asprintf (&ev->name, "%s.%llx", name ? name : "berth",
                (unsigned long long)now * 1000000ULL + s->rv)
      < 0)
    abort ();
  ev->namespace = xstrdup (ns ? ns : "default");
  ev->uid = store_uuid4 ();
  snprintf (buf, sizeof (buf), "%llu", (unsigned long long)++s->rv);
  ev->resource_version = xstrdup (buf);
  ev->type = xstrdup (type);
  ev->reason = xstrdup (reason);
  ev->message = xstrdup (message);
  ev->obj_kind = dup_or_null (kind);
  ev->obj_namespace = dup_or_null (ns);
  ev->obj_name = dup_or_null (name);
  ev->obj_uid = dup_or_null (uid);
  if (k)
    {
      if (asprintf (&ev->obj_api_version, "%s%s%s", k->group,
                    *k->group ? "/" : "", k->version)
          < 0)
        abort ();
    }
  else if (kind && strcmp (kind, "Node") == 0)
    ev->obj_api_version = xstrdup ("v1");
  ev->host = dup_or_null (s->node_name);
  ev->count = 1;
  ev->first_ms = ev->last_ms = now;
}

static void
set_opt_str (struct node *n, const char *key, const char *value)
{
  if (value)
    node_map_set_str (n, key, value);
}

struct node *
store_event_encode (const struct store_event *ev)
{
  struct node *n = node_new_map (), *meta = node_new_map ();
  struct node *obj = node_new_map (), *src = node_new_map ();
  cleanup_free char *first = k8s_rfc3339 (ev->first_ms);
  cleanup_free char *last = k8s_rfc3339 (ev->last_ms);

  node_map_set_str (n, "kind", "Event");
  node_map_set_str (n, "apiVersion", "v1");
  node_map_set_str (meta, "name", ev->name);
  node_map_set_str (meta, "namespace", ev->namespace);
  node_map_set_str (meta, "uid", ev->uid);
  node_map_set_str (meta, "resourceVersion", ev->resource_version);
  node_map_set_str (meta, "creationTimestamp", first);
  node_map_set (n, "metadata", meta);
  set_opt_str (obj, "kind", ev->obj_kind);
  set_opt_str (obj, "namespace", ev->obj_namespace);
  set_opt_str (obj, "name", ev->obj_name);
  set_opt_str (obj, "uid", ev->obj_uid);
  set_opt_str (obj, "apiVersion", ev->obj_api_version);
  node_map_set (n, "involvedObject", obj);
  node_map_set_str (n, "reason", ev->reason);
  node_map_set_str (n, "message", ev->message);
  node_map_set_str (src, "component", "berth");
  if (ev->host)
    node_map_set_str (src, "host", ev->host);
  node_map_set (n, "source", src);
  node_map_set_str (n, "firstTimestamp", first);
  node_map_set_str (n, "lastTimestamp", last);
  node_map_set_int (n, "count", ev->count);
  node_map_set_str (n, "type", ev->type);
  node_map_set_str (n, "reportingComponent", "berth");
  return n;
}

static char *
get_text (const struct node *n, const char *path)
{
  const struct node *v = k8s_get (n, path);
  return v && v->kind == NODE_SCALAR && !node_is_null (v) ? xstrdup (v->text)
                                                          : NULL;
}

static int64_t
get_time_ms (const struct node *n, const char *path)
{
  const struct node *v = k8s_get (n, path);
  time_t t = 0;
  if (v == NULL || v->kind != NODE_SCALAR
      || k8s_rfc3339_parse (v->text, &t) < 0)
    return 0;
  return (int64_t)t * 1000;
}

bool
store_event_restore (struct store *s, const struct node *n)
{
  struct store_event *ev;
  int64_t count = 1;
  if (s->nevents == STORE_MAX_EVENTS || n == NULL || n->kind != NODE_MAP
      || k8s_get (n, "reason") == NULL)
    return false;
  ev = &s->events[s->nevents++];
  memset (ev, 0, sizeof (*ev));
  ev->name = get_text (n, "metadata.name");
  ev->namespace = get_text (n, "metadata.namespace");
  ev->uid = get_text (n, "metadata.uid");
  ev->resource_version = get_text (n, "metadata.resourceVersion");
  ev->type = get_text (n, "type");
  ev->reason = get_text (n, "reason");
  ev->message = get_text (n, "message");
  ev->obj_kind = get_text (n, "involvedObject.kind");
  ev->obj_namespace = get_text (n, "involvedObject.namespace");
  ev->obj_name = get_text (n, "involvedObject.name");
  ev->obj_uid = get_text (n, "involvedObject.uid");
  ev->obj_api_version = get_text (n, "involvedObject.apiVersion");
  ev->host = get_text (n, "source.host");
  node_as_int64 (k8s_get (n, "count"), &count, NULL);
  ev->count = count;
  if (ev->resource_version && strtoull (ev->resource_version, NULL, 10) > s->rv)
    s->rv = strtoull (ev->resource_version, NULL, 10);
  ev->first_ms = get_time_ms (n, "firstTimestamp");
  ev->last_ms = get_time_ms (n, "lastTimestamp");
  if (ev->name == NULL || ev->type == NULL || ev->message == NULL)
    {
      event_clear (ev);
      s->nevents--;
      return false;
    }
  return true;
}
