/* test_agent_store.c - the agent's object store: API-server metadata,
 * re-apply semantics, static pod defaults, the event correlator, and the
 * HTTP API's routes and Status bodies (api_handle, without a socket). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "store.h"

static struct object *
obj (const char *yaml)
{
  struct manifest m;
  struct object *o;
  manifest_read_buffer ("t.yaml", yaml, strlen (yaml), &m);
  ck_assert_uint_eq (m.len, 1);
  o = m.objects[0];
  m.objects[0] = NULL;
  manifest_free (&m);
  return o;
}

static const char *pod_a = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
                           "spec:\n  containers: [{name: c, image: a}]\n";
static const char *pod_b = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
                           "spec:\n  containers: [{name: c, image: b}]\n";

START_TEST (test_create_metadata)
{
  struct store s;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  struct object_meta *m;
  time_t t;

  store_init (&s);
  ck_assert_int_eq (store_apply (&s, obj (pod_a), "api", STORE_CREATE_ONLY,
                                 NULL, &res, &e, &err),
                    0);
  ck_assert_int_eq (res, STORE_CREATED);
  m = object_meta (e->obj);
  ck_assert_uint_eq (strlen (m->uid), 36);
  ck_assert_int_eq (m->uid[14], '4'); /* version 4 */
  ck_assert (strchr ("89ab", m->uid[19]) != NULL);
  ck_assert_str_eq (m->resource_version, "1");
  ck_assert (m->generation.set && m->generation.v == 1);
  ck_assert_int_eq (k8s_rfc3339_parse (m->creation_timestamp, &t), 0);
  ck_assert_str_eq (k8s_get_str (e->status, "phase"), "Pending");
  ck_assert_str_eq (
      k8s_get_str (k8s_get (e->status, "conditions")->items[0], "type"),
      "PodScheduled");
  ck_assert_uint_eq (k8s_get (e->status, "conditions")->len, 1);
  ck_assert_str_eq (e->source, "api");
  /* a second create conflicts */
  ck_assert_int_eq (store_apply (&s, obj (pod_a), "api", STORE_CREATE_ONLY,
                                 NULL, &res, NULL, &err),
                    -EEXIST);
  berth_error_release (&err);
  store_free (&s);
}
END_TEST

START_TEST (test_reapply)
{
  struct store s;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  cleanup_free char *uid = NULL, *ts = NULL;

  store_init (&s);
  store_apply (&s, obj (pod_a), "api", STORE_UPSERT, NULL, &res, &e, &err);
  uid = xstrdup (object_meta (e->obj)->uid);
  ts = xstrdup (object_meta (e->obj)->creation_timestamp);
  /* the same object: unchanged, same resourceVersion */
  ck_assert_int_eq (
      store_apply (&s, obj (pod_a), "api", STORE_UPSERT, NULL, &res, &e, &err),
      0);
  ck_assert_int_eq (res, STORE_UNCHANGED);
  ck_assert_str_eq (object_meta (e->obj)->resource_version, "1");
  /* changed: replaced, uid and creationTimestamp kept, rv and generation
   * bumped */
  ck_assert_int_eq (
      store_apply (&s, obj (pod_b), "api", STORE_UPSERT, NULL, &res, &e, &err),
      0);
  ck_assert_int_eq (res, STORE_CONFIGURED);
  ck_assert_str_eq (object_meta (e->obj)->uid, uid);
  ck_assert_str_eq (object_meta (e->obj)->creation_timestamp, ts);
  ck_assert_str_eq (object_meta (e->obj)->resource_version, "2");
  ck_assert_int_eq (object_meta (e->obj)->generation.v, 2);
  ck_assert_str_eq (
      ((struct pod *)e->obj->data)->spec.containers.items[0].image, "b");
  ck_assert_uint_eq (s.len, 1);
  /* a stale resourceVersion conflicts */
  ck_assert_int_eq (
      store_apply (&s, obj (pod_a), "api", STORE_UPSERT, "1", &res, &e, &err),
      -ESTALE);
  berth_error_release (&err);
  store_free (&s);
}
END_TEST

