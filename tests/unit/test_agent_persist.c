/* test_agent_persist.c - the store on disk (round trip in a temp dir) and
 * the manifest directory source (scans without a loop). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "persist.h"
#include "source_dir.h"
#include "store.h"

static char tmp[64];

static void
setup (void)
{
  strcpy (tmp, "/tmp/berth-persist-XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (tmp));
}

static void
teardown (void)
{
  char cmd[128];
  snprintf (cmd, sizeof (cmd), "rm -rf %s", tmp);
  ck_assert_int_eq (system (cmd), 0);
}

static struct object *
obj (const char *yaml)
{
  struct manifest m;
  struct object *o;
  manifest_read_buffer ("t.yaml", yaml, strlen (yaml), &m);
  o = m.objects[0];
  m.objects[0] = NULL;
  manifest_free (&m);
  return o;
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  char path[256];
  FILE *f;
  snprintf (path, sizeof (path), "%s/%s", dir, name);
  f = fopen (path, "w");
  ck_assert_ptr_nonnull (f);
  fputs (text, f);
  fclose (f);
}

START_TEST (test_round_trip)
{
  struct store s, s2;
  struct persist p, p2;
  struct store_entry *e, *d;
  enum store_result res;
  berth_error_t err = NULL;
  char root[128];
  struct object *sp = obj ("apiVersion: v1\nkind: Pod\nmetadata: {name: st}\n"
                           "spec:\n  containers: [{name: c, image: a}]\n");

  snprintf (root, sizeof (root), "%s/state/root", tmp);
  store_init (&s);
  ck_assert_int_eq (persist_open (&p, root, &err), 0);
  s.on_change = persist_on_change;
  s.change_data = &p;
  ck_assert_int_eq (
      store_apply (&s,
                   obj ("apiVersion: v1\nkind: Pod\nmetadata: {name: web, "
                        "namespace: dev}\nspec:\n  containers: [{name: c, "
                        "image: a}]\n"),
                   "api", STORE_UPSERT, NULL, &res, NULL, &err),
      0);
  ck_assert_int_eq (
      store_apply (&s,
                   obj ("apiVersion: batch/v1\nkind: Job\nmetadata: {name: "
                        "j}\nspec:\n  template:\n    spec:\n      "
                        "restartPolicy: Never\n      containers: [{name: c, "
                        "image: a}]\n"),
                   "api", STORE_UPSERT, NULL, &res, NULL, &err),
      0);
  ck_assert_int_eq (store_apply (&s,
                                 obj ("apiVersion: v1\nkind: ConfigMap\n"
                                      "metadata: {name: gone}\n"),
                                 "api", STORE_UPSERT, NULL, &res, NULL, &err),
                    0);
  store_static_pod_defaults (sp, "n1", "/m/st.yaml", 5000);
  ck_assert_int_eq (store_apply (&s, sp, "file:/m/st.yaml", STORE_UPSERT, NULL,
                                 &res, NULL, &err),
                    0);
  ck_assert_int_eq (
      store_delete (&s, kind_lookup ("ConfigMap"), "default", "gone", &d, &err),
      0);
  store_entry_free (d);
  persist_close (&p);

  store_init (&s2);
  ck_assert_int_eq (persist_open (&p2, root, &err), 0);
  ck_assert_int_eq (persist_load (&p2, &s2, NULL, NULL, &err), 0);
  ck_assert_uint_eq (s2.len, 3);
  ck_assert_uint_eq (s2.rv, s.rv); /* the deleted object's rv is not reused */
  for (size_t i = 0; i < s.len; i++)
    {
      const struct object *o = s.items[i]->obj;
      struct node *a, *b;
      e = store_get (&s2, o->info, object_namespace (o), object_name (o));
      ck_assert_ptr_nonnull (e);
      ck_assert_str_eq (e->source, s.items[i]->source);
      a = store_entry_encode (e);
      b = store_entry_encode (s.items[i]);
      ck_assert_msg (node_equal (a, b), "%s differs after reload",
                     object_name (o));
      node_unref (a);
      node_unref (b);
    }
  e = store_get (&s2, kind_lookup ("Pod"), "default", "st-n1");
  ck_assert_ptr_nonnull (e);
  ck_assert_str_eq (k8s_get_str (e->status, "phase"), "Pending");
  persist_close (&p2);
  store_free (&s);
  store_free (&s2);
}
END_TEST

