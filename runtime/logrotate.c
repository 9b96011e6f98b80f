/* logrotate.c - see logrotate.h. */
#include "logrotate.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

#define COMPRESS_SUFFIX ".gz"
#define TMP_SUFFIX ".tmp"

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), k = strlen (suffix);
  return n >= k && strcmp (s + n - k, suffix) == 0;
}

struct names
{
  size_t len;
  char **v;
};

static void
names_free (struct names *n)
{
  for (size_t i = 0; i < n->len; i++)
    free (n->v[i]);
  free (n->v);
  n->v = NULL;
  n->len = 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Every "<PATH>.*" (filepath.Glob in the kubelet), full paths, sorted. */
static int
list_rotated (const char *path, struct names *out, berth_error_t *err)
{
  cleanup_free char *dir = strdup (path);
  const char *base;
  cleanup_dir DIR *d = NULL;
  struct dirent *e;
  size_t blen;
  char *slash;

  if (dir == NULL)
    abort ();
  slash = strrchr (dir, '/');
  if (slash == NULL)
    return berth_error_make (err, EINVAL, "log path %s is not absolute", path);
  *slash = '\0';
  base = slash + 1;
  blen = strlen (base);
  d = opendir (*dir ? dir : "/");
  if (d == NULL)
    return berth_error_sys (err, errno, "open %s", *dir ? dir : "/");
  while ((e = readdir (d)) != NULL)
    {
      char *full;
      if (strncmp (e->d_name, base, blen) != 0 || e->d_name[blen] != '.')
        continue;
      if (asprintf (&full, "%s/%s", dir, e->d_name) < 0)
        abort ();
      out->v = reallocarray (out->v, out->len + 1, sizeof (*out->v));
      if (out->v == NULL)
        abort ();
      out->v[out->len++] = full;
    }
  if (out->len > 1)
    qsort (out->v, out->len, sizeof (*out->v), cmp_str);
  return 0;
}

/* The kubelet's isInUse: temporary files are not, compressed ones are, a
 * plain file whose compressed copy exists is not. */
static bool
in_use (const char *l, const struct names *all)
{
  if (has_suffix (l, TMP_SUFFIX))
    return false;
  if (has_suffix (l, COMPRESS_SUFFIX))
    return true;
  for (size_t i = 0; i < all->len; i++)
    if (strncmp (all->v[i], l, strlen (l)) == 0
        && strcmp (all->v[i] + strlen (l), COMPRESS_SUFFIX) == 0)
      return false;
  return true;
}

static int
remove_at (struct names *n, size_t i, berth_error_t *err)
{
  if (unlink (n->v[i]) < 0 && errno != ENOENT)
    return berth_error_sys (err, errno, "remove old log %s", n->v[i]);
  free (n->v[i]);
  memmove (&n->v[i], &n->v[i + 1], (n->len - i - 1) * sizeof (*n->v));
  n->len--;
  return 0;
}

/* gzip SRC into SRC.gz (through SRC.gz.tmp), then remove SRC. */
static int
compress_log (const char *src, berth_error_t *err)
{
  cleanup_free char *tmp = NULL, *gz = NULL;
  cleanup_close int in = -1, out = -1;
  struct archive *a = NULL;
  struct archive_entry *e = NULL;
  char buf[65536];
  struct stat st;
  ssize_t n;
  int ret = 0;

  if (asprintf (&tmp, "%s%s", src, TMP_SUFFIX) < 0
      || asprintf (&gz, "%s%s", src, COMPRESS_SUFFIX) < 0)
    abort ();
  in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0 || fstat (in, &st) < 0)
    return berth_error_sys (err, errno, "open log %s", src);
  out = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              st.st_mode & 07777);
  if (out < 0)
    return berth_error_sys (err, errno, "create temporary log %s", tmp);
  a = archive_write_new ();
  e = archive_entry_new ();
  if (a == NULL || e == NULL)
    abort ();
  archive_entry_set_pathname (e, src);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_size (e, st.st_size);
  if (archive_write_add_filter_gzip (a) != ARCHIVE_OK
      || archive_write_set_format_raw (a) != ARCHIVE_OK
      || archive_write_open_fd (a, out) != ARCHIVE_OK
      || archive_write_header (a, e) != ARCHIVE_OK)
    ret = berth_error_make (err, EIO, "compress %s: %s", src,
                            archive_error_string (a));
  while (ret == 0 && (n = read (in, buf, sizeof (buf))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        ret = berth_error_sys (err, errno, "read %s", src);
      else if (archive_write_data (a, buf, n) != n)
        ret = berth_error_make (err, EIO, "compress %s: %s", src,
                                archive_error_string (a));
    }
  if (archive_write_close (a) != ARCHIVE_OK && ret == 0)
    ret = berth_error_make (err, EIO, "compress %s: %s", src,
                            archive_error_string (a));
  archive_write_free (a);
  archive_entry_free (e);
  if (ret == 0 && rename (tmp, gz) < 0)
    ret = berth_error_sys (err, errno, "rename %s to %s", tmp, gz);
  if (ret < 0)
    {
      unlink (tmp);
      return ret;
    }
  if (unlink (src) < 0)
    return berth_error_sys (err, errno, "remove log %s after compress", src);
  return 0;
}

