/* lifecycle.c - see lifecycle.h. */
#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "node.h"

const char *
lifecycle_phase_name (enum pod_phase p)
{
  static const char *const names[]
      = { "Pending", "Running", "Succeeded", "Failed" };
  return names[p];
}

bool
lifecycle_is_sidecar (const struct container *c)
{
  return c->restart_policy && strcmp (c->restart_policy, "Always") == 0;
}

static const struct lifecycle_status *
find_state (const struct lifecycle_status *states, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (states[i].name && name && strcmp (states[i].name, name) == 0)
      return &states[i];
  return NULL;
}

struct phase_counts
{
  int pending_init, failed_init, unknown, running, waiting, stopped, succeeded;
  bool any_regular_started;
};

static void
count_regular_init (struct phase_counts *c, const struct lifecycle_status *s)
{
  if (s == NULL || s->state == CSTATE_NONE || s->state == CSTATE_RUNNING)
    c->pending_init++;
  else if (s->state == CSTATE_TERMINATED)
    {
      if (s->exit_code != 0)
        c->failed_init++;
    }
  else if (s->last_terminated)
    {
      if (s->last_exit_code != 0)
        c->failed_init++;
    }
  else
    c->pending_init++;
}

static void
count_sidecar (struct phase_counts *c, const struct lifecycle_status *s)
{
  if (s == NULL)
    c->unknown++;
  else if (s->state == CSTATE_RUNNING)
    {
      if (!s->started)
        c->pending_init++;
      c->running++;
    }
  else if (s->state == CSTATE_WAITING && !s->last_terminated)
    {
      c->pending_init++;
      c->waiting++;
    }
  else if (s->state == CSTATE_NONE)
    {
      c->pending_init++;
      c->unknown++;
    }
  /* terminated sidecars do not count for the phase */
}

static void
count_regular (struct phase_counts *c, const struct lifecycle_status *s)
{
  if (s == NULL || s->state == CSTATE_NONE)
    {
      c->unknown++;
      return;
    }
  /* HasAnyRegularContainerStarted: a regular container running or
   * terminated now */
  if (s->state == CSTATE_RUNNING || s->state == CSTATE_TERMINATED)
    c->any_regular_started = true;
  if (s->state == CSTATE_RUNNING)
    c->running++;
  else if (s->state == CSTATE_TERMINATED)
    {
      c->stopped++;
      if (s->exit_code == 0)
        c->succeeded++;
    }
  else if (s->last_terminated)
    c->stopped++;
  else
    c->waiting++;
}

enum pod_phase
lifecycle_pod_phase (const struct pod_spec *spec,
                     const struct lifecycle_status *states, size_t n,
                     bool pod_is_terminal, bool is_static)
{
  struct phase_counts c = { 0 };
  const char *policy = spec->restart_policy ? spec->restart_policy : "Always";

  for (size_t i = 0; i < spec->init_containers.len; i++)
    {
      const struct container *ctr = &spec->init_containers.items[i];
      const struct lifecycle_status *s = find_state (states, n, ctr->name);
      if (lifecycle_is_sidecar (ctr))
        count_sidecar (&c, s);
      else
        count_regular_init (&c, s);
    }
  for (size_t i = 0; i < spec->containers.len; i++)
    count_regular (&c, find_state (states, n, spec->containers.items[i].name));

  if (c.failed_init > 0 && strcmp (policy, "Never") == 0)
    return PHASE_FAILED;
  if ((c.pending_init > 0 && !c.any_regular_started) || c.waiting > 0)
    return PHASE_PENDING;
  if (c.running > 0 && c.unknown == 0)
    return PHASE_RUNNING;
  if (c.running == 0 && c.stopped > 0 && c.unknown == 0)
    {
      if (pod_is_terminal && !is_static)
        return c.stopped == c.succeeded ? PHASE_SUCCEEDED : PHASE_FAILED;
      if (strcmp (policy, "Always") == 0)
        return PHASE_RUNNING;
      if (c.stopped == c.succeeded)
        return PHASE_SUCCEEDED;
      if (strcmp (policy, "Never") == 0)
        return PHASE_FAILED;
      return PHASE_RUNNING;
    }
  return PHASE_PENDING;
}

/* Go's fmt of a []string: "[a b c]". */
struct name_list
{
  char buf[1024];
  size_t len;
  size_t count;
};

static void
name_list_add (struct name_list *l, const char *name)
{
  int n = snprintf (l->buf + l->len, sizeof (l->buf) - l->len, "%s%s",
                    l->count ? " " : "", name ? name : "");
  if (n > 0 && (size_t)n < sizeof (l->buf) - l->len)
    l->len += (size_t)n;
  l->count++;
}

/* "containers with unknown status: [a], containers with <what> status:
 * [b c]", or NULL when both lists are empty. */
