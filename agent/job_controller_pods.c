/* job_controller_pods.c - the Job controller's side of its pods: reading a
 * pod's state from its status tree, the pod failure policy, and the writes
 * (create from the template, remove the tracking finalizer, delete).  See
 * job_controller_internal.h. */
#include "job_controller_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"

static int64_t
ts_ms (const char *s)
{
  time_t t;
  if (s == NULL || k8s_rfc3339_parse (s, &t) < 0)
    return -1;
  return (int64_t)t * 1000;
}

static bool
is_true (const struct node *n)
{
  bool b = false;
  return n && node_as_bool (n, &b) && b;
}

bool
job_controller_ref (const struct object_meta *meta, const char *kind,
                    const char **name, const char **uid)
{
  const struct node *refs = meta->owner_references;
  if (refs == NULL || refs->kind != NODE_SEQ)
    return false;
  for (size_t i = 0; i < refs->len; i++)
    {
      const struct node *r = refs->items[i];
      const char *k = k8s_get_str (r, "kind");
      if (!is_true (node_map_get (r, "controller")))
        continue;
      if (k == NULL || strcmp (k, kind) != 0)
        return false;
      *name = k8s_get_str (r, "name");
      *uid = k8s_get_str (r, "uid");
      return *name && *uid;
    }
  return false;
}

/* strconv.Atoi of a non-negative int32 annotation value, else -1. */
static int
parse_index (const char *v)
{
  char *end;
  long n;
  if (v == NULL || *v == '\0')
    return -1;
  errno = 0;
  n = strtol (v, &end, 10);
  if (*end != '\0' || errno || n < 0 || n > INT32_MAX)
    return -1;
  return (int)n;
}

static int
sum_restarts (const struct node *list)
{
  int n = 0;
  for (size_t i = 0; list && list->kind == NODE_SEQ && i < list->len; i++)
    {
      int64_t v = 0;
      if (node_as_int64 (node_map_get (list->items[i], "restartCount"), &v,
                         NULL))
        n += (int)v;
    }
  return n;
}

static const struct node *
condition (const struct node *status, const char *type)
{
  const struct node *conds = k8s_get (status, "conditions");
  for (size_t i = 0; conds && conds->kind == NODE_SEQ && i < conds->len; i++)
    {
      const char *t = k8s_get_str (conds->items[i], "type");
      if (t && strcmp (t, type) == 0)
        return conds->items[i];
    }
  return NULL;
}

/* backoff_utils.go getFinishedTime: the latest container finish when every
 * container finished, else Ready=False's transition, else the deletion
 * time less the grace period, else the creation time. */
static int64_t
finished_time (const struct object_meta *m, const struct node *status,
               int64_t created_ms)
{
  const struct node *cs = k8s_get (status, "containerStatuses");
  const struct node *ready = condition (status, "Ready");
  int64_t latest = -1;
  bool all = cs && cs->kind == NODE_SEQ && cs->len > 0;
  for (size_t i = 0; all && i < cs->len; i++)
    {
      int64_t f
          = ts_ms (k8s_get_str (cs->items[i], "state.terminated.finishedAt"));
      if (f < 0)
        all = false;
      else if (f > latest)
        latest = f;
    }
  if (all && latest >= 0)
    return latest;
  if (ready)
    {
      const char *st = k8s_get_str (ready, "status");
      int64_t t = ts_ms (k8s_get_str (ready, "lastTransitionTime"));
      if (st && strcmp (st, "False") == 0 && t >= 0)
        return t;
    }
  if (m->deletion_timestamp)
    return ts_ms (m->deletion_timestamp)
           - (m->deletion_grace_period_seconds.set
                  ? m->deletion_grace_period_seconds.v * 1000
                  : 0);
  return created_ms;
}

