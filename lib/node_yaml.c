/* node_yaml.c - a YAML stream read into node trees with libyaml's event
 * parser.  Anchors are shared by reference; `<<` merge keys are resolved
 * when their mapping ends; what aliases expand to is counted against a
 * budget so that a "billion laughs" document fails fast. */
#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <yaml.h>

#include "cleanup.h"
#include "node_internal.h"

/* What a node costs once aliases are expanded: NODES nodes, about WEIGHT
 * bytes written out, HEIGHT levels of collections. */
struct cost
{
  uint64_t nodes;
  uint64_t weight;
  unsigned height;
};

struct anchor
{
  char *name; /* NULL: free slot */
  struct node *node;
  struct cost cost;
};

struct frame
{
  struct node *node;
  char *anchor;
  struct node *key; /* a mapping's key waiting for its value */
  bool has_merge;
  struct cost cost; /* of the children so far */
};

struct reader
{
  yaml_parser_t parser;
  struct frame *stack;
  size_t depth;
  size_t stack_cap;
  struct anchor *anchors; /* open addressing, power-of-two size */
  size_t anchors_len;
  size_t anchors_cap;
  struct node *root;
  uint64_t alias_nodes;
  uint64_t alias_weight;
  struct node_stream *out;
  berth_error_t *err;
};

#define TAG_PREFIX "tag:yaml.org,2002:"

static unsigned
mark_line (const yaml_mark_t *m)
{
  return (unsigned)m->line + 1;
}

static unsigned
mark_column (const yaml_mark_t *m)
{
  return (unsigned)m->column + 1;
}

#define ERROR_AT(r, mark, ...)                                                 \
  node_error_at ((r)->err, mark_line (mark), mark_column (mark), __VA_ARGS__)

static char *
xstrdup (const char *s)
{
  size_t len = strlen (s) + 1;

  return memcpy (node_xrealloc (NULL, len, 1), s, len);
}

/* Anchors. */

static size_t
name_hash (const char *s)
{
  uint64_t h = 14695981039346656037ULL;

  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return (size_t)h;
}

static struct anchor *
anchor_slot (struct anchor *table, size_t cap, const char *name)
{
  size_t i = name_hash (name) & (cap - 1);

  while (table[i].name != NULL && strcmp (table[i].name, name) != 0)
    i = (i + 1) & (cap - 1);
  return &table[i];
}

static void
anchors_clear (struct reader *r)
{
  size_t i;

  for (i = 0; i < r->anchors_cap; i++)
    if (r->anchors[i].name != NULL)
      {
        free (r->anchors[i].name);
        node_unref (r->anchors[i].node);
      }
  free (r->anchors);
  r->anchors = NULL;
  r->anchors_len = r->anchors_cap = 0;
}

static void
anchors_grow (struct reader *r)
{
  size_t cap = r->anchors_cap ? r->anchors_cap * 2 : 16;
  struct anchor *table = node_xrealloc (NULL, cap, sizeof (*table));
  size_t i;

  memset (table, 0, cap * sizeof (*table));
  for (i = 0; i < r->anchors_cap; i++)
    if (r->anchors[i].name != NULL)
      *anchor_slot (table, cap, r->anchors[i].name) = r->anchors[i];
  free (r->anchors);
  r->anchors = table;
  r->anchors_cap = cap;
}

/* Takes ownership of NAME; a later anchor of the same name replaces it. */
static void
anchor_set (struct reader *r, char *name, struct node *n, const struct cost *c)
{
  struct anchor *a;

  if ((r->anchors_len + 1) * 2 > r->anchors_cap)
    anchors_grow (r);
  a = anchor_slot (r->anchors, r->anchors_cap, name);
  if (a->name != NULL)
    {
      free (a->name);
      node_unref (a->node);
    }
  else
    r->anchors_len++;
  a->name = name;
  a->node = node_ref (n);
  a->cost = *c;
}

static const struct anchor *
anchor_get (const struct reader *r, const char *name)
{
  const struct anchor *a;

  if (r->anchors_cap == 0)
    return NULL;
  a = anchor_slot (r->anchors, r->anchors_cap, name);
  return a->name ? a : NULL;
}

/* Merges. */

static bool
is_merge_key (const struct node *k)
{
  return !k->quoted && k->text_len == 2 && memcmp (k->text, "<<", 2) == 0;
}

