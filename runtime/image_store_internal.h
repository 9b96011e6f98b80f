/* image_store_internal.h - what image_store.c shares with image_import.c;
 * not for other modules. */
#ifndef BERTH_IMAGE_STORE_INTERNAL_H
#define BERTH_IMAGE_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "image_ref.h"
#include "image_store.h"

struct image_store
{
  char *dir; /* realpath of ROOT/images */
  int dirfd;
  int lockfd;
};

/* Take the store's lock; an exclusive one also clears tmp/. */
int image_store_lock (struct image_store *s, bool exclusive,
                      berth_error_t *err);
void image_store_unlock (struct image_store *s);

/* Remove PATH and everything below it, without following symlinks. */
int image_store_rm_rf (const char *path, berth_error_t *err);

/* A fresh directory below tmp/ named PREFIX-XXXXXX; *OUT its path. */
int image_store_mktemp (struct image_store *s, const char *prefix, char **out,
                        berth_error_t *err);

/* Store BUF as the blob DIGEST (already verified by the caller). */
int image_store_put_blob (struct image_store *s, const char *digest,
                          const char *buf, size_t len, berth_error_t *err);

/* Point REF (normalized) at MANIFEST_DIGEST in refs.json. */
int image_store_set_ref (struct image_store *s, const char *ref,
                         const char *manifest_digest, berth_error_t *err);

/* The info of the image REF -> MANIFEST_DIGEST, from the stored blobs;
 * with VERIFY, the manifest and config are checked against their digests. */
int image_store_info_build (struct image_store *s, const char *ref,
                            const char *manifest_digest, bool verify,
                            struct image_info **out, berth_error_t *err);

/* Write BUF to REL (below the store) through a temp file and a rename. */
int image_store_write_atomic (struct image_store *s, const char *rel,
                              const char *buf, size_t len, berth_error_t *err);

/* image_store_lookup without taking the lock (the caller holds it). */
int image_store_lookup_locked (struct image_store *s, const char *ref,
                               struct image_info **out, berth_error_t *err);

/* FN (DATA, DIFF_ID) for every layer a live lease holds; stale leases
 * (their owner gone) are removed on the way (image_lease.c).  The caller
 * holds the exclusive lock. */
int image_store_leased_layers (struct image_store *s,
                               void (*fn) (void *, const char *), void *data,
                               berth_error_t *err);

/* Collect garbage; the caller holds the exclusive lock. */
int image_store_gc_locked (struct image_store *s, berth_error_t *err);

#endif
