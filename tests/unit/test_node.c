/* test_node.c - unit tests of the document tree: readers, resolution,
 * writers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node.h"
#include "node_internal.h"

/* Helpers. */

static struct node_stream
read_ok (const char *text)
{
  struct node_stream s;
  berth_error_t err = NULL;
  int ret = node_stream_read (text, strlen (text), &s, &err);

  ck_assert_msg (ret == 0, "read failed: %s", berth_error_msg (&err));
  return s;
}

static struct node *
read_one (const char *text)
{
  struct node_stream s = read_ok (text);
  struct node *n;

  ck_assert_uint_eq (s.len, 1);
  n = node_ref (s.docs[0]);
  node_stream_free (&s);
  ck_assert_ptr_nonnull (n);
  return n;
}

/* The error message of reading LEN bytes of TEXT, which must fail. */
static char *
read_errn (const char *text, size_t len)
{
  struct node_stream s;
  berth_error_t err = NULL;
  char *msg;

  ck_assert_int_lt (node_stream_read (text, len, &s, &err), 0);
  ck_assert_uint_eq (s.len, 0);
  msg = strdup (berth_error_msg (&err));
  berth_error_release (&err);
  return msg;
}

static char *
read_err (const char *text)
{
  return read_errn (text, strlen (text));
}

#define ck_assert_err(text, expected)                                          \
  do                                                                           \
    {                                                                          \
      char *m_ = read_err (text);                                              \
      ck_assert_msg (strstr (m_, expected) != NULL, "got \"%s\"", m_);         \
      free (m_);                                                               \
    }                                                                          \
  while (0)

static void
assert_scalar (const struct node *n, const char *text, bool quoted)
{
  ck_assert_ptr_nonnull (n);
  ck_assert_int_eq (n->kind, NODE_SCALAR);
  ck_assert_str_eq (n->text, text);
  ck_assert_int_eq (n->quoted, quoted);
}

static const char *
get_text (const struct node *map, const char *key)
{
  const struct node *v = node_map_get (map, key);

  ck_assert_msg (v != NULL && v->kind == NODE_SCALAR, "no scalar %s", key);
  return v->text;
}

/* Block style. */

START_TEST (test_block_basic)
{
  struct node *n = read_one ("a: 1\n"
                             "b:\n"
                             "  - x\n"
                             "  - 'y'\n"
                             "c:\n"
                             "  d: \"q\"\n"
                             "  e: |\n"
                             "    one\n"
                             "    two\n"
                             "  f: >-\n"
                             "    folded\n"
                             "    text\n"
                             "g:\n");
  const struct node *b, *c;

  ck_assert_int_eq (n->kind, NODE_MAP);
  ck_assert_uint_eq (n->len, 4);
  assert_scalar (node_map_get (n, "a"), "1", false);
  b = node_map_get (n, "b");
  ck_assert_int_eq (b->kind, NODE_SEQ);
  ck_assert_uint_eq (b->len, 2);
  assert_scalar (b->items[0], "x", false);
  assert_scalar (b->items[1], "y", true);
  c = node_map_get (n, "c");
  assert_scalar (node_map_get (c, "d"), "q", true);
  assert_scalar (node_map_get (c, "e"), "one\ntwo\n", true);
  assert_scalar (node_map_get (c, "f"), "folded text", true);
  ck_assert (node_is_null (node_map_get (n, "g")));
  ck_assert_ptr_null (node_map_get (n, "missing"));
  node_unref (n);
}
END_TEST

START_TEST (test_block_positions)
{
  struct node *n = read_one ("# comment\n"
                             "a: 1\n"
                             "b:\n"
                             "  - x\n"
                             "  - {k: v}\n");
  const struct node *b = node_map_get (n, "b");

  ck_assert_uint_eq (n->line, 2);
  ck_assert_uint_eq (n->column, 1);
  ck_assert_uint_eq (n->pairs[0].key->line, 2);
  ck_assert_uint_eq (n->pairs[0].value->column, 4);
  ck_assert_uint_eq (b->line, 4);
  ck_assert_uint_eq (b->column, 3);
  ck_assert_uint_eq (b->items[0]->line, 4);
  ck_assert_uint_eq (b->items[0]->column, 5);
  ck_assert_uint_eq (b->items[1]->line, 5);
  ck_assert_uint_eq (b->items[1]->column, 5);
  ck_assert_uint_eq (b->items[1]->pairs[0].value->column, 9);
  node_unref (n);
}
END_TEST

START_TEST (test_block_duplicate_keys)
{
  struct node *n = read_one ("a: 1\nb: 2\na: 3\n");

  ck_assert_uint_eq (n->len, 3);
  ck_assert_str_eq (get_text (n, "a"), "3");
  node_unref (n);
}
END_TEST

