/* test_image_ref.c - image reference normalization (runtime/image_ref.c),
 * with vectors from distribution/reference's normalize_test.go and
 * reference_test.go (the library containerd and docker use). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "image_ref.h"

#define N(a) ((int)(sizeof (a) / sizeof ((a)[0])))
#define H64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

/* --- references -------------------------------------------------------- */

struct ref_case
{
  const char *in;
  const char *full; /* NULL: invalid */
  const char *why;  /* part of the error when invalid */
};

static const struct ref_case refs[] = {
  { "busybox", "docker.io/library/busybox:latest", NULL },
  { "busybox:1.36", "docker.io/library/busybox:1.36", NULL },
  { "foo/bar:1", "docker.io/foo/bar:1", NULL },
  { "docker/docker", "docker.io/docker/docker:latest", NULL },
  { "library/debian", "docker.io/library/debian:latest", NULL },
  { "docker.io/docker/docker", "docker.io/docker/docker:latest", NULL },
  { "docker.io/debian", "docker.io/library/debian:latest", NULL },
  { "index.docker.io/debian", "docker.io/library/debian:latest", NULL },
  { "index.docker.io/docker/docker", "docker.io/docker/docker:latest", NULL },
  { "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest",
    NULL },
  { "127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest", NULL },
  { "192.168.0.1", "docker.io/library/192.168.0.1:latest", NULL },
  { "192.168.0.1:80", "docker.io/library/192.168.0.1:80", NULL },
  { "192.168.0.1:8/debian", "192.168.0.1:8/debian:latest", NULL },
  { "localhost:5000/x", "localhost:5000/x:latest", NULL },
  { "localhost/x:2", "localhost/x:2", NULL },
  { "[fc00::1]:5000/docker", "[fc00::1]:5000/docker:latest", NULL },
  { "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest", NULL },
  { "Docker/docker", "Docker/docker:latest", NULL },
  { "test_com/foo", "docker.io/test_com/foo:latest", NULL },
  { "test.com:8080/foo", "test.com:8080/foo:latest", NULL },
  { "xn--n3h.com/foo", "xn--n3h.com/foo:latest", NULL },
  { "docker.io/library/foo/bar", "docker.io/library/foo/bar:latest", NULL },
  { "docker---rules/docker", "docker.io/docker---rules/docker:latest", NULL },
  { "dock__er/docker", "docker.io/dock__er/docker:latest", NULL },
  { "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "docker.io/library/"
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
    NULL },
  { "docker.io/" H64, "docker.io/library/" H64 ":latest", NULL },
  { "redis@sha256:" H64, "docker.io/library/redis@sha256:" H64, NULL },
  { "busybox:latest@sha256:" H64,
    "docker.io/library/busybox:latest@sha256:" H64, NULL },
  { "dmcgowan/myapp@sha256:" H64, "docker.io/dmcgowan/myapp@sha256:" H64,
    NULL },
  { "", NULL, "empty" },
  { H64, NULL, "64-byte hexadecimal" },
  { "docker/Docker", NULL, "must be lowercase" },
  { "docker.io/docker/Docker", NULL, "must be lowercase" },
  { "busybox:-x", NULL, "invalid tag" },
  { "busybox:a/b", NULL, "invalid reference format" },
  { "busybox:"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    NULL, "invalid tag" },
  { "busybox@sha256:abc", NULL, "invalid digest" },
  { "busybox@sha256:"
    "DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C",
    NULL, "lowercase" },
  { "busybox@md5:d41d8cd98f00b204e9800998ecf8427e", NULL, "unsupported" },
  { "-docker", NULL, "invalid reference format" },
  { "-docker/docker", NULL, "invalid reference format" },
  { "docker-/docker", NULL, "invalid reference format" },
  { "docker///docker", NULL, "invalid reference format" },
  { "____/____", NULL, "invalid reference format" },
  { "dock..er/docker", NULL, "invalid reference format" },
  { "dock_.er/docker", NULL, "invalid reference format" },
  { "docker/", NULL, "invalid reference format" },
  { "https://github.com/docker/docker", NULL, "invalid reference format" },
  { "[fc00::1]", NULL, "invalid tag" },
  { "fc00::1:5000/debian", NULL, "invalid reference format" },
  { "[fe80::1%eth0]:5000/debian", NULL, "invalid reference format" },
  { "[2001:db8:3:4::192.0.2.33]:5000/debian", NULL,
    "invalid reference format" },
  { "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_"
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_"
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_"
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/"
    "docker",
    NULL, "255" },
};

START_TEST (test_ref)
{
  const struct ref_case *c = &refs[_i];
  struct image_ref r = { 0 };
  berth_error_t err = NULL;
  int ret = image_ref_parse (c->in, &r, &err);

  if (c->full)
    {
      ck_assert_msg (ret == 0, "%s: %s", c->in, berth_error_msg (&err));
      ck_assert_str_eq (r.full, c->full);
    }
  else
    {
      ck_assert_msg (ret < 0, "%s: accepted as %s", c->in, r.full);
      ck_assert_msg (strstr (berth_error_msg (&err), c->why),
                     "%s: error \"%s\" lacks \"%s\"", c->in,
                     berth_error_msg (&err), c->why);
    }
  image_ref_clear (&r);
  berth_error_release (&err);
}
END_TEST

START_TEST (test_ref_parts)
{
  struct image_ref r = { 0 };
  berth_error_t err = NULL;

  ck_assert_int_eq (
      image_ref_parse ("localhost:5000/a/b:t@sha256:" H64, &r, &err), 0);
  ck_assert_str_eq (r.domain, "localhost:5000");
  ck_assert_str_eq (r.path, "a/b");
  ck_assert_str_eq (r.tag, "t");
  ck_assert_str_eq (r.digest, "sha256:" H64);
  ck_assert_str_eq (r.name, "localhost:5000/a/b");
  image_ref_clear (&r);
}
END_TEST

START_TEST (test_digest_problem)
{
  ck_assert_ptr_null (image_ref_digest_problem ("sha256:" H64));
  ck_assert_ptr_nonnull (image_ref_digest_problem ("sha256:" H64 "0"));
  ck_assert_ptr_nonnull (image_ref_digest_problem (H64));
}
END_TEST

static Suite *
ref_suite (void)
{
  Suite *s = suite_create ("image_ref");
  TCase *tc = tcase_create ("core");

  tcase_add_loop_test (tc, test_ref, 0, N (refs));
  tcase_add_test (tc, test_ref_parts);
  tcase_add_test (tc, test_digest_problem);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (ref_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
