/* test_runtime_logrotate.c - runtime/logrotate.c: the kubelet's container
 * log rotation (container_log_manager.go): rotated names, compression of
 * all but the newest rotated file, at most MaxFiles files, leftovers of an
 * interrupted rotation removed, and rotation of a stream through crilog.
 */
#include <archive.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "crilog.h"
#include "logrotate.h"

static char *
make_dir (void)
{
  char *d = strdup ("/tmp/berth-logrotate-XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (d));
  return d;
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  char path[512];
  FILE *f;
  snprintf (path, sizeof (path), "%s/%s", dir, name);
  f = fopen (path, "w");
  ck_assert_ptr_nonnull (f);
  fputs (text, f);
  fclose (f);
}

/* The dir's names, sorted, joined by spaces. */
static char *
listing (const char *dir)
{
  struct dirent **ents;
  char *out = calloc (1, 4096);
  int n = scandir (dir, &ents, NULL, alphasort);
  for (int i = 0; i < n; i++)
    {
      if (ents[i]->d_name[0] != '.')
        {
          if (*out)
            strcat (out, " ");
          strcat (out, ents[i]->d_name);
        }
      free (ents[i]);
    }
  free (ents);
  return out;
}

static void
rm_dir (const char *dir)
{
  struct dirent **ents;
  char path[512];
  int n = scandir (dir, &ents, NULL, alphasort);
  for (int i = 0; i < n; i++)
    {
      snprintf (path, sizeof (path), "%s/%s", dir, ents[i]->d_name);
      unlink (path);
      free (ents[i]);
    }
  free (ents);
  rmdir (dir);
}

/* The text of a gzip'ed file, through libarchive. */
static char *
gunzip (const char *path)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  char *buf = calloc (1, 65536);
  ssize_t n;
  archive_read_support_filter_gzip (a);
  archive_read_support_format_raw (a);
  ck_assert_int_eq (archive_read_open_filename (a, path, 4096), ARCHIVE_OK);
  ck_assert_int_eq (archive_read_next_header (a, &e), ARCHIVE_OK);
  n = archive_read_data (a, buf, 65535);
  ck_assert_int_ge (n, 0);
  archive_read_free (a);
  return buf;
}

/* 2026-11-27 12:00:00 UTC, and a second and two later. */
#define T0 1795780800
START_TEST (test_rotate_files)
{
  cleanup_free char *dir = make_dir ();
  cleanup_free char *log = NULL, *l1 = NULL, *l2 = NULL, *l3 = NULL;
  cleanup_free char *gz = NULL;
  char gzpath[512];
  berth_error_t err = NULL;

  setenv ("TZ", "UTC", 1);
  tzset ();
  if (asprintf (&log, "%s/0.log", dir) < 0)
    abort ();
  write_file (dir, "0.log", "first\n");
  write_file (dir, "1.log", "another container's\n");
  ck_assert_int_eq (logrotate_rotate_files (log, 3, T0, &err), 0);
  l1 = listing (dir);
  ck_assert_str_eq (l1, "0.log.20261127-120000 1.log");

  /* The newest rotated file stays plain, the older ones are gzip'ed. */
  write_file (dir, "0.log", "second\n");
  ck_assert_int_eq (logrotate_rotate_files (log, 3, T0 + 1, &err), 0);
  l2 = listing (dir);
  ck_assert_str_eq (l2, "0.log.20261127-120000.gz 0.log.20261127-120001 1.log");
  snprintf (gzpath, sizeof (gzpath), "%s/0.log.20261127-120000.gz", dir);
  gz = gunzip (gzpath);
  ck_assert_str_eq (gz, "first\n");

  /* MaxFiles 3: the new file, the one rotated now and one older. */
  write_file (dir, "0.log", "third\n");
  write_file (dir, "0.log.20261127-120001.gz.tmp", "leftover");
  ck_assert_int_eq (logrotate_rotate_files (log, 3, T0 + 2, &err), 0);
  l3 = listing (dir);
  ck_assert_str_eq (l3, "0.log.20261127-120001.gz 0.log.20261127-120002 1.log");
  rm_dir (dir);
}
END_TEST

START_TEST (test_interrupted_compression)
{
  cleanup_free char *dir = make_dir ();
  cleanup_free char *log = NULL, *l = NULL;
  berth_error_t err = NULL;

  setenv ("TZ", "UTC", 1);
  tzset ();
  if (asprintf (&log, "%s/2.log", dir) < 0)
    abort ();
  /* compressed but the plain file not yet removed: the plain one goes */
  write_file (dir, "2.log.20261127-110000", "x\n");
  write_file (dir, "2.log.20261127-110000.gz", "gz");
  write_file (dir, "2.log", "now\n");
  ck_assert_int_eq (logrotate_rotate_files (log, 5, T0, &err), 0);
  l = listing (dir);
  ck_assert_str_eq (l, "2.log.20261127-110000.gz 2.log.20261127-120000");
  rm_dir (dir);
}
END_TEST

START_TEST (test_stream_rotates)
{
  cleanup_free char *dir = make_dir ();
  cleanup_free char *log = NULL, *l = NULL;
  struct crilog_stream *s = calloc (1, sizeof (*s));
  struct logrotate lr;
  berth_error_t err = NULL;
  struct stat st;

  if (asprintf (&log, "%s/sub/0.log", dir) < 0)
    abort ();
  ck_assert_int_eq (logrotate_open (&lr, log, 80, 5, &err), 0);
  crilog_stream_init (s, "stdout", lr.fd);
  crilog_stream_set_rotation (s, &lr);
  /* 42 bytes a line: the second line fills the file */
  ck_assert_int_eq (crilog_stream_feed (s, "a\nb\n", 4, &err), 0);
  ck_assert_int_eq (stat (log, &st), 0);
  ck_assert_int_eq (st.st_size, 0);
  ck_assert_int_eq (lr.size, 0);
  /* at most once a second: a second rotation in the same second does
   * not happen */
  lr.last_rotation = time (NULL) + 60;
  ck_assert_int_eq (crilog_stream_feed (s, "c\nd\n", 4, &err), 0);
  ck_assert_int_eq (stat (log, &st), 0);
  ck_assert_int_gt (st.st_size, 80);
  logrotate_close (&lr);
  free (s);
  {
    char sub[512];
    snprintf (sub, sizeof (sub), "%s/sub", dir);
    l = listing (sub);
    ck_assert_int_eq (strncmp (l, "0.log 0.log.", 12), 0);
    rm_dir (sub);
  }
  rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runtime_logrotate");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_rotate_files);
  tcase_add_test (tc, test_interrupted_compression);
  tcase_add_test (tc, test_stream_rotates);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
