/* layer_unpack.c - see layer_unpack.h.
 *
 * Two libarchive readers in a pipe: the first reads the blob from the fd
 * (hashing the bytes: the blob digest), undoes any compression and hands
 * the tar stream on as raw data; the second reads that (hashing it: the
 * diff_id) as a tar archive.  Every entry is classified, then written with
 * archive_write_disk below DEST.
 */
#include "layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci_image.h"

#define BUF_SIZE (64 * 1024)

/* Clean NAME into *OUT: drop "", "." components; refuse absolute paths and
 * "..".  NULL on success, else the reason. */
static const char *
clean_path (const char *name, char **out)
{
  cleanup_free char *copy = strdup (name);
  cleanup_free char *res = NULL;
  size_t used = 0;
  char *save = NULL, *c;

  *out = NULL;
  if (copy == NULL)
    return "out of memory";
  if (name[0] == '/')
    return "absolute path";
  res = malloc (strlen (name) + 1);
  if (res == NULL)
    return "out of memory";
  res[0] = '\0';
  for (c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      size_t n = strlen (c);
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        return "path has a \"..\" component";
      if (used)
        res[used++] = '/';
      memcpy (res + used, c, n + 1);
      used += n;
    }
  *out = steal_pointer (&res);
  return NULL;
}

static enum layer_entry_kind
classify_whiteout (char **path, const char **reason)
{
  char *slash = strrchr (*path, '/');
  char *base = slash ? slash + 1 : *path;
  cleanup_free char *target = NULL;

  if (strncmp (base, ".wh.", 4) != 0)
    return LAYER_ENTRY_EXTRACT;
  if (strcmp (base, ".wh..wh..opq") == 0)
    {
      *base = '\0';
      if (slash)
        *slash = '\0';
      return LAYER_ENTRY_OPAQUE;
    }
  if (strncmp (base, ".wh..wh.", 8) == 0)
    return LAYER_ENTRY_SKIP;
  if (base[4] == '\0' || strcmp (base + 4, ".") == 0
      || strcmp (base + 4, "..") == 0)
    {
      *reason = "whiteout of an invalid name";
      return LAYER_ENTRY_REJECT;
    }
  memmove (base, base + 4, strlen (base + 4) + 1);
  return LAYER_ENTRY_WHITEOUT;
}

enum layer_entry_kind
layer_entry_classify (const char *name, unsigned filetype, const char *hardlink,
                      bool whiteouts, char **path, char **hardlink_path,
                      const char **reason)
{
  const char *why;

  *path = NULL;
  *hardlink_path = NULL;
  *reason = NULL;
  why = clean_path (name, path);
  if (why != NULL)
    {
      *reason = why;
      return LAYER_ENTRY_REJECT;
    }
  if (hardlink != NULL)
    {
      why = clean_path (hardlink, hardlink_path);
      if (why == NULL && **hardlink_path == '\0')
        why = "the layer root";
      if (why != NULL)
        {
          *reason = strcmp (why, "absolute path") == 0
                        ? "hard link to an absolute path"
                    : strcmp (why, "the layer root") == 0
                        ? "hard link to the layer root"
                        : "hard link target has a \"..\" component";
          return LAYER_ENTRY_REJECT;
        }
    }
  else if (filetype == AE_IFCHR || filetype == AE_IFBLK)
    {
      *reason = "device nodes are not allowed in image layers";
      return LAYER_ENTRY_REJECT;
    }
  else if (filetype != AE_IFREG && filetype != AE_IFDIR && filetype != AE_IFLNK
           && filetype != AE_IFIFO)
    {
      *reason = "unsupported file type";
      return LAYER_ENTRY_REJECT;
    }
  if (**path == '\0')
    return LAYER_ENTRY_SKIP;
  if (!whiteouts)
    return LAYER_ENTRY_EXTRACT;
  return classify_whiteout (path, reason);
}

/* --- the readers ------------------------------------------------------- */

struct blob_src
{
  int fd;
  struct oci_hasher hash;
  char buf[BUF_SIZE];
};

static la_ssize_t
blob_read (struct archive *a, void *data, const void **buf)
{
  struct blob_src *s = data;
  ssize_t n;

  do
    n = read (s->fd, s->buf, sizeof (s->buf));
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      archive_set_error (a, errno, "read: %s", strerror (errno));
      return -1;
    }
  oci_hasher_update (&s->hash, s->buf, n);
  *buf = s->buf;
  return n;
}

