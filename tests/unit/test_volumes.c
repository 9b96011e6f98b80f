/* test_volumes.c - runtime/volumes*.c without mounts: downwardAPI formats
 * (pkg/fieldpath FormatMap, resourceFieldRef with divisor), the atomic
 * writer layout, subPath escapes, hostPath type errors. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "manifest.h"
#include "volumes.h"

static struct manifest man;
static char tmp[64];

static struct pod *
pod_from (const char *yaml)
{
  manifest_free (&man);
  memset (&man, 0, sizeof man);
  manifest_read_buffer ("test.yaml", yaml, strlen (yaml), &man);
  ck_assert_ptr_nonnull (man.objects[0]->info);
  return man.objects[0]->data;
}

static void
setup (void)
{
  snprintf (tmp, sizeof tmp, "/tmp/test_volumes.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (tmp));
}

static void
teardown (void)
{
  berth_error_t err = NULL;
  volumes_remove_tree (tmp, &err);
  berth_error_release (&err);
}

static const char pod_yaml[]
    = "apiVersion: v1\nkind: Pod\n"
      "metadata:\n  name: p\n  namespace: ns\n  uid: u-1\n"
      "  labels: {zone: us-est-coast, cluster: test-cluster1, rack: "
      "\"rack-22\", q: 'a\"b\\c'}\n"
      "  annotations: {build: two}\n"
      "spec:\n  containers:\n  - name: c\n    image: busybox\n"
      "    resources: {limits: {cpu: 250m, memory: 64Mi}, requests: {cpu: "
      "125m, memory: 32Mi}}\n";

static char *
value (const char *field, const char *container, const char *res,
       const char *divisor)
{
  struct object_field_selector fs = { NULL, (char *)field };
  struct quantity d;
  struct resource_field_selector rs
      = { (char *)container, (char *)res, divisor ? &d : NULL };
  struct downward_api_file f = { .path = (char *)"f" };
  berth_error_t err = NULL;
  char *out = NULL;

  if (divisor)
    ck_assert_int_eq (quantity_parse (divisor, &d, &err), 0);
  if (field)
    f.field_ref = &fs;
  else
    f.resource_field_ref = &rs;
  ck_assert_int_eq (
      volumes_downward_value (pod_from (pod_yaml), &f, &out, &err), 0);
  return out;
}

START_TEST (downward_fields)
{
  cleanup_free char *labels = value ("metadata.labels", NULL, NULL, NULL);
  cleanup_free char *name = value ("metadata.name", NULL, NULL, NULL);
  cleanup_free char *one = value ("metadata.labels['rack']", NULL, NULL, NULL);
  cleanup_free char *ann = value ("metadata.annotations", NULL, NULL, NULL);
  ck_assert_str_eq (labels, "cluster=\"test-cluster1\"\nq=\"a\\\"b\\\\c\"\n"
                            "rack=\"rack-22\"\nzone=\"us-est-coast\"");
  ck_assert_str_eq (name, "p");
  ck_assert_str_eq (one, "rack-22");
  ck_assert_str_eq (ann, "build=\"two\"");
}
END_TEST

START_TEST (downward_resources)
{
  cleanup_free char *cpu = value (NULL, "c", "limits.cpu", NULL);
  cleanup_free char *cpum = value (NULL, "c", "limits.cpu", "1m");
  cleanup_free char *mem = value (NULL, "c", "limits.memory", "1Mi");
  cleanup_free char *req = value (NULL, "c", "requests.memory", NULL);
  ck_assert_str_eq (cpu, "1"); /* 250m rounded up to whole cores */
  ck_assert_str_eq (cpum, "250");
  ck_assert_str_eq (mem, "64");
  ck_assert_str_eq (req, "33554432");
}
END_TEST

