/* pod_runner_state.c - see pod_runner_state.h. */
#include "pod_runner_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "persist.h"

/* Attempts kept per container: the report and lastState need few. */
#define STATE_MAX_ATTEMPTS 32

static void
set_opt_str (struct node *m, const char *key, const char *v)
{
  if (v)
    node_map_set_str (m, key, v);
}

static struct node *
encode_attempt (const struct runner_attempt *a)
{
  struct node *m = node_new_map ();
  node_map_set_int (m, "exitCode", a->exit_code);
  set_opt_str (m, "reason", a->reason);
  set_opt_str (m, "message", a->message);
  set_opt_str (m, "startedAt", a->started_at);
  set_opt_str (m, "finishedAt", a->finished_at);
  node_map_set_int (m, "backoffMs", a->backoff_ms);
  return m;
}

static struct node *
encode_container (const struct runner_container *c)
{
  struct node *m = node_new_map (), *att = node_new_seq ();
  size_t first = c->n_attempts > STATE_MAX_ATTEMPTS
                     ? c->n_attempts - STATE_MAX_ATTEMPTS
                     : 0;
  node_map_set_str (m, "name", c->spec->name);
  node_map_set_int (m, "restartCount", c->restart_count);
  node_map_set_int (m, "state", c->now.st.state);
  node_map_set_int (m, "exitCode", c->now.st.exit_code);
  node_map_set_bool (m, "lastTerminated", c->now.st.last_terminated);
  node_map_set_int (m, "lastExitCode", c->now.st.last_exit_code);
  set_opt_str (m, "waitingReason", c->now.waiting_reason);
  set_opt_str (m, "waitingMessage", c->now.waiting_message);
  set_opt_str (m, "reason", c->now.reason);
  set_opt_str (m, "message", c->now.message);
  set_opt_str (m, "startedAt", c->now.started_at);
  set_opt_str (m, "finishedAt", c->now.finished_at);
  node_map_set_int (m, "finishedMs", c->now.finished_ms);
  set_opt_str (m, "instanceDir", c->instance_dir);
  node_map_set_int (m, "lastWaitMs", c->last_wait_ms);
  node_map_set_int (m, "oomKills", (int64_t)c->oom_kills);
  node_map_set_int (m, "memoryPeak", (int64_t)c->memory_peak);
  for (size_t i = first; i < c->n_attempts; i++)
    node_seq_append (att, encode_attempt (&c->attempts[i]));
  node_map_set (m, "attempts", att);
  return m;
}

struct node *
pod_runner_state_encode (const struct pod_runner *r)
{
  struct node *m = node_new_map (), *cs = node_new_seq (),
              *bo = node_new_seq ();
  node_map_set_int (m, "phase", r->phase);
  node_map_set_bool (m, "terminal", r->terminal);
  node_map_set_bool (m, "stopping", r->stopping);
  set_opt_str (m, "reason", r->reason);
  set_opt_str (m, "message", r->message);
  for (size_t i = 0; i < r->n; i++)
    node_seq_append (cs, encode_container (&r->c[i]));
  node_map_set (m, "containers", cs);
  for (size_t i = 0; i < r->backoff.len; i++)
    {
      struct node *e = node_new_map ();
      node_map_set_str (e, "key", r->backoff.items[i].key);
      node_map_set_int (e, "backoffMs", r->backoff.items[i].backoff_ms);
      node_map_set_int (e, "lastUpdateMs", r->backoff.items[i].last_update_ms);
      node_seq_append (bo, e);
    }
  node_map_set (m, "backoff", bo);
  return m;
}

/* ---- restoring ---- */

static int64_t
get_int (const struct node *m, const char *key, int64_t dflt)
{
  int64_t v;
  return node_as_int64 (node_map_get (m, key), &v, NULL) ? v : dflt;
}

static bool
get_bool (const struct node *m, const char *key)
{
  bool v = false;
  return node_as_bool (node_map_get (m, key), &v) && v;
}

static char *
get_str (const struct node *m, const char *key)
{
  const struct node *n = node_map_get (m, key);
  return n && n->kind == NODE_SCALAR && !node_is_null (n) ? xstrdup (n->text)
                                                          : NULL;
}

static void
replace (char **field, char *v)
{
  free (*field);
  *field = v;
}

static void
restore_attempts (struct runner_container *c, const struct node *seq)
{
  if (seq == NULL || seq->kind != NODE_SEQ || seq->len == 0)
    return;
  c->attempts = xcalloc (seq->len, sizeof (*c->attempts));
  for (size_t i = 0; i < seq->len; i++)
    {
      const struct node *a = seq->items[i];
      struct runner_attempt *t = &c->attempts[c->n_attempts++];
      t->exit_code = (int)get_int (a, "exitCode", 0);
      t->reason = get_str (a, "reason");
      t->message = get_str (a, "message");
      t->started_at = get_str (a, "startedAt");
      t->finished_at = get_str (a, "finishedAt");
      t->backoff_ms = get_int (a, "backoffMs", 0);
    }
}

