/* test_endpoints.c - Services: the API server's ClusterIP and NodePort
 * allocation (service_alloc), the EndpointSlice and Endpoints controllers'
 * endpoints (endpoints), their API and the services controller's routing
 * input (without nftables). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "codec.h"
#include "endpoints.h"
#include "k8s_json.h"
#include "service_alloc.h"
#include "service_controller.h"
#include "store.h"
#include "types.h"

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
  ck_assert_msg (object_is_valid (o), "invalid test object");
  return o;
}

static struct store_entry *
put (struct store *s, const char *yaml)
{
  struct store_entry *e = NULL;
  enum store_result res;
  berth_error_t err = NULL;
  ck_assert_int_eq (
      store_apply (s, obj (yaml), "api", STORE_UPSERT, NULL, &res, &e, &err),
      0);
  return e;
}

static void
store_object (struct store *s, struct object *o)
{
  enum store_result res;
  berth_error_t err = NULL;
  ck_assert_int_eq (
      store_apply (s, o, "api", STORE_CREATE_ONLY, NULL, &res, NULL, &err), 0);
}

static struct node *
json (const char *text)
{
  struct node_stream st = { 0 };
  berth_error_t err = NULL;
  struct node *n;
  ck_assert_int_eq (node_stream_read (text, strlen (text), &st, &err), 0);
  n = node_ref (st.docs[0]);
  node_stream_free (&st);
  return n;
}

/* A pod with labels app=web, a named container port and a status. */
static struct store_entry *
pod (struct store *s, const char *name, const char *ip, const char *ready,
     const char *extra_meta, const char *port_name)
{
  char yaml[1024], status[512];
  struct store_entry *e;
  berth_error_t err = NULL;
  snprintf (yaml, sizeof (yaml),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, labels: {app: "
            "web}%s}\nspec:\n  nodeName: node1\n  containers: [{name: c, "
            "image: a, ports: [{name: %s, containerPort: 8080}]}]\n",
            name, extra_meta ? extra_meta : "", port_name ? port_name : "http");
  e = put (s, yaml);
  if (ip)
    snprintf (status, sizeof (status),
              "{\"phase\": \"Running\", \"podIP\": \"%s\", \"podIPs\": "
              "[{\"ip\": \"%s\"}], \"conditions\": [{\"type\": \"Ready\", "
              "\"status\": \"%s\"}]}",
              ip, ip, ready);
  else
    snprintf (status, sizeof (status), "{\"phase\": \"Pending\"}");
  ck_assert_int_eq (store_set_status (s, e, json (status), &err), 0);
  return e;
}

static const char svc_web[]
    = "apiVersion: v1\nkind: Service\nmetadata: {name: web, labels: {tier: "
      "front}}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: "
      "80, targetPort: http}]\n";

static struct service_ranges
ranges (const char *cidr, const char *ports)
{
  struct service_ranges r;
  berth_error_t err = NULL;
  ck_assert_int_eq (service_ranges_parse (&r, cidr, ports, &err), 0);
  return r;
}

static uint32_t
ip_of (const char *s)
{
  uint32_t v = 0;
  ck_assert (service_parse_ip4 (s, &v));
  return v;
}

/* ---- allocation ---- */

START_TEST (test_ranges)
{
  struct service_ranges r = ranges ("10.96.0.0/12", "30000-32767");
  berth_error_t err = NULL;
  ck_assert_str_eq (r.cidr, "10.96.0.0/12");
  ck_assert_uint_eq (r.max, (1u << 20) - 2);
  ck_assert_int_eq (r.port_base, 30000);
  ck_assert_int_eq (r.port_size, 2768);
  r = ranges ("10.97.1.2/16", "30000+100");
  ck_assert_str_eq (r.cidr, "10.97.0.0/16");
  ck_assert_str_eq (r.ports, "30000-30100");
  ck_assert_int_lt (service_ranges_parse (&r, "10.0.0.0/8", "1-2", &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "--service-cluster-ip-range 10.0.0.0/8: specified CIDR is "
                    "too large; for 32-bit addresses, the mask must be >= 12");
  berth_error_release (&err);
  ck_assert_int_lt (service_ranges_parse (&r, "fd00::/108", "1-2", &err), 0);
  berth_error_release (&err);
  ck_assert_int_lt (service_ranges_parse (&r, "10.96.0.0/12", "2-1", &err), 0);
  berth_error_release (&err);
}
END_TEST

START_TEST (test_alloc_cluster_ip)
{
  struct service_ranges r = ranges ("10.96.0.0/12", "30000-32767");
  struct store s;
  struct service_alloc_error e;
  struct object *o;
  struct service_spec *sp;
  cleanup_free char *msg = NULL;
  uint32_t ip;

  store_init (&s);
  for (int i = 0; i < 50; i++)
    {
      o = obj (svc_web);
      ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), 0);
      sp = &((struct service *)o->data)->spec;
      ip = ip_of (sp->cluster_ip);
      /* the upper band first: never the network, the kubernetes
       * Service's .1, the broadcast, nor the 256 static addresses */
      ck_assert_uint_ge (ip, ip_of ("10.96.1.1"));
      ck_assert_uint_le (ip, ip_of ("10.111.255.254"));
      ck_assert_uint_eq (sp->cluster_ips.len, 1);
      ck_assert_str_eq (sp->cluster_ips.items[0], sp->cluster_ip);
      ck_assert_str_eq (sp->ip_families.items[0], "IPv4");
      ck_assert_str_eq (sp->ip_family_policy, "SingleStack");
      object_free (o);
    }
  /* a requested IP another Service holds */
  put (&s, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  "
           "clusterIP: 10.96.0.10\n  ports: [{port: 53}]\n");
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  "
           "clusterIP: 10.96.0.10\n  ports: [{port: 53}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  msg = service_alloc_error_message (o, &e);
  ck_assert_str_eq (msg, "Service \"b\" is invalid: spec.clusterIPs: Invalid "
                         "value: []string{\"10.96.0.10\"}: failed to allocate "
                         "IP 10.96.0.10: provided IP is already allocated");
  ck_assert_str_eq (e.reason, "ClusterIPAlreadyAllocated");
  object_free (o);
  /* the kubernetes Service's address */
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  "
           "clusterIP: 10.96.0.1\n  ports: [{port: 53}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  ck_assert_str_eq (e.msg, "failed to allocate IP 10.96.0.1: provided IP is "
                           "already allocated");
  object_free (o);
  /* out of the range, and the broadcast address */
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  "
           "clusterIP: 10.0.0.5\n  ports: [{port: 53}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  ck_assert_str_eq (e.path, "spec.clusterIPs");
  ck_assert_str_eq (e.msg, "failed to allocate IP 10.0.0.5: the provided IP "
                           "(10.0.0.5) is not in the valid range. The range "
                           "of valid IPs is 10.96.0.0/12");
  object_free (o);
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  "
           "clusterIP: 10.111.255.255\n  ports: [{port: 53}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  object_free (o);
  /* a free requested IP is honoured; the same Service may keep its own */
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  "
           "clusterIP: 10.96.0.10\n  ports: [{port: 53}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), 0);
  object_free (o);
  store_free (&s);
}
END_TEST

