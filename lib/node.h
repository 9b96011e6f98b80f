/* node.h - the document tree that YAML (libyaml) and JSON (yajl) are read into
 * and written from.
 *
 * This module is the only place where libyaml and yajl are used.  The object
 * model reads and builds `struct node` trees and never sees a yajl_val or a
 * yaml_event_t.
 *
 * Scalars keep their source text.  Their type is resolved when they are read
 * (node_as_int64, node_as_bool, ...), the way sigs.k8s.io/yaml resolves a
 * YAML scalar against the Go type of the field it lands in: a quoted scalar is
 * always a string; a plain one may also be a number, a bool or null.  JSON
 * strings are quoted scalars; JSON numbers, booleans and null are plain.
 */
#ifndef BERTH_NODE_H
#define BERTH_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Limits of the readers: nesting depth (counting the levels that aliases
 * bring in), and nodes reachable through aliases in one stream. */
#define NODE_MAX_DEPTH 1000
#define NODE_ALIAS_BUDGET 1000000

enum node_kind
{
  NODE_SCALAR,
  NODE_SEQ,
  NODE_MAP,
};

struct node;

struct node_pair
{
  struct node *key; /* always a NODE_SCALAR */
  struct node *value;
};

struct node
{
  enum node_kind kind;
  unsigned refs;   /* aliases share nodes; node_unref frees at zero */
  unsigned line;   /* 1-based position in the source, 0 when built */
  unsigned column; /* 1-based */

  /* NODE_SCALAR */
  char *text; /* NUL-terminated; may also contain NULs, see len */
  size_t text_len;
  bool quoted; /* quoted, literal or folded YAML scalar; JSON string */

  /* NODE_SEQ: items[0..len); NODE_MAP: pairs[0..len) in source order */
  size_t len;
  size_t cap;
  struct node **items;
  struct node_pair *pairs;
};

/* Sharing: an alias, and every key and value a `<<` merge brings in, is the
 * anchored node itself with one more reference, not a copy.  A tree that was
 * read is therefore read-only: changing a node may change it in several
 * places.  Build a new tree instead.  Allocation failures abort().  */

/* A stream of documents, as read from one file. */
struct node_stream
{
  size_t len;
  struct node **docs; /* a NULL entry is an empty document */
};

/* Read a YAML stream or a JSON text (one value, or several concatenated).
 * The input is sniffed: text starting with '{' or '[' is tried as JSON first,
 * then as YAML (flow-style YAML also starts that way).  On a syntax error the
 * message holds "line L, column C: ...".  Anchors, aliases and `<<` merge
 * keys are resolved; a stream whose aliases expand past a fixed budget is
 * rejected, so a "billion laughs" document cannot exhaust memory or time. */
int node_stream_read (const char *buf, size_t len, struct node_stream *out,
                      berth_error_t *err);
void node_stream_free (struct node_stream *s);

/* Building trees. */
struct node *node_new_scalar (const char *text, bool quoted);
struct node *node_new_scalarn (const char *text, size_t len, bool quoted);
struct node *node_new_seq (void);
struct node *node_new_map (void);
struct node *node_ref (struct node *n);
void node_unref (struct node *n);
/* Append, taking ownership of ITEM / VALUE (NULL-safe: appends nothing). */
void node_seq_append (struct node *seq, struct node *item);
void node_map_set (struct node *map, const char *key, struct node *value);
/* Convenience builders that create the value node. */
void node_map_set_str (struct node *map, const char *key, const char *value);
void node_map_set_int (struct node *map, const char *key, int64_t value);
void node_map_set_bool (struct node *map, const char *key, bool value);

/* Lookup: the value of KEY in MAP, or NULL.  A key that occurs twice (kept
 * as read; callers may warn) yields its last value, as encoding/json and
 * go-yaml v2 do.  node_map_set replaces that value or appends a pair. */
struct node *node_map_get (const struct node *map, const char *key);

/* Scalar resolution.  Each returns false when N does not have that type. */
bool node_is_null (const struct node *n); /* plain null, ~, ""; NULL too */
bool node_as_bool (const struct node *n, bool *out); /* true/false, yes/no... */
/* Integers: decimal, 0x, 0o, 0b and leading-0 octal (YAML 1.1, as go-yaml
 * v2 resolves `defaultMode: 0644`), '_' separators, sign.  Fails on
 * overflow, with *overflow set when it is given. */
bool node_as_int64 (const struct node *n, int64_t *out, bool *overflow);
/* A plain scalar that resolves to a number (int or float). */
bool node_is_number (const struct node *n);

/* What N resolves to.  NODE_TYPE_TIMESTAMP is a plain scalar such as
 * 2001-12-14 that go-yaml v2 would read as a time.  NULL is NODE_TYPE_NULL. */
enum node_type
{
  NODE_TYPE_STRING,
  NODE_TYPE_NULL,
  NODE_TYPE_BOOL,
  NODE_TYPE_INT,
  NODE_TYPE_FLOAT,
  NODE_TYPE_TIMESTAMP,
  NODE_TYPE_SEQ,
  NODE_TYPE_MAP,
};
enum node_type node_resolve (const struct node *n);

/* Equal as data: same kinds, same texts and resolved types (a quoted "a" and
 * a plain a are equal, a quoted "1" and a plain 1 are not; all nulls are
 * equal, NULL included), map pairs in the same order, keys by text. */
bool node_equal (const struct node *a, const struct node *b);

/* Writers.  The tree is printed as JSON (two-space indent when PRETTY) or as
 * block YAML; scalars that are plain and resolve to a number, bool or null
 * are printed bare, everything else as a string.  Aliases are expanded.
 * JSON: YAML-only numbers are normalised (0644 -> 420, 1_000 -> 1000), and
 * .inf, .nan, text that is not UTF-8 and nesting past yajl's 128 levels are
 * errors.  YAML: strings that would read back as another type are quoted,
 * multi-line strings use the literal style.  *OUT is NUL-terminated. */
int node_write_json (const struct node *n, bool pretty, char **out,
                     size_t *out_len, berth_error_t *err);
int node_write_yaml (const struct node *n, char **out, size_t *out_len,
                     berth_error_t *err);

#endif