static void
restore_container (struct runner_container *c, const struct node *m)
{
  int64_t state = get_int (m, "state", CSTATE_NONE);
  c->restart_count = (int)get_int (m, "restartCount", 0);
  if (state >= CSTATE_NONE && state <= CSTATE_TERMINATED)
    c->now.st.state = (enum container_state_kind)state;
  c->now.st.exit_code = (int)get_int (m, "exitCode", 0);
  c->now.st.last_terminated = get_bool (m, "lastTerminated");
  c->now.st.last_exit_code = (int)get_int (m, "lastExitCode", 0);
  replace (&c->now.waiting_reason, get_str (m, "waitingReason"));
  replace (&c->now.waiting_message, get_str (m, "waitingMessage"));
  replace (&c->now.reason, get_str (m, "reason"));
  replace (&c->now.message, get_str (m, "message"));
  replace (&c->now.started_at, get_str (m, "startedAt"));
  replace (&c->now.finished_at, get_str (m, "finishedAt"));
  c->now.finished_ms = get_int (m, "finishedMs", -1);
  replace (&c->instance_dir, get_str (m, "instanceDir"));
  c->last_wait_ms = get_int (m, "lastWaitMs", 0);
  c->oom_kills = (uint64_t)get_int (m, "oomKills", 0);
  c->memory_peak = (uint64_t)get_int (m, "memoryPeak", 0);
  restore_attempts (c, node_map_get (m, "attempts"));
}

void
pod_runner_state_restore (struct pod_runner *r, const struct node *st)
{
  const struct node *cs = node_map_get (st, "containers");
  const struct node *bo = node_map_get (st, "backoff");
  int64_t phase = get_int (st, "phase", PHASE_PENDING);

  if (phase >= PHASE_PENDING && phase <= PHASE_FAILED)
    r->phase = (enum pod_phase)phase;
  r->terminal = get_bool (st, "terminal");
  r->stopping = get_bool (st, "stopping");
  replace (&r->reason, get_str (st, "reason"));
  replace (&r->message, get_str (st, "message"));
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    {
      cleanup_free char *name = get_str (cs->items[i], "name");
      for (size_t k = 0; name && k < r->n; k++)
        if (strcmp (r->c[k].spec->name, name) == 0)
          restore_container (&r->c[k], cs->items[i]);
    }
  for (size_t i = 0; bo && bo->kind == NODE_SEQ && i < bo->len; i++)
    {
      cleanup_free char *key = get_str (bo->items[i], "key");
      struct backoff_entry *e;
      if (key == NULL)
        continue;
      r->backoff.items = reallocarray (r->backoff.items, r->backoff.len + 1,
                                       sizeof (*r->backoff.items));
      if (r->backoff.items == NULL)
        abort ();
      e = &r->backoff.items[r->backoff.len++];
      e->key = steal_pointer (&key);
      e->backoff_ms = get_int (bo->items[i], "backoffMs", 0);
      e->last_update_ms = get_int (bo->items[i], "lastUpdateMs", 0);
    }
}

/* ---- files ---- */

int
pod_runner_state_save (const struct pod_runner *r, char **last,
                       berth_error_t *err)
{
  struct node *st = pod_runner_state_encode (r);
  cleanup_free char *text = NULL;
  cleanup_close int dirfd = -1;
  size_t len = 0;
  int ret = node_write_json (st, false, &text, &len, err);

  node_unref (st);
  if (ret < 0)
    return -1;
  if (*last && strcmp (*last, text) == 0)
    return 0;
  dirfd = open (r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return berth_error_sys (err, errno, "open %s", r->dir);
  if (persist_write_atomic (dirfd, "runner.json", text, len, err) < 0)
    return -1;
  free (*last);
  *last = steal_pointer (&text);
  return 0;
}

int
pod_runner_state_load (const char *root, const char *uid, struct node **out,
                       berth_error_t *err)
{
  cleanup_free char *path = NULL, *buf = NULL;
  cleanup_file FILE *f = NULL;
  struct node_stream s = { 0 };
  size_t len = 0, cap = 0;
  char chunk[4096];
  size_t n;

  if (asprintf (&path, "%s/pods/%s/runner.json", root, uid) < 0)
    abort ();
  f = fopen (path, "re");
  if (f == NULL)
    return berth_error_sys (err, errno, "open %s", path);
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    {
      if (len + n + 1 > cap)
        {
          cap = (len + n + 1) * 2;
          buf = realloc (buf, cap);
          if (buf == NULL)
            abort ();
        }
      memcpy (buf + len, chunk, n);
      len += n;
    }
  if (buf == NULL || node_stream_read (buf, len, &s, err) < 0)
    return buf ? berth_error_wrap (err, "%s", path)
               : berth_error_make (err, EINVAL, "%s is empty", path);
  if (s.len != 1 || s.docs[0] == NULL || s.docs[0]->kind != NODE_MAP)
    {
      node_stream_free (&s);
      return berth_error_make (err, EINVAL, "%s: not a runner state", path);
    }
  *out = node_ref (s.docs[0]);
  node_stream_free (&s);
  return 0;
}