START_TEST (test_alloc_update_and_full)
{
  struct service_ranges r = ranges ("10.0.0.0/29", "30000-30001");
  struct store s;
  struct service_alloc_error e;
  struct store_entry *old;
  struct object *o;
  cleanup_free char *msg = NULL;
  char yaml[256];

  store_init (&s);
  /* /29: .1 is reserved, .2 to .6 for five Services */
  for (int i = 0; i < 5; i++)
    {
      snprintf (yaml, sizeof (yaml),
                "apiVersion: v1\nkind: Service\nmetadata: {name: s%d}\nspec:\n"
                "  ports: [{port: 80}]\n",
                i);
      o = obj (yaml);
      ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), 0);
      ck_assert_uint_ge (ip_of (((struct service *)o->data)->spec.cluster_ip),
                         ip_of ("10.0.0.2"));
      store_object (&s, o);
    }
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n"
           "  ports: [{port: 80}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  msg = service_alloc_error_message (o, &e);
  ck_assert_str_eq (msg, "Internal error occurred: failed to allocate a "
                         "serviceIP: range is full");
  object_free (o);
  /* an update without clusterIP keeps the allocated one; changing it is
   * refused */
  old = store_get (&s, kind_lookup ("Service"), "default", "s3");
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: s3}\nspec:\n"
           "  ports: [{port: 81}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, old->obj, &e), 0);
  ck_assert_str_eq (((struct service *)o->data)->spec.cluster_ip,
                    ((struct service *)old->obj->data)->spec.cluster_ip);
  object_free (o);
  snprintf (
      yaml, sizeof (yaml),
      "apiVersion: v1\nkind: Service\nmetadata: {name: s3}\nspec:\n"
      "  clusterIP: %s\n  ports: [{port: 81}]\n",
      strcmp (((struct service *)old->obj->data)->spec.cluster_ip, "10.0.0.2")
              == 0
          ? "10.0.0.3"
          : "10.0.0.2");
  o = obj (yaml);
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, old->obj, &e), -1);
  ck_assert_str_eq (e.path, "spec.clusterIPs[0]");
  ck_assert_str_eq (e.msg, "may not change once set");
  object_free (o);
  /* headless: nothing to allocate */
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: h}\nspec:\n"
           "  clusterIP: None\n  selector: {app: web}\n  ports: [{port: "
           "80}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), 0);
  ck_assert_str_eq (((struct service *)o->data)->spec.cluster_ips.items[0],
                    "None");
  object_free (o);
  store_free (&s);
}
END_TEST

