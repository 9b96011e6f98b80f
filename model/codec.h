/* codec.h - generic decoding of node trees into the structs of types.h,
 * encoding them back, and freeing them, all driven by the schema tables.
 *
 * Decoding follows the API server's JSON decoding of YAML-converted input:
 * a field of the wrong type is an error naming its path; an unknown or
 * duplicate field is a warning (kubectl's default field validation); null
 * leaves a field unset.
 */
#ifndef BERTH_CODEC_H
#define BERTH_CODEC_H

#include "diag.h"
#include "node.h"
#include "schema.h"

struct decode_ctx
{
  struct diag_list *diags;
  struct path path;
};

/* Decode N into OBJ, which must be zeroed and DESC->size bytes. */
void codec_decode (struct decode_ctx *ctx, const struct type_desc *desc,
                   const struct node *n, void *obj);

/* A new map node with every set field of OBJ. */
struct node *codec_encode (const struct type_desc *desc, const void *obj);

/* Free what OBJ owns (not OBJ itself) and zero it. */
void codec_free (const struct type_desc *desc, void *obj);

/* Helpers shared with the rest of the model. */
const char *codec_node_type_name (const struct node *n);
void strmap_set (struct strmap *m, const char *key, const char *value);
const char *strmap_get (const struct strmap *m, const char *key);
void bytesmap_set (struct bytesmap *m, const char *key, const char *value,
                   size_t len);
void quantity_map_set (struct quantity_map *m, const char *key,
                       const struct quantity *q);
const struct quantity *quantity_map_get (const struct quantity_map *m,
                                         const char *key);
void *list_append (void *list, size_t elem_size);
char *xstrdup (const char *s);
void *xcalloc (size_t n, size_t size);

#endif