START_TEST (test_block_tags)
{
  struct node *n = read_one ("a: !!str 123\n"
                             "b: !!int \"0x1F\"\n"
                             "c: !!binary aGVsbG8=\n"
                             "d: ! 12\n"
                             "e: !!null ''\n"
                             "f: !!float 1\n"
                             "g: !custom x\n");
  int64_t v;

  assert_scalar (node_map_get (n, "a"), "123", true);
  ck_assert (!node_as_int64 (node_map_get (n, "a"), &v, NULL));
  ck_assert (node_as_int64 (node_map_get (n, "b"), &v, NULL));
  ck_assert_int_eq (v, 31);
  assert_scalar (node_map_get (n, "c"), "hello", true);
  assert_scalar (node_map_get (n, "d"), "12", true);
  ck_assert (node_is_null (node_map_get (n, "e")));
  ck_assert (node_is_number (node_map_get (n, "f")));
  assert_scalar (node_map_get (n, "g"), "x", false);
  node_unref (n);
  ck_assert_err ("a: !!int abc\n", "line 1, column 4: !!int");
  ck_assert_err ("a: !!bool 1\n", "not a valid bool");
  ck_assert_err ("a: !!binary 'a*b='\n", "!!binary");
}
END_TEST

START_TEST (test_block_complex_key)
{
  ck_assert_err ("? [a]\n: 1\n", "line 1, column 3: mapping keys must be "
                                 "scalars");
  ck_assert_err ("{[a]: 1}", "mapping keys must be scalars");
  ck_assert_err ("a: &x {b: 1}\n*x : 2\n",
                 "line 2, column 1: mapping keys must be scalars");
}
END_TEST

/* Flow style and KYAML. */

START_TEST (test_flow_kyaml)
{
  struct node_stream s
      = read_ok ("---\n"
                 "{\n"
                 "  apiVersion: \"v1\",\n"
                 "  kind: \"Pod\",  # a comment inside the braces\n"
                 "  metadata: {\n"
                 "    name: \"web\",\n"
                 "    labels: {app: \"web\",},\n"
                 "  },\n"
                 "  spec: {\n"
                 "    containers: [{\n"
                 "      name: \"nginx\",\n"
                 "      ports: [80, 443,],  # trailing comma\n"
                 "      args: [\n"
                 "        \"--a\",\n"
                 "        # a comment between items\n"
                 "        \"--b\",\n"
                 "      ],\n"
                 "    }],\n"
                 "  },\n"
                 "}\n");
  const struct node *doc, *c;

  ck_assert_uint_eq (s.len, 1);
  doc = s.docs[0];
  ck_assert_uint_eq (doc->line, 2);
  assert_scalar (node_map_get (doc, "kind"), "Pod", true);
  c = node_map_get (node_map_get (doc, "spec"), "containers");
  ck_assert_uint_eq (c->len, 1);
  c = c->items[0];
  ck_assert_uint_eq (node_map_get (c, "ports")->len, 2);
  assert_scalar (node_map_get (c, "ports")->items[1], "443", false);
  ck_assert_uint_eq (node_map_get (c, "args")->len, 2);
  assert_scalar (node_map_get (c, "args")->items[1], "--b", true);
  ck_assert_str_eq (
      get_text (node_map_get (node_map_get (doc, "metadata"), "labels"), "app"),
      "web");
  node_stream_free (&s);
}
END_TEST

START_TEST (test_flow_not_json)
{
  /* Starts like JSON, is YAML. */
  struct node *n = read_one ("{a: 1, b: [x, 'y'], c: yes}");

  assert_scalar (node_map_get (n, "a"), "1", false);
  assert_scalar (node_map_get (n, "b")->items[1], "y", true);
  node_unref (n);
  n = read_one ("[a, b]\n");
  ck_assert_uint_eq (n->len, 2);
  node_unref (n);
}
END_TEST

/* Multi-document streams. */

START_TEST (test_multidoc)
{
  struct node_stream s = read_ok ("a: 1\n---\nb: 2\n---\n---\n# only a "
                                  "comment\n---\nc: 3\n...\n");

  ck_assert_uint_eq (s.len, 5);
  ck_assert_str_eq (get_text (s.docs[0], "a"), "1");
  ck_assert_str_eq (get_text (s.docs[1], "b"), "2");
  ck_assert_ptr_null (s.docs[2]);
  ck_assert_ptr_null (s.docs[3]);
  ck_assert_str_eq (get_text (s.docs[4], "c"), "3");
  ck_assert_uint_eq (s.docs[4]->line, 8);
  node_stream_free (&s);
}
END_TEST

START_TEST (test_multidoc_empty)
{
  struct node_stream s;

  s = read_ok ("");
  ck_assert_uint_eq (s.len, 0);
  s = read_ok ("  \n\t\n");
  ck_assert_uint_eq (s.len, 0);
  s = read_ok ("\xEF\xBB\xBF\n");
  ck_assert_uint_eq (s.len, 0);
  s = read_ok ("# nothing but a comment\n");
  ck_assert_uint_eq (s.len, 0);
  s = read_ok ("---\n");
  ck_assert_uint_eq (s.len, 1);
  ck_assert_ptr_null (s.docs[0]);
  node_stream_free (&s);
}
END_TEST

START_TEST (test_multidoc_anchors_per_document)
{
  ck_assert_err ("a: &x 1\n---\nb: *x\n", "line 3, column 4: unknown anchor x");
}
END_TEST

/* Anchors, aliases and merge keys. */

