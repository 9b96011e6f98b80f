/* test_runtime_security.c - runtime/security.c and runtime/seccomp_profile.c:
 * user resolution against /etc/passwd and /etc/group texts (containerd's
 * WithUser/WithAdditionalGIDs), the kubelet's runAsNonRoot messages
 * (verifyRunAsNonRoot), capability sets (containerd's defaults and
 * WithCapabilities), and seccomp profiles (RuntimeDefault rule counts and
 * actions, Localhost JSON), and the cache of compiled filters.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp_cache.h"
#include "seccomp_profile.h"
#include "security.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# comment\n"
                             "daemon:x:1:1::/:/bin/false\n"
                             "app:x:1000:1001:App:/home/app:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/:/bin/false\n";
static const char group[] = "root:x:0:\n"
                            "wheel:x:10:root,app\n"
                            "app:x:1001:\n"
                            "video:x:44:app\n"
                            "nogroup:x:65534:\n";

static void
resolve (struct security_user_spec *spec, struct security_user *u)
{
  berth_error_t err = NULL;
  int ret = security_user_resolve_text (spec, passwd, group, u, &err);
  ck_assert_msg (ret == 0, "%s", berth_error_msg (&err));
}

START_TEST (test_user_image_name)
{
  struct security_user_spec spec = { .image_user = "app" };
  struct security_user u;

  resolve (&spec, &u);
  ck_assert_int_eq (u.uid, 1000);
  ck_assert_int_eq (u.gid, 1001);
  ck_assert_int_eq (u.groups_len, 3);
  ck_assert_int_eq (u.groups[0], 1001);
  ck_assert_int_eq (u.groups[1], 10);
  ck_assert_int_eq (u.groups[2], 44);
  security_user_free (&u);
}
END_TEST

START_TEST (test_user_numeric_and_groups)
{
  struct security_user_spec spec = { .image_user = "" };
  int64_t extra[] = { 2000, 10 };
  struct security_user u;
  berth_error_t err = NULL;

  /* No user: root, with root's memberships. */
  resolve (&spec, &u);
  ck_assert_int_eq (u.uid, 0);
  ck_assert_int_eq (u.gid, 0);
  ck_assert_int_eq (u.groups_len, 2);
  security_user_free (&u);
  /* A uid not in passwd: gid 0. */
  spec.image_user = "4242";
  resolve (&spec, &u);
  ck_assert_int_eq (u.uid, 4242);
  ck_assert_int_eq (u.gid, 0);
  security_user_free (&u);
  /* user:group by names and numbers. */
  spec.image_user = "app:video";
  resolve (&spec, &u);
  ck_assert_int_eq (u.uid, 1000);
  ck_assert_int_eq (u.gid, 44);
  security_user_free (&u);
  spec.image_user = "1000:7";
  resolve (&spec, &u);
  ck_assert_int_eq (u.gid, 7);
  security_user_free (&u);
  /* runAsUser/runAsGroup win over the image; supplemental groups added
   * once. */
  spec.image_user = "nobody";
  spec.run_as_user_set = true;
  spec.run_as_user = 1000;
  spec.run_as_group_set = true;
  spec.run_as_group = 3000;
  spec.supplemental_groups = extra;
  spec.supplemental_groups_len = 2;
  resolve (&spec, &u);
  ck_assert_int_eq (u.uid, 1000);
  ck_assert_int_eq (u.gid, 3000);
  ck_assert_int_eq (u.groups_len, 4); /* 3000, 10, 44, 2000 */
  ck_assert_int_eq (u.groups[3], 2000);
  security_user_free (&u);
  /* Unknown names. */
  memset (&spec, 0, sizeof (spec));
  spec.image_user = "ghost";
  ck_assert_int_lt (security_user_resolve_text (&spec, passwd, group, &u, &err),
                    0);
  ck_assert_str_eq (berth_error_msg (&err), "unable to find user ghost: no "
                                            "matching entries in passwd file");
  berth_error_release (&err);
  spec.image_user = "app:ghosts";
  ck_assert_int_lt (security_user_resolve_text (&spec, passwd, group, &u, &err),
                    0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "group ghosts"));
  berth_error_release (&err);
  security_user_free (&u);
  /* No /etc/passwd at all: numeric users still work. */
  spec.image_user = "0";
  ck_assert_int_eq (security_user_resolve_text (&spec, NULL, NULL, &u, &err),
                    0);
  ck_assert_int_eq (u.uid, 0);
  security_user_free (&u);
}
END_TEST

