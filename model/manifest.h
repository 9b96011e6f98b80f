/* manifest.h - reading manifest files into typed, defaulted, validated
 * Kubernetes objects.
 *
 * A file may hold several documents, and a List (or PodList, ...) holds
 * several objects; each becomes one `struct object` with its own
 * diagnostics, so one bad object never hides or spoils the good ones.
 */
#ifndef BERTH_MANIFEST_H
#define BERTH_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "schema.h"

enum kind_id
{
  KIND_UNKNOWN,
  KIND_POD,
  KIND_CONFIG_MAP,
  KIND_SECRET,
  KIND_NAMESPACE,
  KIND_SERVICE,
  KIND_JOB,
  KIND_CRON_JOB,
  KIND_DEPLOYMENT,
  KIND_REPLICA_SET,
  KIND_STATEFUL_SET,
};

struct object;

struct kind_info
{
  enum kind_id id;
  const char *kind;     /* "Pod" */
  const char *group;    /* "" for the core group, "batch", "apps" */
  const char *version;  /* "v1" */
  const char *resource; /* "pods" */
  bool namespaced;
  const struct type_desc *desc;
  void (*set_defaults) (struct object *o);
  void (*validate) (struct object *o);
};

struct object
{
  const struct kind_info *info; /* NULL when the kind is not usable */
  char *api_version;            /* as written */
  char *kind;                   /* as written */
  void *data;                   /* a struct pod, struct service, ... */
  char *file;                   /* the source, for messages */
  unsigned line;                /* where the object starts */
  char *path_prefix;            /* "items[2]" inside a List, else "" */
  struct diag_list diags;       /* paths are relative to the object */
};

struct manifest
{
  size_t len;
  struct object **objects;
  struct diag_list diags; /* about the file itself: syntax errors */
};

/* Read a buffer named FILE (used in messages).  Never fails: every problem
 * is a diagnostic on the manifest or on an object. */
void manifest_read_buffer (const char *file, const char *buf, size_t len,
                           struct manifest *out);
/* Read PATH ("-" is standard input).  Returns -1 only when it cannot be
 * read at all. */
int manifest_read_file (const char *path, struct manifest *out,
                        berth_error_t *err);
void manifest_free (struct manifest *m);

/* Decode, default and validate one document tree.  The result is owned by
 * the caller (object_free). */
struct object *object_from_node (const char *file, const struct node *n,
                                 const char *path_prefix);
void object_free (struct object *o);

bool object_is_valid (const struct object *o);
const char *object_name (const struct object *o);
const char *object_namespace (const struct object *o); /* NULL if cluster */
/* "pod/default/web", "namespace/dev", "frobnicator/default/x" */
char *object_ref (const struct object *o);
/* The full object (apiVersion, kind, metadata, ...) as a tree. */
struct node *object_encode (const struct object *o);

const struct kind_info *kind_lookup (const char *kind);

/* The object's metadata, whatever its kind (every kind starts with it). */
struct object_meta *object_meta (const struct object *o);

#endif
