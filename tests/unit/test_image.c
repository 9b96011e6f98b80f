/* test_image.c - the image store (references: test_image_ref.c): layer
 * unpack safety with tars built here with libarchive's write API, whiteouts,
 * digest checks, and imports of OCI layouts, OCI archives and docker save
 * archives built here. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "image_ref.h"
#include "image_store.h"
#include "layer_unpack.h"
#include "oci_image.h"

#define N(a) ((int)(sizeof (a) / sizeof ((a)[0])))
#define H64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

/* --- building tars ----------------------------------------------------- */

struct tentry
{
  const char *name;
  unsigned type;        /* AE_IF*; 0 is a regular file */
  const char *data;     /* regular file content */
  const char *symlink;  /* symlink target */
  const char *hardlink; /* hard link target */
  size_t len;           /* of data, when not a string */
};

/* A tar of E (gzip'ed when GZIP) in *BUF. */
static void
build_tar (const struct tentry *e, size_t n, bool gzip, char **buf, size_t *len)
{
  struct archive *a = archive_write_new ();
  size_t cap = 4 << 20;

  *buf = malloc (cap);
  archive_write_set_format_pax_restricted (a);
  if (gzip)
    archive_write_add_filter_gzip (a);
  ck_assert_int_eq (archive_write_open_memory (a, *buf, cap, len), 0);
  for (size_t i = 0; i < n; i++)
    {
      struct archive_entry *en = archive_entry_new ();
      unsigned type = e[i].type ? e[i].type : AE_IFREG;
      archive_entry_set_pathname (en, e[i].name);
      archive_entry_set_filetype (en, type);
      archive_entry_set_perm (en, type == AE_IFDIR ? 0755 : 0644);
      archive_entry_set_mtime (en, 0, 0);
      if (e[i].symlink)
        archive_entry_set_symlink (en, e[i].symlink);
      if (e[i].hardlink)
        archive_entry_set_hardlink (en, e[i].hardlink);
      if (type == AE_IFCHR)
        archive_entry_set_rdev (en, makedev (1, 3));
      if (type == AE_IFREG && !e[i].hardlink)
        archive_entry_set_size (en, e[i].len    ? e[i].len
                                    : e[i].data ? strlen (e[i].data)
                                                : 0);
      ck_assert_int_eq (archive_write_header (a, en), ARCHIVE_OK);
      if (type == AE_IFREG && e[i].data && !e[i].hardlink)
        archive_write_data (a, e[i].data,
                            e[i].len ? e[i].len : strlen (e[i].data));
      archive_entry_free (en);
    }
  ck_assert_int_eq (archive_write_close (a), ARCHIVE_OK);
  archive_write_free (a);
}

static void
write_file (const char *path, const void *buf, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, buf, len), (ssize_t)len);
  close (fd);
}

static char *
tmpdir (void)
{
  char t[] = "/tmp/test_image.XXXXXX";
  ck_assert_ptr_nonnull (mkdtemp (t));
  return realpath (t, NULL);
}

static char *
path_join (const char *a, const char *b)
{
  char *p = NULL;
  ck_assert_int_ge (asprintf (&p, "%s/%s", a, b), 0);
  return p;
}

static char *
mkdir_in (const char *a, const char *b)
{
  char *p = path_join (a, b);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  return p;
}

/* Unpack a tar of E into DIR/layer (made here); the return value of
 * layer_unpack_fd, its error in *ERR. */
static int
unpack_entries (const char *dir, const struct tentry *e, size_t n,
                bool whiteouts, berth_error_t *err)
{
  cleanup_free char *buf = NULL, *file = path_join (dir, "layer.tar");
  cleanup_free char *dest = path_join (dir, "layer");
  struct layer_unpack_opts o
      = { .label = "layer sha256:test", .blob_size = -1 };
  size_t len;
  int fd, ret;

  o.flags = whiteouts ? LAYER_UNPACK_WHITEOUTS : 0;
  mkdir (dest, 0755);
  build_tar (e, n, false, &buf, &len);
  write_file (file, buf, len);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  ret = layer_unpack_fd (fd, dest, &o, err);
  close (fd);
  return ret;
}

static int
rm_cb (const char *p, const struct stat *st, int type, struct FTW *f)
{
  (void)st;
  (void)f;
  return type == FTW_DP ? rmdir (p) : unlink (p);
}