int
logrotate_rotate_files (const char *path, int max_files, time_t now,
                        berth_error_t *err)
{
  struct names logs = { 0 };
  char stamp[32], *rotated = NULL;
  size_t i, keep;
  struct tm tm;
  int ret = 0;

  if (list_rotated (path, &logs, err) < 0)
    return -1;
  /* cleanupUnusedLogs */
  for (i = 0; ret == 0 && i < logs.len;)
    if (!in_use (logs.v[i], &logs))
      ret = remove_at (&logs, i, err);
    else
      i++;
  /* removeExcessLogs: the current file and the one rotated now count, so
   * MAX_FILES - 2 older ones stay, the oldest go first */
  keep = max_files > 2 ? (size_t)max_files - 2 : 0;
  while (ret == 0 && logs.len > keep)
    ret = remove_at (&logs, 0, err);
  for (i = 0; ret == 0 && i < logs.len; i++)
    if (!has_suffix (logs.v[i], COMPRESS_SUFFIX))
      ret = compress_log (logs.v[i], err);
  names_free (&logs);
  if (ret < 0)
    return ret;
  /* rotateLatestLog: Go's "20060102-150405", local time as time.Now() */
  localtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y%m%d-%H%M%S", &tm);
  if (asprintf (&rotated, "%s.%s", path, stamp) < 0)
    abort ();
  if (rename (path, rotated) < 0)
    ret = berth_error_sys (err, errno, "rotate log %s to %s", path, rotated);
  free (rotated);
  return ret;
}

static int
open_append (struct logrotate *lr, berth_error_t *err)
{
  struct stat st;
  int fd = open (lr->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return berth_error_sys (err, errno, "open log %s", lr->path);
  lr->size = fstat (fd, &st) == 0 ? st.st_size : 0;
  if (lr->fd >= 0)
    close (lr->fd);
  lr->fd = fd;
  return 0;
}

int
logrotate_open (struct logrotate *lr, const char *path, int64_t max_size,
                int max_files, berth_error_t *err)
{
  cleanup_free char *dir = strdup (path);
  char *slash;

  memset (lr, 0, sizeof (*lr));
  lr->fd = -1;
  lr->max_size = max_size;
  lr->max_files = max_files < 2 ? 2 : max_files;
  lr->path = strdup (path);
  if (dir == NULL || lr->path == NULL)
    abort ();
  slash = strrchr (dir, '/');
  if (slash != NULL && slash != dir)
    {
      *slash = '\0';
      if (fs_mkdir_p (dir, 0755, err) < 0)
        return -1;
    }
  return open_append (lr, err);
}

int
logrotate_wrote (struct logrotate *lr, size_t n, berth_error_t *err)
{
  time_t now;

  lr->size += (int64_t)n;
  if (lr->max_size <= 0 || lr->size < lr->max_size)
    return 0;
  now = time (NULL);
  if (now <= lr->last_rotation)
    return 0;
  lr->last_rotation = now;
  if (logrotate_rotate_files (lr->path, lr->max_files, now, err) < 0)
    return -1;
  return open_append (lr, err);
}

void
logrotate_close (struct logrotate *lr)
{
  if (lr->fd >= 0)
    close (lr->fd);
  lr->fd = -1;
  free (lr->path);
  lr->path = NULL;
}
