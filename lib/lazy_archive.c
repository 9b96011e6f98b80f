/* lazy_archive.c - the libarchive functions berth calls, loaded from
 * BERTH_SONAME_ARCHIVE on first use (lib/lazylib.h says why and how).
 *
 * Users: the image import and layer unpacking, the log rotation's
 * compression, and the unit tests' archive builders.  The printf-like
 * archive_set_error is formatted here and passed on as "%s".
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  F (const char *, archive_version_string, (void), (), NULL)                   \
  F (int, archive_errno, (struct archive * a), (a), -1)                        \
  F (struct archive *, archive_read_new, (void), (), NULL)                     \
  F (int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)         \
  F (int, archive_read_support_filter_all, (struct archive * a), (a),          \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_read_support_filter_gzip, (struct archive * a), (a),         \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_read_support_format_raw, (struct archive * a), (a),          \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_read_support_format_tar, (struct archive * a), (a),          \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_read_open,                                                   \
     (struct archive * a, void *client_data, archive_open_callback *open_cb,   \
      archive_read_callback *read_cb, archive_close_callback *close_cb),       \
     (a, client_data, open_cb, read_cb, close_cb), ARCHIVE_FATAL)              \
  F (int, archive_read_open_filename,                                          \
     (struct archive * a, const char *filename, size_t block_size),            \
     (a, filename, block_size), ARCHIVE_FATAL)                                 \
  F (int, archive_read_next_header,                                            \
     (struct archive * a, struct archive_entry * *entry), (a, entry),          \
     ARCHIVE_FATAL)                                                            \
  F (la_ssize_t, archive_read_data,                                            \
     (struct archive * a, void *buf, size_t size), (a, buf, size),             \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_read_data_block,                                             \
     (struct archive * a, const void **buff, size_t *size,                     \
      la_int64_t *offset),                                                     \
     (a, buff, size, offset), ARCHIVE_FATAL)                                   \
  F (struct archive *, archive_write_new, (void), (), NULL)                    \
  F (struct archive *, archive_write_disk_new, (void), (), NULL)               \
  F (int, archive_write_disk_set_options, (struct archive * a, int flags),     \
     (a, flags), ARCHIVE_FATAL)                                                \
  F (int, archive_write_free, (struct archive * a), (a), ARCHIVE_FATAL)        \
  F (int, archive_write_close, (struct archive * a), (a), ARCHIVE_FATAL)       \
  F (int, archive_write_add_filter_gzip, (struct archive * a), (a),            \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_write_add_filter_zstd, (struct archive * a), (a),            \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_write_set_format_raw, (struct archive * a), (a),             \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_write_set_format_pax_restricted, (struct archive * a), (a),  \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_write_open_fd, (struct archive * a, int fd), (a, fd),        \
     ARCHIVE_FATAL)                                                            \
  F (int, archive_write_open_memory,                                           \
     (struct archive * a, void *buffer, size_t size, size_t *used),            \
     (a, buffer, size, used), ARCHIVE_FATAL)                                   \
  F (int, archive_write_header,                                                \
     (struct archive * a, struct archive_entry * entry), (a, entry),           \
     ARCHIVE_FATAL)                                                            \
  F (la_ssize_t, archive_write_data,                                           \
     (struct archive * a, const void *buf, size_t size), (a, buf, size),       \
     ARCHIVE_FATAL)                                                            \
  F (la_ssize_t, archive_write_data_block,                                     \
     (struct archive * a, const void *buf, size_t size, la_int64_t offset),    \
     (a, buf, size, offset), ARCHIVE_FATAL)                                    \
  F (int, archive_write_finish_entry, (struct archive * a), (a),               \
     ARCHIVE_FATAL)                                                            \
  F (struct archive_entry *, archive_entry_new, (void), (), NULL)              \
  V (archive_entry_free, (struct archive_entry * e), (e))                      \
  F (const char *, archive_entry_pathname, (struct archive_entry * e), (e),    \
     NULL)                                                                     \
  F (const char *, archive_entry_hardlink, (struct archive_entry * e), (e),    \
     NULL)                                                                     \
  F (__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e), 0)  \
  V (archive_entry_set_pathname, (struct archive_entry * e, const char *p),    \
     (e, p))                                                                   \
  V (archive_entry_set_hardlink, (struct archive_entry * e, const char *p),    \
     (e, p))                                                                   \
  V (archive_entry_set_symlink, (struct archive_entry * e, const char *p),     \
     (e, p))                                                                   \
  V (archive_entry_set_filetype,                                               \
     (struct archive_entry * e, unsigned int type), (e, type))                 \
  V (archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T perm),     \
     (e, perm))                                                                \
  V (archive_entry_set_size, (struct archive_entry * e, la_int64_t size),      \
     (e, size))                                                                \
  V (archive_entry_set_mtime,                                                  \
     (struct archive_entry * e, time_t sec, long nsec), (e, sec, nsec))        \
  V (archive_entry_set_rdev, (struct archive_entry * e, dev_t rdev),           \
     (e, rdev))                                                                \
  F (int, archive_entry_xattr_reset, (struct archive_entry * e), (e), 0)       \
  F (int, archive_entry_xattr_next,                                            \
     (struct archive_entry * e, const char **name, const void **value,         \
      size_t *size),                                                           \
     (e, name, value, size), ARCHIVE_WARN)

/* the table: the functions above, the printf-like one and the one whose
 * failure value is the load error itself */
struct archive_table
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
  void (*archive_set_error) (struct archive *, int, const char *, ...);
  const char *(*archive_error_string) (struct archive *);
};
#define LAZYLIB_TABLE struct archive_table
#define LAZYLIB_LIB archive_lib

static const struct lazylib_sym archive_syms[]
    = { LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM) LAZYLIB_SYM (
        , archive_set_error, , , ) LAZYLIB_SYM (, archive_error_string, , , ) };
static struct archive_table archive_table;
static void archive_open (void);
static struct lazylib archive_lib = LAZYLIB_INIT (
    BERTH_SONAME_ARCHIVE, archive_syms, &archive_table, archive_open);

static void
archive_open (void)
{
  lazylib_open (&archive_lib);
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)

void
archive_set_error (struct archive *a, int err, const char *fmt, ...)
{
  const struct archive_table *t = lazylib_get (&archive_lib);
  char msg[1024];
  va_list ap;

  if (t == NULL)
    return;
  if (fmt == NULL)
    {
      t->archive_set_error (a, err, NULL);
      return;
    }
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  t->archive_set_error (a, err, "%s", msg);
}

/* Without the library no archive exists to have an error but the one of
 * loading it. */
const char *
archive_error_string (struct archive *a)
{
  const struct archive_table *t = lazylib_get (&archive_lib);

  return t ? t->archive_error_string (a) : archive_lib.error;
}
