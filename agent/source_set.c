/* source_set.c - see source_set.h. */
#include "source_set.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"

void
source_event (struct store *s, const char *node_name, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  store_event (s, "Warning", "FailedToLoad", "Node", NULL, node_name, NULL,
               msg);
}

uint64_t
source_hash (const char *buf, size_t len)
{
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++)
    {
      h ^= (unsigned char)buf[i];
      h *= 1099511628211ULL;
    }
  return h;
}

static void
append_msg (char **buf, const char *s)
{
  char *n = NULL;
  if (asprintf (&n, "%s%s%s", *buf ? *buf : "", *buf ? "; " : "", s) < 0)
    abort ();
  free (*buf);
  *buf = n;
}

/* One event per invalid object, all its errors in the message, which is
 * returned. */
static char *
object_event (const struct source_set *set, const struct object *o)
{
  char *msg = NULL;
  cleanup_free char *name = NULL;
  const char *kind = o->info ? o->info->kind : NULL;
  const char *ns = object_namespace (o);

  for (size_t i = 0; i < o->diags.len; i++)
    {
      const struct diag *g = &o->diags.items[i];
      cleanup_free char *line = NULL;
      const char *pre = o->path_prefix;
      if (g->level != DIAG_ERROR)
        continue;
      if (asprintf (&line, "%s: %s%s%s%s%s", set->where, pre,
                    *pre && *g->path ? "." : "", g->path,
                    *pre || *g->path ? ": " : "", g->msg)
          < 0)
        abort ();
      append_msg (&msg, line);
    }
  if (msg == NULL)
    msg = xstrdup ("invalid object");
  if (kind && *object_name (o))
    {
      if (o->info->id == KIND_POD)
        {
          if (asprintf (&name, "%s-%s", object_name (o), set->node_name) < 0)
            abort ();
        }
      else
        name = xstrdup (object_name (o));
      store_event (set->store, "Warning", "FailedToLoad", kind, ns, name, NULL,
                   msg);
    }
  else
    source_event (set->store, set->node_name, "%s", msg);
  return msg;
}

struct source_key
{
  const struct kind_info *kind;
  char *ns; /* NULL for cluster-scoped kinds */
  char *name;
};

static bool
key_matches (const struct source_key *k, const struct object *o)
{
  const char *ns = object_namespace (o);
  return k->kind == o->info && strcmp (k->name, object_name (o)) == 0
         && (!o->info->namespaced || strcmp (k->ns, ns) == 0);
}

/* Remove the objects of SOURCE that KEEP (N keys) does not name. */
static void
remove_stale (struct store *s, const char *source,
              const struct source_key *keep, size_t n)
{
  for (size_t i = 0; i < s->len;)
    {
      struct store_entry *e = s->items[i], *removed = NULL;
      const struct object *o = e->obj;
      bool kept = false;
      berth_error_t err = NULL;
      cleanup_free char *ns = NULL, *name = NULL;
      for (size_t j = 0; j < n && !kept; j++)
        kept = key_matches (&keep[j], o);
      if (kept || strcmp (e->source, source) != 0)
        {
          i++;
          continue;
        }
      ns = object_namespace (o) ? xstrdup (object_namespace (o)) : NULL;
      name = xstrdup (object_name (o));
      if (store_delete (s, o->info, ns, name, &removed, &err) < 0)
        berth_error_release (&err);
      if (removed == NULL && i < s->len && s->items[i] == e)
        i++; /* a pod being terminated gracefully: stays until stopped */
      store_entry_free (removed);
    }
}

void
source_set_clear (struct store *s, const char *source)
{
  remove_stale (s, source, NULL, 0);
}

/* Keep config.seen of the stored pod when it is the same pod, so that a
 * new read of an unchanged pod is no change. */
static void
keep_seen (struct store *s, struct object *o)
{
  struct object_meta *m = object_meta (o);
  struct store_entry *e
      = store_get (s, o->info, object_namespace (o), object_name (o));
  const char *seen;
  if (e == NULL || m->uid == NULL || object_meta (e->obj)->uid == NULL
      || strcmp (m->uid, object_meta (e->obj)->uid) != 0)
    return;
  seen = strmap_get (&object_meta (e->obj)->annotations,
                     "kubernetes.io/config.seen");
  if (seen)
    strmap_set (&m->annotations, "kubernetes.io/config.seen", seen);
}

static void
problem (char **first_error, size_t *problems, char *msg)
{
  if (first_error && *first_error == NULL)
    *first_error = msg;
  else
    free (msg);
  (*problems)++;
}

size_t
source_set_apply (const struct source_set *set, struct manifest *m,
                  char **first_error)
{
  cleanup_free struct source_key *keys = NULL;
  size_t n = 0, problems = 0;
  bool all_valid = true;

  if (first_error)
    *first_error = NULL;
  for (size_t i = 0; i < m->diags.len; i++)
    {
      char *msg = NULL;
      if (asprintf (&msg, "%s: %s", set->where, m->diags.items[i].msg) < 0)
        abort ();
      source_event (set->store, set->node_name, "%s", msg);
      problem (first_error, &problems, msg);
    }
  if (problems > 0)
    return problems; /* unreadable: keep what the source gave before */
  keys = xcalloc (m->len + 1, sizeof (*keys));
  for (size_t i = 0; i < m->len; i++)
    {
      struct object *o = m->objects[i];
      enum store_result res;
      berth_error_t err = NULL;
      if (!object_is_valid (o))
        {
          problem (first_error, &problems, object_event (set, o));
          all_valid = false;
          continue;
        }
      if (o->info->id == KIND_POD)
        {
          set->pod_defaults (o, set);
          keep_seen (set->store, o);
        }
      keys[n].kind = o->info;
      keys[n].ns = object_namespace (o) ? xstrdup (object_namespace (o)) : NULL;
      keys[n++].name = xstrdup (object_name (o));
      m->objects[i] = NULL;
      if (store_apply (set->store, o, set->source, STORE_UPSERT, NULL, &res,
                       NULL, &err)
          < 0)
        {
          char *msg = NULL;
          if (asprintf (&msg, "%s: %s", set->where, berth_error_msg (&err)) < 0)
            abort ();
          source_event (set->store, set->node_name, "%s", msg);
          problem (first_error, &problems, msg);
          berth_error_release (&err);
        }
    }
  if (all_valid)
    remove_stale (set->store, set->source, keys, n);
  for (size_t i = 0; i < n; i++)
    {
      free (keys[i].ns);
      free (keys[i].name);
    }
  return problems;
}