START_TEST (test_delete_and_update_only)
{
  struct store s;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  const struct kind_info *k = kind_lookup ("Pod");

  store_init (&s);
  ck_assert_int_eq (store_apply (&s, obj (pod_a), "api", STORE_UPDATE_ONLY,
                                 NULL, &res, NULL, &err),
                    -ENOENT);
  berth_error_release (&err);
  store_apply (&s, obj (pod_a), "api", STORE_UPSERT, NULL, &res, NULL, &err);
  ck_assert_ptr_nonnull (store_get (&s, k, "default", "web"));
  ck_assert_ptr_null (store_get (&s, k, "other", "web"));
  ck_assert_int_eq (store_delete (&s, k, "default", "web", &e, &err), 0);
  ck_assert_str_eq (object_name (e->obj), "web");
  store_entry_free (e);
  ck_assert_uint_eq (s.len, 0);
  ck_assert_int_eq (store_delete (&s, k, "default", "web", &e, &err), -ENOENT);
  berth_error_release (&err);
  /* resourceVersions are never reused */
  store_apply (&s, obj (pod_a), "api", STORE_UPSERT, NULL, &res, &e, &err);
  ck_assert_str_eq (object_meta (e->obj)->resource_version, "2");
  store_free (&s);
}
END_TEST

START_TEST (test_static_pod_defaults)
{
  struct object *a = obj (pod_a), *a2 = obj (pod_a), *b = obj (pod_b);
  struct object *a3 = obj (pod_a);
  struct pod *p = a->data;
  const char *hash;

  store_static_pod_defaults (a, "node1", "/etc/m/web.yaml", 1000);
  store_static_pod_defaults (a2, "node1", "/etc/m/web.yaml", 999999);
  store_static_pod_defaults (b, "node1", "/etc/m/web.yaml", 1000);
  store_static_pod_defaults (a3, "node1", "/etc/m/other.yaml", 1000);
  ck_assert_str_eq (p->metadata.name, "web-node1");
  ck_assert_str_eq (p->metadata.namespace, "default");
  ck_assert_str_eq (p->spec.node_name, "node1");
  ck_assert_uint_eq (strlen (p->metadata.uid), 32);
  hash = strmap_get (&p->metadata.annotations, "kubernetes.io/config.hash");
  ck_assert_str_eq (hash, p->metadata.uid);
  ck_assert_str_eq (
      strmap_get (&p->metadata.annotations, "kubernetes.io/config.source"),
      "file");
  ck_assert_str_eq (
      strmap_get (&p->metadata.annotations, "kubernetes.io/config.seen"),
      "1970-01-01T00:00:01.000000000Z");
  /* same content and path: same uid (whenever it is seen); another content
   * or another file: another uid */
  ck_assert_str_eq (object_meta (a2)->uid, p->metadata.uid);
  ck_assert_str_ne (object_meta (b)->uid, p->metadata.uid);
  ck_assert_str_ne (object_meta (a3)->uid, p->metadata.uid);
  ck_assert_uint_eq (p->spec.tolerations.len, 1);
  ck_assert_str_eq (p->spec.tolerations.items[0].effect, "NoExecute");
  object_free (a);
  object_free (a2);
  object_free (b);
  object_free (a3);
}
END_TEST