bool
jpod_read (struct store_entry *e, const char *job_uid, struct jpod *out)
{
  const struct pod *p = e->obj->data;
  const struct object_meta *m = &p->metadata;
  const char *name, *uid;
  const struct node *ready;

  memset (out, 0, sizeof (*out));
  if (e->obj->info->id != KIND_POD
      || !job_controller_ref (m, "Job", &name, &uid)
      || strcmp (uid, job_uid) != 0)
    return false;
  out->e = e;
  out->uid = xstrdup (m->uid ? m->uid : "");
  out->name = xstrdup (m->name ? m->name : "");
  out->phase = k8s_get_str (e->status, "phase");
  if (out->phase == NULL)
    out->phase = "";
  out->deleting = m->deletion_timestamp != NULL;
  for (size_t i = 0; i < m->finalizers.len; i++)
    if (strcmp (m->finalizers.items[i], JOB_TRACKING_FINALIZER) == 0)
      out->finalizer = true;
  ready = condition (e->status, "Ready");
  out->ready = ready && k8s_get_str (ready, "status")
               && strcmp (k8s_get_str (ready, "status"), "True") == 0;
  out->assigned = p->spec.node_name && *p->spec.node_name;
  out->index = parse_index (strmap_get (&m->annotations, JOB_COMPLETION_INDEX));
  out->restarts = sum_restarts (k8s_get (e->status, "initContainerStatuses"))
                  + sum_restarts (k8s_get (e->status, "containerStatuses"));
  out->created_ms = ts_ms (m->creation_timestamp);
  out->finished_ms = finished_time (m, e->status, out->created_ms);
  out->failure_count
      = parse_index (strmap_get (&m->annotations, JOB_INDEX_FAILURE_COUNT));
  out->ignored_failure_count = parse_index (
      strmap_get (&m->annotations, JOB_INDEX_IGNORED_FAILURE_COUNT));
  if (out->failure_count < 0)
    out->failure_count = 0;
  if (out->ignored_failure_count < 0)
    out->ignored_failure_count = 0;
  return true;
}

void
jpod_clear (struct jpod *p)
{
  free (p->uid);
  free (p->name);
  memset (p, 0, sizeof (*p));
}

bool
jpod_succeeded (const struct jpod *p)
{
  return strcmp (p->phase, "Succeeded") == 0;
}

bool
jpod_failed_phase (const struct jpod *p)
{
  return strcmp (p->phase, "Failed") == 0;
}

bool
jpod_active (const struct jpod *p)
{
  return !jpod_succeeded (p) && !jpod_failed_phase (p) && !p->deleting;
}

bool
jpod_terminating (const struct jpod *p)
{
  return p->deleting && !jpod_succeeded (p) && !jpod_failed_phase (p);
}

/* ---- pod failure policy (pod_failure_policy.go) ---- */

static bool
exit_code_matches (int64_t code,
                   const struct pod_failure_policy_on_exit_codes *r)
{
  bool in = false;
  for (size_t i = 0; i < r->values.len; i++)
    if (r->values.items[i] == code)
      in = true;
  if (r->operator&& strcmp (r->operator, "In") == 0)
    return in;
  if (r->operator&& strcmp (r->operator, "NotIn") == 0)
    return !in;
  return false;
}

/* getMatchingContainerFromList over containerStatuses, then
 * initContainerStatuses. */
static const struct node *
match_exit_codes (const struct node *status,
                  const struct pod_failure_policy_on_exit_codes *r,
                  int64_t *code)
{
  static const char *const lists[]
      = { "containerStatuses", "initContainerStatuses" };
  for (size_t l = 0; l < 2; l++)
    {
      const struct node *cs = k8s_get (status, lists[l]);
      for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
        {
          const struct node *t = k8s_get (cs->items[i], "state.terminated");
          const char *name = k8s_get_str (cs->items[i], "name");
          int64_t c = 0;
          if (t == NULL
              || !node_as_int64 (node_map_get (t, "exitCode"), &c, NULL))
            continue;
          if (r->container_name
              && (name == NULL || strcmp (r->container_name, name) != 0))
            continue;
          if (c != 0 && exit_code_matches (c, r))
            {
              *code = c;
              return cs->items[i];
            }
        }
    }
  return NULL;
}

static const struct node *
match_conditions (const struct node *status,
                  const struct pod_failure_policy_rule *r)
{
  const struct node *conds = k8s_get (status, "conditions");
  for (size_t i = 0; conds && conds->kind == NODE_SEQ && i < conds->len; i++)
    {
      const char *t = k8s_get_str (conds->items[i], "type");
      const char *st = k8s_get_str (conds->items[i], "status");
      for (size_t j = 0; t && st && j < r->on_pod_conditions.len; j++)
        {
          const struct pod_failure_policy_on_pod_condition *pat
              = &r->on_pod_conditions.items[j];
          if (pat->type && strcmp (pat->type, t) == 0 && pat->status
              && strcmp (pat->status, st) == 0)
            return conds->items[i];
        }
    }
  return NULL;
}

