/* job_controller_status.c - the Job status as the controller reads and
 * writes it (batch/v1 JobStatus, its JSON field order and omitempty rules)
 * and the completion-index intervals of completedIndexes/failedIndexes
 * (indexed_job_utils.go).  See job_controller_internal.h. */
#include "job_controller_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"

/* ---- intervals ---- */

static void
iv_push (struct intervals *oi, int first, int last)
{
  if (oi->len == oi->cap)
    {
      oi->cap = oi->cap ? oi->cap * 2 : 8;
      oi->v = reallocarray (oi->v, oi->cap, sizeof (*oi->v));
      if (oi->v == NULL)
        abort ();
    }
  oi->v[oi->len++] = (struct interval){ first, last };
}

/* appendOrMergeWithLastInterval */
static void
iv_append_merge (struct intervals *oi, struct interval iv)
{
  if (oi->len == 0 || iv.first > oi->v[oi->len - 1].last + 1)
    iv_push (oi, iv.first, iv.last);
  else if (oi->v[oi->len - 1].last < iv.last)
    oi->v[oi->len - 1].last = iv.last;
}

void
intervals_merge (struct intervals *oi, const struct intervals *other)
{
  struct intervals r = { 0 };
  size_t i = 0, j = 0;
  while (i < oi->len && j < other->len)
    {
      if (oi->v[i].first < other->v[j].first)
        iv_append_merge (&r, oi->v[i++]);
      else
        iv_append_merge (&r, other->v[j++]);
    }
  while (i < oi->len)
    iv_append_merge (&r, oi->v[i++]);
  while (j < other->len)
    iv_append_merge (&r, other->v[j++]);
  intervals_free (oi);
  *oi = r;
}

void
intervals_add (struct intervals *oi, const int *ix, size_t n)
{
  struct intervals add = { 0 };
  for (size_t i = 0; i < n; i++)
    iv_push (&add, ix[i], ix[i]);
  intervals_merge (oi, &add);
  intervals_free (&add);
}

static bool
atoi_ok (const char *s, size_t len, int *out)
{
  char buf[24];
  char *end;
  long v;
  if (len == 0 || len >= sizeof (buf))
    return false;
  memcpy (buf, s, len);
  buf[len] = '\0';
  errno = 0;
  v = strtol (buf, &end, 10);
  if (*end || errno || v < INT32_MIN || v > INT32_MAX)
    return false;
  *out = (int)v;
  return true;
}

/* parseIndexesFromString */
void
intervals_parse (const char *s, int completions, struct intervals *out)
{
  memset (out, 0, sizeof (*out));
  while (s && *s)
    {
      const char *comma = strchr (s, ',');
      size_t len = comma ? (size_t)(comma - s) : strlen (s);
      const char *dash = memchr (s, '-', len);
      struct interval iv;
      bool ok = atoi_ok (s, dash ? (size_t)(dash - s) : len, &iv.first);
      if (ok && iv.first >= completions)
        break;
      if (ok && dash)
        {
          ok = atoi_ok (dash + 1, len - (size_t)(dash + 1 - s), &iv.last);
          if (ok && iv.last >= completions)
            iv.last = completions - 1;
        }
      else
        iv.last = iv.first;
      if (ok)
        {
          if (out->len && out->v[out->len - 1].last == iv.first - 1)
            out->v[out->len - 1].last = iv.last;
          else
            iv_push (out, iv.first, iv.last);
        }
      s = comma ? comma + 1 : NULL;
    }
}

bool
intervals_has (const struct intervals *oi, int ix)
{
  for (size_t i = 0; oi && i < oi->len; i++)
    if (oi->v[i].first <= ix && ix <= oi->v[i].last)
      return true;
  return false;
}

int
intervals_total (const struct intervals *oi)
{
  int n = 0;
  for (size_t i = 0; oi && i < oi->len; i++)
    n += oi->v[i].last - oi->v[i].first + 1;
  return n;
}

char *
intervals_format (const struct intervals *oi)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    abort ();
  for (size_t i = 0; i < oi->len; i++)
    {
      const struct interval *v = &oi->v[i];
      fprintf (f, "%s%d", i ? "," : "", v->first);
      if (v->last > v->first)
        fprintf (f, "%s%d", v->last == v->first + 1 ? "," : "-", v->last);
    }
  fclose (f);
  return buf;
}