START_TEST (test_alias_shares)
{
  struct node *n = read_one ("a: &x {k: [1, 2]}\nb: *x\nc: *x\nd: &s str\n"
                             "e: *s\n");

  ck_assert_ptr_eq (node_map_get (n, "a"), node_map_get (n, "b"));
  ck_assert_ptr_eq (node_map_get (n, "a"), node_map_get (n, "c"));
  ck_assert_uint_eq (node_map_get (n, "a")->refs, 3);
  ck_assert_ptr_eq (node_map_get (n, "d"), node_map_get (n, "e"));
  node_unref (n);
}
END_TEST

START_TEST (test_alias_redefined)
{
  struct node *n = read_one ("a: &x 1\nb: *x\nc: &x 2\nd: *x\n");

  ck_assert_str_eq (get_text (n, "b"), "1");
  ck_assert_str_eq (get_text (n, "d"), "2");
  node_unref (n);
}
END_TEST

START_TEST (test_alias_errors)
{
  ck_assert_err ("a: *nope\n", "line 1, column 4: unknown anchor nope");
  ck_assert_err ("a: &x [1, *x]\n", "alias *x refers to a node that contains "
                                    "it");
}
END_TEST

START_TEST (test_merge)
{
  struct node *n = read_one ("base: &base {a: 1, b: 2, c: 3}\n"
                             "over: &over {b: 20, d: 40}\n"
                             "x:\n"
                             "  c: 30\n"
                             "  <<: [*over, *base]\n"
                             "y:\n"
                             "  <<: *base\n"
                             "  a: 10\n"
                             "z:\n"
                             "  <<: {q: 1}\n"
                             "  '<<': not a merge\n");
  const struct node *x = node_map_get (n, "x");
  const struct node *y = node_map_get (n, "y");
  const struct node *z = node_map_get (n, "z");

  ck_assert_uint_eq (x->len, 4);
  ck_assert_str_eq (get_text (x, "a"), "1");
  ck_assert_str_eq (get_text (x, "b"), "20"); /* earlier merge wins */
  ck_assert_str_eq (get_text (x, "c"), "30"); /* explicit key wins */
  ck_assert_str_eq (get_text (x, "d"), "40");
  ck_assert_ptr_null (node_map_get (x, "<<"));
  ck_assert_uint_eq (y->len, 3);
  ck_assert_str_eq (get_text (y, "a"), "10"); /* even when after the << */
  ck_assert_str_eq (get_text (y, "c"), "3");
  /* Merged values are shared, not copied. */
  ck_assert_ptr_eq (node_map_get (y, "b"),
                    node_map_get (node_map_get (n, "base"), "b"));
  ck_assert_str_eq (get_text (z, "q"), "1");
  ck_assert_str_eq (get_text (z, "<<"), "not a merge");
  node_unref (n);
}
END_TEST

START_TEST (test_merge_nested)
{
  struct node *n = read_one ("a: &a {x: 1}\n"
                             "b: &b {<<: *a, y: 2}\n"
                             "c: {<<: *b, z: 3}\n");
  const struct node *c = node_map_get (n, "c");

  ck_assert_uint_eq (c->len, 3);
  ck_assert_str_eq (get_text (c, "x"), "1");
  ck_assert_str_eq (get_text (c, "y"), "2");
  node_unref (n);
}
END_TEST

START_TEST (test_merge_errors)
{
  ck_assert_err ("a: {<<: 5}\n", "line 1, column 9: the value of a `<<`");
  ck_assert_err ("a: &s [1]\nb:\n  <<: *s\n", "line 3, column 7");
  ck_assert_err ("a: {<<: [{x: 1}, 2]}\n", "`<<` merge key");
}
END_TEST

/* Billion laughs and depth. */

static const char laughs[]
    = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
      "\"lol\"]\n"
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
      "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

START_TEST (test_laughs_rejected)
{
  clock_t start = clock ();

  ck_assert_err (laughs, "aliases expand to more than 1000000 nodes");
  ck_assert_msg (clock () - start < 2 * CLOCKS_PER_SEC, "too slow");
}
END_TEST

START_TEST (test_laughs_small_ok)
{
  /* Three levels (729 nodes) are fine. */
  char *text = strndup (laughs, strstr (laughs, "e:") - laughs);
  struct node *n = read_one (text);

  ck_assert_uint_eq (node_map_get (n, "d")->len, 9);
  free (text);
  node_unref (n);
}
END_TEST

START_TEST (test_laughs_bytes)
{
  /* Few nodes, big scalars. */
  size_t big = 1 << 20;
  char *text = malloc (big + 400);
  char *p = text;

  p += sprintf (p, "a: &a \"");
  memset (p, 'x', big);
  p += big;
  p += sprintf (p, "\"\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,"
                   "*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,"
                   "*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,"
                   "*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n");
  ck_assert_err (text, "aliases expand to more than 64 MiB");
  free (text);
}
END_TEST

static char *
nested (size_t depth, const char *open, const char *close)
{
  char *s = malloc (depth * 2 + 1);
  size_t i;

  for (i = 0; i < depth; i++)
    {
      s[i] = *open;
      s[depth * 2 - 1 - i] = *close;
    }
  s[depth * 2] = '\0';
  return s;
}