START_TEST (test_alloc_node_ports)
{
  struct service_ranges r = ranges ("10.96.0.0/12", "30000-32767");
  struct store s;
  struct service_alloc_error e;
  struct object *o;
  struct service_spec *sp;
  cleanup_free char *msg = NULL;

  store_init (&s);
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: dns}\nspec:\n"
           "  type: NodePort\n  ports: [{name: a, port: 53, protocol: TCP}, "
           "{name: b, port: 53, protocol: UDP}, {name: c, port: 9153}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), 0);
  sp = &((struct service *)o->data)->spec;
  /* the upper band: 2768 / 32 = 86 ports kept for requests */
  ck_assert_int_ge (sp->ports.items[0].node_port.v, 30086);
  ck_assert_int_le (sp->ports.items[0].node_port.v, 32767);
  /* one node port for a port number, whatever the protocol */
  ck_assert_int_eq (sp->ports.items[1].node_port.v,
                    sp->ports.items[0].node_port.v);
  ck_assert_int_ne (sp->ports.items[2].node_port.v,
                    sp->ports.items[0].node_port.v);
  store_object (&s, o);
  put (&s, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n"
           "  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n");
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n"
           "  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  msg = service_alloc_error_message (o, &e);
  ck_assert_str_eq (msg, "Service \"b\" is invalid: spec.ports[0].nodePort: "
                         "Invalid value: 30080: provided port is already "
                         "allocated");
  object_free (o);
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n"
           "  type: NodePort\n  ports: [{port: 80, nodePort: 8080}]\n");
  ck_assert_int_eq (service_alloc_assign (&r, &s, o, NULL, &e), -1);
  ck_assert_str_eq (e.msg, "provided port is not in the valid range. The "
                           "range of valid ports is 30000-32767");
  ck_assert_str_eq (e.reason, "PortOutOfRange");
  object_free (o);
  /* an update keeps the node ports of the same ports */
  o = obj ("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n"
           "  type: NodePort\n  ports: [{port: 80}]\n");
  ck_assert_int_eq (
      service_alloc_assign (
          &r, &s, o,
          store_get (&s, kind_lookup ("Service"), "default", "a")->obj, &e),
      0);
  ck_assert_int_eq (
      ((struct service *)o->data)->spec.ports.items[0].node_port.v, 30080);
  object_free (o);
  store_free (&s);
}
END_TEST

