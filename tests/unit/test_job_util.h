/* test_job_util.h - helpers of the Job and CronJob controller tests: a
 * store, objects from YAML, a stand-in for the pod worker that writes pod
 * statuses as the real one does (PodStatus JSON) and finishes deleted
 * pods, and a driver that syncs a controller to its fixed point. */
#ifndef BERTH_TEST_JOB_UTIL_H
#define BERTH_TEST_JOB_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "controller.h"
#include "k8s_json.h"
#include "store.h"

/* 2026-11-27T12:00:00Z, a whole second: status times are RFC 3339
 * seconds. */
#define T0 1795780800000LL

static inline struct store_entry *
apply_yaml (struct store *s, const char *yaml)
{
  struct manifest m;
  struct object *o;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  manifest_read_buffer ("t.yaml", yaml, strlen (yaml), &m);
  ck_assert_uint_eq (m.len, 1);
  o = m.objects[0];
  m.objects[0] = NULL;
  manifest_free (&m);
  if (!object_is_valid (o))
    ck_abort_msg ("invalid: %s: %s", o->diags.items[0].path,
                  o->diags.items[0].msg);
  if (store_apply (s, o, "api", STORE_CREATE_ONLY, NULL, &res, &e, &err) < 0)
    ck_abort_msg ("apply: %s", berth_error_msg (&err));
  return e;
}

static inline int
count_change (struct store *s, const struct store_entry *e, bool deleted,
              void *data, berth_error_t *err)
{
  (void)s;
  (void)e;
  (void)deleted;
  (void)err;
  (*(int *)data)++;
  return 0;
}

/* Sync C until the store stops changing (as the agent's rounds do: every
 * change makes another round; events do not); returns the last
 * *NEXT_MS. */
static inline int64_t
settle (struct controller *c, struct store *s, int64_t now)
{
  int64_t next = -1;
  int changes = 0;
  s->on_change = count_change;
  s->change_data = &changes;
  for (int i = 0; i < 50; i++)
    {
      int before = changes;
      berth_error_t err = NULL;
      if (c->ops->sync (c, s, now, &next, &err) < 0)
        ck_abort_msg ("sync: %s", berth_error_msg (&err));
      if (before == changes)
        {
          s->on_change = NULL;
          return next;
        }
    }
  ck_abort_msg ("no fixed point");
  return -1;
}

/* The pods whose label job-name is JOB, in creation order. */
static inline size_t
job_pods (struct store *s, const char *job, struct store_entry **out,
          size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < s->len && n < max; i++)
    {
      struct store_entry *e = s->items[i];
      const char *v;
      if (e->obj->info->id != KIND_POD)
        continue;
      v = strmap_get (&object_meta (e->obj)->labels,
                      "batch.kubernetes.io/job-name");
      if (v && strcmp (v, job) == 0)
        out[n++] = e;
    }
  return n;
}

static inline const char *
pod_phase (const struct store_entry *e)
{
  const char *p = k8s_get_str (e->status, "phase");
  return p ? p : "";
}

static inline bool
pod_active (const struct store_entry *e)
{
  return strcmp (pod_phase (e), "Succeeded") != 0
         && strcmp (pod_phase (e), "Failed") != 0
         && object_meta (e->obj)->deletion_timestamp == NULL;
}

/* Write a PodStatus as the pod worker does: PHASE, one container "c" with
 * RESTARTS restarts, terminated with EXIT at AT_MS when the phase is
 * terminal (or running otherwise), Ready as it follows. */
static inline void
pod_status (struct store *s, struct store_entry *e, const char *phase,
            int exit_code, int restarts, int64_t at_ms)
{
  struct node *st = node_new_map (), *conds = node_new_seq ();
  struct node *ready = node_new_map (), *cs = node_new_seq ();
  struct node *c = node_new_map (), *state = node_new_map ();
  struct node *t = node_new_map ();
  cleanup_free char *at = k8s_rfc3339 (at_ms);
  bool terminal
      = strcmp (phase, "Succeeded") == 0 || strcmp (phase, "Failed") == 0;
  berth_error_t err = NULL;

  node_map_set_str (st, "phase", phase);
  node_map_set_str (ready, "type", "Ready");
  node_map_set_str (ready, "status", terminal ? "False" : "True");
  node_map_set_str (ready, "lastTransitionTime", at);
  node_seq_append (conds, ready);
  node_map_set (st, "conditions", conds);
  node_map_set_str (c, "name", "c");
  node_map_set_int (c, "restartCount", restarts);
  if (terminal)
    {
      node_map_set_int (t, "exitCode", exit_code);
      node_map_set_str (t, "reason", exit_code ? "Error" : "Completed");
      node_map_set_str (t, "finishedAt", at);
      node_map_set (state, "terminated", t);
    }
  else
    {
      node_unref (t);
      t = node_new_map ();
      node_map_set_str (t, "startedAt", at);
      node_map_set (state, "running", t);
    }
  node_map_set (c, "state", state);
  node_seq_append (cs, c);
  node_map_set (st, "containerStatuses", cs);
  if (store_set_status (s, e, st, &err) < 0)
    ck_abort_msg ("status: %s", berth_error_msg (&err));
}

/* The pod worker's part of deletion: pods marked for deletion stop (a
 * running one ends Failed with 137) and leave the store. */
static inline void
finish_deleted (struct store *s)
{
  for (size_t i = 0; i < s->len;)
    {
      struct store_entry *e = s->items[i];
      const struct object_meta *m = object_meta (e->obj);
      berth_error_t err = NULL;
      if (e->obj->info->id != KIND_POD || m->deletion_timestamp == NULL)
        {
          i++;
          continue;
        }
      ck_assert_int_eq (
          store_remove (s, e->obj->info, m->namespace, m->name, m->uid, &err),
          0);
    }
}

static inline const char *
status_str (const struct store_entry *e, const char *path)
{
  return k8s_get_str (e->status, path);
}

static inline int64_t
status_int (const struct store_entry *e, const char *path)
{
  int64_t v = 0;
  if (!node_as_int64 (k8s_get (e->status, path), &v, NULL))
    return 0;
  return v;
}

/* The status of condition TYPE ("True"), or NULL; *REASON and *MESSAGE
 * when given. */
static inline const char *
condition_of (const struct store_entry *e, const char *type,
              const char **reason, const char **message)
{
  const struct node *conds = k8s_get (e->status, "conditions");
  for (size_t i = 0; conds && i < conds->len; i++)
    {
      const char *t = k8s_get_str (conds->items[i], "type");
      if (t && strcmp (t, type) == 0)
        {
          if (reason)
            *reason = k8s_get_str (conds->items[i], "reason");
          if (message)
            *message = k8s_get_str (conds->items[i], "message");
          return k8s_get_str (conds->items[i], "status");
        }
    }
  return NULL;
}

static inline size_t
count_events (const struct store *s, const char *reason)
{
  size_t n = 0;
  for (size_t i = 0; i < s->nevents; i++)
    if (strcmp (s->events[i].reason, reason) == 0)
      n += (size_t)s->events[i].count;
  return n;
}

#endif
