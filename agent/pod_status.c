/* pod_status.c - see pod_status.h. */
#include "pod_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"

bool
pod_status_container_ready (const struct runner_container *c)
{
  if (c->now.st.state != CSTATE_RUNNING)
    return false;
  /* a regular init container is never Ready; a sidecar is like an app
   * container */
  if (c->init && !c->sidecar)
    return false;
  if (!pod_status_container_started (c))
    return false;
  return c->spec->readiness_probe == NULL || c->probe_ready;
}

bool
pod_status_container_started (const struct runner_container *c)
{
  if (c->now.st.state != CSTATE_RUNNING)
    return false;
  return c->spec->startup_probe == NULL || c->probe_started;
}

void
pod_status_lifecycle (const struct pod_runner *r, struct lifecycle_status *out)
{
  for (size_t i = 0; i < r->n; i++)
    {
      out[i] = r->c[i].now.st;
      out[i].name = r->c[i].spec->name;
      out[i].started = pod_status_container_started (&r->c[i]);
      out[i].ready = pod_status_container_ready (&r->c[i]);
    }
}

static struct node *
terminated (int exit_code, const char *reason, const char *message,
            const char *started, const char *finished, const char *id)
{
  struct node *t = node_new_map (), *w = node_new_map ();
  node_map_set_int (t, "exitCode", exit_code);
  if (exit_code > 128 && exit_code < 128 + 65)
    node_map_set_int (t, "signal", exit_code - 128);
  if (reason)
    node_map_set_str (t, "reason", reason);
  if (message && *message)
    node_map_set_str (t, "message", message);
  node_map_set_str (t, "startedAt", started ? started : "");
  node_map_set_str (t, "finishedAt", finished ? finished : "");
  if (id)
    node_map_set_str (t, "containerID", id);
  node_map_set (w, "terminated", t);
  return w;
}

/* RFC 3339 with seconds, as metav1.Time marshals: the monitor's
 * timestamps carry nanoseconds. */
static char *
seconds_only (const char *ts)
{
  char *s, *dot;
  if (ts == NULL)
    return NULL;
  s = xstrdup (ts);
  dot = strchr (s, '.');
  if (dot)
    strcpy (dot, "Z");
  return s;
}

static struct node *
container_status (const struct pod_runner *r, const struct runner_container *c)
{
  struct node *m = node_new_map (), *state = node_new_map (), *sub;
  cleanup_free char *id = NULL, *started = seconds_only (c->now.started_at);
  cleanup_free char *finished = seconds_only (c->now.finished_at);
  const struct runner_attempt *last = NULL;
  size_t n = c->n_attempts;

  if (c->instance_dir)
    if (asprintf (&id, "berth://%s-%s-%d", r->uid, c->spec->name,
                  c->restart_count)
        < 0)
      abort ();
  node_map_set_str (m, "name", c->spec->name);
  switch (c->now.st.state)
    {
    case CSTATE_RUNNING:
      sub = node_new_map ();
      node_map_set_str (sub, "startedAt", started ? started : "");
      node_map_set (state, "running", sub);
      break;
    case CSTATE_TERMINATED:
      node_unref (state);
      state = terminated (c->now.st.exit_code, c->now.reason, c->now.message,
                          started, finished, id);
      n = n ? n - 1 : 0; /* the current run is the last attempt */
      break;
    default:
      sub = node_new_map ();
      node_map_set_str (sub, "reason",
                        c->now.waiting_reason ? c->now.waiting_reason
                                              : "ContainerCreating");
      if (c->now.waiting_message)
        node_map_set_str (sub, "message", c->now.waiting_message);
      node_map_set (state, "waiting", sub);
    }
  node_map_set (m, "state", state);
  if (n > 0)
    last = &c->attempts[n - 1];
  if (last)
    {
      cleanup_free char *ls = seconds_only (last->started_at);
      cleanup_free char *lf = seconds_only (last->finished_at);
      node_map_set (m, "lastState",
                    terminated (last->exit_code, last->reason, last->message,
                                ls, lf, NULL));
    }
  else
    node_map_set (m, "lastState", node_new_map ());
  node_map_set_bool (m, "ready", pod_status_container_ready (c));
  node_map_set_int (m, "restartCount", c->restart_count);
  node_map_set_str (m, "image", c->image ? c->image->ref : c->spec->image);
  node_map_set_str (
      m, "imageID",
      c->image && c->image->manifest_digest ? c->image->manifest_digest : "");
  if (id)
    node_map_set_str (m, "containerID", id);
  node_map_set_bool (m, "started", pod_status_container_started (c));
  return m;
}