const char *
job_match_failure_policy (const struct pod_failure_policy *pfp,
                          const struct jpod *p, bool *count, char **msg)
{
  const struct object_meta *m
      = &((const struct pod *)p->e->obj->data)->metadata;
  *count = true;
  if (msg)
    *msg = NULL;
  if (pfp == NULL)
    return NULL;
  for (size_t i = 0; i < pfp->rules.len; i++)
    {
      const struct pod_failure_policy_rule *r = &pfp->rules.items[i];
      const struct node *hit = NULL;
      int64_t code = 0;
      if (r->on_exit_codes)
        hit = match_exit_codes (p->e->status, r->on_exit_codes, &code);
      else if (r->on_pod_conditions.len > 0)
        hit = match_conditions (p->e->status, r);
      if (hit == NULL || r->action == NULL)
        continue;
      if (strcmp (r->action, "Ignore") == 0)
        {
          *count = false;
          return "Ignore";
        }
      if (strcmp (r->action, "FailIndex") == 0)
        return "FailIndex";
      if (strcmp (r->action, "Count") == 0)
        return "Count";
      if (strcmp (r->action, "FailJob") == 0)
        {
          if (msg && r->on_exit_codes
              && asprintf (msg,
                           "Container %s for pod %s/%s failed with exit code "
                           "%lld matching %s rule at index %zu",
                           k8s_get_str (hit, "name"), m->namespace, m->name,
                           (long long)code, r->action, i)
                     < 0)
            abort ();
          if (msg && !r->on_exit_codes
              && asprintf (msg,
                           "Pod %s/%s has condition %s matching %s rule at "
                           "index %zu",
                           m->namespace, m->name, k8s_get_str (hit, "type"),
                           r->action, i)
                     < 0)
            abort ();
          return "FailJob";
        }
      /* an unknown action falls through to the next rule, as Go's switch
       * without a matching case does */
    }
  return NULL;
}

/* ---- writes ---- */

/* apiserver storage/names: the generateName suffix, 5 characters of
 * utilrand's alphabet, the base cut to 58 characters. */