static size_t
count_source (struct store *s, const char *prefix)
{
  size_t n = 0;
  for (size_t i = 0; i < s->len; i++)
    n += strncmp (s->items[i]->source, prefix, strlen (prefix)) == 0;
  return n;
}

START_TEST (test_source_dir)
{
  struct store s;
  struct source_dir d = { 0 };
  char dir[128], path[256];
  const struct kind_info *pod = kind_lookup ("Pod");
  const struct kind_info *cm = kind_lookup ("ConfigMap");
  struct store_entry *e;
  cleanup_free char *uid = NULL, *rv = NULL;

  snprintf (dir, sizeof (dir), "%s/m", tmp);
  mkdir (dir, 0700);
  store_init (&s);
  d.dir = dir;
  d.node_name = (char *)"n1";
  d.store = &s;
  write_file (dir, "web.yaml",
              "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  "
              "containers: [{name: c, image: a}]\n---\napiVersion: v1\nkind: "
              "ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n");
  write_file (dir, ".hidden.yaml", "this: is: skipped");
  source_dir_scan (&d);
  ck_assert_uint_eq (s.len, 2);
  ck_assert_uint_eq (s.nevents, 0);
  e = store_get (&s, pod, "default", "web-n1");
  ck_assert_ptr_nonnull (e);
  snprintf (path, sizeof (path), "file:%s/web.yaml", dir);
  ck_assert_str_eq (e->source, path);
  uid = xstrdup (object_meta (e->obj)->uid);
  rv = xstrdup (object_meta (e->obj)->resource_version);
  /* a rescan of the same content changes nothing */
  source_dir_scan (&d);
  e = store_get (&s, pod, "default", "web-n1");
  ck_assert_str_eq (object_meta (e->obj)->resource_version, rv);
  /* a broken file keeps everything */
  write_file (dir, "web.yaml", "kind: [unclosed");
  source_dir_scan (&d);
  ck_assert_uint_eq (s.len, 2);
  ck_assert_uint_eq (s.nevents, 1);
  ck_assert_str_eq (s.events[0].reason, "FailedToLoad");
  ck_assert_ptr_nonnull (strstr (s.events[0].message, "web.yaml"));
  /* one good and one bad object: the good one applied, nothing removed */
  write_file (dir, "web.yaml",
              "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  "
              "containers: [{name: c}]\n---\napiVersion: v1\nkind: "
              "ConfigMap\nmetadata: {name: cfg}\ndata: {a: c}\n");
  source_dir_scan (&d);
  ck_assert_uint_eq (s.len, 2);
  e = store_get (&s, pod, "default", "web-n1");
  ck_assert_str_eq (object_meta (e->obj)->uid, uid);
  e = store_get (&s, cm, "default", "cfg");
  ck_assert_str_eq (
      strmap_get (&((struct config_map *)e->obj->data)->data, "a"), "c");
  ck_assert_str_eq (s.events[1].obj_name, "web-n1");
  ck_assert_ptr_nonnull (
      strstr (s.events[1].message, "spec.containers[0].image: Required value"));
  /* a changed pod: replaced with a new uid; the ConfigMap removed */
  write_file (dir, "web.yaml",
              "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  "
              "containers: [{name: c, image: b}]\n");
  source_dir_scan (&d);
  ck_assert_uint_eq (s.len, 1);
  e = store_get (&s, pod, "default", "web-n1");
  ck_assert_str_ne (object_meta (e->obj)->uid, uid);
  /* a removed file removes its objects */
  snprintf (path, sizeof (path), "%s/web.yaml", dir);
  unlink (path);
  source_dir_scan (&d);
  ck_assert_uint_eq (count_source (&s, "file:"), 0);
  for (size_t i = 0; i < d.nfiles; i++)
    free (d.files[i].path);
  free (d.files);
  store_free (&s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("agent_persist");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_source_dir);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
