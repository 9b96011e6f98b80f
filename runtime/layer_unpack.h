/* layer_unpack.h - unpack one image layer (a tar stream, gzip'ed, zstd'ed
 * or plain) into an empty directory, safely, with libarchive.
 *
 * Owns: the digest checks made while the layer streams (the digest of the
 * bytes read, the blob digest; the digest of the uncompressed tar, the
 * diff_id), the conversion of OCI whiteouts to overlayfs ones, and the
 * refusal of entries that would write outside the directory.  It writes
 * only below the directory it is given; the caller makes that directory,
 * renames it into place when this succeeds and removes it when it fails.
 *
 * Entries are refused, with the layer and the entry path named, when their
 * path is absolute or has a ".." component, when a hard link's target is
 * absolute, has ".." or goes through a symlink, when any path goes through
 * a symlink made by an earlier entry (libarchive's SECURE_SYMLINKS and
 * SECURE_NODOTDOT; SECURE_NOABSOLUTEPATHS cannot be used since entries are
 * written below an absolute directory, so absolute names are refused here
 * before that), for character and block devices, and for xattrs in the
 * trusted.overlay. namespace.  FIFOs are kept.
 *
 * Whiteouts (when LAYER_UNPACK_WHITEOUTS is set): an entry DIR/.wh.NAME
 * becomes a 0/0 character device DIR/NAME (needs root or CAP_MKNOD); an
 * entry DIR/.wh..wh..opq sets trusted.overlay.opaque=y on DIR (needs
 * CAP_SYS_ADMIN); other .wh..wh.* entries (aufs metadata) are skipped.
 */
#ifndef BERTH_LAYER_UNPACK_H
#define BERTH_LAYER_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum
{
  LAYER_UNPACK_WHITEOUTS = 1 << 0, /* an image layer, not a plain archive */
};

struct layer_unpack_opts
{
  const char *label;       /* names the layer in errors: "layer sha256:..." */
  const char *blob_digest; /* expected digest of the bytes read, or NULL */
  int64_t blob_size;       /* expected number of bytes read, or -1 */
  const char *diff_id; /* expected digest of the uncompressed tar, or NULL */
  unsigned flags;
};

/* Unpack the archive read from FD into DEST, an existing empty directory
 * whose absolute path has no symlinks in it (realpath).  Fails when a
 * digest or the size does not match, after reading the whole stream. */
int layer_unpack_fd (int fd, const char *dest,
                     const struct layer_unpack_opts *opts, berth_error_t *err);

/* What an entry of a layer is: the decision layer_unpack_fd makes for each
 * entry, as a pure function for the tests. */
enum layer_entry_kind
{
  LAYER_ENTRY_EXTRACT,  /* write it at *PATH */
  LAYER_ENTRY_WHITEOUT, /* make a whiteout at *PATH */
  LAYER_ENTRY_OPAQUE,   /* mark the directory *PATH opaque ("" is the root) */
  LAYER_ENTRY_SKIP,     /* ignore it (".", aufs metadata) */
  LAYER_ENTRY_REJECT,   /* refuse the layer: *REASON says why */
};

/* NAME is the entry's path in the tar, FILETYPE its AE_IF* type, HARDLINK
 * its hard link target or NULL.  *PATH gets the cleaned relative path
 * (no "./", no "//", no trailing "/"), to free; *HARDLINK_PATH the cleaned
 * link target.  With WHITEOUTS false, .wh. names are plain files. */
enum layer_entry_kind layer_entry_classify (const char *name, unsigned filetype,
                                            const char *hardlink,
                                            bool whiteouts, char **path,
                                            char **hardlink_path,
                                            const char **reason);

#endif
