/* node_json.c - JSON text (one value or several concatenated) read into node
 * trees with yajl's callback parser.  Numbers keep their text; strings are
 * quoted scalars; true, false and null are plain scalars.  Duplicate keys are
 * kept.  yajl gives no positions, so they are computed from the byte offset
 * it has consumed when each callback runs. */
#include "node.h"

#include <errno.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "cleanup.h"
#include "node_internal.h"

struct jframe
{
  struct node *node;
  struct node *key; /* a mapping's key waiting for its value */
};

struct jreader
{
  yajl_handle h;
  const char *buf;
  size_t len;
  bool finishing; /* in yajl_complete_parse: offsets are not into BUF */
  struct node_pos pos;
  struct jframe *stack;
  size_t depth;
  size_t cap;
  struct node_stream *out;
  berth_error_t *err;
  bool failed; /* *err was set by a callback */
};

/* Position of the TOKEN_LEN-byte token that ends where yajl has consumed. */
static void
token_at (struct jreader *r, struct node *n, size_t token_len)
{
  size_t end = r->finishing ? r->len : yajl_get_bytes_consumed (r->h);
  size_t start = end >= token_len ? end - token_len : 0;

  node_pos_advance (r->buf, start, &r->pos);
  n->line = r->pos.line;
  n->column = r->pos.column;
}

/* A string token ends at its closing quote: its start is the nearest quote
 * before that is not escaped (preceded by an even run of backslashes). */
static void
string_at (struct jreader *r, struct node *n)
{
  size_t end = r->finishing ? r->len : yajl_get_bytes_consumed (r->h);
  size_t i = end >= 2 ? end - 2 : 0;

  for (; i > 0; i--)
    if (r->buf[i] == '"')
      {
        size_t bs = 0;

        while (bs < i && r->buf[i - 1 - bs] == '\\')
          bs++;
        if (bs % 2 == 0)
          break;
      }
  node_pos_advance (r->buf, i, &r->pos);
  n->line = r->pos.line;
  n->column = r->pos.column;
}

static int
add (struct jreader *r, struct node *n)
{
  struct jframe *f;

  if (r->depth == 0)
    {
      node_stream_push (r->out, n);
      return 1;
    }
  f = &r->stack[r->depth - 1];
  if (f->node->kind == NODE_SEQ)
    node_seq_append (f->node, n);
  else
    node_map_append (f->node, steal_pointer (&f->key), n);
  return 1;
}

static int
on_null (void *ctx)
{
  struct node *n = node_new_scalar ("null", false);

  token_at (ctx, n, 4);
  return add (ctx, n);
}

static int
on_boolean (void *ctx, int b)
{
  struct node *n = node_new_scalar (b ? "true" : "false", false);

  token_at (ctx, n, n->text_len);
  return add (ctx, n);
}

static int
on_number (void *ctx, const char *s, size_t len)
{
  struct node *n = node_new_scalarn (s, len, false);

  token_at (ctx, n, len);
  return add (ctx, n);
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  struct node *n = node_new_scalarn ((const char *)s, len, true);

  string_at (ctx, n);
  return add (ctx, n);
}

static int
on_key (void *ctx, const unsigned char *s, size_t len)
{
  struct jreader *r = ctx;
  struct jframe *f = &r->stack[r->depth - 1];

  node_unref (f->key);
  f->key = node_new_scalarn ((const char *)s, len, true);
  string_at (r, f->key);
  return 1;
}

static int
open_collection (struct jreader *r, enum node_kind kind)
{
  struct jframe *f;
  struct node *n = kind == NODE_MAP ? node_new_map () : node_new_seq ();

  token_at (r, n, 1);
  if (r->depth >= NODE_MAX_DEPTH)
    {
      r->failed = true;
      node_error_at (r->err, n->line, n->column, "nested deeper than %d levels",
                     NODE_MAX_DEPTH);
      node_unref (n);
      return 0;
    }
  if (r->depth == r->cap)
    {
      r->cap = r->cap ? r->cap * 2 : 16;
      r->stack = node_xrealloc (r->stack, r->cap, sizeof (*r->stack));
    }
  f = &r->stack[r->depth++];
  f->node = n;
  f->key = NULL;
  return 1;
}

static int
on_start_map (void *ctx)
{
  return open_collection (ctx, NODE_MAP);
}

static int
on_start_array (void *ctx)
{
  return open_collection (ctx, NODE_SEQ);
}

static int
on_end (void *ctx)
{
  struct jreader *r = ctx;
  struct jframe f = r->stack[--r->depth];

  node_unref (f.key);
  return add (r, f.node);
}

static const yajl_callbacks callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_key,
  .yajl_end_map = on_end,
  .yajl_start_array = on_start_array,
  .yajl_end_array = on_end,
};

static int
syntax_error (struct jreader *r)
{
  unsigned char *text = yajl_get_error (r->h, 0, NULL, 0);
  /* yajl has consumed the offending byte, or reached the end. */
  size_t off = r->finishing ? r->len : yajl_get_bytes_consumed (r->h);
  const char *msg = text ? (const char *)text : "syntax error";
  size_t n = strlen (msg);
  int ret;

  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    n--;
  if (!r->finishing && off > 0)
    off--;
  node_pos_advance (r->buf, off, &r->pos);
  ret = node_error_at (r->err, r->pos.line, r->pos.column, "%.*s", (int)n, msg);
  if (text)
    yajl_free_error (r->h, text);
  return ret;
}

static void
jreader_cleanup (struct jreader *r)
{
  size_t i;

  for (i = 0; i < r->depth; i++)
    {
      node_unref (r->stack[i].node);
      node_unref (r->stack[i].key);
    }
  free (r->stack);
  if (r->h)
    yajl_free (r->h);
}

int
node_json_read (const char *buf, size_t len, struct node_stream *out,
                berth_error_t *err)
{
  __attribute__ ((cleanup (jreader_cleanup))) struct jreader r = { 0 };
  yajl_status st;

  r.buf = buf;
  r.len = len;
  r.out = out;
  r.err = err;
  r.h = yajl_alloc (&callbacks, NULL, &r);
  if (r.h == NULL)
    return berth_error_make (err, ENOMEM, "out of memory reading JSON");
  yajl_config (r.h, yajl_allow_multiple_values, 1);
  st = yajl_parse (r.h, (const unsigned char *)buf, len);
  if (st == yajl_status_ok)
    {
      r.finishing = true;
      st = yajl_complete_parse (r.h);
    }
  if (st == yajl_status_ok)
    return 0;
  if (r.failed)
    return -1;
  return syntax_error (&r);
}