START_TEST (test_depth)
{
  char *ok = nested (NODE_MAX_DEPTH, "[", "]");
  char *deep = nested (NODE_MAX_DEPTH + 1, "[", "]");
  char *alias;
  struct node_stream s;

  s = read_ok (ok);
  ck_assert_uint_eq (s.len, 1);
  node_stream_free (&s);
  /* Both readers: JSON is tried first, then YAML. */
  ck_assert_err (deep, "nested deeper than 1000 levels");
  free (deep);
  free (ok);
  /* An alias may not take a document past the limit either. */
  ok = nested (600, "[", "]");
  deep = nested (500, "[", "]");
  if (asprintf (&alias, "a: &a %s\nb: %.500s*a%s\n", ok, deep, deep + 500) < 0)
    ck_abort ();
  ck_assert_err (alias, "alias *a: nested deeper than 1000 levels");
  free (alias);
  free (ok);
  free (deep);
}
END_TEST

/* JSON. */

START_TEST (test_json_single)
{
  struct node *n = read_one ("{\"a\": 1.50, \"b\": [1e3, -0, true, null],\n"
                             " \"c\": \"s\\u00e9\\n\", \"d\": {}, \"a\": 2}");
  const struct node *b = node_map_get (n, "b");

  ck_assert_uint_eq (n->len, 5); /* duplicate key kept */
  ck_assert_str_eq (get_text (n, "a"), "2");
  assert_scalar (n->pairs[0].value, "1.50", false);
  assert_scalar (b->items[0], "1e3", false);
  assert_scalar (b->items[1], "-0", false);
  assert_scalar (b->items[2], "true", false);
  assert_scalar (b->items[3], "null", false);
  assert_scalar (node_map_get (n, "c"), "s\xC3\xA9\n", true);
  ck_assert_int_eq (node_map_get (n, "d")->kind, NODE_MAP);
  ck_assert (n->pairs[0].key->quoted);
  /* Positions. */
  ck_assert_uint_eq (n->line, 1);
  ck_assert_uint_eq (n->column, 1);
  ck_assert_uint_eq (n->pairs[0].value->column, 7);
  ck_assert_uint_eq (b->column, 18);
  ck_assert_uint_eq (b->items[1]->column, 24);
  ck_assert_uint_eq (node_map_get (n, "c")->line, 2);
  ck_assert_uint_eq (node_map_get (n, "c")->column, 7);
  node_unref (n);
}
END_TEST

START_TEST (test_json_multi)
{
  struct node_stream s = read_ok ("\xEF\xBB\xBF {\"a\": 1}\n{\"b\": 2}[3]\n"
                                  "{\"c\": 4} 5");

  ck_assert_uint_eq (s.len, 5);
  ck_assert_str_eq (get_text (s.docs[1], "b"), "2");
  ck_assert_uint_eq (s.docs[1]->line, 2);
  ck_assert_uint_eq (s.docs[2]->column, 9);
  assert_scalar (s.docs[4], "5", false);
  ck_assert_uint_eq (s.docs[4]->column, 10);
  node_stream_free (&s);
}
END_TEST

START_TEST (test_json_errors)
{
  static const struct
  {
    const char *text;
    const char *msg;
  } cases[] = {
    { "{\"a\": 1,\n  \"b\": ]}",
      "line 2, column 8: parse error: unallowed token at this point in JSON "
      "text" },
    { "{\"a\": 1} 12x",
      "line 1, column 12: lexical error: invalid char in json text." },
    { "{\"a\": \"x", "line 1, column 9: parse error: premature EOF" },
    { "{\"a\": \"\xff\"}", "line 1, column 8: lexical error: invalid bytes in "
                           "UTF8 string." },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      struct node_stream s = { 0 };
      berth_error_t err = NULL;

      ck_assert_int_lt (
          node_json_read (cases[i].text, strlen (cases[i].text), &s, &err), 0);
      ck_assert_str_eq (berth_error_msg (&err), cases[i].msg);
      node_stream_free (&s);
      berth_error_release (&err);
    }
}
END_TEST

START_TEST (test_json_invalid_input)
{
  static const char nul[] = "{\"a\": 1,\0 \"b\": 2}";
  static const char nul_in_string[] = "{\"a\": \"x\0y\"}";
  char *m;

  /* Neither JSON nor YAML: the YAML error is reported. */
  m = read_errn (nul, sizeof (nul) - 1);
  ck_assert_str_eq (m, "line 1, column 9: control characters are not allowed "
                       "(#x00)");
  free (m);
  m = read_errn (nul_in_string, sizeof (nul_in_string) - 1);
  ck_assert_ptr_nonnull (strstr (m, "control characters"));
  free (m);
  ck_assert_err ("{\"a\": \"\xc3\x28\"}", "line 1, column 9: invalid trailing "
                                          "UTF-8 octet");
  ck_assert_err ("a: \xff\n", "line 1, column 4: invalid leading UTF-8 octet");
  /* libyaml puts the end of a stream that lacks a final newline at the
     start of the next line. */
  ck_assert_err ("{\"a\": 1", "line 2, column 1: did not find expected");
  ck_assert_err ("[1, 2", "line 2, column 1");
}
END_TEST