START_TEST (test_static_pod_replaced)
{
  struct store s;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  struct object *a = obj (pod_a), *b = obj (pod_b);
  cleanup_free char *uid = NULL;

  store_init (&s);
  store_static_pod_defaults (a, "n", "/m/web.yaml", 1000);
  store_static_pod_defaults (b, "n", "/m/web.yaml", 1000);
  store_apply (&s, a, "file:/m/web.yaml", STORE_UPSERT, NULL, &res, &e, &err);
  uid = xstrdup (object_meta (e->obj)->uid);
  /* a changed static pod is a new pod: new uid, created afresh */
  store_apply (&s, b, "file:/m/web.yaml", STORE_UPSERT, NULL, &res, &e, &err);
  ck_assert_int_eq (res, STORE_CREATED);
  ck_assert_str_ne (object_meta (e->obj)->uid, uid);
  ck_assert_uint_eq (s.len, 1);
  store_free (&s);
}
END_TEST

START_TEST (test_event_dedup)
{
  struct store s;
  store_init (&s);
  store_event (&s, "Warning", "FailedToLoad", "Pod", "default", "web", "u1",
               "bad image");
  store_event (&s, "Warning", "FailedToLoad", "Pod", "default", "web", "u1",
               "bad image");
  store_event (&s, "Warning", "FailedToLoad", "Pod", "default", "web", "u1",
               "another message");
  store_event (&s, "Normal", "Scheduled", "Pod", "default", "web", "u1",
               "bad image");
  ck_assert_uint_eq (s.nevents, 3);
  ck_assert_int_eq (s.events[0].count, 2);
  ck_assert_int_ge (s.events[0].last_ms, s.events[0].first_ms);
  ck_assert_int_eq (s.events[1].count, 1);
  {
    struct node *n = store_event_encode (&s.events[0]);
    ck_assert_str_eq (k8s_get_str (n, "source.component"), "berth");
    ck_assert_str_eq (k8s_get_str (n, "involvedObject.name"), "web");
    ck_assert_str_eq (k8s_get_str (n, "involvedObject.kind"), "Pod");
    ck_assert_str_eq (k8s_get_str (n, "count"), "2");
    ck_assert_ptr_nonnull (k8s_get_str (n, "firstTimestamp"));
    node_unref (n);
  }
  /* bounded: the oldest go first */
  for (int i = 0; i < STORE_MAX_EVENTS + 5; i++)
    {
      char msg[32];
      snprintf (msg, sizeof (msg), "m%d", i);
      store_event (&s, "Normal", "X", "Pod", "default", "web", "u1", msg);
    }
  ck_assert_uint_eq (s.nevents, STORE_MAX_EVENTS);
  ck_assert_str_eq (s.events[STORE_MAX_EVENTS - 1].message, "m1004");
  store_free (&s);
}
END_TEST

static struct node *
extra_cb (const struct store_entry *e, const struct node *stored, void *data)
{
  struct node *m;
  (void)e;
  (void)stored;
  if (*(int *)data == 0)
    return NULL;
  m = node_new_map ();
  node_map_set_int (m, "n", *(int *)data);
  return m;
}

static int
each_cb (struct store *s, struct store_entry *e, void *data, berth_error_t *err)
{
  int *calls = data;
  const struct kind_info *pk = kind_lookup ("Pod");
  enum store_result res;
  (*calls)++;
  /* a change during the walk: the next pod is removed, a new one added */
  if (strcmp (object_name (e->obj), "a") == 0)
    {
      ck_assert_int_eq (store_remove (s, pk, "default", "b", NULL, err), 0);
      ck_assert_int_eq (store_apply (s,
                                     obj ("apiVersion: v1\nkind: Pod\n"
                                          "metadata: {name: d}\nspec:\n"
                                          "  containers: [{name: c, image: "
                                          "a}]\n"),
                                     "api", STORE_UPSERT, NULL, &res, NULL,
                                     err),
                        0);
    }
  if (strcmp (object_name (e->obj), "c") == 0)
    return berth_error_make (err, EIO, "boom");
  return 0;
}

/* status_extra decorates what is read without changing the stored status,
 * a status change does not count as an object change, and
 * store_each_of_kind walks a snapshot. */
