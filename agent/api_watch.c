/* api_watch.c - see api_watch.h. */
#include "api_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "store.h"

/* What the watch last sent of one object. */
struct seen
{
  char *uid;
  char *rv;
  struct node *obj; /* for its DELETED event */
  bool present;     /* found in this scan */
};

struct watch
{
  struct store *store;
  const struct kind_info *kind;
  char *ns, *name;
  unsigned long long after_rv; /* send only what changed after it */
  /* the store's resourceVersion and count of object changes (a removal
   * has no resourceVersion of its own) at the last scan */
  uint64_t scanned_rv, scanned_changes;
  bool scanned;
  struct seen *seen;
  size_t n, cap;
  char *out; /* events not yet sent, from OFF */
  size_t len, off;
};

static void
add_event (struct watch *w, const char *type, struct node *obj)
{
  struct node *ev = node_new_map ();
  cleanup_free char *text = NULL;
  size_t len = 0;
  berth_error_t err = NULL;
  node_map_set_str (ev, "type", type);
  node_map_set (ev, "object", node_ref (obj));
  if (node_write_json (ev, false, &text, &len, &err) < 0)
    berth_error_release (&err);
  else
    {
      w->out = realloc (w->out, w->len + len + 2);
      if (w->out == NULL)
        abort ();
      memcpy (w->out + w->len, text, len);
      w->len += len;
      w->out[w->len++] = '\n';
    }
  node_unref (ev);
}

static bool
matches (const struct watch *w, const char *ns, const char *name)
{
  if (w->ns && (ns == NULL || strcmp (ns, w->ns) != 0))
    return false;
  return w->name == NULL || (name && strcmp (name, w->name) == 0);
}

static struct seen *
find_seen (struct watch *w, const char *uid)
{
  for (size_t i = 0; i < w->n; i++)
    if (strcmp (w->seen[i].uid, uid) == 0)
      return &w->seen[i];
  return NULL;
}

/* An object (its UID and resourceVersion RV; ENCODE (ITEM) its JSON) is
 * in the store: an event unless it was sent as it is. */
static void
see (struct watch *w, const char *uid, const char *rv,
     struct node *(*encode) (const void *item), const void *item)
{
  struct seen *s;
  struct node *obj;
  uid = uid ? uid : "";
  rv = rv ? rv : "";
  s = find_seen (w, uid);
  if (s && strcmp (s->rv, rv) == 0)
    {
      s->present = true;
      return;
    }
  obj = encode (item);
  if (s == NULL)
    {
      if (w->n == w->cap)
        {
          w->cap = w->cap ? w->cap * 2 : 16;
          w->seen = reallocarray (w->seen, w->cap, sizeof (*w->seen));
          if (w->seen == NULL)
            abort ();
        }
      s = &w->seen[w->n++];
      memset (s, 0, sizeof (*s));
      s->uid = xstrdup (uid);
      /* at the start of a watch from a resourceVersion, what did not
       * change after it is known to the client already */
      if (!(w->scanned == false && w->after_rv > 0
            && strtoull (rv, NULL, 10) <= w->after_rv))
        add_event (w, w->scanned || w->after_rv == 0 ? "ADDED" : "MODIFIED",
                   obj);
    }
  else
    {
      add_event (w, "MODIFIED", obj);
      free (s->rv);
      node_unref (s->obj);
    }
  s->rv = xstrdup (rv);
  s->obj = obj;
  s->present = true;
}

static struct node *
encode_entry (const void *item)
{
  return store_entry_encode (item);
}

static struct node *
encode_event (const void *item)
{
  return store_event_encode (item);
}

/* Compare the store with what was sent: the events into W->out. */
static void
scan (struct watch *w)
{
  const struct store *st = w->store;
  size_t kept = 0;
  for (size_t i = 0; i < w->n; i++)
    w->seen[i].present = false;
  if (w->kind == NULL)
    for (size_t i = 0; i < st->nevents; i++)
      {
        const struct store_event *ev = &st->events[i];
        if (matches (w, ev->namespace, ev->name))
          see (w, ev->uid, ev->resource_version, encode_event, ev);
      }
  else
    for (size_t i = 0; i < st->len; i++)
      {
        const struct store_entry *e = st->items[i];
        const struct object_meta *m = object_meta (e->obj);
        if (e->obj->info == w->kind
            && matches (w, object_namespace (e->obj), object_name (e->obj)))
          see (w, m->uid, m->resource_version, encode_entry, e);
      }
  for (size_t i = 0; i < w->n; i++)
    {
      struct seen *s = &w->seen[i];
      if (!s->present)
        {
          add_event (w, "DELETED", s->obj);
          node_unref (s->obj);
          free (s->uid);
          free (s->rv);
          continue;
        }
      w->seen[kept++] = *s;
    }
  w->n = kept;
  w->scanned = true;
  w->scanned_rv = st->rv;
  w->scanned_changes = st->objects_changed;
}

static ssize_t
watch_read (void *ctx, char *buf, size_t max)
{
  struct watch *w = ctx;
  size_t k;
  if (w->off == w->len)
    {
      w->off = w->len = 0;
      if (w->scanned && w->scanned_rv == w->store->rv
          && w->scanned_changes == w->store->objects_changed)
        return 0;
      scan (w);
      if (w->len == 0)
        return 0;
    }
  k = w->len - w->off < max ? w->len - w->off : max;
  memcpy (buf, w->out + w->off, k);
  w->off += k;
  return (ssize_t)k;
}

static void
watch_free (void *ctx)
{
  struct watch *w = ctx;
  for (size_t i = 0; i < w->n; i++)
    {
      free (w->seen[i].uid);
      free (w->seen[i].rv);
      node_unref (w->seen[i].obj);
    }
  free (w->seen);
  free (w->out);
  free (w->ns);
  free (w->name);
  free (w);
}

int
api_watch_start (struct api *a, void *conn, const struct kind_info *k,
                 const char *ns, const char *name, const char *resource_version,
                 berth_error_t *err)
{
  struct watch *w = xcalloc (1, sizeof (*w));
  struct api_stream_source src = { watch_read, watch_free, w };
  struct api_stream *s;
  w->store = a->store;
  w->kind = k;
  w->ns = ns ? xstrdup (ns) : NULL;
  w->name = name ? xstrdup (name) : NULL;
  w->after_rv = resource_version ? strtoull (resource_version, NULL, 10) : 0;
  return api_stream_reply (a, conn, &src, "application/json", &s, err);
}
