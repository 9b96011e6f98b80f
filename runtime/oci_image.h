/* oci_image.h - the documents of OCI and Docker images, and their digests.
 *
 * Owns: sha256 digests (libcrypto EVP, streaming or whole buffers) and the
 * parsing of image indexes, manifests, configs and `docker save`'s
 * manifest.json into plain structs (through lib/node), and the writing of a
 * manifest.  Touches no files except to read an fd it is given.
 */
#ifndef BERTH_OCI_IMAGE_H
#define BERTH_OCI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* "sha256:" + 64 hex + NUL */
#define OCI_DIGEST_LEN 72
/* Manifests, indexes and configs are read whole; larger ones are refused. */
#define OCI_DOC_MAX (8 * 1024 * 1024)

#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define DOCKER_MT_LIST                                                         \
  "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_MANIFEST                                                     \
  "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Streaming sha256. */
struct oci_hasher
{
  void *ctx; /* EVP_MD_CTX */
  uint64_t bytes;
};
int oci_hasher_init (struct oci_hasher *h, berth_error_t *err);
void oci_hasher_update (struct oci_hasher *h, const void *buf, size_t n);
/* OUT gets "sha256:<hex>". */
void oci_hasher_final (struct oci_hasher *h, char out[OCI_DIGEST_LEN]);
void oci_hasher_clear (struct oci_hasher *h);

int oci_digest_buf (const void *buf, size_t n, char out[OCI_DIGEST_LEN],
                    berth_error_t *err);
/* Digest of everything readable from FD; *SIZE gets its length. */
int oci_digest_fd (int fd, char out[OCI_DIGEST_LEN], int64_t *size,
                   berth_error_t *err);
/* Read all of FD (at most OCI_DOC_MAX bytes); WHAT names it in errors.
 * *OUT is NUL-terminated. */
int oci_read_fd (int fd, const char *what, char **out, size_t *len,
                 berth_error_t *err);

/* "amd64", "arm64"... for this machine (GOARCH names). */
const char *oci_host_arch (void);

struct oci_descriptor
{
  char *media_type;
  char *digest;
  int64_t size;
  char *ref_name; /* annotation org.opencontainers.image.ref.name */
  char *os;       /* platform, when given */
  char *arch;
};

/* An image manifest or an index (OCI or Docker schema 2). */
struct oci_manifest
{
  bool is_index;
  char *media_type;
  struct oci_descriptor config;
  size_t n_layers;
  struct oci_descriptor *layers;
  size_t n_manifests; /* index only */
  struct oci_descriptor *manifests;
};

/* WHAT names the document in errors ("manifest sha256:..."). */
int oci_manifest_parse (const char *buf, size_t len, const char *what,
                        struct oci_manifest *out, berth_error_t *err);
void oci_manifest_clear (struct oci_manifest *m);
/* A manifest (not an index) as JSON. */
int oci_manifest_write (const struct oci_manifest *m, char **out, size_t *len,
                        berth_error_t *err);
/* Whether a layer of this media type can be unpacked (tar, gzip, zstd;
 * absent counts as tar).  NULL when it can, else the reason. */
const char *oci_layer_media_type_problem (const char *media_type);

/* The parts of an image config that a container needs.  String arrays are
 * NULL-terminated, NULL when the config does not set them. */
struct oci_config
{
  char **entrypoint;
  char **cmd;
  char **env;
  char *working_dir;
  char *user;
  char *os;
  char *arch;
  size_t n_diff_ids;
  char **diff_ids; /* rootfs.diff_ids, bottom layer first */
};
int oci_config_parse (const char *buf, size_t len, const char *what,
                      struct oci_config *out, berth_error_t *err);
void oci_config_clear (struct oci_config *c);

/* One image of a `docker save` manifest.json. */
struct oci_docker_image
{
  char *config; /* path of the config in the archive */
  char **repo_tags;
  size_t n_layers;
  char **layers; /* paths of the layer tars, bottom first */
};
int oci_docker_manifest_parse (const char *buf, size_t len, const char *what,
                               struct oci_docker_image **out, size_t *n,
                               berth_error_t *err);
void oci_docker_images_free (struct oci_docker_image *v, size_t n);

void oci_strv_free (char **v);

#endif