/* ---- endpoints ---- */

static struct node *
slices_of (struct store *s, const char *svc)
{
  struct service_endpoints e;
  struct node *seq = node_new_seq ();
  endpoints_compute (s, store_get (s, kind_lookup ("Service"), "default", svc),
                     &e);
  endpoints_encode_slices (&e, s->rv, seq);
  endpoints_free (&e);
  return seq;
}

static const struct node *
endpoint_named (const struct node *slices, const char *pod)
{
  for (size_t i = 0; i < slices->len; i++)
    {
      const struct node *eps = node_map_get (slices->items[i], "endpoints");
      for (size_t j = 0; eps && eps->kind == NODE_SEQ && j < eps->len; j++)
        if (strcmp (k8s_get_str (eps->items[j], "targetRef.name"), pod) == 0)
          return eps->items[j];
    }
  return NULL;
}

static const char *
cond (const struct node *slices, const char *pod, const char *c)
{
  const struct node *ep = endpoint_named (slices, pod);
  char path[64];
  snprintf (path, sizeof (path), "conditions.%s", c);
  return ep ? k8s_get_str (ep, path) : "absent";
}

static void
pods_fixture (struct store *s)
{
  struct store_entry *e;
  berth_error_t err = NULL;
  pod (s, "p1", "10.88.0.11", "True", NULL, NULL);
  pod (s, "p2", "10.88.0.12", "False", NULL, NULL);
  e = pod (s, "p3", "10.88.0.13", "True", NULL, NULL);
  /* terminating: a deletionTimestamp, as a graceful delete sets it */
  object_meta (e->obj)->deletion_timestamp = xstrdup ("2026-01-01T00:00:00Z");
  pod (s, "p4", NULL, "False", NULL, NULL); /* no IP */
  e = pod (s, "p5", "10.88.0.15", "False", NULL, NULL);
  ck_assert_int_eq (store_set_status (s, e,
                                      json ("{\"phase\": \"Succeeded\", "
                                            "\"podIP\": \"10.88.0.15\"}"),
                                      &err),
                    0);
  put (s, "apiVersion: v1\nkind: Pod\nmetadata: {name: other, labels: {app: "
          "db}}\nspec:\n  containers: [{name: c, image: a}]\n");
  put (s, "apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: x, "
          "labels: {app: web}}\nspec:\n  containers: [{name: c, image: a}]\n");
}

