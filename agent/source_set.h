/* source_set.h - what the manifest sources share (source_dir for files,
 * source_url for URLs): the objects one source gave (one file, one URL)
 * form a set in the store, every entry with the same source string
 * ("file:<path>", "url:<URL>").
 *
 * A new read of the source is applied as the kubelet applies a SET update
 * from a source: its valid objects are created or replaced (pods with the
 * source's static pod defaults), and when every object was valid the
 * objects the read no longer names are removed.  An invalid object, or a
 * read that cannot be parsed, removes nothing, so that a typo never deletes
 * a running pod.  Each problem is a Warning event, reason FailedToLoad,
 * naming the file or URL and the field path.
 *
 * It owns no state: the store holds the sets. */
#ifndef BERTH_SOURCE_SET_H
#define BERTH_SOURCE_SET_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "store.h"

/* The largest manifest a source reads: the kubelet's maxConfigLength,
 * 10 MiB. */
#define SOURCE_MAX_BYTES (10 * 1024 * 1024)

struct source_set;
/* The kubelet's applyDefaults for a pod of this source. */
typedef void (*source_pod_defaults_fn) (struct object *pod,
                                        const struct source_set *set);

struct source_set
{
  struct store *store;
  const char *node_name;
  const char *source; /* the entries' source: "file:<path>", "url:<URL>" */
  const char *where;  /* the path or the URL, at the head of messages */
  source_pod_defaults_fn pod_defaults;
};

/* Apply the objects of M (consumed: the caller still calls manifest_free).
 * Returns the number of problems, each recorded as an event; *FIRST_ERROR
 * (when not NULL) gets the first one's message, or NULL. */
size_t source_set_apply (const struct source_set *set, struct manifest *m,
                         char **first_error);

/* FNV-1a of a source's content: an unchanged read is not parsed again. */
uint64_t source_hash (const char *buf, size_t len);

/* Remove every object of SOURCE. */
void source_set_clear (struct store *s, const char *source);

/* A problem with a whole source: a Warning FailedToLoad event about the
 * node, as the kubelet reports what it cannot attach to a pod. */
void source_event (struct store *s, const char *node_name, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