static bool
valid_merge_value (const struct node *v)
{
  size_t i;

  if (v->kind == NODE_MAP)
    return true;
  if (v->kind != NODE_SEQ)
    return false;
  for (i = 0; i < v->len; i++)
    if (v->items[i]->kind != NODE_MAP)
      return false;
  return true;
}

static void
merge_from (struct node *dst, const struct node *src, struct node_keyset *seen)
{
  size_t i;

  for (i = 0; i < src->len; i++)
    if (node_keyset_add (seen, src->pairs[i].key))
      node_map_append (dst, node_ref (src->pairs[i].key),
                       node_ref (src->pairs[i].value));
}

/* Replace each `<<` pair of MAP with the pairs it brings in: explicit keys
 * win, then earlier merged mappings over later ones. */
static void
apply_merges (struct node *map)
{
  struct node old = *map;
  struct node_keyset seen = { 0 };
  size_t i, j;

  for (i = 0; i < old.len; i++)
    if (!is_merge_key (old.pairs[i].key))
      node_keyset_add (&seen, old.pairs[i].key);
  map->pairs = NULL;
  map->len = map->cap = 0;
  for (i = 0; i < old.len; i++)
    {
      struct node_pair *p = &old.pairs[i];

      if (!is_merge_key (p->key))
        {
          node_map_append (map, p->key, p->value);
          continue;
        }
      if (p->value->kind == NODE_MAP)
        merge_from (map, p->value, &seen);
      else
        for (j = 0; j < p->value->len; j++)
          merge_from (map, p->value->items[j], &seen);
      node_unref (p->key);
      node_unref (p->value);
    }
  free (old.pairs);
  node_keyset_free (&seen);
}

/* Tree building. */

/* Hand a finished node N (owned) to the open collection or the document. */
static int
attach (struct reader *r, struct node *n, const struct cost *c,
        const yaml_mark_t *mark)
{
  struct frame *f;

  if (r->depth == 0)
    {
      node_unref (r->root);
      r->root = n;
      return 0;
    }
  f = &r->stack[r->depth - 1];
  f->cost.nodes += c->nodes;
  f->cost.weight += c->weight + 2 * c->nodes;
  if (c->height + 1 > f->cost.height)
    f->cost.height = c->height + 1;
  if (f->node->kind == NODE_SEQ)
    {
      node_seq_append (f->node, n);
      return 0;
    }
  if (f->key == NULL)
    {
      if (n->kind != NODE_SCALAR)
        {
          node_unref (n);
          return ERROR_AT (r, mark, "mapping keys must be scalars");
        }
      f->key = n;
      return 0;
    }
  if (is_merge_key (f->key))
    {
      if (!valid_merge_value (n))
        {
          node_unref (n);
          return ERROR_AT (r, mark,
                           "the value of a `<<` merge key must be "
                           "a mapping or a list of mappings");
        }
      f->has_merge = true;
    }
  node_map_append (f->node, steal_pointer (&f->key), n);
  return 0;
}

static int
on_start (struct reader *r, const yaml_event_t *ev, enum node_kind kind,
          const yaml_char_t *anchor)
{
  struct frame *f;

  if (r->depth > 0 && r->stack[r->depth - 1].node->kind == NODE_MAP
      && r->stack[r->depth - 1].key == NULL)
    return ERROR_AT (r, &ev->start_mark, "mapping keys must be scalars");
  if (r->depth >= NODE_MAX_DEPTH)
    return ERROR_AT (r, &ev->start_mark, "nested deeper than %d levels",
                     NODE_MAX_DEPTH);
  if (r->depth == r->stack_cap)
    {
      r->stack_cap = r->stack_cap ? r->stack_cap * 2 : 16;
      r->stack = node_xrealloc (r->stack, r->stack_cap, sizeof (*r->stack));
    }
  f = &r->stack[r->depth++];
  memset (f, 0, sizeof (*f));
  f->node = kind == NODE_MAP ? node_new_map () : node_new_seq ();
  f->node->line = mark_line (&ev->start_mark);
  f->node->column = mark_column (&ev->start_mark);
  f->anchor = anchor ? xstrdup ((const char *)anchor) : NULL;
  f->cost.height = 1;
  return 0;
}

static int
on_end (struct reader *r, const yaml_event_t *ev)
{
  struct frame f = r->stack[--r->depth];
  struct cost c = { .nodes = 1 + f.cost.nodes,
                    .weight = 4 + f.cost.weight,
                    .height = f.cost.height };
  yaml_mark_t mark = { .line = f.node->line - 1, .column = f.node->column - 1 };

  node_unref (f.key); /* libyaml always pairs keys; be safe */
  if (f.has_merge)
    apply_merges (f.node);
  if (f.anchor != NULL)
    anchor_set (r, f.anchor, f.node, &c);
  return attach (r, f.node, &c, &mark);
}

