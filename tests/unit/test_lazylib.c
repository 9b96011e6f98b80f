/* test_lazylib.c - lib/lazylib.c and its shims: a missing library and a
 * missing symbol are reported with their names; a loaded table works; the
 * shims load their library on first call and pass the variadic
 * curl_easy_setopt's long, string, function pointer and curl_off_t
 * arguments and curl_easy_getinfo's pointer through unchanged; a curl
 * multi handle loads nothing until an easy handle is added, then runs a
 * transfer with the options set before.
 */
#include <archive.h>
#include <check.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lazylib.h"

/* a table of our own, as a shim module has */
struct version_table
{
  char *(*curl_version) (void);
  void *(*missing) (void);
};

static const struct lazylib_sym missing_lib_syms[]
    = { { "curl_version", offsetof (struct version_table, curl_version) } };
static struct version_table missing_lib_table;
static void missing_lib_open (void);
static struct lazylib missing_lib
    = LAZYLIB_INIT ("libberth-test-absent.so.7", missing_lib_syms,
                    &missing_lib_table, missing_lib_open);
static void
missing_lib_open (void)
{
  lazylib_open (&missing_lib);
}

static const struct lazylib_sym missing_sym_syms[] = {
  { "curl_version", offsetof (struct version_table, curl_version) },
  { "berth_test_no_such_function", offsetof (struct version_table, missing) },
};
static struct version_table missing_sym_table;
static void missing_sym_open (void);
static struct lazylib missing_sym = LAZYLIB_INIT (
    BERTH_SONAME_CURL, missing_sym_syms, &missing_sym_table, missing_sym_open);
static void
missing_sym_open (void)
{
  lazylib_open (&missing_sym);
}

static struct version_table good_table;
static void good_open (void);
static struct lazylib good = LAZYLIB_INIT (BERTH_SONAME_CURL, missing_lib_syms,
                                           &good_table, good_open);
static void
good_open (void)
{
  lazylib_open (&good);
}

START_TEST (test_missing_library)
{
  const char *e;

  ck_assert_ptr_null (lazylib_get (&missing_lib));
  e = lazylib_last_error ();
  ck_assert_ptr_nonnull (e);
  ck_assert_msg (strstr (e, "libberth-test-absent.so.7") != NULL, "%s", e);
  /* dlerror()'s text follows the soname */
  ck_assert_msg (strstr (e, "cannot open shared object file") != NULL, "%s", e);
  /* loaded once: the second call fails the same way without retrying */
  ck_assert_ptr_null (lazylib_get (&missing_lib));
  ck_assert_str_eq (lazylib_last_error (), e);
}
END_TEST

START_TEST (test_missing_symbol)
{
  const char *e;

  ck_assert_ptr_null (lazylib_get (&missing_sym));
  e = lazylib_last_error ();
  ck_assert_ptr_nonnull (e);
  ck_assert_msg (strstr (e, BERTH_SONAME_CURL) != NULL, "%s", e);
  ck_assert_msg (strstr (e, "no symbol berth_test_no_such_function") != NULL,
                 "%s", e);
}
END_TEST

START_TEST (test_loaded_table)
{
  const struct version_table *t = lazylib_get (&good);

  ck_assert_ptr_nonnull (t);
  ck_assert_ptr_eq (t, &good_table);
  ck_assert_msg (strncmp (t->curl_version (), "libcurl/", 8) == 0, "%s",
                 t->curl_version ());
  ck_assert_ptr_eq (lazylib_get (&good), t);
}
END_TEST

START_TEST (test_shims_load_on_first_call)
{
  ck_assert_msg (strncmp (curl_version (), "libcurl/", 8) == 0, "%s",
                 curl_version ());
  ck_assert_msg (strncmp (archive_version_string (), "libarchive ", 11) == 0,
                 "%s", archive_version_string ());
  ck_assert_str_eq (curl_easy_strerror (CURLE_OK), "No error");
}
END_TEST

struct sink
{
  char buf[64];
  size_t len;
};

static size_t
on_write (char *data, size_t size, size_t n, void *userdata)
{
  struct sink *s = userdata;
  size_t len = size * n;

  if (len > sizeof s->buf - 1 - s->len)
    return 0;
  memcpy (s->buf + s->len, data, len);
  s->len += len;
  s->buf[s->len] = '\0';
  return len;
}

/* the bytes of file:///PATH from OFFSET: CURLOPT_RESUME_FROM (a long) or,
 * when LARGE, CURLOPT_RESUME_FROM_LARGE (a curl_off_t) */
static void
fetch (const char *path, long offset, bool large, struct sink *s,
       curl_off_t *downloaded)
{
  char url[4200];
  CURL *h = curl_easy_init ();
  CURLcode rc;

  ck_assert_ptr_nonnull (h);
  snprintf (url, sizeof url, "file://%s", path);
  memset (s, 0, sizeof *s);
  ck_assert_int_eq (curl_easy_setopt (h, CURLOPT_URL, url), CURLE_OK);
  ck_assert_int_eq (curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, on_write),
                    CURLE_OK);
  ck_assert_int_eq (curl_easy_setopt (h, CURLOPT_WRITEDATA, s), CURLE_OK);
  if (large)
    rc = curl_easy_setopt (h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)offset);
  else
    rc = curl_easy_setopt (h, CURLOPT_RESUME_FROM, offset);
  ck_assert_int_eq (rc, CURLE_OK);
  rc = curl_easy_perform (h);
  ck_assert_msg (rc == CURLE_OK, "%s", curl_easy_strerror (rc));
  ck_assert_int_eq (curl_easy_getinfo (h, CURLINFO_SIZE_DOWNLOAD_T, downloaded),
                    CURLE_OK);
  curl_easy_cleanup (h);
}