static char *
status_message (const struct name_list *unknown, const char *what,
                const struct name_list *bad)
{
  char *msg = NULL;
  int r = 0;
  if (unknown->count && bad->count)
    r = asprintf (&msg,
                  "containers with unknown status: [%s], containers with %s "
                  "status: [%s]",
                  unknown->buf, what, bad->buf);
  else if (unknown->count)
    r = asprintf (&msg, "containers with unknown status: [%s]", unknown->buf);
  else if (bad->count)
    r = asprintf (&msg, "containers with %s status: [%s]", what, bad->buf);
  if (r < 0)
    abort ();
  return msg;
}

static struct pod_condition
cond (const char *type, bool status, const char *reason, char *message)
{
  return (struct pod_condition){
    .type = type, .status = status, .reason = reason, .message = message
  };
}

static bool
any_regular_started (const struct pod_spec *spec,
                     const struct lifecycle_status *states, size_t n)
{
  for (size_t i = 0; i < spec->containers.len; i++)
    {
      const struct lifecycle_status *s
          = find_state (states, n, spec->containers.items[i].name);
      if (s && (s->state == CSTATE_RUNNING || s->state == CSTATE_TERMINATED))
        return true;
    }
  return false;
}

static struct pod_condition
initialized_condition (const struct pod_spec *spec,
                       const struct lifecycle_status *states, size_t n,
                       enum pod_phase phase)
{
  struct name_list unknown = { .len = 0 }, incomplete = { .len = 0 };
  char *msg;
  for (size_t i = 0; i < spec->init_containers.len; i++)
    {
      const struct container *c = &spec->init_containers.items[i];
      const struct lifecycle_status *s = find_state (states, n, c->name);
      bool done;
      if (s == NULL)
        {
          name_list_add (&unknown, c->name);
          continue;
        }
      done = lifecycle_is_sidecar (c)
                 ? s->started
                 : (s->state == CSTATE_TERMINATED && s->exit_code == 0);
      if (!done)
        name_list_add (&incomplete, c->name);
    }
  if (phase == PHASE_SUCCEEDED && unknown.count == 0)
    return cond ("Initialized", true, "PodCompleted", NULL);
  if (any_regular_started (spec, states, n))
    return cond ("Initialized", true, NULL, NULL);
  msg = status_message (&unknown, "incomplete", &incomplete);
  if (msg)
    return cond ("Initialized", false, "ContainersNotInitialized", msg);
  return cond ("Initialized", true, NULL, NULL);
}

static struct pod_condition
containers_ready_condition (const struct pod_spec *spec,
                            const struct lifecycle_status *states, size_t n,
                            enum pod_phase phase)
{
  struct name_list unknown = { .len = 0 }, unready = { .len = 0 };
  char *msg;
  for (size_t i = 0; i < spec->init_containers.len; i++)
    {
      const struct container *c = &spec->init_containers.items[i];
      const struct lifecycle_status *s = find_state (states, n, c->name);
      if (!lifecycle_is_sidecar (c))
        continue;
      if (s == NULL)
        name_list_add (&unknown, c->name);
      else if (!s->ready)
        name_list_add (&unready, c->name);
    }
  for (size_t i = 0; i < spec->containers.len; i++)
    {
      const struct container *c = &spec->containers.items[i];
      const struct lifecycle_status *s = find_state (states, n, c->name);
      if (s == NULL)
        name_list_add (&unknown, c->name);
      else if (!s->ready)
        name_list_add (&unready, c->name);
    }
  if ((phase == PHASE_SUCCEEDED && unknown.count == 0) || phase == PHASE_FAILED)
    return cond ("ContainersReady", false,
                 phase == PHASE_FAILED ? "PodFailed" : "PodCompleted", NULL);
  msg = status_message (&unknown, "unready", &unready);
  if (msg)
    return cond ("ContainersReady", false, "ContainersNotReady", msg);
  return cond ("ContainersReady", true, NULL, NULL);
}

/* Ready: ContainersReady, and every readiness gate True.  berth sets no
 * custom conditions, so a gate is never satisfied. */
static struct pod_condition
ready_condition (const struct pod_spec *spec, const struct pod_condition *cr)
{
  char *msg = NULL;
  const struct node *gates = spec->readiness_gates;
  if (!cr->status)
    return cond ("Ready", false, cr->reason,
                 cr->message ? xstrdup (cr->message) : NULL);
  for (size_t i = 0; gates && gates->kind == NODE_SEQ && i < gates->len; i++)
    {
      const struct node *t = node_map_get (gates->items[i], "conditionType");
      char *next = NULL;
      if (asprintf (&next,
                    "%s%scorresponding condition of pod readiness gate "
                    "\"%s\" does not exist.",
                    msg ? msg : "", msg ? ", " : "",
                    t && t->kind == NODE_SCALAR ? t->text : "")
          < 0)
        abort ();
      free (msg);
      msg = next;
    }
  if (msg)
    return cond ("Ready", false, "ReadinessGatesNotReady", msg);
  return cond ("Ready", true, NULL, NULL);
}