START_TEST (test_slice_conditions)
{
  struct store s;
  struct node *sl;
  const struct node *ep, *sm, *labels;

  store_init (&s);
  pods_fixture (&s);
  put (&s, svc_web);
  sl = slices_of (&s, "web");
  ck_assert_uint_eq (sl->len, 1);
  sm = sl->items[0];
  ck_assert_str_eq (k8s_get_str (sm, "kind"), "EndpointSlice");
  ck_assert_str_eq (k8s_get_str (sm, "apiVersion"), "discovery.k8s.io/v1");
  ck_assert_str_eq (k8s_get_str (sm, "addressType"), "IPv4");
  ck_assert_str_eq (k8s_get_str (sm, "metadata.generateName"), "web-");
  ck_assert_uint_eq (strlen (k8s_get_str (sm, "metadata.name")), 9);
  labels = node_map_get (k8s_get (sm, "metadata"), "labels");
  ck_assert_str_eq (node_map_get (labels, "kubernetes.io/service-name")->text,
                    "web");
  ck_assert_str_eq (
      node_map_get (labels, "endpointslice.kubernetes.io/managed-by")->text,
      "endpointslice-controller.k8s.io");
  ck_assert_str_eq (node_map_get (labels, "tier")->text, "front");
  ck_assert_str_eq (
      k8s_get_str (k8s_get (sm, "metadata.ownerReferences")->items[0], "kind"),
      "Service");
  /* the resolved named port */
  ck_assert_str_eq (k8s_get_str (k8s_get (sm, "ports")->items[0], "name"),
                    "http");
  ck_assert_str_eq (k8s_get_str (k8s_get (sm, "ports")->items[0], "port"),
                    "8080");
  /* ready, unready, terminating; no IP, Succeeded, other labels or
   * namespaces are out */
  ck_assert_uint_eq (k8s_get (sm, "endpoints")->len, 3);
  ck_assert_str_eq (cond (sl, "p1", "ready"), "true");
  ck_assert_str_eq (cond (sl, "p1", "serving"), "true");
  ck_assert_str_eq (cond (sl, "p1", "terminating"), "false");
  ck_assert_str_eq (cond (sl, "p2", "ready"), "false");
  ck_assert_str_eq (cond (sl, "p2", "serving"), "false");
  ck_assert_str_eq (cond (sl, "p3", "ready"), "false");
  ck_assert_str_eq (cond (sl, "p3", "serving"), "true");
  ck_assert_str_eq (cond (sl, "p3", "terminating"), "true");
  ep = endpoint_named (sl, "p1");
  ck_assert_str_eq (k8s_get (ep, "addresses")->items[0]->text, "10.88.0.11");
  ck_assert_str_eq (k8s_get_str (ep, "nodeName"), "node1");
  ck_assert_str_eq (k8s_get_str (ep, "targetRef.kind"), "Pod");
  ck_assert_str_eq (k8s_get_str (ep, "targetRef.namespace"), "default");
  node_unref (sl);
  store_free (&s);
}
END_TEST

START_TEST (test_endpoints_v1)
{
  struct store s;
  struct node *n;
  const struct node *ss;

  store_init (&s);
  pods_fixture (&s);
  put (&s, svc_web);
  n = endpoints_api_get (&s, false, "default", "web");
  ck_assert_ptr_nonnull (n);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "Endpoints");
  ck_assert_str_eq (
      node_map_get (node_map_get (k8s_get (n, "metadata"), "labels"),
                    "endpoints.kubernetes.io/managed-by")
          ->text,
      "endpoint-controller");
  ss = k8s_get (n, "subsets");
  ck_assert_uint_eq (ss->len, 1);
  /* p1 ready; p2 not ready; p3 terminating is left out */
  ck_assert_uint_eq (k8s_get (ss->items[0], "addresses")->len, 1);
  ck_assert_str_eq (
      k8s_get_str (k8s_get (ss->items[0], "addresses")->items[0], "ip"),
      "10.88.0.11");
  ck_assert_uint_eq (k8s_get (ss->items[0], "notReadyAddresses")->len, 1);
  ck_assert_str_eq (
      k8s_get_str (k8s_get (ss->items[0], "notReadyAddresses")->items[0],
                   "targetRef.name"),
      "p2");
  ck_assert_str_eq (
      k8s_get_str (k8s_get (ss->items[0], "ports")->items[0], "port"), "8080");
  node_unref (n);
  store_free (&s);
}
END_TEST

START_TEST (test_publish_not_ready)
{
  struct store s;
  struct node *sl, *n;
  const struct node *ss;

  store_init (&s);
  pods_fixture (&s);
  put (&s, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
           "  publishNotReadyAddresses: true\n  selector: {app: web}\n"
           "  ports: [{name: http, port: 80, targetPort: 8080}]\n");
  sl = slices_of (&s, "web");
  ck_assert_str_eq (cond (sl, "p2", "ready"), "true");
  ck_assert_str_eq (cond (sl, "p2", "serving"), "false");
  ck_assert_str_eq (cond (sl, "p3", "ready"), "true");
  ck_assert_str_eq (cond (sl, "p3", "terminating"), "true");
  node_unref (sl);
  n = endpoints_api_get (&s, false, "default", "web");
  ss = k8s_get (n, "subsets");
  /* every address is ready, the terminating one included */
  ck_assert_uint_eq (k8s_get (ss->items[0], "addresses")->len, 3);
  ck_assert_ptr_null (k8s_get (ss->items[0], "notReadyAddresses"));
  node_unref (n);
  store_free (&s);
}
END_TEST

