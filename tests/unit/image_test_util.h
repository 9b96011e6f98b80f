/* image_test_util.h - helpers of the image store's unit tests
 * (test_image.c, test_image_store.c): tars built with libarchive's write
 * API, temp dirs and files.  They fail the running Check test on error. */
#ifndef BERTH_IMAGE_TEST_UTIL_H
#define BERTH_IMAGE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define N(a) ((int)(sizeof (a) / sizeof ((a)[0])))
#define H64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

struct tentry
{
  const char *name;
  unsigned type;        /* AE_IF*; 0 is a regular file */
  const char *data;     /* regular file content */
  const char *symlink;  /* symlink target */
  const char *hardlink; /* hard link target */
  size_t len;           /* of data, when not a string */
};

/* A tar of E in *BUF (malloc'ed): plain (COMP 0), gzip'ed (1) or
 * zstd'ed (2). */
void build_tar (const struct tentry *e, size_t n, int comp, char **buf,
                size_t *len);
void write_file (const char *path, const void *buf, size_t len);
/* A fresh directory under /tmp, its real path. */
char *tmpdir (void);
char *path_join (const char *a, const char *b);
/* mkdir A/B; its path. */
char *mkdir_in (const char *a, const char *b);
void rm_rf (const char *p);

#endif