static void
rm_rf (const char *p)
{
  nftw (p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- unpack safety ----------------------------------------------------- */

struct bad_case
{
  const char *what;
  struct tentry e[3];
  const char *path;   /* the entry the error must name */
  const char *reason; /* part of the error */
};

/* "OUT" in names and targets is replaced by the absolute path of a
 * directory next to the layer that nothing may write to. */
static const struct bad_case bad[] = {
  { "dotdot", { { "../escape", 0, "x" } }, "../escape", "\"..\"" },
  { "dotdot-inner",
    { { "a/../../escape", 0, "x" } },
    "a/../../escape",
    "\"..\"" },
  { "absolute", { { "/OUT/abs", 0, "x" } }, "/OUT/abs", "absolute path" },
  { "symlink-escape",
    { { "evil", AE_IFLNK, NULL, "OUT" }, { "evil/pwned", 0, "x" } },
    "evil/pwned",
    "symlink" },
  { "symlink-dotdot-escape",
    { { "evil", AE_IFLNK, NULL, "../out" }, { "evil/pwned", 0, "x" } },
    "evil/pwned",
    "symlink" },
  { "hardlink-outside",
    { { "hl", 0, NULL, NULL, "../out/secret" } },
    "hl",
    "hard link" },
  { "hardlink-absolute",
    { { "hl", 0, NULL, NULL, "OUT/secret" } },
    "hl",
    "hard link" },
  { "hardlink-through-symlink",
    { { "evil", AE_IFLNK, NULL, "OUT" },
      { "hl", 0, NULL, NULL, "evil/secret" } },
    "hl",
    "symlink" },
  { "whiteout-through-symlink",
    { { "evil", AE_IFLNK, NULL, "OUT" }, { "evil/.wh.secret", 0, "" } },
    "evil/.wh.secret",
    "through a symlink" },
  { "opaque-through-symlink",
    { { "evil", AE_IFLNK, NULL, "OUT" }, { "evil/.wh..wh..opq", 0, "" } },
    "evil/.wh..wh..opq",
    "through a symlink" },
  { "chardev", { { "dev/null2", AE_IFCHR } }, "dev/null2", "device" },
  { "blockdev", { { "sda", AE_IFBLK } }, "sda", "device" },
};

static char *
subst_out (const char *s, const char *out)
{
  char *r = NULL;
  const char *p;

  if (s == NULL)
    return NULL;
  p = strstr (s, "OUT");
  if (p == NULL)
    return strdup (s);
  ck_assert_int_ge (asprintf (&r, "%.*s%s%s", (int)(p - s), s, out, p + 3), 0);
  return r;
}

START_TEST (test_unpack_rejects)
{
  const struct bad_case *c = &bad[_i];
  cleanup_free char *dir = tmpdir (), *out = mkdir_in (dir, "out");
  cleanup_free char *secret = path_join (out, "secret");
  cleanup_free char *want = subst_out (c->path, out);
  struct tentry e[3] = { 0 };
  char *names[3] = { 0 }, *targets[3] = { 0 }, *links[3] = { 0 };
  berth_error_t err = NULL;
  size_t n = 0;
  struct stat st;
  int ret;

  write_file (secret, "s", 1);
  for (; n < 3 && c->e[n].name; n++)
    {
      e[n] = c->e[n];
      e[n].name = names[n] = subst_out (c->e[n].name, out);
      e[n].symlink = targets[n] = subst_out (c->e[n].symlink, out);
      e[n].hardlink = links[n] = subst_out (c->e[n].hardlink, out);
    }
  ret = unpack_entries (dir, e, n, true, &err);
  ck_assert_msg (ret < 0, "%s: accepted", c->what);
  ck_assert_msg (strstr (berth_error_msg (&err), want), "%s: \"%s\" lacks %s",
                 c->what, berth_error_msg (&err), want);
  ck_assert_msg (strstr (berth_error_msg (&err), c->reason),
                 "%s: \"%s\" lacks %s", c->what, berth_error_msg (&err),
                 c->reason);
  ck_assert_msg (strstr (berth_error_msg (&err), "layer sha256:test"),
                 "%s: the layer is not named: %s", c->what,
                 berth_error_msg (&err));
  /* nothing was written outside the layer */
  {
    cleanup_free char *esc = path_join (dir, "escape");
    cleanup_free char *abs = path_join (out, "abs");
    cleanup_free char *pw = path_join (out, "pwned");
    ck_assert_int_ne (lstat (esc, &st), 0);
    ck_assert_int_ne (lstat (abs, &st), 0);
    ck_assert_int_ne (lstat (pw, &st), 0);
    ck_assert_int_eq (stat (secret, &st), 0);
    ck_assert_int_eq (st.st_nlink, 1);
  }
  for (int i = 0; i < 3; i++)
    {
      free (names[i]);
      free (targets[i]);
      free (links[i]);
    }
  berth_error_release (&err);
  rm_rf (dir);
}
END_TEST

/* A directory entry replaces a symlink of the same name (as containerd
 * does) instead of following it. */
START_TEST (test_unpack_symlink_replaced)
{
  cleanup_free char *dir = tmpdir (), *out = mkdir_in (dir, "out");
  cleanup_free char *pwned = path_join (out, "pwned");
  cleanup_free char *layer = path_join (dir, "layer");
  struct tentry e[] = {
    { "etc", AE_IFLNK, NULL, out },
    { "etc/", AE_IFDIR },
    { "etc/pwned", 0, "x" },
  };
  berth_error_t err = NULL;
  struct stat st;

  ck_assert_msg (unpack_entries (dir, e, N (e), true, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_int_ne (lstat (pwned, &st), 0);
  ck_assert_int_eq (chdir (layer), 0);
  ck_assert_int_eq (lstat ("etc", &st), 0);
  ck_assert (S_ISDIR (st.st_mode));
  ck_assert_int_eq (lstat ("etc/pwned", &st), 0);
  ck_assert_int_eq (chdir ("/"), 0);
  rm_rf (dir);
}
END_TEST

/* What must still work: absolute and relative symlinks (not followed),
 * hard links inside, fifos, "./" prefixes, files replacing symlinks. */
START_TEST (test_unpack_accepts)
{
  static const struct tentry e[] = {
    { "./bin/", AE_IFDIR },
    { "./bin/busybox", 0, "#!" },
    { "./bin/sh", AE_IFLNK, NULL, "/bin/busybox" },
    { "./bin/ls", AE_IFLNK, NULL, "busybox" },
    { "./bin/sh2", 0, NULL, NULL, "bin/busybox" },
    { "./etc/passwd", AE_IFLNK, NULL, "/etc/shadow" },
    { "./etc/passwd", 0, "root:x:0:0" },
    { "./run/fifo", AE_IFIFO },
    { "usr/lib/os-release", AE_IFLNK, NULL, "../../etc/os-release" },
  };
  cleanup_free char *dir = tmpdir ();
  cleanup_free char *layer = path_join (dir, "layer");
  berth_error_t err = NULL;
  char buf[64];
  struct stat st;
  ssize_t n;

  ck_assert_msg (unpack_entries (dir, e, N (e), true, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_int_eq (chdir (layer), 0);
  n = readlink ("bin/sh", buf, sizeof (buf) - 1);
  ck_assert_int_eq (n, 12);
  ck_assert_int_eq (stat ("bin/sh2", &st), 0);
  ck_assert_int_eq (st.st_nlink, 2);
  ck_assert_int_eq (lstat ("etc/passwd", &st), 0);
  ck_assert (S_ISREG (st.st_mode));
  ck_assert_int_eq (lstat ("run/fifo", &st), 0);
  ck_assert (S_ISFIFO (st.st_mode));
  ck_assert_int_eq (lstat ("usr/lib/os-release", &st), 0);
  ck_assert (S_ISLNK (st.st_mode));
  ck_assert_int_eq (chdir ("/"), 0);
  rm_rf (dir);
}
END_TEST

/* --- whiteouts ---------------------------------------------------------- */

struct classify_case
{
  const char *name;
  unsigned type;
  bool whiteouts;
  enum layer_entry_kind kind;
  const char *path; /* or the reason when rejected */
};

static const struct classify_case classify[] = {
  { "etc/.wh.passwd", AE_IFREG, true, LAYER_ENTRY_WHITEOUT, "etc/passwd" },
  { "./.wh.tmp", AE_IFREG, true, LAYER_ENTRY_WHITEOUT, "tmp" },
  { "a//b/./.wh.c", AE_IFREG, true, LAYER_ENTRY_WHITEOUT, "a/b/c" },
  { "etc/.wh..wh..opq", AE_IFREG, true, LAYER_ENTRY_OPAQUE, "etc" },
  { ".wh..wh..opq", AE_IFREG, true, LAYER_ENTRY_OPAQUE, "" },
  { "etc/.wh..wh.plnk", AE_IFDIR, true, LAYER_ENTRY_SKIP, "" },
  { "etc/.wh.", AE_IFREG, true, LAYER_ENTRY_REJECT, "invalid name" },
  { "etc/.wh...", AE_IFREG, true, LAYER_ENTRY_REJECT, "invalid name" },
  { "etc/.wh.passwd", AE_IFREG, false, LAYER_ENTRY_EXTRACT, "etc/.wh.passwd" },
  { "./", AE_IFDIR, true, LAYER_ENTRY_SKIP, "" },
  { "./etc/", AE_IFDIR, true, LAYER_ENTRY_EXTRACT, "etc" },
  { "../.wh.x", AE_IFREG, true, LAYER_ENTRY_REJECT, "\"..\"" },
  { "/etc/.wh.x", AE_IFREG, true, LAYER_ENTRY_REJECT, "absolute" },
  { "dev/tty", AE_IFCHR, true, LAYER_ENTRY_REJECT, "device" },
  { "run/fifo", AE_IFIFO, true, LAYER_ENTRY_EXTRACT, "run/fifo" },
};

START_TEST (test_classify)
{
  const struct classify_case *c = &classify[_i];
  cleanup_free char *path = NULL, *link = NULL;
  const char *reason = NULL;
  enum layer_entry_kind k = layer_entry_classify (
      c->name, c->type, NULL, c->whiteouts, &path, &link, &reason);

  ck_assert_msg (k == c->kind, "%s: kind %d, want %d", c->name, k, c->kind);
  if (k == LAYER_ENTRY_REJECT)
    ck_assert_msg (reason && strstr (reason, c->path), "%s: reason %s", c->name,
                   reason);
  else if (k != LAYER_ENTRY_SKIP)
    ck_assert_str_eq (path, c->path);
}
END_TEST

/* A layer with whiteouts: as root, a 0/0 character device and the opaque
 * xattr; otherwise an error naming the entry and saying root is needed. */
START_TEST (test_unpack_whiteouts)
{
  static const struct tentry e[] = {
    { "etc/", AE_IFDIR },
    { "etc/.wh.passwd", 0, "" },
    { "var/lib/.wh..wh..opq", 0, "" },
    { "var/lib/new", 0, "n" },
    { "x/.wh..wh.plnk", AE_IFDIR },
  };
  cleanup_free char *dir = tmpdir ();
  cleanup_free char *layer = path_join (dir, "layer");
  berth_error_t err = NULL;
  struct stat st;
  char v[8];
  int ret = unpack_entries (dir, e, N (e), true, &err);

  if (geteuid () != 0)
    {
      ck_assert_int_lt (ret, 0);
      /* Linux >= 5.8 lets anyone make a 0/0 whiteout device; the
       * trusted.* xattr of an opaque directory needs CAP_SYS_ADMIN */
      ck_assert_msg (strstr (berth_error_msg (&err), "/.wh.")
                         && strstr (berth_error_msg (&err), "needs root"),
                     "%s", berth_error_msg (&err));
      berth_error_release (&err);
      rm_rf (dir);
      return;
    }
  ck_assert_msg (ret == 0, "%s", berth_error_msg (&err));
  ck_assert_int_eq (chdir (layer), 0);
  ck_assert_int_eq (lstat ("etc/passwd", &st), 0);
  ck_assert (S_ISCHR (st.st_mode));
  ck_assert_int_eq (st.st_rdev, makedev (0, 0));
  ck_assert_int_ne (lstat ("etc/.wh.passwd", &st), 0);
  ck_assert_int_eq (
      lgetxattr ("var/lib", "trusted.overlay.opaque", v, sizeof (v)), 1);
  ck_assert_int_eq (v[0], 'y');
  ck_assert_int_ne (lstat ("var/lib/.wh..wh..opq", &st), 0);
  ck_assert_int_eq (lstat ("var/lib/new", &st), 0);
  ck_assert_int_ne (lstat ("x/.wh..wh.plnk", &st), 0);
  ck_assert_int_eq (chdir ("/"), 0);
  rm_rf (dir);
}
END_TEST

/* Without whiteout handling (a plain archive), .wh. names are files. */
START_TEST (test_unpack_plain)
{
  static const struct tentry e[] = {
    { "etc/.wh.passwd", 0, "" },
    { "var/lib/.wh..wh..opq", 0, "" },
  };
  cleanup_free char *dir = tmpdir ();
  cleanup_free char *layer = path_join (dir, "layer");
  berth_error_t err = NULL;
  struct stat st;

  ck_assert_msg (unpack_entries (dir, e, N (e), false, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_int_eq (chdir (layer), 0);
  ck_assert_int_eq (lstat ("etc/.wh.passwd", &st), 0);
  ck_assert (S_ISREG (st.st_mode));
  ck_assert_int_eq (lstat ("var/lib/.wh..wh..opq", &st), 0);
  ck_assert_int_eq (chdir ("/"), 0);
  rm_rf (dir);
}
END_TEST

/* --- digests ----------------------------------------------------------- */

static const struct tentry small[] = {
  { "hello", 0, "hello world\n" },
};

/* Unpack SMALL gzip'ed with the given expectations. */
static int
unpack_checked (const char *blob_digest, int64_t size, const char *diff_id,
                berth_error_t *err)
{
  cleanup_free char *dir = tmpdir ();
  cleanup_free char *gz = NULL, *tar = NULL;
  cleanup_free char *file = path_join (dir, "blob");
  cleanup_free char *dest = mkdir_in (dir, "layer");
  char gzd[OCI_DIGEST_LEN], tard[OCI_DIGEST_LEN];
  struct layer_unpack_opts o = { .label = "layer X", .flags = 1 };
  size_t gzlen, tarlen;
  int fd, ret;

  build_tar (small, N (small), true, &gz, &gzlen);
  build_tar (small, N (small), false, &tar, &tarlen);
  oci_digest_buf (gz, gzlen, gzd, err);
  oci_digest_buf (tar, tarlen, tard, err);
  write_file (file, gz, gzlen);
  o.blob_digest = blob_digest ? blob_digest : gzd;
  o.blob_size = size ? size : (int64_t)gzlen;
  o.diff_id = diff_id ? diff_id : tard;
  fd = open (file, O_RDONLY | O_CLOEXEC);
  ret = layer_unpack_fd (fd, dest, &o, err);
  close (fd);
  rm_rf (dir);
  return ret;
}

START_TEST (test_digests)
{
  berth_error_t err = NULL;

  ck_assert_msg (unpack_checked (NULL, 0, NULL, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_int_lt (unpack_checked ("sha256:" H64, 0, NULL, &err), 0);
  ck_assert_msg (strstr (berth_error_msg (&err), "layer X: digest mismatch"),
                 "%s", berth_error_msg (&err));
  ck_assert_int_lt (unpack_checked (NULL, 0, "sha256:" H64, &err), 0);
  ck_assert_msg (strstr (berth_error_msg (&err), "diff_id mismatch"), "%s",
                 berth_error_msg (&err));
  ck_assert_int_lt (unpack_checked (NULL, 3, NULL, &err), 0);
  ck_assert_msg (strstr (berth_error_msg (&err), "the manifest says 3"), "%s",
                 berth_error_msg (&err));
  berth_error_release (&err);
  ck_assert_ptr_null (image_ref_digest_problem ("sha256:" H64));
  ck_assert_ptr_nonnull (image_ref_digest_problem ("sha256:" H64 "0"));
}
END_TEST

/* --- imports ----------------------------------------------------------- */

/* An image built in memory: its blobs, as tar entries of an OCI layout. */
struct built
{
  size_t n;
  struct tentry e[16];
  char *bufs[16];
  char *names[16];
  char manifest[OCI_DIGEST_LEN];
  char config[OCI_DIGEST_LEN];
  char *config_json;
  char *layer_tars[4]; /* uncompressed, for docker archives */
  size_t layer_lens[4];
};

static void
built_add (struct built *b, const char *name, char *buf, size_t len)
{
  b->names[b->n] = strdup (name);
  b->bufs[b->n] = buf;
  b->e[b->n] = (struct tentry){ b->names[b->n], 0, buf, NULL, NULL, len };
  b->n++;
}

static char *
add_blob (struct built *b, char *buf, size_t len, char out[OCI_DIGEST_LEN])
{
  berth_error_t err = NULL;
  char name[160];

  oci_digest_buf (buf, len, out, &err);
  snprintf (name, sizeof (name), "blobs/sha256/%s", out + 7);
  built_add (b, name, buf, len);
  return buf;
}

static const struct tentry layer1[] = {
  { "bin/", AE_IFDIR },
  { "bin/busybox", 0, "#!/bin/true\n" },
  { "bin/sh", AE_IFLNK, NULL, "/bin/busybox" },
  { "etc/", AE_IFDIR },
  { "etc/motd", 0, "one\n" },
};
static const struct tentry layer2[] = {
  { "etc/", AE_IFDIR },
  { "etc/motd", 0, "two\n" },
  { "etc/added", 0, "added\n" },
};

/* Layers 1 and 2 as an OCI image; TAG annotates it in index.json. */
static void
build_image (struct built *b, const char *tag)
{
  const struct tentry *layers[] = { layer1, layer2 };
  size_t nl[] = { N (layer1), N (layer2) };
  char ld[2][OCI_DIGEST_LEN], diff[2][OCI_DIGEST_LEN];
  size_t lsize[2], len;
  char *buf, *json = NULL;
  berth_error_t err = NULL;
  int n;

  memset (b, 0, sizeof (*b));
  built_add (b, "oci-layout", strdup ("{\"imageLayoutVersion\":\"1.0.0\"}"), 0);
  for (int i = 0; i < 2; i++)
    {
      build_tar (layers[i], nl[i], false, &b->layer_tars[i], &b->layer_lens[i]);
      oci_digest_buf (b->layer_tars[i], b->layer_lens[i], diff[i], &err);
      build_tar (layers[i], nl[i], true, &buf, &lsize[i]);
      add_blob (b, buf, lsize[i], ld[i]);
    }
  n = asprintf (&json,
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],"
                "\"Env\":[\"PATH=/bin\",\"A=b\"],\"WorkingDir\":\"/w\","
                "\"User\":\"1:2\"},\"rootfs\":{\"type\":\"layers\","
                "\"diff_ids\":[\"%s\",\"%s\"]}}",
                diff[0], diff[1]);
  b->config_json = strdup (json);
  add_blob (b, json, n, b->config);
  n = asprintf (&json,
                "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\","
                "\"config\":{\"mediaType\":\"" OCI_MT_CONFIG "\",\"digest\":"
                "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/"
                "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":"
                "%zu},{\"digest\":\"%s\",\"size\":%zu}]}",
                b->config, strlen (b->config_json), ld[0], lsize[0], ld[1],
                lsize[1]);
  add_blob (b, json, n, b->manifest);
  len = asprintf (
      &json,
      "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
      "\",\"digest\":\"%s\",\"size\":%d,\"annotations\":{\"org."
      "opencontainers.image.ref.name\":\"%s\"}}]}",
      b->manifest, n, tag);
  built_add (b, "index.json", json, len);
}

static void
built_free (struct built *b)
{
  for (size_t i = 0; i < b->n; i++)
    {
      free (b->bufs[i]);
      free (b->names[i]);
    }
  free (b->config_json);
  free (b->layer_tars[0]);
  free (b->layer_tars[1]);
}

/* Write B as an OCI layout in DIR/NAME; returns its path. */
static char *
write_layout (const struct built *b, const char *dir, const char *name)
{
  char *root = mkdir_in (dir, name);
  cleanup_free char *blobs = path_join (root, "blobs");
  cleanup_free char *sha = path_join (blobs, "sha256");

  mkdir (blobs, 0755);
  mkdir (sha, 0755);
  for (size_t i = 0; i < b->n; i++)
    {
      cleanup_free char *p = path_join (root, b->e[i].name);
      write_file (p, b->e[i].data,
                  b->e[i].len ? b->e[i].len : strlen (b->e[i].data));
    }
  return root;
}

static size_t
count_dir (const char *store, const char *sub)
{
  cleanup_free char *p = path_join (store, sub);
  DIR *d = opendir (p);
  struct dirent *de;
  size_t n = 0;

  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)) != NULL)
    n += de->d_name[0] != '.';
  closedir (d);
  return n;
}

static char *
read_text (const char *dir, const char *file)
{
  cleanup_free char *p = path_join (dir, file);
  static char buf[256];
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return NULL;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

START_TEST (test_import_layout)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL, *lower = NULL, *want = NULL;
  struct image_store *s = NULL;
  struct image_info *info = NULL, *again = NULL;
  struct image_info **list = NULL;
  berth_error_t err = NULL;
  struct built b;
  struct stat st1, st2;
  char dref[200];
  size_t n;

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_msg (image_store_import_path (s, "busybox", layout, &info, &err)
                     == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (info->ref, "docker.io/library/busybox:latest");
  ck_assert_str_eq (info->manifest_digest, b.manifest);
  ck_assert_str_eq (info->config_digest, b.config);
  ck_assert_int_eq (info->n_layers, 2);
  ck_assert_str_eq (read_text (info->layers[0], "etc/motd"), "one\n");
  ck_assert_str_eq (read_text (info->layers[1], "etc/motd"), "two\n");
  ck_assert_ptr_null (read_text (info->layers[1], "bin/busybox"));
  ck_assert_str_eq (info->entrypoint[0], "/bin/sh");
  ck_assert_str_eq (info->entrypoint[1], "-c");
  ck_assert_ptr_null (info->entrypoint[2]);
  ck_assert_str_eq (info->cmd[0], "echo hi");
  ck_assert_str_eq (info->env[1], "A=b");
  ck_assert_str_eq (info->working_dir, "/w");
  ck_assert_str_eq (info->user, "1:2");
  ck_assert_int_eq (image_info_lowerdir (info, &lower, &err), 0);
  ck_assert_int_ge (asprintf (&want, "%s:%s", info->layers[1], info->layers[0]),
                    0);
  ck_assert_str_eq (lower, want);
  ck_assert_int_eq (stat (info->layers[0], &st1), 0);
  ck_assert_int_eq (st1.st_mode & 07777, 0755); /* the container's "/" */

  /* idempotent: the same image, the layers not unpacked again */
  ck_assert_msg (image_store_import_path (s, "docker.io/library/busybox",
                                          layout, &again, &err)
                     == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (again->manifest_digest, b.manifest);
  ck_assert_int_eq (stat (again->layers[0], &st2), 0);
  ck_assert_int_eq (st1.st_ino, st2.st_ino);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "blobs/sha256"), 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "tmp"), 0);
  image_info_free (again);

  /* lookups: by name, by digest; a missing one says how to import it */
  snprintf (dref, sizeof (dref), "busybox@%s", b.manifest);
  ck_assert_int_eq (image_store_lookup (s, dref, &again, &err), 0);
  ck_assert_str_eq (again->config_digest, b.config);
  image_info_free (again);
  ck_assert_int_eq (image_store_lookup (s, "nothere:1", &again, &err), -ENOENT);
  ck_assert_str_eq (berth_error_msg (&err),
                    "image \"docker.io/library/nothere:1\" not found: import "
                    "it with \"berth image import nothere:1 PATH\"");

  /* a second name shares the layers; removal collects what nothing uses */
  ck_assert_int_eq (image_store_import_path (s, "localhost:5000/x:latest",
                                             layout, NULL, &err),
                    0);
  ck_assert_int_eq (image_store_list (s, &list, &n, &err), 0);
  ck_assert_int_eq (n, 2);
  ck_assert_str_eq (list[0]->ref, "docker.io/library/busybox:latest");
  ck_assert_str_eq (list[1]->ref, "localhost:5000/x:latest");
  ck_assert_int_gt (list[0]->size, 100);
  image_info_list_free (list, n);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (image_store_remove (s, "busybox", &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (image_store_remove (s, "localhost:5000/x", &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "blobs/sha256"), 0);
  ck_assert_int_eq (image_store_remove (s, "busybox", &err), -ENOENT);
  ck_assert_int_eq (image_store_lookup (s, "busybox", &again, &err), -ENOENT);

  /* a reference with a digest must name the image imported */
  ck_assert_int_lt (
      image_store_import_path (s, "busybox@sha256:" H64, layout, NULL, &err),
      0);
  ck_assert_msg (strstr (berth_error_msg (&err), "the image is"), "%s",
                 berth_error_msg (&err));
  berth_error_release (&err);
  image_info_free (info);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

/* Change one byte of the blob DIGEST in LAYOUT. */
static void
tamper (const char *layout, const char *digest)
{
  cleanup_free char *p = NULL;
  char c;
  int fd;

  ck_assert_int_ge (asprintf (&p, "%s/blobs/sha256/%s", layout, digest + 7), 0);
  fd = open (p, O_RDWR | O_CLOEXEC);
  ck_assert_int_eq (pread (fd, &c, 1, 20), 1);
  c ^= 1;
  ck_assert_int_eq (pwrite (fd, &c, 1, 20), 1);
  close (fd);
}

START_TEST (test_import_tampered)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL, *layout2 = NULL, *lname = NULL;
  struct image_store *s = NULL;
  berth_error_t err = NULL;
  struct built b;
  char layer[OCI_DIGEST_LEN];

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  layout2 = write_layout (&b, dir, "layout2");
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  /* the second layer's blob is the 3rd entry: oci-layout, layer 1, 2 */
  strcpy (layer, "sha256:");
  strcat (layer, b.names[2] + strlen ("blobs/sha256/"));
  tamper (layout, layer);
  ck_assert_int_lt (image_store_import_path (s, "busybox", layout, NULL, &err),
                    0);
  ck_assert_msg (strstr (berth_error_msg (&err), layer), "%s",
                 berth_error_msg (&err));
  ck_assert_msg (strstr (berth_error_msg (&err), "mismatch")
                     || strstr (berth_error_msg (&err), "gzip")
                     || strstr (berth_error_msg (&err), "tar"),
                 "%s", berth_error_msg (&err));
  ck_assert_int_eq (count_dir (image_store_dir (s), "tmp"), 0);
  ck_assert_int_eq (image_store_lookup (s, "busybox", NULL, &err), -ENOENT);
  ck_assert_int_eq (image_store_gc (s, &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 0);

  tamper (layout2, b.config);
  ck_assert_int_lt (image_store_import_path (s, "busybox", layout2, NULL, &err),
                    0);
  ck_assert_msg (strstr (berth_error_msg (&err), "config")
                     && strstr (berth_error_msg (&err), "digest mismatch"),
                 "%s", berth_error_msg (&err));
  berth_error_release (&err);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

START_TEST (test_import_archives)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *oci = path_join (dir, "oci.tar");
  cleanup_free char *docker = path_join (dir, "docker.tar.gz");
  cleanup_free char *buf = NULL, *manifest = NULL;
  struct image_store *s = NULL;
  struct image_info *a = NULL, *d = NULL;
  berth_error_t err = NULL;
  struct built b;
  size_t len;

  build_image (&b, "v1");
  build_tar (b.e, b.n, false, &buf, &len);
  write_file (oci, buf, len);
  free (buf);
  ck_assert_int_ge (
      asprintf (&manifest,
                "[{\"Config\":\"%s.json\",\"RepoTags\":[\"busybox:v1\"],"
                "\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]",
                b.config + 7),
      0);
  {
    char cfgname[160];
    struct tentry e[] = {
      { "manifest.json", 0, manifest },
      { cfgname, 0, b.config_json },
      { "l1/", AE_IFDIR },
      { "l1/layer.tar", 0, b.layer_tars[0], NULL, NULL, b.layer_lens[0] },
      { "l2/layer.tar", 0, b.layer_tars[1], NULL, NULL, b.layer_lens[1] },
    };
    snprintf (cfgname, sizeof (cfgname), "%s.json", b.config + 7);
    build_tar (e, N (e), true, &buf, &len);
    write_file (docker, buf, len);
  }
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_msg (image_store_import_path (s, "busybox:v1", oci, &a, &err) == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (a->manifest_digest, b.manifest);
  ck_assert_msg (image_store_import_path (s, "docker-img", docker, &d, &err)
                     == 0,
                 "%s", berth_error_msg (&err));
  /* the same config and layers: the same image ID, the layers shared */
  ck_assert_str_eq (d->config_digest, a->config_digest);
  ck_assert_str_eq (d->layers[1], a->layers[1]);
  ck_assert_str_eq (d->cmd[0], "echo hi");
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "tmp"), 0);
  image_info_free (a);
  image_info_free (d);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

/* Two processes import at once into one store: both succeed. */
START_TEST (test_import_concurrent)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL;
  struct image_store *s = NULL;
  struct image_info **list = NULL;
  berth_error_t err = NULL;
  struct built b;
  pid_t pids[4];
  size_t n;

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  for (int i = 0; i < 4; i++)
    {
      pids[i] = fork ();
      ck_assert_int_ge (pids[i], 0);
      if (pids[i] == 0)
        {
          char name[32];
          snprintf (name, sizeof (name), "img%d", i % 2);
          if (image_store_open (state, &s, &err) < 0
              || image_store_import_path (s, name, layout, NULL, &err) < 0)
            {
              fprintf (stderr, "child %d: %s\n", i, berth_error_msg (&err));
              _exit (1);
            }
          _exit (0);
        }
    }
  for (int i = 0; i < 4; i++)
    {
      int status;
      ck_assert_int_eq (waitpid (pids[i], &status, 0), pids[i]);
      ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_int_eq (image_store_list (s, &list, &n, &err), 0);
  ck_assert_int_eq (n, 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  image_info_list_free (list, n);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

static Suite *
image_suite (void)
{
  Suite *s = suite_create ("image");
  TCase *tc = tcase_create ("core");

  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_classify, 0, N (classify));
  tcase_add_loop_test (tc, test_unpack_rejects, 0, N (bad));
  tcase_add_test (tc, test_unpack_accepts);
  tcase_add_test (tc, test_unpack_symlink_replaced);
  tcase_add_test (tc, test_unpack_whiteouts);
  tcase_add_test (tc, test_unpack_plain);
  tcase_add_test (tc, test_digests);
  tcase_add_test (tc, test_import_layout);
  tcase_add_test (tc, test_import_tampered);
  tcase_add_test (tc, test_import_archives);
  tcase_add_test (tc, test_import_concurrent);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (image_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
