/* image_test_util.c - see image_test_util.h. */
#include "image_test_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* See image_test_util.h. */
void
build_tar (const struct tentry *e, size_t n, int comp, char **buf, size_t *len)
{
  struct archive *a = archive_write_new ();
  size_t cap = 4 << 20;

  *buf = malloc (cap);
  archive_write_set_format_pax_restricted (a);
  if (comp == 1)
    archive_write_add_filter_gzip (a);
  else if (comp == 2)
    ck_assert_int_eq (archive_write_add_filter_zstd (a), ARCHIVE_OK);
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

void
write_file (const char *path, const void *buf, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, buf, len), (ssize_t)len);
  close (fd);
}

char *
tmpdir (void)
{
  char t[] = "/tmp/test_image.XXXXXX";
  ck_assert_ptr_nonnull (mkdtemp (t));
  return realpath (t, NULL);
}

char *
path_join (const char *a, const char *b)
{
  char *p = NULL;
  ck_assert_int_ge (asprintf (&p, "%s/%s", a, b), 0);
  return p;
}

char *
mkdir_in (const char *a, const char *b)
{
  char *p = path_join (a, b);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  return p;
}

static int
rm_cb (const char *p, const struct stat *st, int type, struct FTW *f)
{
  (void)st;
  (void)f;
  return type == FTW_DP ? rmdir (p) : unlink (p);
}

void
rm_rf (const char *p)
{
  nftw (p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}
