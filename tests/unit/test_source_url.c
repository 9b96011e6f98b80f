/* test_source_url.c - the manifest URL source without a network: the
 * --manifest-url-header syntax, and what each response (source_url_handle)
 * does to the URL's set of objects and to the events.  The requests
 * themselves are tested in the VM (tests/integration/test_agent_url.sh). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "source_set.h"
#include "source_url.h"
#include "types.h"

#define URL "http://127.0.0.1:8080/pods.yaml"

static const char *pod_web
    = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
      "spec:\n  containers: [{name: c, image: busybox}]\n";
static const char *pod_web2
    = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
      "spec:\n  containers: [{name: c, image: busybox:2}]\n";
static const char *pod_list
    = "apiVersion: v1\nkind: PodList\nitems:\n"
      "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n"
      "  spec: {containers: [{name: c, image: busybox}]}\n"
      "- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n"
      "  spec: {containers: [{name: c, image: busybox}]}\n";
static const char *html
    = "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n"
      "<body><h1>It works</h1></body></html>\n";

struct fixture
{
  struct store store;
  struct source_url u;
  struct source_url_target t;
};

static void
setup (struct fixture *f)
{
  memset (f, 0, sizeof (*f));
  store_init (&f->store);
  f->u.store = &f->store;
  f->u.node_name = (char *)"node1";
  source_url_target_init (&f->t, &f->u, URL);
}

static void
teardown (struct fixture *f)
{
  source_url_target_free (&f->t);
  store_free (&f->store);
}

static void
respond (struct fixture *f, long status, const char *status_text,
         const char *body, const char *etag)
{
  struct source_url_response r = { .status = status,
                                   .status_text = status_text,
                                   .body = body,
                                   .len = strlen (body),
                                   .etag = etag };
  source_url_handle (&f->t, &r);
}

static struct store_entry *
pod (struct fixture *f, const char *name)
{
  return store_get (&f->store, kind_lookup ("Pod"), "default", name);
}

/* The last event's message, or "". */
static const char *
last_event (struct fixture *f, const char *reason)
{
  for (size_t i = f->store.nevents; i-- > 0;)
    if (strcmp (f->store.events[i].reason, reason) == 0)
      return f->store.events[i].message;
  return "";
}