/* A readiness change not yet stored (the readiness fast path): serving
 * and ready of that Pod's endpoint as the stored condition would give. */
START_TEST (test_set_serving)
{
  struct store s;
  struct service_endpoints e;
  const struct endpoint *ep;
  struct store_entry *svc, *p1, *p2, *p3;

  store_init (&s);
  pods_fixture (&s);
  svc = put (&s, svc_web);
  p1 = store_get (&s, kind_lookup ("Pod"), "default", "p1");
  p2 = store_get (&s, kind_lookup ("Pod"), "default", "p2");
  p3 = store_get (&s, kind_lookup ("Pod"), "default", "p3");
  endpoints_compute (&s, svc, &e);
  ck_assert_uint_eq (e.ngroups, 1);
  ck_assert_uint_eq (e.groups[0].neps, 3);
  endpoints_set_serving (&e, p2, true);
  endpoints_set_serving (&e, p1, false);
  endpoints_set_serving (&e, p3, true);
  for (size_t i = 0; i < e.groups[0].neps; i++)
    {
      ep = &e.groups[0].eps[i];
      if (ep->pod == p1)
        ck_assert (!ep->serving && !ep->ready);
      else if (ep->pod == p2)
        ck_assert (ep->serving && ep->ready);
      else /* terminating: serving, never ready */
        ck_assert (ep->pod == p3 && ep->serving && !ep->ready);
    }
  endpoints_free (&e);
  /* publishNotReadyAddresses: ready whatever the condition */
  svc = put (&s, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                 "spec:\n  publishNotReadyAddresses: true\n  selector: {app: "
                 "web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n");
  endpoints_compute (&s, svc, &e);
  endpoints_set_serving (&e, p1, false);
  for (size_t i = 0; i < e.groups[0].neps; i++)
    if (e.groups[0].eps[i].pod == p1)
      ck_assert (!e.groups[0].eps[i].serving && e.groups[0].eps[i].ready);
  endpoints_free (&e);
  store_free (&s);
}
END_TEST

START_TEST (test_named_ports_per_pod)
{
  struct store s;
  struct node *sl, *n;
  const struct node *ss;

  store_init (&s);
  pod (&s, "p1", "10.88.0.11", "True", NULL, NULL);
  pod (&s, "p2", "10.88.0.12", "True", NULL, "web"); /* no port "http" */
  put (&s, svc_web);
  sl = slices_of (&s, "web");
  /* two port mappings, two slices: p2 has no port for "http" */
  ck_assert_uint_eq (sl->len, 2);
  for (size_t i = 0; i < 2; i++)
    {
      const struct node *eps = k8s_get (sl->items[i], "endpoints");
      const char *who = k8s_get_str (eps->items[0], "targetRef.name");
      if (strcmp (who, "p2") == 0)
        ck_assert (node_is_null (k8s_get (sl->items[i], "ports")));
      else
        ck_assert_str_eq (
            k8s_get_str (k8s_get (sl->items[i], "ports")->items[0], "port"),
            "8080");
    }
  node_unref (sl);
  /* the legacy Endpoints only lists p1, under its port */
  n = endpoints_api_get (&s, false, "default", "web");
  ss = k8s_get (n, "subsets");
  ck_assert_uint_eq (ss->len, 1);
  ck_assert_uint_eq (k8s_get (ss->items[0], "addresses")->len, 1);
  node_unref (n);
  store_free (&s);
}
END_TEST

