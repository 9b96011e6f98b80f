/* image_ref.h - image references, parsed and normalized as containerd and
 * docker do (github.com/distribution/reference, ParseNormalizedNamed plus
 * TagNameOnly):
 *
 *   busybox                 -> docker.io/library/busybox:latest
 *   foo/bar:1               -> docker.io/foo/bar:1
 *   localhost:5000/x        -> localhost:5000/x:latest
 *   name@sha256:<64 hex>    -> docker.io/library/name@sha256:...
 *   name:tag@sha256:<hex>   -> docker.io/library/name:tag@sha256:...
 *
 * This module only parses strings; it owns no state and touches no files.
 */
#ifndef BERTH_IMAGE_REF_H
#define BERTH_IMAGE_REF_H

#include "error.h"

#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define IMAGE_REF_DEFAULT_TAG "latest"
#define IMAGE_REF_NAME_MAX 255

struct image_ref
{
  char *domain; /* docker.io, localhost:5000, [fc00::1]:5000 ... */
  char *path;   /* library/busybox */
  char *tag;    /* NULL when the reference has none */
  char *digest; /* "sha256:<hex>", or NULL */
  char *name;   /* domain/path */
  char *full;   /* name[:tag][@digest]; ":latest" added when neither */
};

/* Parse and normalize S.  The errors say why a reference is invalid:
 * `invalid reference "docker/Docker": repository name must be lowercase`. */
int image_ref_parse (const char *s, struct image_ref *out, berth_error_t *err);
void image_ref_clear (struct image_ref *r);

/* Check a digest string: "sha256:" and 64 lowercase hex digits, or "sha512:"
 * and 128.  Returns NULL when valid, else the reason. */
const char *image_ref_digest_problem (const char *digest);

#endif