void
intervals_free (struct intervals *oi)
{
  free (oi->v);
  memset (oi, 0, sizeof (*oi));
}

/* ---- uid lists ---- */

bool
uid_list_has (const struct uid_list *l, const char *uid)
{
  for (size_t i = 0; i < l->len; i++)
    if (strcmp (l->v[i], uid) == 0)
      return true;
  return false;
}

void
uid_list_add (struct uid_list *l, const char *uid)
{
  l->v = reallocarray (l->v, l->len + 1, sizeof (*l->v));
  if (l->v == NULL)
    abort ();
  l->v[l->len++] = xstrdup (uid);
}

static void
uid_list_free (struct uid_list *l)
{
  for (size_t i = 0; i < l->len; i++)
    free (l->v[i]);
  free (l->v);
  memset (l, 0, sizeof (*l));
}

static void
uid_list_read (const struct node *seq, struct uid_list *l)
{
  for (size_t i = 0; seq && seq->kind == NODE_SEQ && i < seq->len; i++)
    if (seq->items[i]->kind == NODE_SCALAR)
      uid_list_add (l, seq->items[i]->text);
}

/* ---- status ---- */

static char *
dup_str (const struct node *n, const char *key)
{
  const char *v = k8s_get_str (n, key);
  return v ? xstrdup (v) : NULL;
}

static int64_t
get_int (const struct node *n, const char *key)
{
  int64_t v = 0;
  if (!node_as_int64 (node_map_get (n, key), &v, NULL))
    return 0;
  return v;
}

void
jstatus_read (const struct node *n, struct jstatus *st)
{
  const struct node *conds = n ? node_map_get (n, "conditions") : NULL;
  memset (st, 0, sizeof (*st));
  if (n == NULL || n->kind != NODE_MAP)
    return;
  for (size_t i = 0; conds && conds->kind == NODE_SEQ && i < conds->len; i++)
    {
      const struct node *c = conds->items[i];
      struct jcond *jc;
      st->conds = reallocarray (st->conds, st->nconds + 1, sizeof (*jc));
      if (st->conds == NULL)
        abort ();
      jc = &st->conds[st->nconds++];
      jc->type = dup_str (c, "type");
      jc->status = dup_str (c, "status");
      jc->probe_time = dup_str (c, "lastProbeTime");
      jc->transition_time = dup_str (c, "lastTransitionTime");
      jc->reason = dup_str (c, "reason");
      jc->message = dup_str (c, "message");
    }
  st->start_time = dup_str (n, "startTime");
  st->completion_time = dup_str (n, "completionTime");
  st->active = get_int (n, "active");
  st->succeeded = get_int (n, "succeeded");
  st->failed = get_int (n, "failed");
  st->terminating = get_int (n, "terminating");
  st->ready = get_int (n, "ready");
  st->completed_indexes = dup_str (n, "completedIndexes");
  if (node_map_get (n, "failedIndexes"))
    {
      st->failed_indexes = dup_str (n, "failedIndexes");
      if (st->failed_indexes == NULL)
        st->failed_indexes = xstrdup ("");
    }
  uid_list_read (k8s_get (n, "uncountedTerminatedPods.succeeded"),
                 &st->unc_succeeded);
  uid_list_read (k8s_get (n, "uncountedTerminatedPods.failed"),
                 &st->unc_failed);
}

static void
set_opt (struct node *n, const char *key, const char *v)
{
  if (v && *v)
    node_map_set_str (n, key, v);
}

static struct node *
uid_seq (const struct uid_list *l)
{
  struct node *seq = node_new_seq ();
  for (size_t i = 0; i < l->len; i++)
    node_seq_append (seq, node_new_scalar (l->v[i], true));
  return seq;
}

/* JobStatus in the field order of batch/v1 types.go; counters with
 * omitempty are left out at 0, the pointer fields (terminating, ready,
 * uncountedTerminatedPods, failedIndexes) are written when set. */