static bool
anchor_is_open (const struct reader *r, const char *name)
{
  size_t i;

  for (i = 0; i < r->depth; i++)
    if (r->stack[i].anchor && strcmp (r->stack[i].anchor, name) == 0)
      return true;
  return false;
}

static int
on_alias (struct reader *r, const yaml_event_t *ev)
{
  const char *name = (const char *)ev->data.alias.anchor;
  const struct anchor *a = anchor_get (r, name);

  if (a == NULL)
    return ERROR_AT (r, &ev->start_mark,
                     anchor_is_open (r, name)
                         ? "alias *%s refers to a node that contains it"
                         : "unknown anchor %s",
                     name);
  if (r->depth + a->cost.height > NODE_MAX_DEPTH)
    return ERROR_AT (r, &ev->start_mark,
                     "alias *%s: nested deeper than %d levels", name,
                     NODE_MAX_DEPTH);
  r->alias_nodes += a->cost.nodes;
  r->alias_weight += a->cost.weight + 2 * r->depth * a->cost.nodes;
  if (r->alias_nodes > NODE_ALIAS_BUDGET)
    return ERROR_AT (r, &ev->start_mark, "aliases expand to more than %d nodes",
                     NODE_ALIAS_BUDGET);
  if (r->alias_weight > NODE_ALIAS_WEIGHT_BUDGET)
    return ERROR_AT (r, &ev->start_mark,
                     "aliases expand to more than %" PRIu64 " MiB",
                     NODE_ALIAS_WEIGHT_BUDGET >> 20);
  return attach (r, node_ref (a->node), &a->cost, &ev->start_mark);
}

/* Scalars and their tags. */

static int
base64_value (unsigned char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Standard base64 with padding; whitespace (line breaks of a literal
 * scalar) is skipped.  Returns false on anything else. */
static bool
binary_decode (struct node *n)
{
  cleanup_free char *out = node_xrealloc (NULL, n->text_len / 4 * 3 + 4, 1);
  size_t i, len = 0, chars = 0, pad = 0;
  uint32_t acc = 0;
  int bits = 0;

  for (i = 0; i < n->text_len; i++)
    {
      unsigned char c = n->text[i];
      int v;

      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        continue;
      chars++;
      if (c == '=' && ++pad <= 2)
        continue;
      v = base64_value (c);
      if (v < 0 || pad > 0)
        return false;
      acc = (acc << 6) | (uint32_t)v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[len++] = (char)((acc >> bits) & 0xff);
        }
    }
  if (chars % 4 != 0)
    return false;
  out[len] = '\0';
  node_scalar_set_text (n, steal_pointer (&out), len);
  return true;
}

/* Apply the tag of a scalar: !!str and ! make a string, !!int, !!float,
 * !!bool and !!null a plain scalar that must resolve to that type, !!binary
 * is decoded.  Other tags are ignored. */
static int
apply_tag (struct reader *r, struct node *n, const char *tag,
           const yaml_mark_t *mark)
{
  static const struct
  {
    const char *name;
    enum node_type type;
  } typed[] = { { "int", NODE_TYPE_INT },
                { "float", NODE_TYPE_FLOAT },
                { "bool", NODE_TYPE_BOOL },
                { "null", NODE_TYPE_NULL } };
  size_t i;

  if (strcmp (tag, "!") == 0 || strcmp (tag, TAG_PREFIX "str") == 0)
    {
      n->quoted = true;
      return 0;
    }
  if (strcmp (tag, TAG_PREFIX "binary") == 0)
    {
      n->quoted = true;
      if (!binary_decode (n))
        return ERROR_AT (r, mark, "!!binary value is not valid base64");
      return 0;
    }
  if (strncmp (tag, TAG_PREFIX, strlen (TAG_PREFIX)) != 0)
    return 0;
  for (i = 0; i < sizeof (typed) / sizeof (typed[0]); i++)
    if (strcmp (tag + strlen (TAG_PREFIX), typed[i].name) == 0)
      {
        enum node_type t;

        n->quoted = false;
        t = node_resolve (n);
        if (t == typed[i].type
            || (typed[i].type == NODE_TYPE_FLOAT && t == NODE_TYPE_INT))
          return 0;
        return ERROR_AT (r, mark, "!!%s: \"%.40s\" is not a valid %s",
                         typed[i].name, n->text, typed[i].name);
      }
  return 0;
}

