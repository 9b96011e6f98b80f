/* test_image.c - unpacking image layers (runtime/layer_unpack.c): entries
 * that would write outside the layer, built here as tars with libarchive's
 * write API, are refused with the layer and the path named; whiteouts and
 * opaque directories; digest, diff_id and size checks; gzip, zstd and plain
 * layers.  The store's imports: test_image_store.c; references:
 * test_image_ref.c. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
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
#include "image_test_util.h"
#include "layer_unpack.h"
#include "oci_image.h"

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
  build_tar (e, n, 0, &buf, &len);
  write_file (file, buf, len);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  ret = layer_unpack_fd (fd, dest, &o, err);
  close (fd);
  return ret;
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

/* Unpack SMALL compressed with COMP (see build_tar) with the given
 * expectations (NULL, 0: the right ones). */
static int
unpack_comp (int comp, const char *blob_digest, int64_t size,
             const char *diff_id, berth_error_t *err)
{
  cleanup_free char *dir = tmpdir ();
  cleanup_free char *gz = NULL, *tar = NULL;
  cleanup_free char *file = path_join (dir, "blob");
  cleanup_free char *dest = mkdir_in (dir, "layer");
  char gzd[OCI_DIGEST_LEN], tard[OCI_DIGEST_LEN];
  struct layer_unpack_opts o = { .label = "layer X", .flags = 1 };
  size_t gzlen, tarlen;
  int fd, ret;

  build_tar (small, N (small), comp, &gz, &gzlen);
  build_tar (small, N (small), 0, &tar, &tarlen);
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

static int
unpack_checked (const char *blob_digest, int64_t size, const char *diff_id,
                berth_error_t *err)
{
  return unpack_comp (1, blob_digest, size, diff_id, err);
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
  /* uncompressed and zstd layers */
  ck_assert_msg (unpack_comp (0, NULL, 0, NULL, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_msg (unpack_comp (2, NULL, 0, NULL, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_int_lt (unpack_comp (2, NULL, 0, "sha256:" H64, &err), 0);
  berth_error_release (&err);
  ck_assert_ptr_null (image_ref_digest_problem ("sha256:" H64));
  ck_assert_ptr_nonnull (image_ref_digest_problem ("sha256:" H64 "0"));
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