START_TEST (atomic_writer_layout)
{
  struct volumes_file f[] = { { (char *)"a", (char *)"1", 1, 0644 },
                              { (char *)"d/b", (char *)"22", 2, 0600 } };
  struct volumes_file g[] = { { (char *)"a", (char *)"new", 3, 0644 } };
  berth_error_t err = NULL;
  char p[PATH_MAX + 32], l[PATH_MAX], first[256];
  ssize_t n;
  struct stat st;

  ck_assert_int_eq (volumes_atomic_write (tmp, f, 2, &err), 0);
  snprintf (p, sizeof p, "%s/..data", tmp);
  n = readlink (p, first, sizeof first - 1);
  ck_assert_int_gt (n, 0);
  first[n] = '\0';
  ck_assert_int_eq (strncmp (first, "..", 2), 0);
  snprintf (p, sizeof p, "%s/a", tmp);
  n = readlink (p, l, sizeof l - 1);
  l[n] = '\0';
  ck_assert_str_eq (l, "..data/a");
  snprintf (p, sizeof p, "%s/d", tmp);
  n = readlink (p, l, sizeof l - 1);
  l[n] = '\0';
  ck_assert_str_eq (l, "..data/d");
  snprintf (p, sizeof p, "%s/d/b", tmp);
  ck_assert_int_eq (stat (p, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0600);
  /* The same payload again (a periodic remount) writes nothing. */
  ck_assert_int_eq (volumes_atomic_write (tmp, f, 2, &err), 0);
  snprintf (p, sizeof p, "%s/..data", tmp);
  n = readlink (p, l, sizeof l - 1);
  ck_assert_int_gt (n, 0);
  l[n] = '\0';
  ck_assert_str_eq (l, first);
  /* A mode alone differs: written again. */
  f[1].mode = 0640;
  ck_assert_int_eq (volumes_atomic_write (tmp, f, 2, &err), 0);
  n = readlink (p, l, sizeof l - 1);
  l[n] = '\0';
  ck_assert_str_ne (l, first);
  snprintf (p, sizeof p, "%s/%s", tmp, first);
  ck_assert_int_ne (access (p, F_OK), 0);
  snprintf (p, sizeof p, "%s/..data", tmp);
  n = readlink (p, first, sizeof first - 1);
  first[n] = '\0';
  /* An update swaps ..data and drops the stale names and the old dir. */
  ck_assert_int_eq (volumes_atomic_write (tmp, g, 1, &err), 0);
  snprintf (p, sizeof p, "%s/d", tmp);
  ck_assert_int_ne (access (p, F_OK), 0);
  snprintf (p, sizeof p, "%s/%s", tmp, first);
  ck_assert_int_ne (access (p, F_OK), 0);
  struct volumes_file bad = { (char *)"../x", (char *)"", 0, 0644 };
  ck_assert_int_lt (volumes_atomic_write (tmp, &bad, 1, &err), 0);
  berth_error_release (&err);
}
END_TEST

START_TEST (subpath_escape)
{
  berth_error_t err = NULL;
  char vol[PATH_MAX + 8], p[PATH_MAX + 32];
  cleanup_free char *ok = NULL, *made = NULL;
  char *out = NULL;

  snprintf (vol, sizeof vol, "%s/vol", tmp);
  ck_assert_int_eq (mkdir (vol, 0755), 0);
  snprintf (p, sizeof p, "%s/out", vol);
  ck_assert_int_eq (symlink ("/etc", p), 0);
  snprintf (p, sizeof p, "%s/up", vol);
  ck_assert_int_eq (symlink ("..", p), 0);
  snprintf (p, sizeof p, "%s/in", vol);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  ck_assert_int_lt (volumes_resolve_subpath (vol, "out", &out, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "escapes volume"));
  berth_error_release (&err);
  ck_assert_int_lt (volumes_resolve_subpath (vol, "up/x", &out, &err), 0);
  berth_error_release (&err);
  ck_assert_int_lt (volumes_resolve_subpath (vol, "../vol", &out, &err), 0);
  berth_error_release (&err);
  ck_assert_int_lt (volumes_resolve_subpath (vol, "/etc", &out, &err), 0);
  berth_error_release (&err);
  ck_assert_int_eq (volumes_resolve_subpath (vol, "in", &ok, &err), 0);
  snprintf (p, sizeof p, "%s/in", vol);
  ck_assert_str_eq (ok, p);
  ck_assert_int_eq (volumes_resolve_subpath (vol, "new/deep", &made, &err), 0);
  snprintf (p, sizeof p, "%s/new/deep", vol);
  ck_assert_str_eq (made, p);
}
END_TEST

START_TEST (host_path_types)
{
  char yaml[2 * PATH_MAX];
  struct volumes_set set;
  berth_error_t err = NULL;
  char expect[PATH_MAX + 64];

  snprintf (yaml, sizeof yaml,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
            "  containers: [{name: c, image: busybox}]\n"
            "  volumes:\n"
            "  - {name: made, hostPath: {path: %s/made, type: "
            "DirectoryOrCreate}}\n"
            "  - {name: f, hostPath: {path: %s/made, type: File}}\n",
            tmp, tmp);
  ck_assert_int_lt (volumes_setup (tmp, pod_from (yaml), NULL, &set, &err), 0);
  snprintf (expect, sizeof expect,
            "volume \"f\": hostPath type check failed: %s/made is not a file",
            tmp);
  ck_assert_str_eq (berth_error_msg (&err), expect);
  berth_error_release (&err);
  volumes_set_clear (&set);
}
END_TEST

START_TEST (config_map_missing)
{
  struct volumes_set set;
  berth_error_t err = NULL;
  const char *yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                     "  containers: [{name: c, image: busybox}]\n"
                     "  volumes: [{name: cfg, configMap: {name: x}}]\n";
  ck_assert_int_lt (volumes_setup (tmp, pod_from (yaml), NULL, &set, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "volume \"cfg\": configmap \"x\" not found");
  berth_error_release (&err);
  volumes_set_clear (&set);
}
END_TEST

static struct manifest objs;

static const struct config_map *
lookup_cm (void *ctx, const char *ns, const char *name)
{
  size_t i;
  (void)ctx;
  (void)ns;
  for (i = 0; i < objs.len; i++)
    if (objs.objects[i]->info && objs.objects[i]->info->id == KIND_CONFIG_MAP
        && strcmp (object_name (objs.objects[i]), name) == 0)
      return objs.objects[i]->data;
  return NULL;
}

static char *
slurp (const char *path)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = fopen (path, "re"), *m = open_memstream (&buf, &len);
  int c;
  while (f && (c = fgetc (f)) != EOF)
    fputc (c, m);
  if (f)
    fclose (f);
  fclose (m);
  return buf;
}

START_TEST (config_map_volume)
{
  static const char cm[]
      = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
        "data: {k1: one, k2: two}\nbinaryData: {bin: AAEC}\n";
  static const char pod[]
      = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: busybox}]\n"
        "  volumes:\n"
        "  - name: all\n    configMap: {name: cm, defaultMode: 0600}\n"
        "  - name: some\n    configMap:\n      name: cm\n"
        "      items: [{key: k2, path: a/b/two, mode: 0444}, {key: nope, "
        "path: x}]\n      optional: true\n"
        "  - name: info\n    downwardAPI:\n      items: [{path: nm, fieldRef: "
        "{fieldPath: metadata.name}}]\n";
  struct volumes_lookup lk = { lookup_cm, NULL, NULL };
  struct volumes_set set;
  berth_error_t err = NULL;
  char p[256];
  struct stat st;
  cleanup_free char *bin = NULL, *two = NULL, *n = NULL;

  manifest_read_buffer ("cm.yaml", cm, strlen (cm), &objs);
  if (volumes_setup (tmp, pod_from (pod), &lk, &set, &err) < 0)
    ck_abort_msg ("%s", berth_error_msg (&err));
  ck_assert_uint_eq (set.len, 3);
  snprintf (p, sizeof p, "%s/volumes/kubernetes.io~configmap/all", tmp);
  ck_assert_str_eq (volumes_find (&set, "all"), p);
  snprintf (p, sizeof p, "%s/k1", volumes_find (&set, "all"));
  ck_assert_int_eq (stat (p, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0600);
  snprintf (p, sizeof p, "%s/bin", volumes_find (&set, "all"));
  bin = slurp (p);
  ck_assert_int_eq (memcmp (bin, "\0\1\2", 3), 0);
  snprintf (p, sizeof p, "%s/a/b/two", volumes_find (&set, "some"));
  two = slurp (p);
  ck_assert_str_eq (two, "two");
  ck_assert_int_eq (stat (p, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0444);
  snprintf (p, sizeof p, "%s/x", volumes_find (&set, "some"));
  ck_assert_int_ne (access (p, F_OK), 0); /* optional: missing key skipped */
  snprintf (p, sizeof p, "%s/nm", volumes_find (&set, "info"));
  n = slurp (p);
  ck_assert_str_eq (n, "p");
  volumes_set_clear (&set);
  manifest_free (&objs);
}
END_TEST

START_TEST (config_map_missing_key)
{
  static const char cm[]
      = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
        "data: {k1: one}\n";
  static const char pod[]
      = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: busybox}]\n"
        "  volumes:\n  - name: v\n    configMap:\n      name: cm\n"
        "      items: [{key: nope, path: x}]\n";
  struct volumes_lookup lk = { lookup_cm, NULL, NULL };
  struct volumes_set set;
  berth_error_t err = NULL;

  manifest_read_buffer ("cm.yaml", cm, strlen (cm), &objs);
  ck_assert_int_lt (volumes_setup (tmp, pod_from (pod), &lk, &set, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "volume \"v\": configmap \"cm\" references non-existent "
                    "config key: nope");
  berth_error_release (&err);
  volumes_set_clear (&set);
  manifest_free (&objs);
}
END_TEST