static char *
generate_name (const char *base)
{
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char r[5];
  char suffix[6];
  char *out = NULL;
  size_t got = 0;
  while (got < sizeof (r))
    {
      ssize_t n = getrandom (r + got, sizeof (r) - got, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        abort ();
      got += (size_t)n;
    }
  for (size_t i = 0; i < 5; i++)
    suffix[i] = alphabet[r[i] % (sizeof (alphabet) - 1)];
  suffix[5] = '\0';
  if (asprintf (&out, "%.58s%s", base, suffix) < 0)
    abort ();
  return out;
}

static struct node *
map_child (struct node *map, const char *key)
{
  struct node *n = node_map_get (map, key);
  if (n == NULL || n->kind != NODE_MAP)
    {
      n = node_new_map ();
      node_map_set (map, key, n);
    }
  return n;
}

static void
add_index_env (struct node *spec, const char *list)
{
  struct node *cs = node_map_get (spec, list);
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    {
      struct node *env = node_map_get (cs->items[i], "env");
      struct node *var, *from, *ref;
      bool have = false;
      if (env == NULL || env->kind != NODE_SEQ)
        {
          env = node_new_seq ();
          node_map_set (cs->items[i], "env", env);
        }
      for (size_t j = 0; j < env->len; j++)
        {
          const char *n = k8s_get_str (env->items[j], "name");
          have = have || (n && strcmp (n, "JOB_COMPLETION_INDEX") == 0);
        }
      if (have)
        continue;
      var = node_new_map ();
      from = node_new_map ();
      ref = node_new_map ();
      node_map_set_str (var, "name", "JOB_COMPLETION_INDEX");
      /* PodIndexLabel is GA: the env comes from the label */
      node_map_set_str (ref, "fieldPath",
                        "metadata.labels['" JOB_COMPLETION_INDEX "']");
      node_map_set (from, "fieldRef", ref);
      node_map_set (var, "valueFrom", from);
      node_seq_append (env, var);
    }
}

static struct node *
controller_ref_node (const struct object_meta *owner, const char *api_version,
                     const char *kind)
{
  struct node *refs = node_new_seq (), *r = node_new_map ();
  node_map_set_str (r, "apiVersion", api_version);
  node_map_set_str (r, "kind", kind);
  node_map_set_str (r, "name", owner->name);
  node_map_set_str (r, "uid", owner->uid);
  node_map_set_bool (r, "controller", true);
  node_map_set_bool (r, "blockOwnerDeletion", true);
  node_seq_append (refs, r);
  return refs;
}

/* The pod as GetPodFromTemplate makes it, with the labels the API server's
 * generateSelector put into the Job's template. */
static struct node *
pod_from_template (const struct job *j, int index, const struct jpod *replaced,
                   const struct pod_failure_policy *pfp)
{
  struct node *jn = codec_encode (kind_lookup ("Job")->desc, j);
  struct node *tmpl = k8s_get (jn, "spec.template");
  struct node *pod = node_new_map (), *meta, *labels, *ann, *fins, *spec;
  char buf[32];

  node_map_set_str (pod, "apiVersion", "v1");
  node_map_set_str (pod, "kind", "Pod");
  meta = map_child (tmpl, "metadata");
  node_map_set (pod, "metadata", node_ref (meta));
  labels = map_child (meta, "labels");
  ann = map_child (meta, "annotations");
  if (!j->spec.manual_selector.v)
    {
      node_map_set_str (labels, "batch.kubernetes.io/controller-uid",
                        j->metadata.uid);
      node_map_set_str (labels, "batch.kubernetes.io/job-name",
                        j->metadata.name);
      node_map_set_str (labels, "controller-uid", j->metadata.uid);
      node_map_set_str (labels, "job-name", j->metadata.name);
    }
  node_map_set_str (meta, "namespace", j->metadata.namespace);
  fins = node_map_get (meta, "finalizers");
  if (fins == NULL || fins->kind != NODE_SEQ)
    {
      fins = node_new_seq ();
      node_map_set (meta, "finalizers", fins);
    }
  node_seq_append (fins, node_new_scalar (JOB_TRACKING_FINALIZER, true));
  node_map_set (meta, "ownerReferences",
                controller_ref_node (&j->metadata, "batch/v1", "Job"));
  spec = map_child (tmpl, "spec");
  node_map_set (pod, "spec", node_ref (spec));
  if (index >= 0)
    {
      snprintf (buf, sizeof (buf), "%d", index);
      node_map_set_str (ann, JOB_COMPLETION_INDEX, buf);
      node_map_set_str (labels, JOB_COMPLETION_INDEX, buf);
      add_index_env (spec, "initContainers");
      add_index_env (spec, "containers");
      {
        cleanup_free char *host = NULL;
        if (asprintf (&host, "%s-%d", j->metadata.name, index) < 0)
          abort ();
        node_map_set_str (spec, "hostname", host);
      }
      if (j->spec.backoff_limit_per_index.set)
        {
          /* getNewIndexFailureCounts */
          int fc = 0, ic = 0;
          if (replaced)
            {
              bool count = true;
              fc = replaced->failure_count;
              ic = replaced->ignored_failure_count;
              job_match_failure_policy (pfp, replaced, &count, NULL);
              if (count)
                fc++;
              else
                ic++;
            }
          snprintf (buf, sizeof (buf), "%d", fc);
          node_map_set_str (ann, JOB_INDEX_FAILURE_COUNT, buf);
          if (ic > 0)
            {
              snprintf (buf, sizeof (buf), "%d", ic);
              node_map_set_str (ann, JOB_INDEX_IGNORED_FAILURE_COUNT, buf);
            }
        }
    }
  node_unref (jn);
  return pod;
}

int
job_create_pod (struct store *s, struct store_entry *je, int index,
                const struct jpod *replaced, berth_error_t *err)
{
  const struct job *j = je->obj->data;
  cleanup_free char *base = NULL;
  struct node *pn
      = pod_from_template (j, index, replaced, j->spec.pod_failure_policy);
  int ret = -1;

  if (index >= 0)
    {
      /* podGenerateNameWithIndex */
      cleanup_free char *suffix = NULL;
      if (asprintf (&suffix, "-%d-", index) < 0)
        abort ();
      if (asprintf (&base, "%.*s%s", (int)(58 - strlen (suffix)),
                    j->metadata.name, suffix)
          < 0)
        abort ();
      if (strlen (j->metadata.name) + strlen (suffix) <= 58)
        {
          free (base);
          if (asprintf (&base, "%s%s", j->metadata.name, suffix) < 0)
            abort ();
        }
    }
  else if (asprintf (&base, "%s-", j->metadata.name) < 0)
    abort ();
  node_map_set_str (node_map_get (pn, "metadata"), "generateName", base);
  for (int attempt = 0; attempt < 3; attempt++)
    {
      cleanup_free char *name = generate_name (base);
      struct object *o;
      enum store_result res;
      node_map_set_str (node_map_get (pn, "metadata"), "name", name);
      o = object_from_node ("<job-controller>", pn, "");
      if (!object_is_valid (o))
        {
          const struct diag *d = o->diags.len ? &o->diags.items[0] : NULL;
          cleanup_free char *msg = NULL;
          if (asprintf (&msg, "Error creating: Pod \"%s\" is invalid: %s: %s",
                        name, d && d->path ? d->path : "",
                        d && d->msg ? d->msg : "")
              < 0)
            abort ();
          store_event (s, "Warning", "FailedCreate", "Job",
                       j->metadata.namespace, j->metadata.name, j->metadata.uid,
                       msg);
          object_free (o);
          ret = berth_error_make (err, EINVAL, "%s", msg);
          break;
        }
      berth_error_release (err);
      ret = store_apply (s, o, "api", STORE_CREATE_ONLY, NULL, &res, NULL, err);
      if (ret == 0)
        {
          cleanup_free char *msg = NULL;
          if (asprintf (&msg, "Created pod: %s", name) < 0)
            abort ();
          store_event (s, "Normal", "SuccessfulCreate", "Job",
                       j->metadata.namespace, j->metadata.name, j->metadata.uid,
                       msg);
          break;
        }
      if (ret != -EEXIST)
        break;
    }
  node_unref (pn);
  return ret;
}

int
job_remove_finalizer (struct store *s, struct jpod *p, berth_error_t *err)
{
  struct node *n = object_encode (p->e->obj);
  struct node *meta = node_map_get (n, "metadata");
  struct node *old = node_map_get (meta, "finalizers"), *fins = node_new_seq ();
  struct object *o;
  struct object_meta *m;
  enum store_result res;
  bool gone;
  int ret;

  for (size_t i = 0; old && old->kind == NODE_SEQ && i < old->len; i++)
    if (strcmp (old->items[i]->text, JOB_TRACKING_FINALIZER) != 0)
      node_seq_append (fins, node_ref (old->items[i]));
  node_map_set (meta, "finalizers", fins);
  o = object_from_node ("<job-controller>", n, "");
  node_unref (n);
  if (!object_is_valid (o))
    {
      object_free (o);
      return berth_error_make (err, EINVAL, "pod %s: cannot be updated",
                               p->name);
    }
  if (p->gone)
    {
      /* removed already (a store without graceful deletion) */
      object_free (o);
      p->finalizer = false;
      return 0;
    }
  ret = store_apply (s, o, "api", STORE_UPDATE_ONLY, NULL, &res, NULL, err);
  if (ret == -ENOENT)
    {
      berth_error_release (err);
      p->finalizer = false;
      return 0;
    }
  if (ret < 0)
    return ret;
  p->finalizer = false;
  m = object_meta (p->e->obj);
  gone = m->deletion_timestamp && m->deletion_grace_period_seconds.set
         && m->deletion_grace_period_seconds.v == 0 && m->finalizers.len == 0;
  if (gone)
    return store_remove (s, p->e->obj->info, m->namespace, m->name, p->uid,
                         err);
  return 0;
}

int
job_delete_pod (struct store *s, struct store_entry *je, struct jpod *p,
                struct store_entry **removed, berth_error_t *err)
{
  const struct job *j = je->obj->data;
  cleanup_free char *msg = NULL;
  int ret = store_delete (s, p->e->obj->info, j->metadata.namespace, p->name,
                          removed, err);
  if (ret < 0 && ret != -ENOENT)
    {
      if (asprintf (&msg, "Error deleting: %s", berth_error_msg (err)) < 0)
        abort ();
      store_event (s, "Warning", "FailedDelete", "Job", j->metadata.namespace,
                   j->metadata.name, j->metadata.uid, msg);
      return ret;
    }
  berth_error_release (err);
  p->deleting = true;
  p->gone = *removed != NULL;
  if (asprintf (&msg, "Deleted pod: %s", p->name) < 0)
    abort ();
  store_event (s, "Normal", "SuccessfulDelete", "Job", j->metadata.namespace,
               j->metadata.name, j->metadata.uid, msg);
  return 0;
}