START_TEST (test_json_escaped_nul)
{
  struct node *n = read_one ("{\"a\": \"x\\u0000y\"}");
  const struct node *v = node_map_get (n, "a");

  ck_assert_uint_eq (v->text_len, 3);
  ck_assert_int_eq (memcmp (v->text, "x\0y", 3), 0);
  node_unref (n);
}
END_TEST

/* YAML syntax errors. */

START_TEST (test_error_position)
{
  char *m = read_err ("a: 1\nb: [1,\n");

  ck_assert_str_eq (m, "line 3, column 1: did not find expected node content "
                       "(while parsing a flow node)");
  free (m);
  m = read_err ("a: 1\n b: 2\n");
  ck_assert_str_eq (m, "line 2, column 3: mapping values are not allowed in "
                       "this context");
  free (m);
  ck_assert_err ("a: 'unterminated\n", "line 2, column 1: found unexpected end "
                                       "of stream (while scanning a quoted "
                                       "scalar)");
  ck_assert_err ("\xEF\xBB\xBF"
                 "key: [a, b\n",
                 "line 2, column 1");
}
END_TEST

/* Scalar resolution. */

struct resolve_case
{
  const char *text;
  bool quoted;
  enum node_type type;
  bool is_int;
  int64_t value;
  bool overflow;
};

static const struct resolve_case resolve_cases[] = {
  { "", false, NODE_TYPE_NULL, false, 0, false },
  { "~", false, NODE_TYPE_NULL, false, 0, false },
  { "null", false, NODE_TYPE_NULL, false, 0, false },
  { "Null", false, NODE_TYPE_NULL, false, 0, false },
  { "NULL", false, NODE_TYPE_NULL, false, 0, false },
  { "nULL", false, NODE_TYPE_STRING, false, 0, false },
  { "null", true, NODE_TYPE_STRING, false, 0, false },
  { "", true, NODE_TYPE_STRING, false, 0, false },
  { "true", false, NODE_TYPE_BOOL, false, 0, false },
  { "yes", false, NODE_TYPE_BOOL, false, 0, false },
  { "Off", false, NODE_TYPE_BOOL, false, 0, false },
  { "y", false, NODE_TYPE_BOOL, false, 0, false },
  { "tRUE", false, NODE_TYPE_STRING, false, 0, false },
  { "true", true, NODE_TYPE_STRING, false, 0, false },
  { "0", false, NODE_TYPE_INT, true, 0, false },
  { "123", false, NODE_TYPE_INT, true, 123, false },
  { "123", true, NODE_TYPE_STRING, false, 0, false },
  { "-42", false, NODE_TYPE_INT, true, -42, false },
  { "+7", false, NODE_TYPE_INT, true, 7, false },
  { "1_000", false, NODE_TYPE_INT, true, 1000, false },
  { "0644", false, NODE_TYPE_INT, true, 420, false },
  { "0o17", false, NODE_TYPE_INT, true, 15, false },
  { "0x1F", false, NODE_TYPE_INT, true, 31, false },
  { "-0x10", false, NODE_TYPE_INT, true, -16, false },
  { "0b101", false, NODE_TYPE_INT, true, 5, false },
  { "0x_1f", false, NODE_TYPE_INT, true, 31, false },
  { "9223372036854775807", false, NODE_TYPE_INT, true, INT64_MAX, false },
  { "-9223372036854775808", false, NODE_TYPE_INT, true, INT64_MIN, false },
  { "9223372036854775808", false, NODE_TYPE_INT, false, 0, true },
  { "0xFFFFFFFFFFFFFFFF", false, NODE_TYPE_INT, false, 0, true },
  { "0x1FFFFFFFFFFFFFFFF", false, NODE_TYPE_STRING, false, 0, true },
  { "99999999999999999999", false, NODE_TYPE_FLOAT, false, 0, true },
  { "08", false, NODE_TYPE_FLOAT, false, 0, false },
  { "0x", false, NODE_TYPE_STRING, false, 0, false },
  { "_1", false, NODE_TYPE_STRING, false, 0, false },
  { "3.0", false, NODE_TYPE_FLOAT, false, 0, false },
  { "1e3", false, NODE_TYPE_FLOAT, false, 0, false },
  { "1.5", false, NODE_TYPE_FLOAT, false, 0, false },
  { ".5", false, NODE_TYPE_FLOAT, false, 0, false },
  { "-2.0E-3", false, NODE_TYPE_FLOAT, false, 0, false },
  { "1.", false, NODE_TYPE_FLOAT, false, 0, false },
  { ".inf", false, NODE_TYPE_FLOAT, false, 0, false },
  { "-.Inf", false, NODE_TYPE_FLOAT, false, 0, false },
  { ".nan", false, NODE_TYPE_FLOAT, false, 0, false },
  { "1e400", false, NODE_TYPE_STRING, false, 0, false },
  { "1e", false, NODE_TYPE_STRING, false, 0, false },
  { ".", false, NODE_TYPE_STRING, false, 0, false },
  { "-", false, NODE_TYPE_STRING, false, 0, false },
  { "12Mi", false, NODE_TYPE_STRING, false, 0, false },
  { "1.2.3", false, NODE_TYPE_STRING, false, 0, false },
  { "2001-12-14", false, NODE_TYPE_TIMESTAMP, false, 0, false },
  { "2001-12-14t21:59:43.10-05:00", false, NODE_TYPE_TIMESTAMP, false, 0,
    false },
  { "hello", false, NODE_TYPE_STRING, false, 0, false },
};