/* The previous lastTransitionTime of condition TYPE when its status is
 * unchanged. */
static const char *
old_transition (const struct node *old, const char *type, const char *status)
{
  const struct node *conds = node_map_get (old, "conditions");
  for (size_t i = 0; conds && conds->kind == NODE_SEQ && i < conds->len; i++)
    {
      const struct node *c = conds->items[i];
      const struct node *t = node_map_get (c, "type");
      const struct node *s = node_map_get (c, "status");
      const struct node *ts = node_map_get (c, "lastTransitionTime");
      if (t && s && ts && strcmp (t->text, type) == 0
          && strcmp (s->text, status) == 0)
        return ts->text;
    }
  return NULL;
}

static struct node *
conditions (const struct pod_runner *r, const struct node *old, const char *now)
{
  struct lifecycle_status *st = xcalloc (r->n ? r->n : 1, sizeof (*st));
  struct pod_condition c[COND_COUNT];
  struct node *seq = node_new_seq ();

  pod_status_lifecycle (r, st);
  lifecycle_conditions (&r->pod->spec, st, r->n, r->phase,
                        r->sandbox != NULL && !r->terminal, c);
  for (int i = 0; i < COND_COUNT; i++)
    {
      struct node *m = node_new_map ();
      const char *status = c[i].status ? "True" : "False";
      const char *ts = old_transition (old, c[i].type, status);
      node_map_set_str (m, "type", c[i].type);
      node_map_set_str (m, "status", status);
      node_map_set (m, "lastProbeTime", node_new_scalar ("null", false));
      node_map_set_str (m, "lastTransitionTime", ts ? ts : now);
      if (c[i].reason)
        node_map_set_str (m, "reason", c[i].reason);
      if (c[i].message)
        node_map_set_str (m, "message", c[i].message);
      node_seq_append (seq, m);
    }
  lifecycle_conditions_free (c);
  free (st);
  return seq;
}

static struct node *
ip_list (const char *ip)
{
  struct node *seq = node_new_seq (), *m = node_new_map ();
  node_map_set_str (m, "ip", ip);
  node_seq_append (seq, m);
  return seq;
}

struct node *
pod_status_encode (const struct pod_runner *r, const struct node *old,
                   const char *host_ip, int64_t now_ms)
{
  struct node *st = node_new_map (), *init = node_new_seq (),
              *app = node_new_seq ();
  cleanup_free char *now = k8s_rfc3339 (now_ms);
  const struct node *start = node_map_get (old, "startTime");
  const char *pod_ip = r->sandbox ? r->sandbox->ip : NULL;

  node_map_set_str (st, "phase", lifecycle_phase_name (r->phase));
  node_map_set (st, "conditions", conditions (r, old, now));
  if (r->reason)
    node_map_set_str (st, "reason", r->reason);
  if (r->message)
    node_map_set_str (st, "message", r->message);
  if (host_ip)
    {
      node_map_set_str (st, "hostIP", host_ip);
      node_map_set (st, "hostIPs", ip_list (host_ip));
    }
  if (r->pod->spec.host_network.v && host_ip)
    pod_ip = host_ip;
  if (pod_ip)
    {
      node_map_set_str (st, "podIP", pod_ip);
      node_map_set (st, "podIPs", ip_list (pod_ip));
    }
  node_map_set_str (st, "startTime",
                    start && start->kind == NODE_SCALAR ? start->text : now);
  for (size_t i = 0; i < r->n; i++)
    node_seq_append (r->c[i].init ? init : app, container_status (r, &r->c[i]));
  if (init->len)
    node_map_set (st, "initContainerStatuses", init);
  else
    node_unref (init);
  node_map_set (st, "containerStatuses", app);
  node_map_set_str (st, "qosClass", qos_class_name (r->qos));
  return st;
}