struct tar_src
{
  struct archive *raw;
  struct oci_hasher hash;
  bool eof;
  char buf[BUF_SIZE];
};

static la_ssize_t
tar_read (struct archive *a, void *data, const void **buf)
{
  struct tar_src *s = data;
  la_ssize_t n;

  if (s->eof)
    return 0;
  n = archive_read_data (s->raw, s->buf, sizeof (s->buf));
  if (n < 0)
    {
      archive_set_error (a, archive_errno (s->raw), "%s",
                         archive_error_string (s->raw));
      return -1;
    }
  if (n == 0)
    s->eof = true;
  oci_hasher_update (&s->hash, s->buf, n);
  *buf = s->buf;
  return n;
}

struct unpack
{
  const struct layer_unpack_opts *o;
  const char *dest;
  int destfd;
  struct blob_src *blob;
  struct tar_src *tar;
  struct archive *raw, *in, *out;
};

static void
unpack_release (struct unpack *u)
{
  if (u->out)
    archive_write_free (u->out);
  if (u->in)
    archive_read_free (u->in);
  if (u->raw)
    archive_read_free (u->raw);
  if (u->blob)
    oci_hasher_clear (&u->blob->hash);
  if (u->tar)
    oci_hasher_clear (&u->tar->hash);
  free (u->blob);
  free (u->tar);
  if (u->destfd >= 0)
    close (u->destfd);
}

static int
unpack_open (struct unpack *u, int fd, berth_error_t *err)
{
  struct archive_entry *e;
  int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS
              | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME;
  int ret;

  u->blob = calloc (1, sizeof (*u->blob));
  u->tar = calloc (1, sizeof (*u->tar));
  if (u->blob == NULL || u->tar == NULL)
    return berth_error_sys (err, ENOMEM, "%s", u->o->label);
  u->blob->fd = fd;
  ret = oci_hasher_init (&u->blob->hash, err);
  if (ret == 0)
    ret = oci_hasher_init (&u->tar->hash, err);
  if (ret < 0)
    return ret;
  u->raw = archive_read_new ();
  u->in = archive_read_new ();
  u->out = archive_write_disk_new ();
  if (u->raw == NULL || u->in == NULL || u->out == NULL)
    return berth_error_sys (err, ENOMEM, "%s", u->o->label);
  archive_read_support_filter_all (u->raw);
  archive_read_support_format_raw (u->raw);
  if (archive_read_open (u->raw, u->blob, NULL, blob_read, NULL) != ARCHIVE_OK
      || archive_read_next_header (u->raw, &e) != ARCHIVE_OK)
    return berth_error_make (err, EINVAL, "%s: %s", u->o->label,
                             archive_error_string (u->raw)
                                 ? archive_error_string (u->raw)
                                 : "empty or unreadable");
  u->tar->raw = u->raw;
  archive_read_support_format_tar (u->in);
  if (archive_read_open (u->in, u->tar, NULL, tar_read, NULL) != ARCHIVE_OK)
    return berth_error_make (err, EINVAL, "%s: not a tar archive: %s",
                             u->o->label, archive_error_string (u->in));
  if (geteuid () == 0)
    flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR;
  archive_write_disk_set_options (u->out, flags);
  u->destfd = open (u->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u->destfd < 0)
    return berth_error_sys (err, errno, "open %s", u->dest);
  return 0;
}

/* Open the directory REL below ROOTFD without following symlinks, making
 * the missing ones when CREATE. */
