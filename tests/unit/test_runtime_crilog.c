/* test_runtime_crilog.c - runtime/crilog.c: CRI log lines as the kubelet
 * parses them (kuberuntime/logs parseCRILog), Go's RFC3339Nano, the 16 KiB
 * split, and the termination message fallback (last 80 lines, 2048 bytes).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "crilog.h"

START_TEST (test_time_format)
{
  struct timespec ts = { 1700000000, 0 };
  char buf[CRILOG_TIME_MAX];

  crilog_format_time (&ts, buf);
  ck_assert_str_eq (buf, "2023-11-14T22:13:20Z");
  ts.tv_nsec = 123450000;
  crilog_format_time (&ts, buf);
  ck_assert_str_eq (buf, "2023-11-14T22:13:20.12345Z");
  ts.tv_nsec = 1;
  crilog_format_time (&ts, buf);
  ck_assert_str_eq (buf, "2023-11-14T22:13:20.000000001Z");
}
END_TEST

START_TEST (test_line_format)
{
  struct timespec ts = { 1700000000, 5 };
  size_t len;
  cleanup_free char *l
      = crilog_format_line (&ts, "stdout", false, "hi there", 8, &len);
  cleanup_free char *p = crilog_format_line (&ts, "stderr", true, "", 0, &len);

  ck_assert_str_eq (l, "2023-11-14T22:13:20.000000005Z stdout F hi there\n");
  ck_assert_str_eq (p, "2023-11-14T22:13:20.000000005Z stderr P \n");
  ck_assert_int_eq (len, strlen (p));
}
END_TEST

static char *
read_all (const char *path)
{
  FILE *f = fopen (path, "r");
  char *buf = calloc (1, 1 << 20);
  size_t n = fread (buf, 1, (1 << 20) - 1, f);
  buf[n] = '\0';
  fclose (f);
  return buf;
}

static int
count (const char *s, const char *needle)
{
  int n = 0;
  while ((s = strstr (s, needle)) != NULL)
    n++, s++;
  return n;
}

START_TEST (test_stream_split)
{
  char path[] = "/tmp/test_crilog.XXXXXX";
  int fd = mkstemp (path);
  struct crilog_stream *s = malloc (sizeof (*s));
  berth_error_t err = NULL;
  cleanup_free char *big = malloc (CRILOG_MAX_LINE + 10);
  cleanup_free char *text = NULL;

  memset (big, 'x', CRILOG_MAX_LINE + 10);
  crilog_stream_init (s, "stdout", fd);
  ck_assert_int_eq (crilog_stream_feed (s, "a\nb", 3, &err), 0);
  ck_assert_int_eq (crilog_stream_feed (s, "c\n\n", 3, &err), 0);
  ck_assert_int_eq (crilog_stream_feed (s, big, CRILOG_MAX_LINE + 10, &err), 0);
  ck_assert_int_eq (crilog_stream_feed (s, "\ntail", 5, &err), 0);
  ck_assert_int_eq (crilog_stream_flush (s, &err), 0);
  text = read_all (path);
  ck_assert_int_eq (count (text, " stdout F a\n"), 1);
  ck_assert_int_eq (count (text, " stdout F bc\n"), 1);
  ck_assert_int_eq (count (text, " stdout F \n"), 1);
  ck_assert_int_eq (count (text, " stdout P x"), 1);
  ck_assert_int_eq (count (text, " stdout F xxxxxxxxxx\n"), 1);
  ck_assert_int_eq (count (text, " stdout P tail\n"), 1);
  ck_assert_int_eq (count (text, "\n"), 6);
  close (fd);
  unlink (path);
  free (s);
}
END_TEST

START_TEST (test_tail_text)
{
  char path[] = "/tmp/test_crilog.XXXXXX";
  int fd = mkstemp (path), i;
  struct crilog_stream *s = malloc (sizeof (*s));
  berth_error_t err = NULL;
  char line[64];
  char *text = NULL;

  crilog_stream_init (s, "stderr", fd);
  for (i = 0; i < 100; i++)
    {
      snprintf (line, sizeof (line), "line %d\n", i);
      crilog_stream_feed (s, line, strlen (line), &err);
    }
  crilog_stream_feed (s, "part", 4, &err);
  crilog_stream_flush (s, &err);
  ck_assert_int_eq (crilog_tail_text (path, 80, 2048, &text, &err), 0);
  /* 80 lines: "line 21".."line 99" and the partial "part". */
  ck_assert_ptr_nonnull (strstr (text, "line 21\nline 22\n"));
  ck_assert_ptr_null (strstr (text, "line 20\n"));
  ck_assert_ptr_nonnull (strstr (text, "line 99\npart"));
  free (text);
  ck_assert_int_eq (crilog_tail_text (path, 80, 16, &text, &err), 0);
  ck_assert_str_eq (text, " 98\nline 99\npart");
  free (text);
  close (fd);
  unlink (path);

  /* Fewer lines than asked for. */
  fd = open (path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  crilog_stream_init (s, "stdout", fd);
  crilog_stream_feed (s, "line1\nlast-line\n", 16, &err);
  ck_assert_int_eq (crilog_tail_text (path, 80, 2048, &text, &err), 0);
  ck_assert_str_eq (text, "line1\nlast-line\n");
  free (text);
  close (fd);
  unlink (path);
  free (s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runtime_crilog");
  TCase *tc = tcase_create ("crilog");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_time_format);
  tcase_add_test (tc, test_line_format);
  tcase_add_test (tc, test_stream_split);
  tcase_add_test (tc, test_tail_text);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