START_TEST (test_curl_setopt_forwarding)
{
  char path[] = "/tmp/berth-lazylib-XXXXXX";
  int fd = mkstemp (path);
  struct sink s;
  curl_off_t n = -1;

  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, "hello, lazy world", 17), 17);
  close (fd);
  ck_assert_int_eq (curl_global_init (CURL_GLOBAL_DEFAULT), CURLE_OK);

  fetch (path, 0, false, &s, &n);
  ck_assert_str_eq (s.buf, "hello, lazy world");
  ck_assert_int_eq (n, 17);
  fetch (path, 7, false, &s, &n); /* the long reached libcurl */
  ck_assert_str_eq (s.buf, "lazy world");
  ck_assert_int_eq (n, 10);
  fetch (path, 12, true, &s, &n); /* and the curl_off_t */
  ck_assert_str_eq (s.buf, "world");
  ck_assert_int_eq (n, 5);

  curl_global_cleanup ();
  unlink (path);
}
END_TEST

/* whether the dynamic linker has SONAME loaded */
static bool
loaded (const char *soname)
{
  void *h = dlopen (soname, RTLD_NOW | RTLD_NOLOAD);

  if (h)
    dlclose (h);
  return h != NULL;
}

struct timer_seen
{
  CURLM *multi;
  int calls;
};

static int
on_timer (CURLM *multi, long timeout_ms, void *userp)
{
  struct timer_seen *seen = userp;

  (void)timeout_ms;
  seen->multi = multi;
  seen->calls++;
  return 0;
}

START_TEST (test_curl_multi_deferred)
{
  char path[] = "/tmp/berth-lazylib-XXXXXX", url[64];
  int fd = mkstemp (path), running = -1, left = -1;
  struct timer_seen seen = { NULL, 0 };
  struct sink s = { .len = 0 };
  CURLM *m;
  CURL *e;
  CURLMsg *msg;

  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, "multi", 5), 5);
  close (fd);
  /* what the probe runner does at the agent's start */
  ck_assert_int_eq (curl_global_init (CURL_GLOBAL_DEFAULT), CURLE_OK);
  m = curl_multi_init ();
  ck_assert_ptr_nonnull (m);
  ck_assert_int_eq (curl_multi_setopt (m, CURLMOPT_TIMERFUNCTION, on_timer),
                    CURLM_OK);
  ck_assert_int_eq (curl_multi_setopt (m, CURLMOPT_TIMERDATA, &seen), CURLM_OK);
  ck_assert_int_eq (curl_multi_setopt (m, CURLMOPT_MAXCONNECTS, 4L), CURLM_OK);
  ck_assert_int_eq (
      curl_multi_socket_action (m, CURL_SOCKET_TIMEOUT, 0, &running), CURLM_OK);
  ck_assert_int_eq (running, 0);
  ck_assert_ptr_null (curl_multi_info_read (m, &left));
  ck_assert_int_eq (left, 0);
  ck_assert_msg (!loaded (BERTH_SONAME_CURL), "libcurl loaded before use");

  /* the first transfer loads it */
  e = curl_easy_init ();
  ck_assert_ptr_nonnull (e);
  snprintf (url, sizeof url, "file://%s", path);
  curl_easy_setopt (e, CURLOPT_URL, url);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, &s);
  ck_assert_int_eq (curl_multi_add_handle (m, e), CURLM_OK);
  ck_assert (loaded (BERTH_SONAME_CURL));
  /* the timer set before the load was set on the real handle, and it is
   * given the handle the caller holds */
  ck_assert_int_ge (seen.calls, 1);
  ck_assert_ptr_eq (seen.multi, m);
  running = -1;
  for (int i = 0; i < 100 && running != 0; i++)
    ck_assert_int_eq (
        curl_multi_socket_action (m, CURL_SOCKET_TIMEOUT, 0, &running),
        CURLM_OK);
  ck_assert_int_eq (running, 0);
  msg = curl_multi_info_read (m, &left);
  ck_assert_ptr_nonnull (msg);
  ck_assert_int_eq (msg->msg, CURLMSG_DONE);
  ck_assert_int_eq (msg->data.result, CURLE_OK);
  ck_assert_ptr_eq (msg->easy_handle, e);
  ck_assert_str_eq (s.buf, "multi");
  ck_assert_int_eq (curl_multi_remove_handle (m, e), CURLM_OK);
  curl_easy_cleanup (e);
  ck_assert_int_eq (curl_multi_cleanup (m), CURLM_OK);
  curl_global_cleanup ();
  unlink (path);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("lazylib");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_missing_library);
  tcase_add_test (tc, test_missing_symbol);
  tcase_add_test (tc, test_loaded_table);
  tcase_add_test (tc, test_shims_load_on_first_call);
  tcase_add_test (tc, test_curl_setopt_forwarding);
  tcase_add_test (tc, test_curl_multi_deferred);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
