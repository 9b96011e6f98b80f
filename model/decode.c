/* decode.c - node tree -> typed structs, driven by the schema tables. */
#include "codec.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cleanup.h"

#define ERR(ctx, ...)                                                          \
  diag_add ((ctx)->diags, DIAG_ERROR, path_str (&(ctx)->path), __VA_ARGS__)

const char *
codec_node_type_name (const struct node *n)
{
  bool b;
  if (n == NULL)
    return "nothing";
  switch (n->kind)
    {
    case NODE_SEQ:
      return "a list";
    case NODE_MAP:
      return "an object";
    case NODE_SCALAR:
      if (n->quoted)
        return "a string";
      if (node_is_null (n))
        return "null";
      if (node_as_bool (n, &b))
        return "a boolean";
      if (node_is_number (n))
        return "a number";
      return "a string";
    }
  return "a value";
}

/* A scalar that decodes into a Go string: quoted, or plain text that YAML
 * does not resolve to a number, a boolean or null. */
static bool
node_is_string (const struct node *n)
{
  bool b;
  if (n->kind != NODE_SCALAR)
    return false;
  if (n->quoted)
    return true;
  return !node_is_null (n) && !node_as_bool (n, &b) && !node_is_number (n);
}

static bool
is_null (const struct node *n)
{
  return n == NULL
         || (n->kind == NODE_SCALAR && !n->quoted && node_is_null (n));
}

static char *
decode_string (struct decode_ctx *ctx, const struct node *n)
{
  if (!node_is_string (n))
    {
      ERR (ctx, "expected a string, got %s%s", codec_node_type_name (n),
           n->kind == NODE_SCALAR ? " (quote the value)" : "");
      return NULL;
    }
  if (strlen (n->text) != n->text_len)
    {
      ERR (ctx, "string contains a NUL byte");
      return NULL;
    }
  return xstrdup (n->text);
}

static bool
decode_int (struct decode_ctx *ctx, const struct node *n, unsigned flags,
            int64_t *out)
{
  bool overflow = false;
  if (n->kind != NODE_SCALAR || n->quoted || !node_as_int64 (n, out, &overflow))
    {
      if (overflow)
        ERR (ctx, "number %s is out of range", n->text);
      else
        ERR (ctx, "expected an integer, got %s", codec_node_type_name (n));
      return false;
    }
  if ((flags & FF_INT32) && (*out < INT32_MIN || *out > INT32_MAX))
    {
      ERR (ctx, "number %" PRId64 " is out of the 32-bit integer range", *out);
      return false;
    }
  return true;
}

static bool
decode_quantity (struct decode_ctx *ctx, const struct node *n,
                 struct quantity *q)
{
  berth_error_t err = NULL;
  if (n->kind != NODE_SCALAR
      || (!n->quoted && !node_is_number (n) && !node_is_string (n)))
    {
      ERR (ctx, "expected a quantity, got %s", codec_node_type_name (n));
      return false;
    }
  if (quantity_parse (n->text, q, &err) < 0)
    {
      /* the parser's message starts by naming the quantity; say it once */
      const char *why = berth_error_msg (&err);
      const char *colon = strstr (why, "\": ");
      ERR (ctx, "quantity \"%s\" is not valid: %s", n->text,
           colon ? colon + 3 : why);
      berth_error_release (&err);
      return false;
    }
  return true;
}

static void
decode_int_or_string (struct decode_ctx *ctx, const struct node *n,
                      struct int_or_string *v)
{
  bool overflow = false;
  if (n->kind == NODE_SCALAR && !n->quoted
      && node_as_int64 (n, &v->i, &overflow))
    {
      if (v->i < INT32_MIN || v->i > INT32_MAX)
        {
          ERR (ctx, "number %" PRId64 " is out of the 32-bit integer range",
               v->i);
          return;
        }
      v->type = IOS_INT;
      return;
    }
  if (overflow || !node_is_string (n))
    {
      ERR (ctx, "expected an integer or a string, got %s",
           codec_node_type_name (n));
      return;
    }
  v->type = IOS_STRING;
  v->s = xstrdup (n->text);
}

static void
decode_map_entries (struct decode_ctx *ctx, const struct field_desc *f,
                    const struct node *n, void *slot)
{
  if (n->kind != NODE_MAP)
    {
      ERR (ctx, "expected an object, got %s", codec_node_type_name (n));
      return;
    }
  for (size_t i = 0; i < n->len; i++)
    {
      const char *key = n->pairs[i].key->text;
      const struct node *v = n->pairs[i].value;
      size_t mark = f->type == FT_QUANTITY_MAP
                        ? path_push_field (&ctx->path, key)
                        : path_push_key (&ctx->path, key);
      if (f->type == FT_STRMAP)
        {
          cleanup_free char *s
              = is_null (v) ? xstrdup ("") : decode_string (ctx, v);
          if (s)
            strmap_set (slot, key, s);
        }
      else if (f->type == FT_BYTESMAP)
        {
          cleanup_free char *s
              = is_null (v) ? xstrdup ("") : decode_string (ctx, v);
          cleanup_free char *bytes = NULL;
          size_t len = 0;
          long bad = -1;
          if (s && (bytes = base64_decode (s, &len, &bad)) == NULL)
            ERR (ctx, "illegal base64 data at input byte %ld", bad);
          else if (s)
            bytesmap_set (slot, key, bytes, len);
        }
      else
        {
          struct quantity q;
          if (!is_null (v) && decode_quantity (ctx, v, &q))
            quantity_map_set (slot, key, &q);
        }
      path_pop (&ctx->path, mark);
    }
}

