/* encode.c - typed structs -> node trees, and their destructor, driven by the
 * schema tables; plus the small containers (maps, lists) they use. */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cleanup.h"

void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort (); /* out of memory */
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    abort ();
  return r;
}

static void *
grow (void *p, size_t n, size_t size)
{
  void *r = reallocarray (p, n, size);
  if (r == NULL)
    abort ();
  return r;
}

void *
list_append (void *list, size_t elem_size)
{
  struct list_raw *l = list;
  char *elem;
  /* grow by doubling: capacity is the next power of two >= len */
  if ((l->len & (l->len - 1)) == 0)
    l->items = grow (l->items, l->len ? l->len * 2 : 1, elem_size);
  elem = (char *)l->items + l->len * elem_size;
  memset (elem, 0, elem_size);
  l->len++;
  return elem;
}

static ssize_t
map_find (char **keys, size_t len, const char *key)
{
  for (size_t i = 0; i < len; i++)
    if (strcmp (keys[i], key) == 0)
      return (ssize_t)i;
  return -1;
}

void
strmap_set (struct strmap *m, const char *key, const char *value)
{
  ssize_t i = map_find (m->keys, m->len, key);
  if (i >= 0)
    {
      free (m->values[i]);
      m->values[i] = xstrdup (value);
      return;
    }
  m->keys = grow (m->keys, m->len + 1, sizeof (char *));
  m->values = grow (m->values, m->len + 1, sizeof (char *));
  m->keys[m->len] = xstrdup (key);
  m->values[m->len] = xstrdup (value);
  m->len++;
}

const char *
strmap_get (const struct strmap *m, const char *key)
{
  ssize_t i = map_find (m->keys, m->len, key);
  return i >= 0 ? m->values[i] : NULL;
}

void
bytesmap_set (struct bytesmap *m, const char *key, const char *value,
              size_t len)
{
  ssize_t i = map_find (m->keys, m->len, key);
  char *copy = xcalloc (1, len + 1);
  memcpy (copy, value, len);
  if (i >= 0)
    {
      free (m->values[i]);
      m->values[i] = copy;
      m->lens[i] = len;
      return;
    }
  m->keys = grow (m->keys, m->len + 1, sizeof (char *));
  m->values = grow (m->values, m->len + 1, sizeof (char *));
  m->lens = grow (m->lens, m->len + 1, sizeof (size_t));
  m->keys[m->len] = xstrdup (key);
  m->values[m->len] = copy;
  m->lens[m->len] = len;
  m->len++;
}

void
quantity_map_set (struct quantity_map *m, const char *key,
                  const struct quantity *q)
{
  ssize_t i = map_find (m->keys, m->len, key);
  if (i >= 0)
    {
      m->values[i] = *q;
      return;
    }
  m->keys = grow (m->keys, m->len + 1, sizeof (char *));
  m->values = grow (m->values, m->len + 1, sizeof (*q));
  m->keys[m->len] = xstrdup (key);
  m->values[m->len] = *q;
  m->len++;
}

const struct quantity *
quantity_map_get (const struct quantity_map *m, const char *key)
{
  ssize_t i = map_find (m->keys, m->len, key);
  return i >= 0 ? &m->values[i] : NULL;
}

/* ---- encoding ---- */

static struct node *
encode_quantity (const struct quantity *q)
{
  cleanup_free char *s = quantity_format (q);
  return node_new_scalar (s, true);
}

static struct node *
encode_map (const struct field_desc *f, const void *slot)
{
  struct node *m = node_new_map ();
  if (f->type == FT_STRMAP)
    {
      const struct strmap *sm = slot;
      for (size_t i = 0; i < sm->len; i++)
        node_map_set_str (m, sm->keys[i], sm->values[i]);
    }
  else if (f->type == FT_BYTESMAP)
    {
      const struct bytesmap *bm = slot;
      for (size_t i = 0; i < bm->len; i++)
        {
          cleanup_free char *s = base64_encode (bm->values[i], bm->lens[i]);
          node_map_set_str (m, bm->keys[i], s);
        }
    }
  else
    {
      const struct quantity_map *qm = slot;
      for (size_t i = 0; i < qm->len; i++)
        node_map_set (m, qm->keys[i], encode_quantity (&qm->values[i]));
    }
  return m;
}

static struct node *
encode_list (const struct field_desc *f, const struct list_raw *l)
{
  struct node *seq = node_new_seq ();
  size_t esize = schema_elem_size (f);
  for (size_t i = 0; i < l->len; i++)
    {
      const char *elem = (const char *)l->items + i * esize;
      struct node *item = NULL;
      switch (f->elem)
        {
        case ELEM_STRING:
          item = node_new_scalar (*(char *const *)elem, true);
          break;
        case ELEM_INT:
          {
            char buf[32];
            snprintf (buf, sizeof (buf), "%lld",
                      (long long)*(const int64_t *)elem);
            item = node_new_scalar (buf, false);
            break;
          }
        case ELEM_STRUCT:
          item = codec_encode (f->sub, elem);
          break;
        }
      node_seq_append (seq, item);
    }
  return seq;
}