static int
open_beneath (int rootfd, const char *rel, bool create, int *out)
{
  cleanup_free char *copy = strdup (rel);
  cleanup_close int fd = dup (rootfd);
  char *save = NULL, *c;

  if (copy == NULL || fd < 0)
    return -errno;
  for (c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      int nfd;
      if (create && mkdirat (fd, c, 0755) < 0 && errno != EEXIST)
        return -errno;
      nfd = openat (fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (nfd < 0)
        return -errno;
      close (fd);
      fd = nfd;
    }
  *out = steal_fd (&fd);
  return 0;
}

static int
make_whiteout (struct unpack *u, const char *name, char *path,
               berth_error_t *err)
{
  cleanup_close int dfd = -1;
  char *slash = strrchr (path, '/');
  const char *base = slash ? slash + 1 : path;
  int r;

  if (slash)
    *slash = '\0';
  r = open_beneath (u->destfd, slash ? path : "", true, &dfd);
  if (slash)
    *slash = '/';
  if (r == -ELOOP || r == -ENOTDIR)
    return berth_error_make (err, EPERM,
                             "%s: entry \"%s\": the whiteout's directory is "
                             "reached through a symlink or a non-directory",
                             u->o->label, name);
  if (r < 0)
    return berth_error_sys (err, -r, "%s: entry \"%s\": whiteout parent",
                            u->o->label, name);
  if (unlinkat (dfd, base, 0) < 0 && errno != ENOENT)
    return berth_error_sys (err, errno, "%s: entry \"%s\": replace %s",
                            u->o->label, name, path);
  if (mknodat (dfd, base, S_IFCHR | 0, makedev (0, 0)) < 0)
    return berth_error_sys (err, errno,
                            "%s: entry \"%s\": make whiteout %s (needs root "
                            "or CAP_MKNOD)",
                            u->o->label, name, path);
  return 0;
}

static int
make_opaque (struct unpack *u, const char *name, const char *path,
             berth_error_t *err)
{
  cleanup_close int dfd = -1;
  int r = open_beneath (u->destfd, path, true, &dfd);

  if (r == -ELOOP || r == -ENOTDIR)
    return berth_error_make (err, EPERM,
                             "%s: entry \"%s\": the opaque directory is "
                             "reached through a symlink or a non-directory",
                             u->o->label, name);
  if (r < 0)
    return berth_error_sys (err, -r, "%s: entry \"%s\": opaque directory",
                            u->o->label, name);
  if (fsetxattr (dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
    return berth_error_sys (err, errno,
                            "%s: entry \"%s\": set trusted.overlay.opaque on "
                            "\"%s\" (needs root)",
                            u->o->label, name, *path ? path : ".");
  return 0;
}

static const char *
entry_extra_problem (struct unpack *u, struct archive_entry *e,
                     const char *hardlink_path)
{
  const char *xname;
  const void *xval;
  size_t xsize;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &xname, &xval, &xsize) == ARCHIVE_OK)
    if (strncmp (xname, "trusted.overlay.", 16) == 0)
      return "overlayfs xattrs are not allowed in image layers";
  if (hardlink_path != NULL)
    {
      cleanup_free char *parent = strdup (hardlink_path);
      char *slash = parent ? strrchr (parent, '/') : NULL;
      cleanup_close int dfd = -1;
      if (slash == NULL)
        return NULL;
      *slash = '\0';
      if (open_beneath (u->destfd, parent, false, &dfd) == -ELOOP || dfd < 0)
        return "hard link target goes through a symlink or a missing "
               "directory";
    }
  return NULL;
}

static int
extract_entry (struct unpack *u, struct archive_entry *e, const char *name,
               const char *path, const char *hardlink_path, berth_error_t *err)
{
  cleanup_free char *full = NULL, *full_link = NULL;
  const char *why = entry_extra_problem (u, e, hardlink_path);
  const void *buf;
  size_t size;
  la_int64_t off;
  int r;

  if (why != NULL)
    return berth_error_make (err, EPERM, "%s: entry \"%s\": %s", u->o->label,
                             name, why);
  if (asprintf (&full, "%s/%s", u->dest, path) < 0
      || (hardlink_path
          && asprintf (&full_link, "%s/%s", u->dest, hardlink_path) < 0))
    return berth_error_sys (err, ENOMEM, "%s", u->o->label);
  archive_entry_set_pathname (e, full);
  if (full_link)
    archive_entry_set_hardlink (e, full_link);
  r = archive_write_header (u->out, e);
  if (r < ARCHIVE_WARN)
    return berth_error_make (err, EPERM, "%s: entry \"%s\": %s", u->o->label,
                             name, archive_error_string (u->out));
  while ((r = archive_read_data_block (u->in, &buf, &size, &off)) == ARCHIVE_OK)
    if (archive_write_data_block (u->out, buf, size, off) < ARCHIVE_WARN)
      return berth_error_make (err, EIO, "%s: entry \"%s\": %s", u->o->label,
                               name, archive_error_string (u->out));
  if (r != ARCHIVE_EOF)
    return berth_error_make (err, EIO, "%s: entry \"%s\": %s", u->o->label,
                             name, archive_error_string (u->in));
  if (archive_write_finish_entry (u->out) < ARCHIVE_WARN)
    return berth_error_make (err, EIO, "%s: entry \"%s\": %s", u->o->label,
                             name, archive_error_string (u->out));
  return 0;
}

static int
unpack_entry (struct unpack *u, struct archive_entry *e, berth_error_t *err)
{
  cleanup_free char *name
      = strdup (archive_entry_pathname (e) ? archive_entry_pathname (e) : "");
  cleanup_free char *path = NULL, *link = NULL;
  const char *reason = NULL;
  enum layer_entry_kind k;

  if (name == NULL)
    return berth_error_sys (err, ENOMEM, "%s", u->o->label);
  k = layer_entry_classify (
      name, archive_entry_filetype (e), archive_entry_hardlink (e),
      u->o->flags & LAYER_UNPACK_WHITEOUTS, &path, &link, &reason);
  switch (k)
    {
    case LAYER_ENTRY_REJECT:
      return berth_error_make (err, EPERM, "%s: entry \"%s\": %s", u->o->label,
                               name, reason);
    case LAYER_ENTRY_SKIP:
      return 0;
    case LAYER_ENTRY_WHITEOUT:
      return make_whiteout (u, name, path, err);
    case LAYER_ENTRY_OPAQUE:
      return make_opaque (u, name, path, err);
    case LAYER_ENTRY_EXTRACT:
      break;
    }
  return extract_entry (u, e, name, path, link, err);
}

/* Read what is left of both streams, so that the digests cover them. */
static int
unpack_drain (struct unpack *u, berth_error_t *err)
{
  char buf[4096];
  la_ssize_t n;

  while (!u->tar->eof)
    {
      n = archive_read_data (u->raw, buf, sizeof (buf));
      if (n < 0)
        return berth_error_make (err, EIO, "%s: %s", u->o->label,
                                 archive_error_string (u->raw));
      if (n == 0)
        u->tar->eof = true;
      oci_hasher_update (&u->tar->hash, buf, n);
    }
  for (;;)
    {
      const void *p;
      n = blob_read (u->raw, u->blob, &p);
      if (n < 0)
        return berth_error_sys (err, errno, "%s: read", u->o->label);
      if (n == 0)
        return 0;
    }
}

static int
unpack_verify (struct unpack *u, berth_error_t *err)
{
  char blob[OCI_DIGEST_LEN], tar[OCI_DIGEST_LEN];
  const struct layer_unpack_opts *o = u->o;
  uint64_t bytes = u->blob->hash.bytes;

  oci_hasher_final (&u->blob->hash, blob);
  oci_hasher_final (&u->tar->hash, tar);
  if (o->blob_size >= 0 && bytes != (uint64_t)o->blob_size)
    return berth_error_make (
        err, EINVAL, "%s: size is %llu bytes, the manifest says %lld", o->label,
        (unsigned long long)bytes, (long long)o->blob_size);
  if (o->blob_digest && strcmp (blob, o->blob_digest) != 0)
    return berth_error_make (
        err, EINVAL, "%s: digest mismatch: the content is %s", o->label, blob);
  if (o->diff_id && strcmp (tar, o->diff_id) != 0)
    return berth_error_make (err, EINVAL,
                             "%s: diff_id mismatch: the uncompressed tar is "
                             "%s, the config says %s",
                             o->label, tar, o->diff_id);
  return 0;
}

int
layer_unpack_fd (int fd, const char *dest, const struct layer_unpack_opts *opts,
                 berth_error_t *err)
{
  struct unpack u = { .o = opts, .dest = dest, .destfd = -1 };
  struct archive_entry *e;
  int ret = unpack_open (&u, fd, err);

  while (ret == 0)
    {
      int r = archive_read_next_header (u.in, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          ret = berth_error_make (err, EINVAL, "%s: %s", opts->label,
                                  archive_error_string (u.in));
          break;
        }
      ret = unpack_entry (&u, e, err);
    }
  if (ret == 0)
    ret = unpack_drain (&u, err);
  if (ret == 0 && archive_write_close (u.out) < ARCHIVE_WARN)
    ret = berth_error_make (err, EIO, "%s: %s", opts->label,
                            archive_error_string (u.out));
  if (ret == 0)
    ret = unpack_verify (&u, err);
  unpack_release (&u);
  return ret;
}
