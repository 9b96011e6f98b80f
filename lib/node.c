/* node.c - building, lookup, scalar resolution and the writers of the
 * document tree; see node.h.  The readers are in node_yaml.c and
 * node_json.c. */
#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yaml.h>

#include "cleanup.h"
#include "node_internal.h"

/* Allocation, building and refcounting.  */

void *
node_xrealloc (void *p, size_t nmemb, size_t size)
{
  void *r;

  if (size != 0 && nmemb > SIZE_MAX / size)
    abort ();
  r = realloc (p, nmemb * size > 0 ? nmemb * size : 1);
  if (r == NULL)
    abort ();
  return r;
}

static struct node *
node_alloc (enum node_kind kind)
{
  struct node *n = node_xrealloc (NULL, 1, sizeof (*n));

  memset (n, 0, sizeof (*n));
  n->kind = kind;
  n->refs = 1;
  return n;
}

/* A scalar's text lives in the same block, right after the node (one
 * allocation instead of two: trees are mostly short scalars), unless
 * node_scalar_set_text replaced it. */
static char *
inline_text (struct node *n)
{
  return (char *)(n + 1);
}

struct node *
node_new_scalarn (const char *text, size_t len, bool quoted)
{
  struct node *n;

  if (len >= SIZE_MAX - sizeof (*n))
    abort ();
  n = node_xrealloc (NULL, 1, sizeof (*n) + len + 1);
  memset (n, 0, sizeof (*n));
  n->kind = NODE_SCALAR;
  n->refs = 1;
  n->text = inline_text (n);
  if (len > 0)
    memcpy (n->text, text, len);
  n->text[len] = '\0';
  n->text_len = len;
  n->quoted = quoted;
  return n;
}

struct node *
node_new_scalar (const char *text, bool quoted)
{
  return node_new_scalarn (text, text ? strlen (text) : 0, quoted);
}

struct node *
node_new_seq (void)
{
  return node_alloc (NODE_SEQ);
}

struct node *
node_new_map (void)
{
  return node_alloc (NODE_MAP);
}

struct node *
node_ref (struct node *n)
{
  if (n != NULL)
    n->refs++;
  return n;
}

void
node_unref (struct node *n)
{
  size_t i;

  if (n == NULL || --n->refs > 0)
    return;
  switch (n->kind)
    {
    case NODE_SCALAR:
      if (n->text != inline_text (n))
        free (n->text);
      break;
    case NODE_SEQ:
      for (i = 0; i < n->len; i++)
        node_unref (n->items[i]);
      free (n->items);
      break;
    case NODE_MAP:
      for (i = 0; i < n->len; i++)
        {
          node_unref (n->pairs[i].key);
          node_unref (n->pairs[i].value);
        }
      free (n->pairs);
      break;
    }
  free (n);
}

void
node_scalar_set_text (struct node *n, char *text, size_t len)
{
  if (n->text != inline_text (n))
    free (n->text);
  n->text = text;
  n->text_len = len;
}

static void
grow (struct node *n)
{
  if (n->len < n->cap)
    return;
  n->cap = n->cap ? n->cap * 2 : 4;
  if (n->kind == NODE_SEQ)
    n->items = node_xrealloc (n->items, n->cap, sizeof (*n->items));
  else
    n->pairs = node_xrealloc (n->pairs, n->cap, sizeof (*n->pairs));
}

void
node_seq_append (struct node *seq, struct node *item)
{
  if (item == NULL)
    return;
  if (seq == NULL || seq->kind != NODE_SEQ)
    {
      node_unref (item);
      return;
    }
  grow (seq);
  seq->items[seq->len++] = item;
}

void
node_map_append (struct node *map, struct node *key, struct node *value)
{
  grow (map);
  map->pairs[map->len].key = key;
  map->pairs[map->len].value = value;
  map->len++;
}

static bool
text_is (const struct node *n, const char *s, size_t len)
{
  return n->kind == NODE_SCALAR && n->text_len == len
         && memcmp (n->text, s, len) == 0;
}

static struct node_pair *
map_find (const struct node *map, const char *key)
{
  size_t len = strlen (key);
  size_t i;

  if (map == NULL || map->kind != NODE_MAP)
    return NULL;
  for (i = map->len; i > 0; i--)
    if (text_is (map->pairs[i - 1].key, key, len))
      return &map->pairs[i - 1];
  return NULL;
}