START_TEST (test_headers_flag)
{
  char **l = NULL;
  size_t n = 0;
  berth_error_t err = NULL;

  /* the kubelet's own example */
  ck_assert_int_eq (
      source_url_headers ("a:hello,b:again,c:world", &l, &n, &err), 0);
  ck_assert_int_eq (source_url_headers ("b:beautiful", &l, &n, &err), 0);
  ck_assert_int_eq (
      source_url_headers (" Authorization : Bearer x:y ,,", &l, &n, &err), 0);
  ck_assert_uint_eq (n, 5);
  ck_assert_str_eq (l[0], "a: hello");
  ck_assert_str_eq (l[1], "b: again");
  ck_assert_str_eq (l[2], "c: world");
  ck_assert_str_eq (l[3], "b: beautiful");
  ck_assert_str_eq (l[4], "Authorization: Bearer x:y");
  ck_assert_int_lt (source_url_headers ("a:1,novalue", &l, &n, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "a:1,novalue: malformed pair, expect string:string");
  berth_error_release (&err);
  ck_assert_int_lt (source_url_headers (":v", &l, &n, &err), 0);
  berth_error_release (&err);
  for (size_t i = 0; i < n; i++)
    free (l[i]);
  free (l);
}
END_TEST

START_TEST (test_pod_defaults)
{
  struct fixture f;
  struct store_entry *e;
  struct object_meta *m;
  const struct pod *p;

  setup (&f);
  respond (&f, 200, "200 OK", pod_web, "\"e1\"");
  e = pod (&f, "web-node1");
  ck_assert_ptr_nonnull (e);
  ck_assert_str_eq (e->source, "url:" URL);
  m = object_meta (e->obj);
  p = e->obj->data;
  ck_assert_uint_eq (strlen (m->uid), 32);
  ck_assert_str_eq (strmap_get (&m->annotations, "kubernetes.io/config.hash"),
                    m->uid);
  ck_assert_str_eq (strmap_get (&m->annotations, "kubernetes.io/config.source"),
                    "http");
  ck_assert_ptr_nonnull (
      strmap_get (&m->annotations, "kubernetes.io/config.seen"));
  ck_assert_str_eq (p->spec.node_name, "node1");
  /* only file pods get the NoExecute toleration */
  ck_assert_uint_eq (p->spec.tolerations.len, 0);
  ck_assert_str_eq (f.t.etag, "\"e1\"");
  teardown (&f);
}
END_TEST

/* The uid hashes the pod and the URL, not the node. */
START_TEST (test_uid_from_url)
{
  struct fixture f, g, h;
  const char *uid_f, *uid_g, *uid_h;

  setup (&f);
  setup (&g);
  setup (&h);
  g.u.node_name = (char *)"node2";
  source_url_target_free (&h.t);
  source_url_target_init (&h.t, &h.u, URL "?other");
  respond (&f, 200, "200 OK", pod_web, NULL);
  respond (&g, 200, "200 OK", pod_web, NULL);
  respond (&h, 200, "200 OK", pod_web, NULL);
  uid_f = object_meta (pod (&f, "web-node1")->obj)->uid;
  uid_g = object_meta (pod (&g, "web-node2")->obj)->uid;
  uid_h = object_meta (pod (&h, "web-node1")->obj)->uid;
  ck_assert_str_eq (uid_f, uid_g);
  ck_assert_str_ne (uid_f, uid_h);
  teardown (&f);
  teardown (&g);
  teardown (&h);
}
END_TEST

START_TEST (test_update_and_unchanged)
{
  struct fixture f;
  cleanup_free char *uid = NULL, *rv = NULL;

  setup (&f);
  respond (&f, 200, "200 OK", pod_web, "\"e1\"");
  uid = xstrdup (object_meta (pod (&f, "web-node1")->obj)->uid);
  rv = xstrdup (object_meta (pod (&f, "web-node1")->obj)->resource_version);
  /* the same body again, and a 304: nothing changes */
  respond (&f, 200, "200 OK", pod_web, "\"e1\"");
  respond (&f, 304, "304 Not Modified", "", NULL);
  ck_assert_str_eq (object_meta (pod (&f, "web-node1")->obj)->resource_version,
                    rv);
  ck_assert_str_eq (f.t.etag, "\"e1\"");
  /* a new spec: a new pod (a new uid) */
  respond (&f, 200, "200 OK", pod_web2, "\"e2\"");
  ck_assert_str_ne (object_meta (pod (&f, "web-node1")->obj)->uid, uid);
  ck_assert_str_eq (f.t.etag, "\"e2\"");
  /* a PodList replaces the set: web goes, a and b come */
  respond (&f, 200, "200 OK", pod_list, NULL);
  ck_assert_ptr_null (pod (&f, "web-node1"));
  ck_assert_ptr_nonnull (pod (&f, "a-node1"));
  ck_assert_ptr_nonnull (pod (&f, "b-node1"));
  ck_assert_ptr_null (f.t.etag);
  ck_assert_uint_eq (f.t.failures, 0);
  teardown (&f);
}
END_TEST

START_TEST (test_errors_keep_the_set)
{
  struct fixture f;
  struct source_url_response down
      = { .error = "Couldn't connect to server", .body = "" };
  struct source_url_response big
      = { .status = 200, .body = "x", .len = 1, .too_big = true };
  cleanup_free char *rv = NULL;

  setup (&f);
  respond (&f, 200, "200 OK", pod_web, "\"e1\"");
  rv = xstrdup (object_meta (pod (&f, "web-node1")->obj)->resource_version);

  respond (&f, 404, "404 Not Found", "<html>gone</html>", NULL);
  ck_assert_str_eq (last_event (&f, "FailedToLoad"), URL ": 404 Not Found");
  ck_assert_str_eq (f.store.events[f.store.nevents - 1].obj_kind, "Node");
  ck_assert_str_eq (f.store.events[f.store.nevents - 1].obj_name, "node1");
  ck_assert_str_eq (f.store.events[f.store.nevents - 1].type, "Warning");

  source_url_handle (&f.t, &down);
  ck_assert_str_eq (last_event (&f, "FailedToLoad"),
                    URL ": Couldn't connect to server");
  source_url_handle (&f.t, &down); /* the same again: a count */
  ck_assert_int_eq (f.store.events[f.store.nevents - 1].count, 2);

  source_url_handle (&f.t, &big);
  ck_assert_str_eq (last_event (&f, "FailedToLoad"),
                    URL ": the response reached the limit of 10485760 bytes "
                        "(the kubelet's maxConfigLength)");

  respond (&f, 200, "200 OK", html, "\"h\"");
  ck_assert_str_eq (last_event (&f, "FailedToLoad"),
                    URL ": expected an object, got a string");
  ck_assert_uint_eq (f.t.failures, 5);

  /* through all of it the pod stayed as it was */
  ck_assert_str_eq (object_meta (pod (&f, "web-node1")->obj)->resource_version,
                    rv);
  /* and a good body again replaces the set */
  respond (&f, 200, "200 OK", pod_list, NULL);
  ck_assert_ptr_null (pod (&f, "web-node1"));
  ck_assert_ptr_nonnull (pod (&f, "a-node1"));
  ck_assert_uint_eq (f.t.failures, 0);
  teardown (&f);
}
END_TEST

/* One invalid object: the valid ones are applied, nothing is removed. */
START_TEST (test_invalid_object)
{
  struct fixture f;
  cleanup_free char *body = NULL;

  setup (&f);
  respond (&f, 200, "200 OK", pod_web, NULL);
  if (asprintf (&body,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\n"
                "spec:\n  containers: [{name: c}]\n---\n%s",
                pod_list)
      < 0)
    abort ();
  respond (&f, 200, "200 OK", body, NULL);
  ck_assert_str_eq (last_event (&f, "FailedToLoad"),
                    URL ": spec.containers[0].image: Required value");
  ck_assert_str_eq (f.store.events[f.store.nevents - 1].obj_name, "bad-node1");
  ck_assert_ptr_nonnull (pod (&f, "web-node1"));
  ck_assert_ptr_nonnull (pod (&f, "a-node1"));
  ck_assert_uint_eq (f.t.failures, 1);
  teardown (&f);
}
END_TEST

/* An empty 200 is the kubelet's empty set. */
START_TEST (test_empty_body)
{
  struct fixture f;

  setup (&f);
  respond (&f, 200, "200 OK", pod_web, "\"e1\"");
  respond (&f, 200, "200 OK", "", NULL);
  ck_assert_ptr_null (pod (&f, "web-node1"));
  ck_assert_str_eq (last_event (&f, "FailedToLoad"),
                    "zero-length data received from " URL
                    ": its objects removed");
  /* the same body as before the empty one comes back */
  respond (&f, 200, "200 OK", pod_web, "\"e1\"");
  ck_assert_ptr_nonnull (pod (&f, "web-node1"));
  teardown (&f);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("source_url");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_headers_flag);
  tcase_add_test (tc, test_pod_defaults);
  tcase_add_test (tc, test_uid_from_url);
  tcase_add_test (tc, test_update_and_unchanged);
  tcase_add_test (tc, test_errors_keep_the_set);
  tcase_add_test (tc, test_invalid_object);
  tcase_add_test (tc, test_empty_body);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