static void
decode_list (struct decode_ctx *ctx, const struct field_desc *f,
             const struct node *n, struct list_raw *l)
{
  size_t esize = schema_elem_size (f);
  if (n->kind != NODE_SEQ)
    {
      ERR (ctx, "expected a list, got %s", codec_node_type_name (n));
      return;
    }
  for (size_t i = 0; i < n->len; i++)
    {
      const struct node *item = n->items[i];
      size_t mark = path_push_index (&ctx->path, i);
      void *elem = list_append (l, esize);
      switch (f->elem)
        {
        case ELEM_STRING:
          if (!is_null (item))
            *(char **)elem = decode_string (ctx, item);
          if (*(char **)elem == NULL)
            *(char **)elem = xstrdup ("");
          break;
        case ELEM_INT:
          if (!decode_int (ctx, item, 0, elem))
            *(int64_t *)elem = 0;
          break;
        case ELEM_STRUCT:
          codec_decode (ctx, f->sub, item, elem);
          break;
        }
      path_pop (&ctx->path, mark);
    }
}

/* Decode one field's value into its slot in OBJ. */
static void
decode_field (struct decode_ctx *ctx, const struct field_desc *f,
              const struct node *v, char *obj)
{
  void *slot = obj + f->offset;

  if (f->type == FT_IGNORE)
    return;
  if (is_null (v) && f->type != FT_RAW)
    return;
  switch (f->type)
    {
    case FT_STRING:
      *(char **)slot = decode_string (ctx, v);
      break;
    case FT_STRING_SET:
      if ((*(char **)slot = decode_string (ctx, v)) != NULL)
        *(bool *)(obj + f->aux_offset) = true;
      break;
    case FT_INT:
      {
        struct opt_int *oi = slot;
        oi->set = decode_int (ctx, v, f->flags, &oi->v);
        break;
      }
    case FT_BOOL:
      {
        struct opt_bool *ob = slot;
        if (v->kind == NODE_SCALAR && !v->quoted && node_as_bool (v, &ob->v))
          ob->set = true;
        else
          ERR (ctx, "expected a boolean, got %s", codec_node_type_name (v));
        break;
      }
    case FT_INT_OR_STR:
      decode_int_or_string (ctx, v, slot);
      break;
    case FT_QUANTITY_PTR:
      {
        struct quantity q;
        if (decode_quantity (ctx, v, &q))
          {
            *(struct quantity **)slot = xcalloc (1, sizeof (q));
            **(struct quantity **)slot = q;
          }
        break;
      }
    case FT_STRUCT:
      codec_decode (ctx, f->sub, v, slot);
      break;
    case FT_PTR:
      *(void **)slot = xcalloc (1, f->sub->size);
      codec_decode (ctx, f->sub, v, *(void **)slot);
      break;
    case FT_LIST:
      decode_list (ctx, f, v, slot);
      break;
    case FT_STRMAP:
    case FT_BYTESMAP:
    case FT_QUANTITY_MAP:
      decode_map_entries (ctx, f, v, slot);
      break;
    case FT_RAW:
      *(struct node **)slot = v ? node_ref ((struct node *)v) : NULL;
      break;
    case FT_IGNORE:
      break;
    }
}

static const struct field_desc *
find_field (const struct type_desc *desc, const char *name)
{
  for (const struct field_desc *f = desc->fields; f->name; f++)
    if (strcmp (f->name, name) == 0)
      return f;
  return NULL;
}

/* Free one field's value in OBJ, so a duplicate key can replace it. */
static void
clear_field (const struct field_desc *f, char *obj)
{
  static const struct field_desc end = FIELD_END;
  struct field_desc one[2] = { *f, end };
  struct type_desc single = { .name = "", .size = 0, .fields = one };
  codec_free (&single, obj);
}

void
codec_decode (struct decode_ctx *ctx, const struct type_desc *desc,
              const struct node *n, void *obj)
{
  if (is_null (n))
    return;
  if (n->kind != NODE_MAP)
    {
      ERR (ctx, "expected an object, got %s", codec_node_type_name (n));
      return;
    }
  for (size_t i = 0; i < n->len; i++)
    {
      const char *key = n->pairs[i].key->text;
      const struct field_desc *f = find_field (desc, key);
      size_t mark = path_push_field (&ctx->path, key);

      if (f == NULL)
        diag_add (ctx->diags, DIAG_WARNING, path_str (&ctx->path),
                  "unknown field");
      else
        {
          for (size_t j = 0; j < i; j++)
            if (strcmp (n->pairs[j].key->text, key) == 0)
              {
                diag_add (ctx->diags, DIAG_WARNING, path_str (&ctx->path),
                          "duplicate field");
                clear_field (f, obj);
                break;
              }
          decode_field (ctx, f, n->pairs[i].value, obj);
        }
      path_pop (&ctx->path, mark);
    }
}
