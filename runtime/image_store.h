/* image_store.h - berth's local image store: images imported from OCI
 * layouts, OCI archives and `docker save` archives, with their layers
 * unpacked once for overlayfs.
 *
 * Layout, under ROOT/images (ROOT is berth's state dir, /var/lib/berth):
 *
 *   lock                   flock: exclusive for changes, shared for reads
 *   refs.json              {"refs": {"<normalized ref>": "<manifest digest>"}}
 *   blobs/sha256/<hex>     manifests and configs, by digest
 *   layers/<diff_id hex>/  an unpacked layer, by its diff_id; present only
 *                          when complete (unpacked in tmp/, then renamed)
 *   tmp/                   work space; whatever is there when an exclusive
 *                          lock is taken is a leftover and is removed
 *
 * Compressed layer blobs are not kept: a layer is verified (blob digest
 * and diff_id) while it is unpacked.  Removing a ref garbage-collects the
 * blobs and layers no remaining ref needs.
 *
 * Registry pulls plug in through struct image_fetcher: the importer asks it
 * for blobs by digest (the manifest first), checks every digest and size
 * itself, and records REF -> manifest digest.
 *
 * A store handle is for one thread; processes exclude each other with the
 * lock file.  Owns: everything below ROOT/images, nothing else.
 */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define IMAGE_STORE_DEFAULT_ROOT "/var/lib/berth"

struct image_store;

/* What the runtime needs of an image. */
struct image_info
{
  char *ref;             /* normalized: docker.io/library/busybox:latest */
  char *manifest_digest; /* sha256:... */
  char *config_digest;   /* sha256:...; the image ID */
  uint64_t size;         /* manifest + config + (compressed) layer blobs */
  size_t n_layers;
  /* Absolute paths of the unpacked layers, BOTTOM FIRST (layers[0] is the
   * base), NULL-terminated.  overlayfs wants lowerdir top first: see
   * image_info_lowerdir. */
  char **layers;
  /* From the image config; NULL-terminated, NULL when unset. */
  char **entrypoint;
  char **cmd;
  char **env;
  char *working_dir; /* NULL when unset */
  char *user;        /* NULL when unset */
};

void image_info_free (struct image_info *info);
void image_info_list_free (struct image_info **v, size_t n);
/* "top:...:bottom", for mount -t overlay -o lowerdir=... */
int image_info_lowerdir (const struct image_info *info, char **out,
                         berth_error_t *err);

/* Open (making the directories) the store under ROOT/images; ROOT NULL is
 * IMAGE_STORE_DEFAULT_ROOT. */
int image_store_open (const char *root, struct image_store **out,
                      berth_error_t *err);
void image_store_close (struct image_store *s);
/* The absolute, symlink-free path of ROOT/images. */
const char *image_store_dir (const struct image_store *s);

/* A source of blobs by digest.  open_blob returns an fd to read the blob
 * from (the importer verifies it) or a negative value with *err set. */
struct image_fetcher
{
  void *data;
  int (*open_blob) (void *data, const char *digest, berth_error_t *err);
};

/* Import the image whose manifest (or index: the manifest for this
 * machine's platform is taken) has digest MANIFEST_DIGEST from FETCHER,
 * under the reference REF (normalized here).  When REF has a digest, it
 * must be MANIFEST_DIGEST.  Layers already present are not fetched again. */
int image_store_import (struct image_store *s, const char *ref,
                        const struct image_fetcher *fetcher,
                        const char *manifest_digest, struct image_info **out,
                        berth_error_t *err);

/* Import from PATH: an OCI image layout directory, a tar of one (an OCI
 * archive, optionally compressed), a `docker save` archive or its unpacked
 * directory.  OUT may be NULL. */
int image_store_import_path (struct image_store *s, const char *ref,
                             const char *path, struct image_info **out,
                             berth_error_t *err);

/* The image REF names.  -ENOENT, with a message saying how to import it,
 * when the store has none. */
int image_store_lookup (struct image_store *s, const char *ref,
                        struct image_info **out, berth_error_t *err);

/* image_store_lookup, and under the same lock a lease on the image's
 * layers for NAME in GROUP (a pod's UID and a container's name: file
 * names), held while the directory OWNER exists or until the group is
 * released.  As containerd's leases: image_store_remove and
 * image_store_gc keep leased layers, so a container's rootfs never loses
 * its lower layers; the image's name and blobs go. */
int image_store_lookup_lease (struct image_store *s, const char *ref,
                              const char *group, const char *name,
                              const char *owner, struct image_info **out,
                              berth_error_t *err);

/* Drop GROUP's leases (the pod is gone), then collect what nobody uses. */
int image_store_lease_release (struct image_store *s, const char *group,
                               berth_error_t *err);

/* Every image, sorted by ref. */
int image_store_list (struct image_store *s, struct image_info ***out,
                      size_t *n, berth_error_t *err);

/* Remove REF (-ENOENT when absent), then collect garbage. */
int image_store_remove (struct image_store *s, const char *ref,
                        berth_error_t *err);

/* Remove the blobs and layers no ref or live lease needs, stale leases,
 * and leftovers in tmp/. */
int image_store_gc (struct image_store *s, berth_error_t *err);

#endif