START_TEST (test_status_extra_and_each)
{
  struct store s;
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  struct node *st, *enc;
  int extra = 0, calls = 0;
  uint64_t changed;
  const char *names[] = { "a", "b", "c" };

  store_init (&s);
  for (size_t i = 0; i < 3; i++)
    {
      cleanup_free char *y = NULL;
      ck_assert_int_ge (asprintf (&y,
                                  "apiVersion: v1\nkind: Pod\nmetadata: "
                                  "{name: %s, namespace: default}\nspec:\n"
                                  "  containers: [{name: c, image: a}]\n",
                                  names[i]),
                        0);
      ck_assert_int_eq (
          store_apply (&s, obj (y), "api", STORE_UPSERT, NULL, &res, &e, &err),
          0);
    }
  changed = s.objects_changed;
  ck_assert_uint_eq (changed, 3);
  st = node_new_map ();
  node_map_set_str (st, "phase", "Running");
  node_map_set (st, "berth", node_new_map ());
  ck_assert_int_eq (store_set_status (&s, e, st, &err), 0);
  ck_assert_uint_eq (s.objects_changed, changed);
  s.status_extra = extra_cb;
  s.status_extra_data = &extra;
  enc = store_entry_encode (e);
  ck_assert_uint_eq (k8s_get (enc, "status.berth")->len, 0);
  node_unref (enc);
  extra = 7;
  enc = store_entry_encode (e);
  ck_assert_str_eq (k8s_get_str (enc, "status.phase"), "Running");
  ck_assert_str_eq (k8s_get (enc, "status.berth.n")->text, "7");
  node_unref (enc);
  ck_assert_ptr_null (node_map_get (node_map_get (e->status, "berth"), "n"));

  /* a, (b removed by a's call), c fails: d (new) is not walked */
  ck_assert_int_eq (store_each_of_kind (&s, kind_lookup ("Pod"), "pod", each_cb,
                                        &calls, &err),
                    -EIO);
  ck_assert_int_eq (calls, 2);
  ck_assert_str_eq (berth_error_msg (&err), "pod c: boom");
  berth_error_release (&err);
  ck_assert_uint_eq (s.objects_changed, changed + 2);
  store_free (&s);
}
END_TEST

static struct node *
call (struct store *s, const char *method, const char *path, const char *body,
      int want)
{
  char *out = NULL;
  size_t len = 0;
  const char *ctype;
  struct node_stream st = { 0 };
  berth_error_t err = NULL;
  struct node *n;
  int code = api_handle (s, method, path, body, body ? strlen (body) : 0, &out,
                         &len, &ctype);
  ck_assert_msg (code == want, "%s %s: %d, wanted %d: %s", method, path, code,
                 want, out);
  ck_assert_int_eq (node_stream_read (out, len, &st, &err), 0);
  n = node_ref (st.docs[0]);
  node_stream_free (&st);
  free (out);
  return n;
}