START_TEST (test_run_as_non_root)
{
  struct security_user_spec spec = { .image_user = "" };
  berth_error_t err = NULL;
  const char *pod = "web_default(1234)";

  ck_assert_int_lt (security_verify_run_as_non_root (&spec, pod, "app", &err),
                    0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "container has runAsNonRoot and image will run as root "
                    "(pod: \"web_default(1234)\", container: app)");
  berth_error_release (&err);
  spec.image_user = "0:0";
  ck_assert_int_lt (security_verify_run_as_non_root (&spec, pod, "app", &err),
                    0);
  berth_error_release (&err);
  spec.image_user = "app";
  ck_assert_int_lt (security_verify_run_as_non_root (&spec, pod, "app", &err),
                    0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "container has runAsNonRoot and image has non-numeric "
                    "user (app), cannot verify user is non-root (pod: "
                    "\"web_default(1234)\", container: app)");
  berth_error_release (&err);
  spec.image_user = "1000";
  ck_assert_int_eq (security_verify_run_as_non_root (&spec, pod, "app", &err),
                    0);
  spec.run_as_user_set = true;
  spec.run_as_user = 0;
  ck_assert_int_lt (security_verify_run_as_non_root (&spec, pod, "app", &err),
                    0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "container's runAsUser breaks non-root policy (pod: "
                    "\"web_default(1234)\", container: app)");
  berth_error_release (&err);
  spec.image_user = "";
  spec.run_as_user = 1000;
  ck_assert_int_eq (security_verify_run_as_non_root (&spec, pod, "app", &err),
                    0);
}
END_TEST

START_TEST (test_caps)
{
  const char *add[] = { "NET_ADMIN", "cap_sys_time" };
  const char *drop[] = { "CHOWN", "NET_ADMIN" };
  const char *all[] = { "ALL" };
  const char *bad[] = { "FLY" };
  berth_error_t err = NULL;
  uint64_t m;

  ck_assert_uint_eq (security_default_caps (), 0xa80425fbULL);
  ck_assert_int_eq (security_caps_compute (false, NULL, 0, NULL, 0, &m, &err),
                    0);
  ck_assert_uint_eq (m, 0xa80425fbULL);
  ck_assert_int_eq (security_caps_compute (false, add, 2, drop, 2, &m, &err),
                    0);
  ck_assert_uint_eq (m, (0xa80425fbULL | (1ULL << CAP_SYS_TIME)) & ~1ULL);
  ck_assert_int_eq (security_caps_compute (false, add, 1, all, 1, &m, &err), 0);
  ck_assert_uint_eq (m, 1ULL << CAP_NET_ADMIN);
  ck_assert_int_eq (security_caps_compute (false, all, 1, drop, 1, &m, &err),
                    0);
  ck_assert_uint_eq (m, security_all_caps () & ~1ULL);
  ck_assert_int_eq (security_caps_compute (true, NULL, 0, all, 1, &m, &err), 0);
  ck_assert_uint_eq (m, security_all_caps ());
  ck_assert_int_lt (security_caps_compute (false, bad, 1, NULL, 0, &m, &err),
                    0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "capabilities.add[0]: unknown capability \"FLY\"");
  berth_error_release (&err);
}
END_TEST

static const struct seccomp_profile_rule *
find_rule (const struct seccomp_profile *p, const char *name)
{
  size_t i;
  for (i = 0; i < p->len; i++)
    if (strcmp (p->rules[i].name, name) == 0)
      return &p->rules[i];
  return NULL;
}