struct node *
jstatus_encode (const struct jstatus *st)
{
  struct node *n = node_new_map (), *unc = node_new_map ();
  if (st->nconds)
    {
      struct node *conds = node_new_seq ();
      for (size_t i = 0; i < st->nconds; i++)
        {
          const struct jcond *c = &st->conds[i];
          struct node *cn = node_new_map ();
          node_map_set_str (cn, "type", c->type ? c->type : "");
          node_map_set_str (cn, "status", c->status ? c->status : "");
          set_opt (cn, "lastProbeTime", c->probe_time);
          set_opt (cn, "lastTransitionTime", c->transition_time);
          set_opt (cn, "reason", c->reason);
          set_opt (cn, "message", c->message);
          node_seq_append (conds, cn);
        }
      node_map_set (n, "conditions", conds);
    }
  set_opt (n, "startTime", st->start_time);
  set_opt (n, "completionTime", st->completion_time);
  if (st->active)
    node_map_set_int (n, "active", st->active);
  if (st->succeeded)
    node_map_set_int (n, "succeeded", st->succeeded);
  if (st->failed)
    node_map_set_int (n, "failed", st->failed);
  node_map_set_int (n, "terminating", st->terminating);
  set_opt (n, "completedIndexes", st->completed_indexes);
  if (st->failed_indexes)
    node_map_set_str (n, "failedIndexes", st->failed_indexes);
  if (st->unc_succeeded.len)
    node_map_set (unc, "succeeded", uid_seq (&st->unc_succeeded));
  if (st->unc_failed.len)
    node_map_set (unc, "failed", uid_seq (&st->unc_failed));
  node_map_set (n, "uncountedTerminatedPods", unc);
  node_map_set_int (n, "ready", st->ready);
  return n;
}

static void
jcond_free (struct jcond *c)
{
  free (c->type);
  free (c->status);
  free (c->reason);
  free (c->message);
  free (c->probe_time);
  free (c->transition_time);
}

void
jstatus_free (struct jstatus *st)
{
  for (size_t i = 0; i < st->nconds; i++)
    jcond_free (&st->conds[i]);
  free (st->conds);
  free (st->start_time);
  free (st->completion_time);
  free (st->completed_indexes);
  free (st->failed_indexes);
  uid_list_free (&st->unc_succeeded);
  uid_list_free (&st->unc_failed);
  memset (st, 0, sizeof (*st));
}

struct jcond *
jstatus_find (struct jstatus *st, const char *type)
{
  for (size_t i = 0; i < st->nconds; i++)
    if (st->conds[i].type && strcmp (st->conds[i].type, type) == 0)
      return &st->conds[i];
  return NULL;
}

bool
jstatus_true (const struct jstatus *st, const char *type)
{
  const struct jcond *c = jstatus_find ((struct jstatus *)st, type);
  return c && c->status && strcmp (c->status, "True") == 0;
}

static void
jcond_set (struct jcond *c, const char *type, const char *status,
           const char *reason, const char *message, int64_t now_ms)
{
  jcond_free (c);
  c->type = xstrdup (type);
  c->status = xstrdup (status);
  c->reason = reason && *reason ? xstrdup (reason) : NULL;
  c->message = message && *message ? xstrdup (message) : NULL;
  c->probe_time = k8s_rfc3339 (now_ms);
  c->transition_time = k8s_rfc3339 (now_ms);
}

static bool
str_same (const char *a, const char *b)
{
  return strcmp (a ? a : "", b ? b : "") == 0;
}

void
jstatus_append (struct jstatus *st, const char *type, const char *reason,
                const char *message, int64_t now_ms)
{
  st->conds = reallocarray (st->conds, st->nconds + 1, sizeof (*st->conds));
  if (st->conds == NULL)
    abort ();
  memset (&st->conds[st->nconds], 0, sizeof (st->conds[0]));
  jcond_set (&st->conds[st->nconds++], type, "True", reason, message, now_ms);
}

bool
jstatus_ensure (struct jstatus *st, const char *type, const char *status,
                const char *reason, const char *message, int64_t now_ms)
{
  struct jcond *c = jstatus_find (st, type);
  if (c)
    {
      if (str_same (c->status, status) && str_same (c->reason, reason)
          && str_same (c->message, message))
        return false;
      jcond_set (c, type, status, reason, message, now_ms);
      return true;
    }
  if (strcmp (status, "False") == 0)
    return false;
  jstatus_append (st, type, reason, message, now_ms);
  free (st->conds[st->nconds - 1].status);
  st->conds[st->nconds - 1].status = xstrdup (status);
  return true;
}