START_TEST (test_selectorless_and_placeholder)
{
  struct store s;
  struct node *sl, *n;
  store_init (&s);
  put (&s, "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec:\n"
           "  ports: [{port: 80}]\n");
  put (&s, svc_web);
  /* no selector: the user's endpoints, none from the controllers */
  ck_assert_ptr_null (endpoints_api_get (&s, false, "default", "ext"));
  /* no pods: one placeholder slice, no subsets */
  sl = slices_of (&s, "web");
  ck_assert_uint_eq (sl->len, 1);
  ck_assert (node_is_null (k8s_get (sl->items[0], "endpoints")));
  node_unref (sl);
  n = endpoints_api_get (&s, false, "default", "web");
  ck_assert_ptr_null (k8s_get (n, "subsets"));
  node_unref (n);
  store_free (&s);
}
END_TEST

static struct node *
call (struct store *s, const struct service_ranges *r, const char *method,
      const char *path, const char *body, int want)
{
  char *out = NULL;
  size_t len = 0;
  const char *ct;
  struct node *n;
  int code = api_handle_services (s, r, method, path, body,
                                  body ? strlen (body) : 0, &out, &len, &ct);
  ck_assert_msg (code == want, "%s %s: %d, want %d: %s", method, path, code,
                 want, out);
  n = json (out);
  free (out);
  return n;
}

START_TEST (test_api)
{
  struct service_ranges r = ranges ("10.96.0.0/12", "30000-32767");
  struct store s;
  struct node *n;

  store_init (&s);
  pods_fixture (&s);
  n = call (&s, &r, "POST", "/api/v1/namespaces/default/services",
            "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": "
            "{\"name\": \"web\"}, \"spec\": {\"type\": \"NodePort\", "
            "\"selector\": {\"app\": \"web\"}, \"ports\": [{\"name\": "
            "\"http\", \"port\": 80, \"targetPort\": \"http\", \"nodePort\": "
            "30080}]}}",
            201);
  /* allocated when stored, as the API server does */
  ck_assert_ptr_nonnull (k8s_get_str (n, "spec.clusterIP"));
  ck_assert_str_eq (
      k8s_get_str (k8s_get (n, "spec.ports")->items[0], "nodePort"), "30080");
  node_unref (n);
  n = call (&s, &r, "POST", "/api/v1/namespaces/default/services",
            "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": "
            "{\"name\": \"two\"}, \"spec\": {\"type\": \"NodePort\", "
            "\"ports\": [{\"port\": 80, \"nodePort\": 30080}]}}",
            422);
  ck_assert_str_eq (k8s_get_str (n, "message"),
                    "Service \"two\" is invalid: spec.ports[0].nodePort: "
                    "Invalid value: 30080: provided port is already "
                    "allocated");
  ck_assert_str_eq (k8s_get_str (n, "reason"), "Invalid");
  ck_assert_str_eq (
      k8s_get_str (k8s_get (n, "details.causes")->items[0], "field"),
      "spec.ports[0].nodePort");
  node_unref (n);
  n = call (&s, &r, "GET",
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", NULL,
            200);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "EndpointSliceList");
  ck_assert_uint_eq (k8s_get (n, "items")->len, 1);
  node_unref (n);
  n = call (&s, &r, "GET", "/apis/discovery.k8s.io/v1/endpointslices", NULL,
            200);
  ck_assert_uint_eq (k8s_get (n, "items")->len, 1);
  node_unref (n);
  n = call (&s, &r, "GET", "/api/v1/namespaces/default/endpoints/web", NULL,
            200);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "Endpoints");
  node_unref (n);
  n = call (&s, &r, "GET", "/api/v1/endpoints", NULL, 200);
  ck_assert_str_eq (k8s_get_str (n, "kind"), "EndpointsList");
  node_unref (n);
  n = call (&s, &r, "GET", "/api/v1/namespaces/default/endpoints/nope", NULL,
            404);
  ck_assert_str_eq (k8s_get_str (n, "message"), "endpoints \"nope\" not found");
  node_unref (n);
  n = call (&s, &r, "DELETE", "/api/v1/namespaces/default/endpoints/web", NULL,
            405);
  node_unref (n);
  store_free (&s);
}
END_TEST