struct node *
node_map_get (const struct node *map, const char *key)
{
  struct node_pair *p = map_find (map, key);

  return p ? p->value : NULL;
}

void
node_map_set (struct node *map, const char *key, struct node *value)
{
  struct node_pair *p;

  if (value == NULL)
    return;
  if (map == NULL || map->kind != NODE_MAP || key == NULL)
    {
      node_unref (value);
      return;
    }
  p = map_find (map, key);
  if (p != NULL)
    {
      node_unref (p->value);
      p->value = value;
      return;
    }
  node_map_append (map, node_new_scalar (key, true), value);
}

void
node_map_set_str (struct node *map, const char *key, const char *value)
{
  node_map_set (map, key, node_new_scalar (value, true));
}

void
node_map_set_int (struct node *map, const char *key, int64_t value)
{
  char buf[32];

  snprintf (buf, sizeof (buf), "%" PRId64, value);
  node_map_set (map, key, node_new_scalar (buf, false));
}

void
node_map_set_bool (struct node *map, const char *key, bool value)
{
  node_map_set (map, key, node_new_scalar (value ? "true" : "false", false));
}

void
node_stream_push (struct node_stream *s, struct node *doc)
{
  s->docs = node_xrealloc (s->docs, s->len + 1, sizeof (*s->docs));
  s->docs[s->len++] = doc;
}

void
node_stream_free (struct node_stream *s)
{
  size_t i;

  if (s == NULL)
    return;
  for (i = 0; i < s->len; i++)
    node_unref (s->docs[i]);
  free (s->docs);
  s->docs = NULL;
  s->len = 0;
}

/* Key sets (FNV-1a, open addressing). */

static size_t
key_hash (const struct node *k)
{
  uint64_t h = 14695981039346656037ULL;
  size_t i;

  for (i = 0; i < k->text_len; i++)
    h = (h ^ (unsigned char)k->text[i]) * 1099511628211ULL;
  return (size_t)h;
}

static bool
keyset_insert (struct node_keyset *set, const struct node *key)
{
  size_t i = key_hash (key) & (set->cap - 1);

  while (set->slots[i] != NULL)
    {
      if (text_is (set->slots[i], key->text, key->text_len))
        return false;
      i = (i + 1) & (set->cap - 1);
    }
  set->slots[i] = key;
  set->len++;
  return true;
}

bool
node_keyset_add (struct node_keyset *set, const struct node *key)
{
  if (set->len * 2 >= set->cap)
    {
      struct node_keyset bigger = { .cap = set->cap ? set->cap * 2 : 16 };
      size_t i;

      bigger.slots = node_xrealloc (NULL, bigger.cap, sizeof (*bigger.slots));
      memset (bigger.slots, 0, bigger.cap * sizeof (*bigger.slots));
      for (i = 0; i < set->cap; i++)
        if (set->slots[i] != NULL)
          keyset_insert (&bigger, set->slots[i]);
      free (set->slots);
      *set = bigger;
    }
  return keyset_insert (set, key);
}

void
node_keyset_free (struct node_keyset *set)
{
  free (set->slots);
  memset (set, 0, sizeof (*set));
}

/* Positions and errors. */

void
node_pos_advance (const char *buf, size_t off, struct node_pos *pos)
{
  size_t i;

  if (pos->line == 0 || off < pos->off)
    *pos = (struct node_pos){ 0, 1, 1 };
  for (i = pos->off; i < off; i++)
    {
      unsigned char c = buf[i];

      if (c == '\n')
        {
          pos->line++;
          pos->column = 1;
        }
      else if ((c & 0xC0) != 0x80)
        pos->column++;
    }
  pos->off = off;
}

int
node_error_at (berth_error_t *err, unsigned line, unsigned column,
               const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return berth_error_make (err, 0, "line %u, column %u: %s", line, column,
                           msg ? msg : "error");
}

/* Reading. */