START_TEST (test_seccomp_default)
{
  struct seccomp_profile p;
  const struct seccomp_profile_rule *r;
  berth_error_t err = NULL;
  void *ctx = NULL;
  size_t i, n;
  int added;

  seccomp_profile_runtime_default (security_default_caps (), 6, 1, &p);
  ck_assert_int_eq (p.default_action, SECCOMP_PROFILE_ERRNO);
  ck_assert_int_eq (p.default_errno, EPERM);
  /* Denied without CAP_SYS_ADMIN & co: not in the list at all. */
  for (i = 0; i < 14; i++)
    {
      static const char *const denied[]
          = { "mount",       "umount2",       "pivot_root", "unshare",
              "setns",       "keyctl",        "add_key",    "request_key",
              "kexec_load",  "init_module",   "reboot",     "bpf",
              "userfaultfd", "io_uring_setup" };
      ck_assert_msg (find_rule (&p, denied[i]) == NULL, "%s allowed",
                     denied[i]);
    }
  r = find_rule (&p, "clone");
  ck_assert_ptr_nonnull (r);
  ck_assert_int_eq (r->nargs, 1);
  ck_assert_int_eq (r->args[0].op, SECCOMP_PROFILE_OP_MASKED_EQ);
  ck_assert_uint_eq (r->args[0].value, 2114060288ULL);
  r = find_rule (&p, "clone3");
  ck_assert_int_eq (r->action, SECCOMP_PROFILE_ERRNO);
  ck_assert_int_eq (r->errno_ret, ENOSYS);
  ck_assert_ptr_nonnull (find_rule (&p, "ptrace"));
  ck_assert_ptr_nonnull (find_rule (&p, "chroot")); /* SYS_CHROOT default */
  for (n = 0, i = 0; i < p.len; i++)
    n += strcmp (p.rules[i].name, "personality") == 0;
  ck_assert_int_eq (n, 5);
  n = p.len;
  added = seccomp_profile_build (&p, &ctx, &err);
  ck_assert_msg (added > 300, "%d rules added", added);
  seccomp_profile_ctx_release (ctx);
  seccomp_profile_free (&p);

  /* With CAP_SYS_ADMIN: mount & co allowed, clone unfiltered. */
  seccomp_profile_runtime_default (
      security_default_caps () | (1ULL << CAP_SYS_ADMIN), 4, 4, &p);
  ck_assert_ptr_nonnull (find_rule (&p, "mount"));
  ck_assert_ptr_nonnull (find_rule (&p, "setns"));
  ck_assert_int_eq (find_rule (&p, "clone")->nargs, 0);
  ck_assert_ptr_null (find_rule (&p, "ptrace")); /* kernel < 4.8 */
  /* + 23 CAP_SYS_ADMIN names, - ptrace & co, - filtered clone, clone3 */
  ck_assert_int_eq (p.len, n + 23 - 3 - 2);
  seccomp_profile_free (&p);
}
END_TEST