START_TEST (test_resolve_table)
{
  const struct resolve_case *c = &resolve_cases[_i];
  struct node *n = node_new_scalar (c->text, c->quoted);
  int64_t v = 12345;
  bool overflow = true;
  bool is_int = node_as_int64 (n, &v, &overflow);

  ck_assert_msg (node_resolve (n) == c->type, "%s: type %d, want %d", c->text,
                 node_resolve (n), c->type);
  ck_assert_msg (is_int == c->is_int, "%s: is_int", c->text);
  ck_assert_msg (overflow == c->overflow, "%s: overflow", c->text);
  if (c->is_int)
    ck_assert_msg (v == c->value, "%s: %lld", c->text, (long long)v);
  ck_assert_int_eq (node_is_null (n), c->type == NODE_TYPE_NULL);
  ck_assert_int_eq (node_is_number (n),
                    c->type == NODE_TYPE_INT || c->type == NODE_TYPE_FLOAT);
  ck_assert_int_eq (node_as_bool (n, NULL), c->type == NODE_TYPE_BOOL);
  node_unref (n);
}
END_TEST

START_TEST (test_resolve_bool)
{
  static const char *const yes[]
      = { "y",    "Y",    "yes", "Yes", "YES", "true",
          "True", "TRUE", "on",  "On",  "ON" };
  static const char *const no[]
      = { "n",     "N",     "no",  "No",  "NO", "false",
          "False", "FALSE", "off", "Off", "OFF" };
  size_t i;

  for (i = 0; i < 11; i++)
    {
      struct node *t = node_new_scalar (yes[i], false);
      struct node *f = node_new_scalar (no[i], false);
      bool b = false;

      ck_assert (node_as_bool (t, &b) && b);
      ck_assert (node_as_bool (f, &b) && !b);
      node_unref (t);
      node_unref (f);
    }
  ck_assert (!node_as_bool (NULL, NULL));
  ck_assert (node_is_null (NULL));
}
END_TEST

START_TEST (test_resolve_embedded_nul)
{
  struct node *n = node_new_scalarn ("1\0002", 3, false);

  ck_assert (!node_as_int64 (n, NULL, NULL));
  ck_assert_int_eq (node_resolve (n), NODE_TYPE_STRING);
  node_unref (n);
}
END_TEST

/* Building. */

START_TEST (test_build)
{
  struct node *m = node_new_map ();
  struct node *s = node_new_seq ();
  char *out;
  berth_error_t err = NULL;

  node_map_set_str (m, "name", "web");
  node_map_set_int (m, "replicas", -3);
  node_map_set_bool (m, "enabled", true);
  node_seq_append (s, node_new_scalar ("a", true));
  node_seq_append (s, NULL);
  node_map_set (m, "list", s);
  node_map_set (m, "nothing", NULL);
  node_map_set_str (m, "name", "api"); /* replaces */
  ck_assert_uint_eq (m->len, 4);
  ck_assert_int_eq (node_write_json (m, false, &out, NULL, &err), 0);
  ck_assert_str_eq (out, "{\"name\":\"api\",\"replicas\":-3,\"enabled\":true,"
                         "\"list\":[\"a\"]}");
  free (out);
  node_unref (m);
}
END_TEST

/* Writers. */

static void assert_yaml_roundtrip (const char *text);