/* The node for one field, or NULL when the field is unset. */
static struct node *
encode_field (const struct field_desc *f, const char *obj)
{
  const void *slot = obj + f->offset;
  switch (f->type)
    {
    case FT_STRING:
      return *(char *const *)slot ? node_new_scalar (*(char *const *)slot, true)
                                  : NULL;
    case FT_STRING_SET:
      return *(const bool *)(obj + f->aux_offset) && *(char *const *)slot
                 ? node_new_scalar (*(char *const *)slot, true)
                 : NULL;
    case FT_INT:
      {
        const struct opt_int *oi = slot;
        char buf[32];
        if (!oi->set)
          return NULL;
        snprintf (buf, sizeof (buf), "%lld", (long long)oi->v);
        return node_new_scalar (buf, false);
      }
    case FT_BOOL:
      {
        const struct opt_bool *ob = slot;
        return ob->set ? node_new_scalar (ob->v ? "true" : "false", false)
                       : NULL;
      }
    case FT_INT_OR_STR:
      {
        const struct int_or_string *v = slot;
        char buf[32];
        if (v->type == IOS_STRING)
          return node_new_scalar (v->s, true);
        if (v->type != IOS_INT)
          return NULL;
        snprintf (buf, sizeof (buf), "%lld", (long long)v->i);
        return node_new_scalar (buf, false);
      }
    case FT_QUANTITY_PTR:
      return *(struct quantity *const *)slot
                 ? encode_quantity (*(struct quantity *const *)slot)
                 : NULL;
    case FT_STRUCT:
      return codec_encode (f->sub, slot);
    case FT_PTR:
      return *(void *const *)slot ? codec_encode (f->sub, *(void *const *)slot)
                                  : NULL;
    case FT_LIST:
      return ((const struct list_raw *)slot)->len ? encode_list (f, slot)
                                                  : NULL;
    case FT_STRMAP:
    case FT_BYTESMAP:
    case FT_QUANTITY_MAP:
      return *(const size_t *)slot ? encode_map (f, slot) : NULL;
    case FT_RAW:
      return *(struct node *const *)slot
                 ? node_ref (*(struct node *const *)slot)
                 : NULL;
    case FT_IGNORE:
      return NULL;
    }
  return NULL;
}

struct node *
codec_encode (const struct type_desc *desc, const void *obj)
{
  struct node *m = node_new_map ();
  for (const struct field_desc *f = desc->fields; f->name; f++)
    {
      struct node *v = encode_field (f, obj);
      /* an empty embedded struct is left out, as omitempty would */
      if (v && f->type == FT_STRUCT && v->len == 0
          && strcmp (f->name, "metadata") != 0)
        {
          node_unref (v);
          continue;
        }
      if (v)
        node_map_set (m, f->name, v);
    }
  return m;
}

/* ---- freeing ---- */

static void
free_list (const struct field_desc *f, struct list_raw *l)
{
  size_t esize = schema_elem_size (f);
  for (size_t i = 0; i < l->len; i++)
    {
      char *elem = (char *)l->items + i * esize;
      if (f->elem == ELEM_STRING)
        free (*(char **)elem);
      else if (f->elem == ELEM_STRUCT)
        codec_free (f->sub, elem);
    }
  free (l->items);
}

static void
free_keys_values (size_t len, char **keys, char **values)
{
  for (size_t i = 0; i < len; i++)
    {
      free (keys[i]);
      if (values)
        free (values[i]);
    }
  free (keys);
  free (values);
}

void
codec_free (const struct type_desc *desc, void *obj)
{
  for (const struct field_desc *f = desc->fields; f->name; f++)
    {
      char *slot = (char *)obj + f->offset;
      switch (f->type)
        {
        case FT_STRING:
        case FT_STRING_SET:
        case FT_QUANTITY_PTR:
          free (*(void **)slot);
          *(void **)slot = NULL;
          if (f->type == FT_STRING_SET)
            *(bool *)((char *)obj + f->aux_offset) = false;
          break;
        case FT_INT:
          memset (slot, 0, sizeof (struct opt_int));
          break;
        case FT_BOOL:
          memset (slot, 0, sizeof (struct opt_bool));
          break;
        case FT_INT_OR_STR:
          free (((struct int_or_string *)slot)->s);
          memset (slot, 0, sizeof (struct int_or_string));
          break;
        case FT_STRUCT:
          codec_free (f->sub, slot);
          break;
        case FT_PTR:
          if (*(void **)slot)
            {
              codec_free (f->sub, *(void **)slot);
              free (*(void **)slot);
              *(void **)slot = NULL;
            }
          break;
        case FT_LIST:
          free_list (f, (struct list_raw *)slot);
          memset (slot, 0, sizeof (struct list_raw));
          break;
        case FT_STRMAP:
          {
            struct strmap *m = (struct strmap *)slot;
            free_keys_values (m->len, m->keys, m->values);
            memset (m, 0, sizeof (*m));
            break;
          }
        case FT_BYTESMAP:
          {
            struct bytesmap *m = (struct bytesmap *)slot;
            free_keys_values (m->len, m->keys, m->values);
            free (m->lens);
            memset (m, 0, sizeof (*m));
            break;
          }
        case FT_QUANTITY_MAP:
          {
            struct quantity_map *m = (struct quantity_map *)slot;
            free_keys_values (m->len, m->keys, NULL);
            free (m->values);
            memset (m, 0, sizeof (*m));
            break;
          }
        case FT_RAW:
          node_unref (*(struct node **)slot);
          *(struct node **)slot = NULL;
          break;
        case FT_IGNORE:
          break;
        }
    }
}