static int
on_scalar (struct reader *r, const yaml_event_t *ev)
{
  struct node *n;
  struct cost c = { .nodes = 1, .height = 0 };
  int ret;

  n = node_new_scalarn ((const char *)ev->data.scalar.value,
                        ev->data.scalar.length,
                        ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE);
  n->line = mark_line (&ev->start_mark);
  n->column = mark_column (&ev->start_mark);
  if (ev->data.scalar.tag != NULL)
    {
      ret = apply_tag (r, n, (const char *)ev->data.scalar.tag,
                       &ev->start_mark);
      if (ret < 0)
        {
          node_unref (n);
          return ret;
        }
    }
  c.weight = n->text_len + 4;
  if (ev->data.scalar.anchor != NULL)
    anchor_set (r, xstrdup ((const char *)ev->data.scalar.anchor), n, &c);
  return attach (r, n, &c, &ev->start_mark);
}

/* Documents and the stream. */

static void
document_end (struct reader *r)
{
  struct node *doc = steal_pointer (&r->root);

  /* An empty document is an empty plain scalar to libyaml. */
  if (doc != NULL && doc->kind == NODE_SCALAR && !doc->quoted
      && doc->text_len == 0)
    {
      node_unref (doc);
      doc = NULL;
    }
  node_stream_push (r->out, doc);
  anchors_clear (r);
}

static int
on_event (struct reader *r, const yaml_event_t *ev, bool *done)
{
  switch (ev->type)
    {
    case YAML_STREAM_END_EVENT:
      *done = true;
      return 0;
    case YAML_DOCUMENT_END_EVENT:
      document_end (r);
      return 0;
    case YAML_ALIAS_EVENT:
      return on_alias (r, ev);
    case YAML_SCALAR_EVENT:
      return on_scalar (r, ev);
    case YAML_SEQUENCE_START_EVENT:
      return on_start (r, ev, NODE_SEQ, ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
      return on_start (r, ev, NODE_MAP, ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      return on_end (r, ev);
    default:
      return 0;
    }
}

static int
parser_error (struct reader *r, const char *buf, size_t len)
{
  const yaml_parser_t *p = &r->parser;
  const char *problem = p->problem ? p->problem : "syntax error";
  struct node_pos pos = { 0 };
  unsigned line = mark_line (&p->problem_mark);
  unsigned column = mark_column (&p->problem_mark);

  if (p->error == YAML_MEMORY_ERROR)
    return berth_error_make (r->err, ENOMEM, "out of memory reading YAML");
  if (p->error == YAML_READER_ERROR)
    {
      node_pos_advance (buf, p->problem_offset < len ? p->problem_offset : len,
                        &pos);
      if (p->problem_value != -1)
        return node_error_at (r->err, pos.line, pos.column, "%s (#x%02X)",
                              problem, (unsigned)p->problem_value);
      return node_error_at (r->err, pos.line, pos.column, "%s", problem);
    }
  if (p->context != NULL)
    return node_error_at (r->err, line, column, "%s (%s)", problem, p->context);
  return node_error_at (r->err, line, column, "%s", problem);
}

static void
reader_cleanup (struct reader *r)
{
  size_t i;

  for (i = 0; i < r->depth; i++)
    {
      node_unref (r->stack[i].node);
      node_unref (r->stack[i].key);
      free (r->stack[i].anchor);
    }
  free (r->stack);
  anchors_clear (r);
  node_unref (r->root);
  yaml_parser_delete (&r->parser);
}

int
node_yaml_read (const char *buf, size_t len, struct node_stream *out,
                berth_error_t *err)
{
  __attribute__ ((cleanup (reader_cleanup))) struct reader r = { 0 };
  bool done = false;
  int ret = 0;

  r.out = out;
  r.err = err;
  if (!yaml_parser_initialize (&r.parser))
    return berth_error_make (err, ENOMEM, "out of memory reading YAML");
  yaml_parser_set_input_string (&r.parser, (const unsigned char *)buf, len);
  while (!done && ret == 0)
    {
      yaml_event_t ev;

      if (!yaml_parser_parse (&r.parser, &ev))
        return parser_error (&r, buf, len);
      ret = on_event (&r, &ev, &done);
      yaml_event_delete (&ev);
    }
  return ret;
}