START_TEST (test_api_status_bodies)
{
  struct store s;
  struct node *n;
  const char *pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                    "\"name\":\"web\"},\"spec\":{\"containers\":[{\"name\":"
                    "\"c\",\"image\":\"a\"}]}}";
  const char *bad = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                    "\"name\":\"x\"},\"spec\":{\"containers\":[{\"name\":"
                    "\"c\"}]}}";
  const char *bad2
      = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
        "\"name\":\"x\"},\"spec\":{\"restartPolicy\":\"Sometimes\","
        "\"containers\":[{\"name\":\"c\"}]}}";
  store_init (&s);
  n = call (&s, "POST", "/api/v1/namespaces/default/pods", pod, 201);
  ck_assert_str_eq (k8s_get_str (n, "metadata.resourceVersion"), "1");
  node_unref (n);
  n = call (&s, "POST", "/api/v1/namespaces/default/pods", pod, 409);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "Status");
  ck_assert_str_eq (k8s_get_str (n, "apiVersion"), "v1");
  ck_assert_str_eq (k8s_get_str (n, "status"), "Failure");
  ck_assert_str_eq (k8s_get_str (n, "reason"), "AlreadyExists");
  ck_assert_str_eq (k8s_get_str (n, "message"), "pods \"web\" already exists");
  ck_assert_str_eq (k8s_get_str (n, "details.name"), "web");
  ck_assert_str_eq (k8s_get_str (n, "details.kind"), "pods");
  ck_assert_str_eq (k8s_get_str (n, "code"), "409");
  node_unref (n);
  n = call (&s, "POST", "/api/v1/namespaces/default/pods", bad, 422);
  ck_assert_str_eq (k8s_get_str (n, "reason"), "Invalid");
  ck_assert_str_eq (
      k8s_get_str (n, "message"),
      "Pod \"x\" is invalid: spec.containers[0].image: Required value");
  {
    struct node *c = k8s_get (n, "details.causes")->items[0];
    ck_assert_str_eq (k8s_get_str (c, "reason"), "FieldValueRequired");
    ck_assert_str_eq (k8s_get_str (c, "message"), "Required value");
    ck_assert_str_eq (k8s_get_str (c, "field"), "spec.containers[0].image");
  }
  node_unref (n);
  n = call (&s, "POST", "/api/v1/namespaces/default/pods", bad2, 422);
  ck_assert_str_eq (k8s_get_str (n, "message"),
                    "Pod \"x\" is invalid: [spec.containers[0].image: "
                    "Required value, spec.restartPolicy: Unsupported value: "
                    "\"Sometimes\": supported values: \"Always\", "
                    "\"OnFailure\", \"Never\"]");
  ck_assert_uint_eq (k8s_get (n, "details.causes")->len, 2);
  node_unref (n);
  n = call (&s, "GET", "/api/v1/namespaces/default/pods/nope", NULL, 404);
  ck_assert_str_eq (k8s_get_str (n, "reason"), "NotFound");
  ck_assert_str_eq (k8s_get_str (n, "message"), "pods \"nope\" not found");
  node_unref (n);
  n = call (&s, "GET", "/apis/batch/v1/namespaces/default/jobs/j", NULL, 404);
  ck_assert_str_eq (k8s_get_str (n, "message"), "jobs.batch \"j\" not found");
  ck_assert_str_eq (k8s_get_str (n, "details.group"), "batch");
  node_unref (n);
  n = call (&s, "POST", "/api/v1/namespaces/default/pods", "{not json", 400);
  ck_assert_str_eq (k8s_get_str (n, "reason"), "BadRequest");
  node_unref (n);
  n = call (&s, "GET", "/api/v1/pods", NULL, 200);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "PodList");
  ck_assert_str_eq (k8s_get_str (n, "metadata.resourceVersion"), "1");
  ck_assert_uint_eq (k8s_get (n, "items")->len, 1);
  node_unref (n);
  n = call (&s, "GET", "/api/v1/namespaces/other/pods", NULL, 200);
  ck_assert_uint_eq (k8s_get (n, "items")->len, 0);
  node_unref (n);
  n = call (&s, "PUT", "/api/v1/namespaces/default/pods/other", pod, 400);
  node_unref (n);
  n = call (&s, "DELETE", "/api/v1/namespaces/default/pods/web", NULL, 200);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "Pod");
  node_unref (n);
  n = call (&s, "GET", "/api/v1/nodes", NULL, 404);
  node_unref (n);
  store_free (&s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("agent_store");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_create_metadata);
  tcase_add_test (tc, test_reapply);
  tcase_add_test (tc, test_delete_and_update_only);
  tcase_add_test (tc, test_static_pod_defaults);
  tcase_add_test (tc, test_static_pod_replaced);
  tcase_add_test (tc, test_event_dedup);
  tcase_add_test (tc, test_api_status_bodies);
  tcase_add_test (tc, test_status_extra_and_each);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