static int
fake_token (void *ctx, const struct pod *pod,
            const struct service_account_token_projection *p, char **token,
            berth_error_t *err)
{
  (void)err;
  ck_assert_str_eq (ctx, "ctx");
  ck_assert_str_eq (pod->metadata.name, "p");
  ck_assert_str_eq (p->audience, "vault");
  ck_assert_int_eq (p->expiration_seconds.v, 7200);
  *token = strdup ("header.claims.sig");
  return 0;
}

START_TEST (projected_token)
{
  static const char pod[]
      = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: busybox}]\n"
        "  volumes:\n  - name: tok\n    projected:\n      sources:\n"
        "      - serviceAccountToken: {path: vault-token, audience: vault, "
        "expirationSeconds: 7200}\n";
  struct volumes_lookup lk = { .sa_token = fake_token, .sa_token_ctx = "ctx" };
  struct volumes_set set;
  berth_error_t err = NULL;
  char p[PATH_MAX + 32], buf[64] = "";
  FILE *f;
  struct stat st;

  /* without a token manager */
  ck_assert_int_lt (volumes_setup (tmp, pod_from (pod), NULL, &set, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "volume \"tok\": sources[0]: "
                                            "serviceAccountToken: no token "
                                            "issuer");
  berth_error_release (&err);
  volumes_set_clear (&set);
  /* with one: the token at its path, mode 0644 (projected's default) */
  ck_assert_int_eq (volumes_setup (tmp, pod_from (pod), &lk, &set, &err), 0);
  snprintf (p, sizeof p, "%s/vault-token", volumes_find (&set, "tok"));
  f = fopen (p, "re");
  ck_assert_ptr_nonnull (f);
  ck_assert_ptr_nonnull (fgets (buf, sizeof buf, f));
  fclose (f);
  ck_assert_str_eq (buf, "header.claims.sig");
  ck_assert_int_eq (stat (p, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0644);
  volumes_set_clear (&set);
}
END_TEST

static Suite *
volumes_suite (void)
{
  Suite *s = suite_create ("volumes");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, downward_fields);
  tcase_add_test (tc, downward_resources);
  tcase_add_test (tc, atomic_writer_layout);
  tcase_add_test (tc, subpath_escape);
  tcase_add_test (tc, host_path_types);
  tcase_add_test (tc, config_map_missing);
  tcase_add_test (tc, config_map_volume);
  tcase_add_test (tc, config_map_missing_key);
  tcase_add_test (tc, projected_token);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (volumes_suite ());
  int failed;
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  manifest_free (&man);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