void
lifecycle_conditions (const struct pod_spec *spec,
                      const struct lifecycle_status *states, size_t n,
                      enum pod_phase phase, bool sandbox_ready,
                      struct pod_condition out[COND_COUNT])
{
  out[COND_READY_TO_START]
      = cond ("PodReadyToStartContainers", sandbox_ready, NULL, NULL);
  out[COND_INITIALIZED] = initialized_condition (spec, states, n, phase);
  out[COND_CONTAINERS_READY]
      = containers_ready_condition (spec, states, n, phase);
  out[COND_READY] = ready_condition (spec, &out[COND_CONTAINERS_READY]);
  out[COND_SCHEDULED] = cond ("PodScheduled", true, NULL, NULL);
}

void
lifecycle_conditions_free (struct pod_condition c[COND_COUNT])
{
  for (int i = 0; i < COND_COUNT; i++)
    {
      free (c[i].message);
      c[i].message = NULL;
    }
}

bool
lifecycle_should_restart (const char *restart_policy,
                          const struct lifecycle_status *s,
                          bool pod_is_deleting)
{
  if (pod_is_deleting)
    return false;
  if (s == NULL || s->state == CSTATE_NONE)
    return true; /* never created */
  if (s->state == CSTATE_RUNNING)
    return false;
  if (s->state != CSTATE_TERMINATED)
    return true; /* unknown or created */
  if (restart_policy == NULL || strcmp (restart_policy, "Always") == 0)
    return true;
  if (strcmp (restart_policy, "Never") == 0)
    return false;
  return s->exit_code != 0; /* OnFailure */
}

/* ---- CrashLoopBackOff ---- */

void
backoff_table_init (struct backoff_table *t)
{
  memset (t, 0, sizeof (*t));
  t->initial_ms = BACKOFF_INITIAL_MS;
  t->max_ms = BACKOFF_MAX_MS;
}

void
backoff_table_free (struct backoff_table *t)
{
  for (size_t i = 0; i < t->len; i++)
    free (t->items[i].key);
  free (t->items);
  memset (t, 0, sizeof (*t));
}

static struct backoff_entry *
backoff_find (const struct backoff_table *t, const char *key)
{
  for (size_t i = 0; i < t->len; i++)
    if (strcmp (t->items[i].key, key) == 0)
      return &t->items[i];
  return NULL;
}

/* flowcontrol's hasExpired: stable when it ran for twice the maximum. */
static bool
backoff_expired (const struct backoff_table *t, int64_t event_ms,
                 int64_t last_update_ms)
{
  return event_ms - last_update_ms > 2 * t->max_ms;
}

bool
backoff_in_backoff_since (const struct backoff_table *t, const char *key,
                          int64_t finished_ms, int64_t now_ms)
{
  const struct backoff_entry *e = backoff_find (t, key);
  if (e == NULL || backoff_expired (t, finished_ms, e->last_update_ms))
    return false;
  return now_ms - finished_ms < e->backoff_ms;
}

void
backoff_next (struct backoff_table *t, const char *key, int64_t finished_ms,
              int64_t now_ms)
{
  struct backoff_entry *e = backoff_find (t, key);
  if (e == NULL)
    {
      struct backoff_entry *items
          = reallocarray (t->items, t->len + 1, sizeof (*items));
      if (items == NULL)
        abort ();
      t->items = items;
      e = &t->items[t->len++];
      e->key = xstrdup (key);
      e->backoff_ms = t->initial_ms;
    }
  else if (backoff_expired (t, finished_ms, e->last_update_ms))
    e->backoff_ms = t->initial_ms;
  else
    e->backoff_ms
        = e->backoff_ms * 2 > t->max_ms ? t->max_ms : e->backoff_ms * 2;
  e->last_update_ms = now_ms;
}

int64_t
backoff_get (const struct backoff_table *t, const char *key)
{
  const struct backoff_entry *e = backoff_find (t, key);
  return e ? e->backoff_ms : 0;
}

void
backoff_gc (struct backoff_table *t, int64_t now_ms)
{
  size_t keep = 0;
  for (size_t i = 0; i < t->len; i++)
    {
      if (now_ms - t->items[i].last_update_ms > 2 * t->max_ms)
        {
          free (t->items[i].key);
          continue;
        }
      t->items[keep++] = t->items[i];
    }
  t->len = keep;
}

char *
backoff_key (const char *pod, const char *ns, const char *uid,
             const struct container *c)
{
  struct node *n = codec_encode (&container_desc, c);
  cleanup_free char *json = NULL;
  berth_error_t err = NULL;
  uint32_t hash = 2166136261u;
  size_t len = 0;
  char *key = NULL;

  if (node_write_json (n, false, &json, &len, &err) < 0)
    berth_error_release (&err);
  node_unref (n);
  for (size_t i = 0; json && i < len; i++)
    hash = (hash ^ (unsigned char)json[i]) * 16777619u;
  if (asprintf (&key, "%s_%s_%s_%s_%x", pod, ns, uid, c->name, hash) < 0)
    abort ();
  return key;
}
