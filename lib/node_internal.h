/* node_internal.h - what node.c, node_yaml.c and node_json.c share.  Nothing
 * outside lib/node*.c includes this. */
#ifndef BERTH_NODE_INTERNAL_H
#define BERTH_NODE_INTERNAL_H

#include "node.h"

/* Scalar text read through aliases may not pass this many bytes (counted
 * with two bytes of indentation per level, roughly what a writer prints). */
#define NODE_ALIAS_WEIGHT_BUDGET ((uint64_t)64 << 20)

/* The readers behind node_stream_read.  On failure OUT may hold documents
 * read so far; the caller frees them. */
int node_yaml_read (const char *buf, size_t len, struct node_stream *out,
                    berth_error_t *err);
int node_json_read (const char *buf, size_t len, struct node_stream *out,
                    berth_error_t *err);

void node_stream_push (struct node_stream *s, struct node *doc);

/* Replace scalar N's text with TEXT (malloc'ed, taken) of LEN bytes. */
void node_scalar_set_text (struct node *n, char *text, size_t len);

/* Allocation that aborts on failure, like crun's xmalloc: a tree that cannot
 * be built is not an error the agent can recover from. */
void *node_xrealloc (void *p, size_t nmemb, size_t size);

/* Append a pair without looking for an existing KEY (duplicates are kept);
 * takes ownership of KEY and VALUE. */
void node_map_append (struct node *map, struct node *key, struct node *value);

/* "line L, column C: <message>". */
int node_error_at (berth_error_t *err, unsigned line, unsigned column,
                   const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Move *POS to the 1-based line and column (in characters) of byte OFF of
 * BUF.  It counts on from where *POS was (a zeroed struct is the start), so
 * increasing offsets cost linear time in all. */
struct node_pos
{
  size_t off;
  unsigned line;
  unsigned column;
};
void node_pos_advance (const char *buf, size_t off, struct node_pos *pos);

/* A set of key texts, for `<<` merges. */
struct node_keyset
{
  size_t cap; /* power of two */
  size_t len;
  const struct node **slots;
};
/* Adds KEY; returns false when an equal key was already there. */
bool node_keyset_add (struct node_keyset *set, const struct node *key);
void node_keyset_free (struct node_keyset *set);

#endif