/* ---- the controller, without nftables ---- */

START_TEST (test_controller_allocates_and_routes_ready)
{
  struct service_controller_options so = { 0 };
  struct controller *c;
  struct store s;
  struct store_entry *svc, *p2;
  berth_error_t err = NULL;
  int64_t next;
  const char *rules, *ip;
  enum store_result res;

  store_init (&s);
  so.ranges = ranges ("10.96.0.0/12", "30000-32767");
  so.cluster_cidr = "10.88.0.0/16";
  ck_assert_int_eq (service_controller_new (&so, &s, &c, &err), 0);
  pod (&s, "p1", "10.88.0.11", "True", NULL, NULL);
  p2 = pod (&s, "p2", "10.88.0.12", "True", NULL, NULL);
  /* from a manifest file: stored without a ClusterIP */
  ck_assert_int_eq (store_apply (&s, obj (svc_web), "file:/m/web.yaml",
                                 STORE_UPSERT, NULL, &res, NULL, &err),
                    0);
  ck_assert_int_eq (c->ops->sync (c, &s, 0, &next, &err), 0);
  svc = store_get (&s, kind_lookup ("Service"), "default", "web");
  ip = ((struct service *)svc->obj->data)->spec.cluster_ip;
  ck_assert_ptr_nonnull (ip);
  ck_assert_str_eq (svc->source, "file:/m/web.yaml");
  rules = service_controller_ruleset (c);
  ck_assert (strstr (rules, "dnat to 10.88.0.11:8080") != NULL);
  ck_assert (strstr (rules, "dnat to 10.88.0.12:8080") != NULL);
  ck_assert (strstr (rules, "numgen random mod 2") != NULL);
  /* p2 unready: out of the rules */
  ck_assert_int_eq (
      store_set_status (&s, p2,
                        json ("{\"phase\": \"Running\", \"podIP\": "
                              "\"10.88.0.12\", \"conditions\": [{\"type\": "
                              "\"Ready\", \"status\": \"False\"}]}"),
                        &err),
      0);
  ck_assert_int_eq (c->ops->sync (c, &s, 0, &next, &err), 0);
  rules = service_controller_ruleset (c);
  ck_assert (strstr (rules, "dnat to 10.88.0.12:8080") == NULL);
  ck_assert (strstr (rules, "numgen random mod 1") != NULL);
  /* the file changes: the Service comes back without its ClusterIP, and
   * keeps the one it had */
  {
    cleanup_free char *keep = xstrdup (ip);
    ck_assert_int_eq (store_apply (&s,
                                   obj ("apiVersion: v1\nkind: Service\n"
                                        "metadata: {name: web}\nspec:\n"
                                        "  selector: {app: web}\n  ports: "
                                        "[{name: http, port: 81, targetPort: "
                                        "http}]\n"),
                                   "file:/m/web.yaml", STORE_UPSERT, NULL, &res,
                                   NULL, &err),
                      0);
    ck_assert_int_eq (c->ops->sync (c, &s, 0, &next, &err), 0);
    svc = store_get (&s, kind_lookup ("Service"), "default", "web");
    ck_assert_str_eq (((struct service *)svc->obj->data)->spec.cluster_ip,
                      keep);
  }
  c->ops->free (c);
  store_free (&s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("endpoints");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_ranges);
  tcase_add_test (tc, test_alloc_cluster_ip);
  tcase_add_test (tc, test_alloc_update_and_full);
  tcase_add_test (tc, test_alloc_node_ports);
  tcase_add_test (tc, test_slice_conditions);
  tcase_add_test (tc, test_endpoints_v1);
  tcase_add_test (tc, test_publish_not_ready);
  tcase_add_test (tc, test_set_serving);
  tcase_add_test (tc, test_named_ports_per_pod);
  tcase_add_test (tc, test_selectorless_and_placeholder);
  tcase_add_test (tc, test_api);
  tcase_add_test (tc, test_controller_allocates_and_routes_ready);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