START_TEST (test_seccomp_localhost)
{
  static const char json[]
      = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
        "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],"
        "\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
        "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
        "{\"name\":\"mkdir\",\"action\":\"SCMP_ACT_LOG\"},"
        "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\","
        "\"errnoRet\":13}]}";
  static const char bad[]
      = "{\"defaultAction\":\"SCMP_ACT_NOPE\",\"syscalls\":[]}";
  struct seccomp_profile p;
  berth_error_t err = NULL;
  void *ctx = NULL;

  ck_assert_int_eq (
      seccomp_profile_parse ("x.json", json, sizeof (json) - 1, &p, &err), 0);
  ck_assert_int_eq (p.default_errno, 38);
  ck_assert_int_eq (p.len, 6);
  ck_assert_int_eq (find_rule (&p, "personality")->args[0].value, 8);
  ck_assert_int_eq (find_rule (&p, "mkdir")->action, SECCOMP_PROFILE_LOG);
  ck_assert_int_eq (find_rule (&p, "chmod")->errno_ret, 13);
  ck_assert_int_eq (seccomp_profile_build (&p, &ctx, &err), 6);
  seccomp_profile_ctx_release (ctx);
  seccomp_profile_free (&p);
  ck_assert_int_lt (
      seccomp_profile_parse ("bad.json", bad, sizeof (bad) - 1, &p, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "bad.json: defaultAction: "
                                            "unknown action \"SCMP_ACT_NOPE\"");
  berth_error_release (&err);
}
END_TEST

/* The only entry of DIR (a path the caller frees). */
static char *
cache_entry (const char *dir, size_t *count)
{
  char *path = NULL;
  DIR *d = opendir (dir);
  struct dirent *de;

  *count = 0;
  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      {
        (*count)++;
        free (path);
        ck_assert_int_gt (asprintf (&path, "%s/%s", dir, de->d_name), 0);
      }
  closedir (d);
  return path;
}

START_TEST (test_seccomp_cache)
{
  static const char json[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                             "\"syscalls\":[{\"names\":[\"read\"],"
                             "\"action\":\"SCMP_ACT_ALLOW\"}]}";
  char tmpl[] = "/tmp/berth-seccomp-XXXXXX";
  char *dir = mkdtemp (tmpl);
  struct seccomp_profile p = { 0 }, q = { 0 };
  struct seccomp_bpf fresh, a, b, c;
  berth_error_t err = NULL;
  cleanup_free char *entry = NULL, *data = NULL;
  size_t n, len, prog;
  FILE *f;

  ck_assert_ptr_nonnull (dir);
  seccomp_profile_runtime_default (security_default_caps (), 6, 1, &p);
  ck_assert_int_eq (seccomp_cache_get (NULL, &p, &fresh, &err), 0);
  ck_assert_uint_gt (fresh.len, 300);

  /* compiled once, stored, and the same program as without the cache */
  ck_assert_int_eq (seccomp_cache_get (dir, &p, &a, &err), 0);
  entry = cache_entry (dir, &n);
  ck_assert_uint_eq (n, 1);
  ck_assert_uint_eq (a.len, fresh.len);
  prog = fresh.len * 8;
  ck_assert_int_eq (memcmp (a.insns, fresh.insns, prog), 0);

  /* the next start reads the entry: a byte changed in its program shows */
  f = fopen (entry, "r+");
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (fseek (f, -1, SEEK_END), 0);
  fputc (0x5a ^ ((unsigned char *)fresh.insns)[prog - 1], f);
  fclose (f);
  ck_assert_int_eq (seccomp_cache_get (dir, &p, &b, &err), 0);
  ck_assert_uint_eq (b.len, fresh.len);
  ck_assert_int_ne (memcmp (b.insns, fresh.insns, prog), 0);

  /* an entry for another profile under that name (a collision) is not
   * taken: recompiled, and the entry replaced */
  f = fopen (entry, "w");
  fputs ("berth-seccomp-bpf 1\nsomething else", f);
  fputc ('\0', f);
  fwrite (fresh.insns, 8, 4, f);
  fclose (f);
  ck_assert_int_eq (seccomp_cache_get (dir, &p, &c, &err), 0);
  ck_assert_uint_eq (c.len, fresh.len);
  ck_assert_int_eq (memcmp (c.insns, fresh.insns, prog), 0);
  f = fopen (entry, "r");
  data = malloc (1 << 20);
  len = fread (data, 1, 1 << 20, f);
  fclose (f);
  ck_assert_uint_gt (len, prog);
  ck_assert_int_eq (memcmp (data + len - prog, fresh.insns, prog), 0);
  seccomp_bpf_free (&b);
  seccomp_bpf_free (&c);

  /* another profile, another entry, another program */
  ck_assert_int_eq (
      seccomp_profile_parse ("x.json", json, sizeof (json) - 1, &q, &err), 0);
  ck_assert_int_eq (seccomp_cache_get (dir, &q, &b, &err), 0);
  free (cache_entry (dir, &n));
  ck_assert_uint_eq (n, 2);
  ck_assert_uint_lt (b.len, 20);

  seccomp_bpf_free (&fresh);
  seccomp_bpf_free (&a);
  seccomp_bpf_free (&b);
  seccomp_profile_free (&p);
  seccomp_profile_free (&q);
  unlink (entry);
  free (entry);
  entry = cache_entry (dir, &n);
  unlink (entry);
  rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runtime_security");
  TCase *tc = tcase_create ("security");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_user_image_name);
  tcase_add_test (tc, test_user_numeric_and_groups);
  tcase_add_test (tc, test_run_as_non_root);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_seccomp_default);
  tcase_add_test (tc, test_seccomp_localhost);
  tcase_add_test (tc, test_seccomp_cache);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
