/* schema.h - descriptions of the structs in types.h, read by the generic
 * decoder (decode.c), encoder and destructor (encode.c).
 *
 * A struct is a `struct type_desc`: its size and a NULL-terminated table of
 * fields, each with its JSON name, its kind and its offset.  Keeping the
 * layout in tables means each field is written once, not once per parser,
 * printer and destructor.
 */
#ifndef BERTH_SCHEMA_H
#define BERTH_SCHEMA_H

#include <stddef.h>

#include "types.h"

enum field_type
{
  FT_STRING,       /* char * */
  FT_STRING_SET,   /* char * plus a bool at aux_offset: set even when "" */
  FT_INT,          /* struct opt_int */
  FT_BOOL,         /* struct opt_bool */
  FT_INT_OR_STR,   /* struct int_or_string */
  FT_QUANTITY_PTR, /* struct quantity * */
  FT_STRUCT,       /* embedded struct of type `sub` */
  FT_PTR,          /* pointer to a struct of type `sub`, NULL when absent */
  FT_LIST,         /* LIST_OF (...) of `elem` */
  FT_STRMAP,       /* struct strmap */
  FT_BYTESMAP,     /* struct bytesmap, base64 in JSON */
  FT_QUANTITY_MAP, /* struct quantity_map */
  FT_RAW,          /* struct node *, kept verbatim */
  FT_IGNORE,       /* accepted and dropped (status) */
};

/* Element kinds of FT_LIST. */
enum elem_type
{
  ELEM_STRING, /* char * */
  ELEM_INT,    /* int64_t */
  ELEM_STRUCT, /* struct of type `sub`, stored inline */
};

/* Field flags. */
#define FF_INT32 0x1u /* the value must fit in int32 */

struct type_desc;

struct field_desc
{
  const char *name;
  enum field_type type;
  size_t offset;
  const struct type_desc *sub;
  enum elem_type elem;
  unsigned flags;
  size_t aux_offset;
};

struct type_desc
{
  const char *name;
  size_t size;
  const struct field_desc *fields;
};

/* The generic list layout that every LIST_OF (T) shares. */
struct list_raw
{
  void *items;
  size_t len;
};

#define FIELD(json, T, member, kind)                                           \
  {                                                                            \
    .name = json, .type = kind, .offset = offsetof (T, member)                 \
  }
#define FIELD_I32(json, T, member)                                             \
  {                                                                            \
    .name = json, .type = FT_INT, .offset = offsetof (T, member),              \
    .flags = FF_INT32                                                          \
  }
#define FIELD_SUB(json, T, member, kind, desc)                                 \
  {                                                                            \
    .name = json, .type = kind, .offset = offsetof (T, member), .sub = &desc   \
  }
#define FIELD_LIST(json, T, member, desc)                                      \
  {                                                                            \
    .name = json, .type = FT_LIST, .offset = offsetof (T, member),             \
    .sub = &desc, .elem = ELEM_STRUCT                                          \
  }
#define FIELD_STRLIST(json, T, member)                                         \
  {                                                                            \
    .name = json, .type = FT_LIST, .offset = offsetof (T, member),             \
    .elem = ELEM_STRING                                                        \
  }
#define FIELD_INTLIST(json, T, member)                                         \
  {                                                                            \
    .name = json, .type = FT_LIST, .offset = offsetof (T, member),             \
    .elem = ELEM_INT                                                           \
  }
#define FIELD_STRSET(json, T, member, flag)                                    \
  {                                                                            \
    .name = json, .type = FT_STRING_SET, .offset = offsetof (T, member),       \
    .aux_offset = offsetof (T, flag)                                           \
  }
#define FIELD_END                                                              \
  {                                                                            \
    .name = NULL                                                               \
  }

/* Define the descriptor VAR_desc of struct T from its fields: DESC for one
 * that other files use, SDESC for one local to its file. */
#define DESC(var, T, ...)                                                      \
  static const struct field_desc var##_fields[] = { __VA_ARGS__, FIELD_END };  \
  const struct type_desc var##_desc                                            \
      = { .name = #T, .size = sizeof (struct T), .fields = var##_fields }
#define SDESC(var, T, ...)                                                     \
  static const struct field_desc var##_fields[] = { __VA_ARGS__, FIELD_END };  \
  static const struct type_desc var##_desc                                     \
      = { .name = #T, .size = sizeof (struct T), .fields = var##_fields }

size_t schema_elem_size (const struct field_desc *f);

/* The descriptors of the top-level kinds (schema_pod.c, schema_kinds.c). */
extern const struct type_desc object_meta_desc;
extern const struct type_desc label_selector_desc;
extern const struct type_desc pod_spec_desc;
extern const struct type_desc pod_template_spec_desc;
extern const struct type_desc container_desc;
extern const struct type_desc pod_desc;
extern const struct type_desc config_map_desc;
extern const struct type_desc secret_desc;
extern const struct type_desc namespace_desc;
extern const struct type_desc service_desc;
extern const struct type_desc job_desc;
extern const struct type_desc job_spec_desc;
extern const struct type_desc cron_job_desc;
extern const struct type_desc deployment_desc;
extern const struct type_desc replica_set_desc;
extern const struct type_desc stateful_set_desc;

#endif