int
node_stream_read (const char *buf, size_t len, struct node_stream *out,
                  berth_error_t *err)
{
  size_t bom = len >= 3 && memcmp (buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  size_t i = bom;
  int ret;

  out->len = 0;
  out->docs = NULL;
  while (i < len && strchr (" \t\r\n", buf[i]) != NULL && buf[i] != '\0')
    i++;
  if (i == len)
    return 0;
  if (buf[i] == '{' || buf[i] == '[')
    {
      berth_error_t json_err = NULL;

      if (node_json_read (buf + bom, len - bom, out, &json_err) == 0)
        return 0;
      berth_error_release (&json_err);
      node_stream_free (out);
    }
  ret = node_yaml_read (buf, len, out, err);
  if (ret < 0)
    node_stream_free (out);
  return ret;
}

/* Scalar resolution, as go-yaml v2's resolve() for plain scalars.  */

static const char *const null_words[] = { "~", "null", "Null", "NULL", NULL };
static const char *const true_words[]
    = { "y",    "Y",    "yes", "Yes", "YES", "true",
        "True", "TRUE", "on",  "On",  "ON",  NULL };
static const char *const false_words[]
    = { "n",     "N",     "no",  "No",  "NO",  "false",
        "False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const float_words[]
    = { ".inf",  ".Inf",  ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", ".nan", ".NaN",  ".NAN",  NULL };

static bool
text_in (const char *t, size_t len, const char *const *words)
{
  for (; *words; words++)
    if (strlen (*words) == len && memcmp (*words, t, len) == 0)
      return true;
  return false;
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static int
digit_value (char c)
{
  if (is_digit (c))
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

/* T without its '_', as go-yaml v2 strips them before parsing a number. */
static char *
strip_underscores (const char *t, size_t len)
{
  char *s = node_xrealloc (NULL, len + 1, 1);
  size_t i, n = 0;

  for (i = 0; i < len; i++)
    if (t[i] != '_')
      s[n++] = t[i];
  s[n] = '\0';
  return s;
}

enum int_syntax
{
  INT_BAD,
  INT_OK,
  INT_RANGE, /* valid syntax, magnitude past uint64 */
};

/* Go's strconv.ParseInt (s, 0, 64) syntax on S (already without '_'):
 * sign, then 0x / 0o / 0b, leading-0 octal, or decimal. */
static enum int_syntax
parse_go_int (const char *s, bool *neg, uint64_t *mag)
{
  enum int_syntax ret = INT_OK;
  unsigned base = 10;
  uint64_t n = 0;

  *neg = false;
  if (*s == '+' || *s == '-')
    *neg = *s++ == '-';
  if (*s == '\0')
    return INT_BAD;
  if (s[0] == '0')
    {
      char p = s[1] | 0x20;

      if (strlen (s) >= 3 && (p == 'x' || p == 'o' || p == 'b'))
        {
          base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
          s += 2;
        }
      else
        {
          base = 8;
          s += 1;
        }
    }
  for (; *s; s++)
    {
      unsigned d = digit_value (*s);

      if (d >= base)
        return INT_BAD;
      if (n > (UINT64_MAX - d) / base)
        ret = INT_RANGE;
      n = n * base + d;
    }
  *mag = n;
  return ret;
}

/* go-yaml v2's yamlStyleFloat:
 * ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
float_syntax (const char *s)
{
  size_t digits = 0;

  if (*s == '+' || *s == '-')
    s++;
  if (*s == '.')
    {
      for (s++; is_digit (*s); s++)
        digits++;
      if (digits == 0)
        return false;
    }
  else
    {
      for (; is_digit (*s); s++)
        digits++;
      if (digits == 0)
        return false;
      if (*s == '.')
        for (s++; is_digit (*s); s++)
          ;
    }
  if (*s == 'e' || *s == 'E')
    {
      s++;
      if (*s == '+' || *s == '-')
        s++;
      if (!is_digit (*s))
        return false;
      while (is_digit (*s))
        s++;
    }
  return *s == '\0';
}

/* Go's ParseFloat fails on overflow (and go-yaml then keeps a string). */
static bool
float_value (const char *s, double *out)
{
  char *end;
  double v;

  errno = 0;
  v = strtod (s, &end);
  if (*end != '\0' || (errno == ERANGE && isinf (v)))
    return false;
  if (out)
    *out = v;
  return true;
}

/* go-yaml v2 reads YYYY-M-D, optionally followed by a time, as a timestamp. */
static bool
looks_like_timestamp (const char *t, size_t len)
{
  size_t i = 0, n;
  int part;

  for (part = 0; part < 3; part++)
    {
      for (n = 0; i < len && is_digit (t[i]); i++)
        n++;
      if (part == 0 ? n != 4 : n < 1 || n > 2)
        return false;
      if (part < 2 && (i == len || t[i++] != '-'))
        return false;
    }
  return i == len || t[i] == 'T' || t[i] == 't' || t[i] == ' ';
}

static enum node_type
resolve_text (const char *t, size_t len)
{
  cleanup_free char *s = NULL;
  uint64_t mag;
  bool neg;

  if (len == 0)
    return NODE_TYPE_NULL;
  if (memchr (t, '\0', len) != NULL)
    return NODE_TYPE_STRING;
  if (text_in (t, len, null_words))
    return NODE_TYPE_NULL;
  if (text_in (t, len, true_words) || text_in (t, len, false_words))
    return NODE_TYPE_BOOL;
  if (text_in (t, len, float_words))
    return NODE_TYPE_FLOAT;
  if (t[0] == '.')
    return float_syntax (t) && float_value (t, NULL) ? NODE_TYPE_FLOAT
                                                     : NODE_TYPE_STRING;
  if (!is_digit (t[0]) && t[0] != '+' && t[0] != '-')
    return NODE_TYPE_STRING;
  if (looks_like_timestamp (t, len))
    return NODE_TYPE_TIMESTAMP;
  s = strip_underscores (t, len);
  switch (parse_go_int (s, &neg, &mag))
    {
    case INT_OK:
      if (!neg || mag <= (uint64_t)INT64_MAX + 1)
        return NODE_TYPE_INT; /* ParseInt, or ParseUint when positive */
      break;
    case INT_RANGE:
    case INT_BAD:
      break;
    }
  if (float_syntax (s) && float_value (s, NULL))
    return NODE_TYPE_FLOAT;
  return NODE_TYPE_STRING;
}

enum node_type
node_resolve (const struct node *n)
{
  if (n == NULL)
    return NODE_TYPE_NULL;
  if (n->kind == NODE_SEQ)
    return NODE_TYPE_SEQ;
  if (n->kind == NODE_MAP)
    return NODE_TYPE_MAP;
  if (n->quoted)
    return NODE_TYPE_STRING;
  return resolve_text (n->text, n->text_len);
}

static bool
is_plain (const struct node *n)
{
  return n != NULL && n->kind == NODE_SCALAR && !n->quoted;
}

bool
node_is_null (const struct node *n)
{
  return n == NULL || (is_plain (n) && node_resolve (n) == NODE_TYPE_NULL);
}

bool
node_as_bool (const struct node *n, bool *out)
{
  bool v;

  if (!is_plain (n))
    return false;
  if (text_in (n->text, n->text_len, true_words))
    v = true;
  else if (text_in (n->text, n->text_len, false_words))
    v = false;
  else
    return false;
  if (out)
    *out = v;
  return true;
}

bool
node_as_int64 (const struct node *n, int64_t *out, bool *overflow)
{
  cleanup_free char *s = NULL;
  enum int_syntax syn;
  uint64_t mag = 0;
  bool neg;

  if (overflow)
    *overflow = false;
  if (!is_plain (n) || n->text_len == 0
      || memchr (n->text, '\0', n->text_len) != NULL
      || (!is_digit (n->text[0]) && n->text[0] != '+' && n->text[0] != '-')
      || looks_like_timestamp (n->text, n->text_len))
    return false;
  s = strip_underscores (n->text, n->text_len);
  syn = parse_go_int (s, &neg, &mag);
  if (syn == INT_BAD)
    return false;
  if (syn == INT_RANGE || mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
    {
      if (overflow)
        *overflow = true;
      return false;
    }
  if (out)
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return true;
}

bool
node_is_number (const struct node *n)
{
  enum node_type t = node_resolve (n);

  return is_plain (n) && (t == NODE_TYPE_INT || t == NODE_TYPE_FLOAT);
}

/* Whether a scalar reads back as a string: quoted, or plain and resolving to
 * nothing else. */
static bool
reads_as_string (const struct node *n)
{
  return n->quoted || node_resolve (n) == NODE_TYPE_STRING;
}

bool
node_equal (const struct node *a, const struct node *b)
{
  size_t i;

  if (node_is_null (a) && node_is_null (b))
    return true;
  if (a == b)
    return true;
  if (a == NULL || b == NULL || a->kind != b->kind || a->len != b->len)
    return false;
  switch (a->kind)
    {
    case NODE_SCALAR:
      if (a->text_len != b->text_len
          || memcmp (a->text, b->text, a->text_len) != 0)
        return false;
      return a->quoted == b->quoted
             || (reads_as_string (a) && reads_as_string (b));
    case NODE_SEQ:
      for (i = 0; i < a->len; i++)
        if (!node_equal (a->items[i], b->items[i]))
          return false;
      return true;
    case NODE_MAP:
      for (i = 0; i < a->len; i++)
        if (!text_is (b->pairs[i].key, a->pairs[i].key->text,
                      a->pairs[i].key->text_len)
            || !node_equal (a->pairs[i].value, b->pairs[i].value))
          return false;
      return true;
    }
  return false;
}

/* The JSON writer. */

static int
json_status (yajl_gen_status st, berth_error_t *err)
{
  switch (st)
    {
    case yajl_gen_status_ok:
      return 0;
    case yajl_max_depth_exceeded:
      return berth_error_make (
          err, 0, "JSON writer: nested deeper than %d levels", YAJL_MAX_DEPTH);
    case yajl_gen_invalid_string:
      return berth_error_make (err, 0, "JSON writer: text is not UTF-8");
    default:
      return berth_error_make (err, 0, "JSON writer: yajl_gen error %d",
                               (int)st);
    }
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static bool
json_number_syntax (const char *s, size_t len)
{
  const char *end = s + len;

  if (s < end && *s == '-')
    s++;
  if (s == end || !is_digit (*s))
    return false;
  if (*s == '0')
    s++;
  else
    while (s < end && is_digit (*s))
      s++;
  if (s < end && *s == '.')
    {
      if (++s == end || !is_digit (*s))
        return false;
      while (s < end && is_digit (*s))
        s++;
    }
  if (s < end && (*s == 'e' || *s == 'E'))
    {
      if (++s < end && (*s == '+' || *s == '-'))
        s++;
      if (s == end || !is_digit (*s))
        return false;
      while (s < end && is_digit (*s))
        s++;
    }
  return s == end;
}

/* A YAML number that is not JSON syntax (0644, 1_000, .5, +1, 0x1F). */
static int
json_yaml_number (yajl_gen g, const struct node *n, berth_error_t *err)
{
  cleanup_free char *s = strip_underscores (n->text, n->text_len);
  char buf[64];
  uint64_t mag;
  double v;
  bool neg;
  int prec;

  if (text_in (n->text, n->text_len, float_words))
    return berth_error_make (err, 0, "JSON writer: %s has no JSON form",
                             n->text);
  if (parse_go_int (s, &neg, &mag) == INT_OK)
    {
      snprintf (buf, sizeof (buf), "%s%" PRIu64, neg && mag ? "-" : "", mag);
      return json_status (yajl_gen_number (g, buf, strlen (buf)), err);
    }
  if (!float_value (s, &v))
    return berth_error_make (err, 0, "JSON writer: bad number %s", n->text);
  for (prec = 15; prec <= 17; prec++)
    {
      snprintf (buf, sizeof (buf), "%.*g", prec, v);
      if (strtod (buf, NULL) == v)
        break;
    }
  return json_status (yajl_gen_number (g, buf, strlen (buf)), err);
}

static int
json_scalar (yajl_gen g, const struct node *n, berth_error_t *err)
{
  bool b;

  if (n->quoted)
    return json_status (
        yajl_gen_string (g, (const unsigned char *)n->text, n->text_len), err);
  switch (node_resolve (n))
    {
    case NODE_TYPE_NULL:
      return json_status (yajl_gen_null (g), err);
    case NODE_TYPE_BOOL:
      node_as_bool (n, &b);
      return json_status (yajl_gen_bool (g, b), err);
    case NODE_TYPE_INT:
    case NODE_TYPE_FLOAT:
      if (json_number_syntax (n->text, n->text_len))
        return json_status (yajl_gen_number (g, n->text, n->text_len), err);
      return json_yaml_number (g, n, err);
    default:
      return json_status (
          yajl_gen_string (g, (const unsigned char *)n->text, n->text_len),
          err);
    }
}

static int
json_node (yajl_gen g, const struct node *n, berth_error_t *err)
{
  size_t i;
  int ret;

  if (n == NULL)
    return json_status (yajl_gen_null (g), err);
  switch (n->kind)
    {
    case NODE_SCALAR:
      return json_scalar (g, n, err);
    case NODE_SEQ:
      if ((ret = json_status (yajl_gen_array_open (g), err)) < 0)
        return ret;
      for (i = 0; i < n->len; i++)
        if ((ret = json_node (g, n->items[i], err)) < 0)
          return ret;
      return json_status (yajl_gen_array_close (g), err);
    case NODE_MAP:
      if ((ret = json_status (yajl_gen_map_open (g), err)) < 0)
        return ret;
      for (i = 0; i < n->len; i++)
        {
          const struct node *k = n->pairs[i].key;

          ret = json_status (
              yajl_gen_string (g, (const unsigned char *)k->text, k->text_len),
              err);
          if (ret < 0 || (ret = json_node (g, n->pairs[i].value, err)) < 0)
            return ret;
        }
      return json_status (yajl_gen_map_close (g), err);
    }
  return 0;
}

static void
json_gen_freep (yajl_gen *g)
{
  if (*g != NULL)
    yajl_gen_free (*g);
}

int
node_write_json (const struct node *n, bool pretty, char **out, size_t *out_len,
                 berth_error_t *err)
{
  __attribute__ ((cleanup (json_gen_freep))) yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ret;

  if (g == NULL)
    return berth_error_make (err, ENOMEM, "JSON writer: out of memory");
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  if ((ret = json_node (g, n, err)) < 0)
    return ret;
  if ((ret = json_status (yajl_gen_get_buf (g, &buf, &len), err)) < 0)
    return ret;
  *out = node_xrealloc (NULL, len + 1, 1);
  memcpy (*out, buf, len);
  (*out)[len] = '\0';
  if (out_len)
    *out_len = len;
  return 0;
}

/* The YAML writer. */

struct yaml_out
{
  char *data;
  size_t len;
  size_t cap;
};

static int
yaml_out_write (void *data, unsigned char *buffer, size_t size)
{
  struct yaml_out *o = data;

  if (o->len + size + 1 > o->cap)
    {
      o->cap = (o->len + size + 1) * 2;
      o->data = node_xrealloc (o->data, o->cap, 1);
    }
  memcpy (o->data + o->len, buffer, size);
  o->len += size;
  o->data[o->len] = '\0';
  return 1;
}

static int
yaml_emit (yaml_emitter_t *e, yaml_event_t *ev, int ok, berth_error_t *err)
{
  if (!ok)
    return berth_error_make (err, 0, "YAML writer: text is not UTF-8");
  if (!yaml_emitter_emit (e, ev))
    return berth_error_make (err, e->error == YAML_MEMORY_ERROR ? ENOMEM : 0,
                             "YAML writer: %s",
                             e->problem ? e->problem : "emitter error");
  return 0;
}

/* Text that is not UTF-8 (from !!binary) is written back as !!binary. */
static int
yaml_binary (yaml_emitter_t *e, const struct node *n, berth_error_t *err)
{
  static const char digits[]
      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *in = (const unsigned char *)n->text;
  cleanup_free char *b64 = node_xrealloc (NULL, n->text_len / 3 * 4 + 5, 1);
  size_t i, o = 0;
  yaml_event_t ev;
  int ok;

  for (i = 0; i < n->text_len; i += 3)
    {
      uint32_t v = (uint32_t)in[i] << 16;

      if (i + 1 < n->text_len)
        v |= (uint32_t)in[i + 1] << 8;
      if (i + 2 < n->text_len)
        v |= in[i + 2];
      b64[o++] = digits[(v >> 18) & 63];
      b64[o++] = digits[(v >> 12) & 63];
      b64[o++] = i + 1 < n->text_len ? digits[(v >> 6) & 63] : '=';
      b64[o++] = i + 2 < n->text_len ? digits[v & 63] : '=';
    }
  b64[o] = '\0';
  ok = yaml_scalar_event_initialize (
      &ev, NULL, (yaml_char_t *)"tag:yaml.org,2002:binary", (yaml_char_t *)b64,
      (int)o, 0, 0, YAML_ANY_SCALAR_STYLE);
  return yaml_emit (e, &ev, ok, err);
}

static int
yaml_scalar (yaml_emitter_t *e, const struct node *n, berth_error_t *err)
{
  static const struct node null_node
      = { .kind = NODE_SCALAR, .text = (char *)"null", .text_len = 4 };
  yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
  int plain_ok = 1;
  yaml_event_t ev;
  int ok;

  if (n == NULL)
    n = &null_node;
  if (n->quoted)
    {
      /* The emitter quotes what YAML syntax needs; we quote what would read
       * back as another type. */
      plain_ok = resolve_text (n->text, n->text_len) == NODE_TYPE_STRING
                 && !text_is (n, "<<", 2);
      style = memchr (n->text, '\n', n->text_len) ? YAML_LITERAL_SCALAR_STYLE
                                                  : YAML_ANY_SCALAR_STYLE;
    }
  ok = yaml_scalar_event_initialize (&ev, NULL, NULL, (yaml_char_t *)n->text,
                                     (int)n->text_len, plain_ok, 1, style);
  if (!ok)
    return yaml_binary (e, n, err); /* not UTF-8 */
  return yaml_emit (e, &ev, ok, err);
}

static int
yaml_node (yaml_emitter_t *e, const struct node *n, berth_error_t *err)
{
  yaml_event_t ev;
  size_t i;
  int ret;

  if (n == NULL || n->kind == NODE_SCALAR)
    return yaml_scalar (e, n, err);
  if (n->kind == NODE_SEQ)
    {
      ret = yaml_emit (e, &ev,
                       yaml_sequence_start_event_initialize (
                           &ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE),
                       err);
      for (i = 0; ret == 0 && i < n->len; i++)
        ret = yaml_node (e, n->items[i], err);
      if (ret < 0)
        return ret;
      return yaml_emit (e, &ev, yaml_sequence_end_event_initialize (&ev), err);
    }
  ret = yaml_emit (e, &ev,
                   yaml_mapping_start_event_initialize (
                       &ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE),
                   err);
  for (i = 0; ret == 0 && i < n->len; i++)
    {
      ret = yaml_scalar (e, n->pairs[i].key, err);
      if (ret == 0)
        ret = yaml_node (e, n->pairs[i].value, err);
    }
  if (ret < 0)
    return ret;
  return yaml_emit (e, &ev, yaml_mapping_end_event_initialize (&ev), err);
}

static int
yaml_document (yaml_emitter_t *e, const struct node *n, berth_error_t *err)
{
  yaml_event_t ev;
  int ret;

  ret = yaml_emit (e, &ev,
                   yaml_stream_start_event_initialize (&ev, YAML_UTF8_ENCODING),
                   err);
  if (ret == 0)
    ret = yaml_emit (
        e, &ev, yaml_document_start_event_initialize (&ev, NULL, NULL, NULL, 1),
        err);
  if (ret == 0)
    ret = yaml_node (e, n, err);
  if (ret == 0)
    ret = yaml_emit (e, &ev, yaml_document_end_event_initialize (&ev, 1), err);
  if (ret == 0)
    ret = yaml_emit (e, &ev, yaml_stream_end_event_initialize (&ev), err);
  if (ret == 0 && !yaml_emitter_flush (e))
    ret = berth_error_make (err, 0, "YAML writer: flush failed");
  return ret;
}

int
node_write_yaml (const struct node *n, char **out, size_t *out_len,
                 berth_error_t *err)
{
  struct yaml_out o = { 0 };
  yaml_emitter_t e;
  int ret;

  if (!yaml_emitter_initialize (&e))
    return berth_error_make (err, ENOMEM, "YAML writer: out of memory");
  yaml_emitter_set_output (&e, yaml_out_write, &o);
  yaml_emitter_set_unicode (&e, 1);
  yaml_emitter_set_indent (&e, 2);
  yaml_emitter_set_width (&e, -1);
  ret = yaml_document (&e, n, err);
  yaml_emitter_delete (&e);
  if (ret < 0)
    {
      free (o.data);
      return ret;
    }
  if (o.data == NULL)
    o.data = node_xrealloc (NULL, 1, 1), o.data[0] = '\0';
  *out = o.data;
  if (out_len)
    *out_len = o.len;
  return 0;
}