static char *
to_json (const char *text, bool pretty)
{
  struct node_stream s = read_ok (text);
  berth_error_t err = NULL;
  char *out;
  size_t len;

  ck_assert_uint_eq (s.len, 1);
  ck_assert_msg (node_write_json (s.docs[0], pretty, &out, &len, &err) == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_uint_eq (strlen (out), len);
  node_stream_free (&s);
  return out;
}

static char *
to_yaml (const struct node *n)
{
  berth_error_t err = NULL;
  char *out;
  size_t len;

  ck_assert_msg (node_write_yaml (n, &out, &len, &err) == 0, "%s",
                 berth_error_msg (&err));
  return out;
}

START_TEST (test_write_json_roundtrip)
{
  static const char *const texts[] = {
    "{\"a\":1.50,\"b\":[1e3,-0,true,false,null,\"x\"],\"c\":{},\"d\":[]}",
    "[{\"k\":\"v\\n\\\"q\\\"\\u0000\"},12345678901234567890]",
    "{\"a\":{\"b\":{\"c\":[[[\"deep\"]]]}},\"a\":2}",
  };
  size_t i;

  for (i = 0; i < sizeof (texts) / sizeof (texts[0]); i++)
    {
      char *out = to_json (texts[i], false);

      ck_assert_str_eq (out, texts[i]);
      free (out);
    }
}
END_TEST

START_TEST (test_write_json_pretty)
{
  char *out = to_json ("{\"a\": [1, {\"b\": null}]}", true);

  ck_assert_str_eq (out, "{\n"
                         "  \"a\": [\n"
                         "    1,\n"
                         "    {\n"
                         "      \"b\": null\n"
                         "    }\n"
                         "  ]\n"
                         "}\n");
  free (out);
}
END_TEST

START_TEST (test_write_json_from_yaml)
{
  char *out = to_json ("a: 0644\nb: 1_000\nc: .5\nd: yes\ne: ~\nf: '12'\n"
                       "g: +1\nh: 0x1F\ni: 1e3\nj: 08\nk: 2001-12-14\n"
                       "l: 0xFFFFFFFFFFFFFFFF\nm:\n",
                       false);

  ck_assert_str_eq (out, "{\"a\":420,\"b\":1000,\"c\":0.5,\"d\":true,"
                         "\"e\":null,\"f\":\"12\",\"g\":1,\"h\":31,"
                         "\"i\":1e3,\"j\":8,\"k\":\"2001-12-14\","
                         "\"l\":18446744073709551615,\"m\":null}");
  free (out);
}
END_TEST

START_TEST (test_write_json_errors)
{
  struct node *n = read_one ("a: .inf\n");
  struct node *bin = read_one ("a: !!binary /w==\n");
  char *deep = nested (200, "[", "]");
  struct node *d = read_one (deep);
  berth_error_t err = NULL;
  char *out;

  ck_assert_int_lt (node_write_json (n, false, &out, NULL, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "JSON writer: .inf has no JSON "
                                            "form");
  ck_assert_int_lt (node_write_json (bin, false, &out, NULL, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "JSON writer: text is not UTF-8");
  ck_assert_int_lt (node_write_json (d, false, &out, NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "nested deeper"));
  berth_error_release (&err);
  /* The YAML writer takes them all; bytes that are not UTF-8 go back to
   * !!binary. */
  free (to_yaml (n));
  free (to_yaml (d));
  out = to_yaml (bin);
  ck_assert_str_eq (out, "a: !!binary /w==\n");
  free (out);
  assert_yaml_roundtrip ("a: !!binary AAEC/w==\nb: !!binary AA==\n");
  node_unref (n);
  node_unref (bin);
  node_unref (d);
  free (deep);
}
END_TEST

START_TEST (test_write_yaml_quoting)
{
  struct node *m = node_new_map ();
  char *out;

  node_map_set_str (m, "a", "true");
  node_map_set_str (m, "b", "123");
  node_map_set_str (m, "c", "null");
  node_map_set_str (m, "d", "");
  node_map_set_str (m, "e", "0644");
  node_map_set_str (m, "f", "yes");
  node_map_set_str (m, "g", "plain text");
  node_map_set_str (m, "h", "1.5");
  node_map_set_str (m, "i", "2001-12-14");
  node_map_set_str (m, "j", "<<");
  node_map_set_str (m, "k", "- x: y");
  node_map_set (m, "l", node_new_scalar ("123", false));
  node_map_set (m, "m", node_new_scalar ("", false));
  node_map_set_str (m, "true", "key quoted");
  out = to_yaml (m);
  ck_assert_str_eq (out, "a: 'true'\n"
                         "b: '123'\n"
                         "c: 'null'\n"
                         "d: ''\n"
                         "e: '0644'\n"
                         "f: 'yes'\n"
                         "g: plain text\n"
                         "h: '1.5'\n"
                         "i: '2001-12-14'\n"
                         "j: '<<'\n"
                         "k: '- x: y'\n"
                         "l: 123\n"
                         "m:\n"
                         "'true': key quoted\n");
  free (out);
  node_unref (m);
}
END_TEST

START_TEST (test_write_yaml_literal)
{
  struct node *m = node_new_map ();
  char *out;

  node_map_set_str (m, "script", "echo one\necho two\n");
  out = to_yaml (m);
  ck_assert_str_eq (out, "script: |\n  echo one\n  echo two\n");
  free (out);
  node_unref (m);
  out = to_yaml (NULL);
  ck_assert_ptr_nonnull (strstr (out, "null"));
  free (out);
}
END_TEST

/* YAML -> tree -> YAML -> tree gives an equal tree. */
static void
assert_yaml_roundtrip (const char *text)
{
  struct node_stream a = read_ok (text);
  size_t i;

  for (i = 0; i < a.len; i++)
    {
      char *y = to_yaml (a.docs[i]);
      struct node_stream b = read_ok (y);

      ck_assert_uint_eq (b.len, 1);
      ck_assert_msg (node_equal (a.docs[i], b.docs[0]),
                     "round trip differs:\n%s\n=>\n%s", text, y);
      node_stream_free (&b);
      free (y);
    }
  node_stream_free (&a);
}

START_TEST (test_write_yaml_roundtrip)
{
  assert_yaml_roundtrip (
      "apiVersion: v1\n"
      "kind: Pod\n"
      "metadata:\n"
      "  name: web\n"
      "  labels: {app: web, 'tier': \"1\"}\n"
      "  annotations:\n"
      "    note: |\n"
      "      line one\n"
      "        indented\n"
      "      line three\n"
      "    folded: >\n"
      "      a b\n"
      "      c\n"
      "    keep: |+\n"
      "      x\n"
      "\n"
      "    strip: |-\n"
      "      y\n"
      "spec:\n"
      "  containers:\n"
      "  - name: c\n"
      "    args: [\"--x\", \"true\", \"\", \"  spaced  \", \"tab\\there\", "
      "\"nul\\0\", \"é\", '#hash', 'a: b', '@at', '- dash']\n"
      "    ports: [{containerPort: 80}, {containerPort: 0x1F}]\n"
      "    env: []\n"
      "    resources: {}\n"
      "    mode: 0644\n"
      "    flags: [yes, no, on, off, ~, null, 1.5, .inf, -.5, 1e3]\n"
      "    x: &x {a: 1}\n"
      "    y: *x\n"
      "    z: {<<: *x, b: 2}\n"
      "  nothing:\n"
      "  ? complex plain key\n"
      "  : value\n");
  assert_yaml_roundtrip ("- 1\n- - nested\n  - - deeper\n- {}\n- []\n- ''\n");
  assert_yaml_roundtrip ("just a scalar\n---\n\"123\"\n---\n[a, b]\n");
  assert_yaml_roundtrip ("{\"a\": [1, \"2\", true, \"true\", null, \"\"]}");
  assert_yaml_roundtrip ("\"leading\\nnewline\\n\\n\"\n");
  assert_yaml_roundtrip ("a: \"  x\\n y\\n\"\nb: \"trailing space \\n\"\n");
}
END_TEST

START_TEST (test_equal)
{
  struct node *a = node_new_scalar ("x", true);
  struct node *b = node_new_scalar ("x", false);
  struct node *c = node_new_scalar ("1", true);
  struct node *d = node_new_scalar ("1", false);
  struct node *e = node_new_scalar ("~", false);

  ck_assert (node_equal (a, b));
  ck_assert (!node_equal (c, d));
  ck_assert (node_equal (e, NULL));
  ck_assert (!node_equal (a, NULL));
  node_unref (a);
  node_unref (b);
  node_unref (c);
  node_unref (d);
  node_unref (e);
}
END_TEST

static Suite *
node_suite (void)
{
  Suite *s = suite_create ("node");
  TCase *tc;

  tc = tcase_create ("block");
  tcase_add_test (tc, test_block_basic);
  tcase_add_test (tc, test_block_positions);
  tcase_add_test (tc, test_block_duplicate_keys);
  tcase_add_test (tc, test_block_tags);
  tcase_add_test (tc, test_block_complex_key);
  suite_add_tcase (s, tc);

  tc = tcase_create ("flow_kyaml");
  tcase_add_test (tc, test_flow_kyaml);
  tcase_add_test (tc, test_flow_not_json);
  suite_add_tcase (s, tc);

  tc = tcase_create ("multidoc");
  tcase_add_test (tc, test_multidoc);
  tcase_add_test (tc, test_multidoc_empty);
  tcase_add_test (tc, test_multidoc_anchors_per_document);
  suite_add_tcase (s, tc);

  tc = tcase_create ("anchors_merge");
  tcase_add_test (tc, test_alias_shares);
  tcase_add_test (tc, test_alias_redefined);
  tcase_add_test (tc, test_alias_errors);
  tcase_add_test (tc, test_merge);
  tcase_add_test (tc, test_merge_nested);
  tcase_add_test (tc, test_merge_errors);
  suite_add_tcase (s, tc);

  tc = tcase_create ("billion_laughs");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_laughs_rejected);
  tcase_add_test (tc, test_laughs_small_ok);
  tcase_add_test (tc, test_laughs_bytes);
  tcase_add_test (tc, test_depth);
  suite_add_tcase (s, tc);

  tc = tcase_create ("json");
  tcase_add_test (tc, test_json_single);
  tcase_add_test (tc, test_json_multi);
  tcase_add_test (tc, test_json_errors);
  tcase_add_test (tc, test_json_invalid_input);
  tcase_add_test (tc, test_json_escaped_nul);
  suite_add_tcase (s, tc);

  tc = tcase_create ("errors");
  tcase_add_test (tc, test_error_position);
  suite_add_tcase (s, tc);

  tc = tcase_create ("resolve");
  tcase_add_loop_test (tc, test_resolve_table, 0,
                       sizeof (resolve_cases) / sizeof (resolve_cases[0]));
  tcase_add_test (tc, test_resolve_bool);
  tcase_add_test (tc, test_resolve_embedded_nul);
  suite_add_tcase (s, tc);

  tc = tcase_create ("writers");
  tcase_add_test (tc, test_build);
  tcase_add_test (tc, test_write_json_roundtrip);
  tcase_add_test (tc, test_write_json_pretty);
  tcase_add_test (tc, test_write_json_from_yaml);
  tcase_add_test (tc, test_write_json_errors);
  tcase_add_test (tc, test_write_yaml_quoting);
  tcase_add_test (tc, test_write_yaml_literal);
  tcase_add_test (tc, test_write_yaml_roundtrip);
  tcase_add_test (tc, test_equal);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (node_suite ());
  int failed;

  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
