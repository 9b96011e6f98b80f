/* cmd_describe.c - `berth describe pod|job|cronjob NAME [-n NS]`: the
 * object as kubectl describe shows it, with its events (Jobs and CronJobs
 * in describe_batch.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "client.h"
#include "codec.h"
#include "commands.h"
#include "describe_batch.h"
#include "describe_accounting.h"
#include "k8s_json.h"
#include "qos.h"

static void
print_map (const char *label, const struct strmap *m)
{
  printf ("%-18s", label);
  if (m->len == 0)
    printf ("<none>\n");
  for (size_t i = 0; i < m->len; i++)
    printf ("%*s%s=%s\n", i ? 18 : 0, "", m->keys[i], m->values[i]);
}

static const char *
ios_str (const struct int_or_string *v, char *buf, size_t len)
{
  if (v->type == IOS_STRING)
    return v->s;
  snprintf (buf, len, "%lld", (long long)v->i);
  return buf;
}

/* kubectl's url.URL{Scheme: lower(scheme)}.String() */
static void
print_scheme (const char *scheme)
{
  for (const char *c = scheme ? scheme : "HTTP"; *c; c++)
    putchar (*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
}

/* "6s ago" for an RFC 3339 time; "" when it does not parse. */
static void
ago (const char *ts, char *buf, size_t len)
{
  time_t t;
  *buf = '\0';
  if (ts && k8s_rfc3339_parse (ts, &t) == 0)
    k8s_human_duration ((int64_t)(time (NULL) - t), buf, len);
}

/* berth's record of the probe (status.berth...probes.KIND, prober.h). */
static void
print_probe_record (const struct node *rec)
{
  const char *result = k8s_get_str (rec, "result");
  const char *last = k8s_get_str (rec, "lastProbe.result");
  char since[32], at[32];
  int64_t n = 0;
  bool ovf;

  if (result == NULL)
    return;
  ago (k8s_get_str (rec, "since"), since, sizeof (since));
  printf ("      Result:   %s%s%s", result, *since ? " for " : "", since);
  if (last)
    {
      ago (k8s_get_str (rec, "lastProbe.time"), at, sizeof (at));
      node_as_int64 (k8s_get (rec, "consecutive"), &n, &ovf);
      printf ("; last probe %s %s%s (%lld consecutive %s)",
              strcmp (last, "Success") == 0 ? "succeeded" : "failed", at,
              *at ? " ago" : "", (long long)n,
              strcmp (last, "Success") == 0 ? "successes" : "failures");
    }
  printf ("\n      Total:    %s successes, %s failures\n",
          k8s_get_str (rec, "successes") ?: "0",
          k8s_get_str (rec, "failures") ?: "0");
}

/* kubectl's describeProbe, then berth's record of it (REC, or NULL). */
static void
print_probe (const char *label, const struct probe *p, const struct node *rec)
{
  char port[32];
  if (p == NULL)
    return;
  printf ("    %-11s ", label);
  if (p->exec)
    {
      printf ("exec [");
      for (size_t i = 0; i < p->exec->command.len; i++)
        printf ("%s%s", i ? " " : "", p->exec->command.items[i]);
      printf ("]");
    }
  else if (p->http_get)
    {
      printf ("http-get ");
      print_scheme (p->http_get->scheme);
      printf ("://%s:%s%s", p->http_get->host ? p->http_get->host : "",
              ios_str (&p->http_get->port, port, sizeof (port)),
              p->http_get->path ? p->http_get->path : "");
    }
  else if (p->tcp_socket)
    printf ("tcp-socket %s:%s", p->tcp_socket->host ? p->tcp_socket->host : "",
            ios_str (&p->tcp_socket->port, port, sizeof (port)));
  else if (p->grpc)
    printf ("grpc <pod>:%lld %s", (long long)p->grpc->port.v,
            p->grpc->service ? p->grpc->service : "");
  else
    printf ("unknown");
  printf (" delay=%llds timeout=%llds period=%llds #success=%lld "
          "#failure=%lld\n",
          (long long)p->initial_delay_seconds.v,
          (long long)p->timeout_seconds.v, (long long)p->period_seconds.v,
          (long long)p->success_threshold.v, (long long)p->failure_threshold.v);
  print_probe_record (rec);
}

/* The probes of container NAME in STATUS's berth block, or NULL. */
static const struct node *
probe_records (const struct node *status, const char *name)
{
  static const char *const lists[]
      = { "berth.initContainers", "berth.containers" };
  for (int l = 0; l < 2; l++)
    {
      const struct node *seq = k8s_get (status, lists[l]);
      for (size_t i = 0; seq && seq->kind == NODE_SEQ && i < seq->len; i++)
        {
          const char *n = k8s_get_str (seq->items[i], "name");
          if (n && strcmp (n, name) == 0)
            return k8s_get (seq->items[i], "probes");
        }
    }
  return NULL;
}

static void
print_resources (const char *label, const struct quantity_map *m)
{
  if (m->len == 0)
    return;
  printf ("    %s:\n", label);
  for (size_t i = 0; i < m->len; i++)
    {
      cleanup_free char *q = quantity_format (&m->values[i]);
      printf ("      %s:  %s\n", m->keys[i], q);
    }
}

static void
print_container (const struct container *c, const struct node *status)
{
  const struct node *rec = probe_records (status, c->name);
  printf ("  %s:\n", c->name);
  printf ("    Image:      %s\n", c->image ? c->image : "");
  for (size_t i = 0; i < c->ports.len; i++)
    printf ("    Port:       %lld/%s\n",
            (long long)c->ports.items[i].container_port.v,
            c->ports.items[i].protocol ? c->ports.items[i].protocol : "TCP");
  if (c->command.len)
    {
      printf ("    Command:\n");
      for (size_t i = 0; i < c->command.len; i++)
        printf ("      %s\n", c->command.items[i]);
    }
  if (c->args.len)
    {
      printf ("    Args:\n");
      for (size_t i = 0; i < c->args.len; i++)
        printf ("      %s\n", c->args.items[i]);
    }
  /* State, Ready and Restart Count come from containerStatuses, which
   * the agent does not have until the runtime runs the pod. */
  print_resources ("Limits", &c->resources.limits);
  print_resources ("Requests", &c->resources.requests);
  print_probe ("Liveness:", c->liveness_probe, k8s_get (rec, "liveness"));
  print_probe ("Readiness:", c->readiness_probe, k8s_get (rec, "readiness"));
  print_probe ("Startup:", c->startup_probe, k8s_get (rec, "startup"));
  printf ("    Environment:");
  if (c->env.len == 0)
    printf ("  <none>\n");
  else
    putchar ('\n');
  for (size_t i = 0; i < c->env.len; i++)
    printf ("      %s:  %s\n", c->env.items[i].name,
            c->env.items[i].value ? c->env.items[i].value
                                  : "<set from a "
                                    "source>");
  printf ("    Mounts:");
  if (c->volume_mounts.len == 0)
    printf ("       <none>\n");
  else
    putchar ('\n');
  for (size_t i = 0; i < c->volume_mounts.len; i++)
    printf ("      %s from %s (%s)\n", c->volume_mounts.items[i].mount_path,
            c->volume_mounts.items[i].name,
            c->volume_mounts.items[i].read_only.v ? "ro" : "rw");
}

static void
print_volume (const struct volume *v)
{
  printf ("  %s:\n", v->name);
  if (v->empty_dir)
    printf ("    Type:       EmptyDir (a temporary directory that shares a "
            "pod's lifetime)\n    Medium:     %s\n",
            v->empty_dir->medium ? v->empty_dir->medium : "");
  else if (v->config_map)
    printf ("    Type:      ConfigMap (a volume populated by a ConfigMap)\n"
            "    Name:      %s\n",
            v->config_map->name);
  else if (v->secret)
    printf ("    Type:        Secret (a volume populated by a Secret)\n"
            "    SecretName:  %s\n",
            v->secret->secret_name);
  else if (v->host_path)
    printf ("    Type:          HostPath (bare host directory volume)\n"
            "    Path:          %s\n",
            v->host_path->path);
  else
    printf ("    Type:       (another volume source)\n");
}

static void
print_conditions (const struct node *status)
{
  const struct node *cs = k8s_get (status, "conditions");
  printf ("Conditions:\n  Type              Status\n");
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    printf ("  %-17s %s \n", k8s_get_str (cs->items[i], "type") ?: "",
            k8s_get_str (cs->items[i], "status") ?: "");
}

static void
print_events (const char *socket, const char *ns, const char *name,
              const char *uid)
{
  cleanup_free char *path = client_path (NULL, true, ns, NULL);
  struct client_reply rep;
  berth_error_t err = NULL;
  const struct node *items;
  size_t shown = 0;
  if (client_request (socket, "GET", path, NULL, &rep, &err) < 0)
    {
      berth_error_release (&err);
      printf ("Events:            <unavailable>\n");
      return;
    }
  items = node_map_get (rep.body, "items");
  for (size_t i = 0; items && items->kind == NODE_SEQ && i < items->len; i++)
    {
      const struct node *e = items->items[i];
      const char *on = k8s_get_str (e, "involvedObject.name");
      const char *ok = k8s_get_str (e, "involvedObject.kind");
      const char *ou = k8s_get_str (e, "involvedObject.uid");
      time_t t;
      char age[32] = "<unknown>";
      if (!on || !ok || strcmp (on, name) != 0 || strcmp (ok, "Pod") != 0
          || (ou && uid && strcmp (ou, uid) != 0))
        continue;
      if (shown++ == 0)
        printf ("Events:\n  Type    Reason  Age  From  Message\n"
                "  ----    ------  ---- ----  -------\n");
      if (k8s_rfc3339_parse (k8s_get_str (e, "lastTimestamp"), &t) == 0)
        k8s_human_duration ((int64_t)(time (NULL) - t), age, sizeof (age));
      printf ("  %s  %s  %s  berth  %s\n", k8s_get_str (e, "type") ?: "",
              k8s_get_str (e, "reason") ?: "", age,
              k8s_get_str (e, "message") ?: "");
    }
  if (shown == 0)
    printf ("Events:            <none>\n");
  client_reply_free (&rep);
}

static int
describe_pod (const char *socket, const struct node *body)
{
  struct node *copy = node_new_map ();
  const struct node *status = node_map_get (body, "status");
  struct object *o;
  const struct pod *p;
  for (size_t i = 0; i < body->len; i++)
    if (strcmp (body->pairs[i].key->text, "status") != 0)
      node_map_set (copy, body->pairs[i].key->text,
                    node_ref (body->pairs[i].value));
  o = object_from_node ("<agent>", copy, "");
  node_unref (copy);
  if (o->info == NULL || o->info->id != KIND_POD)
    {
      fprintf (stderr, "error: the agent returned something else than a "
                       "Pod\n");
      object_free (o);
      return 1;
    }
  p = o->data;
  printf ("%-18s%s\n", "Name:", p->metadata.name);
  printf ("%-18s%s\n", "Namespace:", p->metadata.namespace);
  printf ("%-18s%s\n", "Service Account:",
          p->spec.service_account_name ? p->spec.service_account_name
                                       : "default");
  printf ("%-18s%s\n",
          "Node:", p->spec.node_name ? p->spec.node_name : "<none>");
  print_map ("Labels:", &p->metadata.labels);
  print_map ("Annotations:", &p->metadata.annotations);
  printf ("%-18s%s\n", "Status:", k8s_get_str (status, "phase") ?: "Unknown");
  printf ("%-18s%s\n", "IP:", k8s_get_str (status, "podIP") ?: "");
  printf ("%-18s%s\n", "IPs:",
          k8s_get_str (status, "podIP") ? k8s_get_str (status, "podIP")
                                        : "<none>");
  if (p->spec.init_containers.len)
    {
      printf ("Init Containers:\n");
      for (size_t i = 0; i < p->spec.init_containers.len; i++)
        print_container (&p->spec.init_containers.items[i], status);
    }
  printf ("Containers:\n");
  for (size_t i = 0; i < p->spec.containers.len; i++)
    print_container (&p->spec.containers.items[i], status);
  print_conditions (status);
  printf ("Volumes:");
  printf (p->spec.volumes.len ? "\n" : "           <none>\n");
  for (size_t i = 0; i < p->spec.volumes.len; i++)
    print_volume (&p->spec.volumes.items[i]);
  printf ("%-18s%s\n", "QoS Class:",
          k8s_get_str (status, "qosClass")
              ?: qos_class_name (qos_compute (&p->spec)));
  print_map ("Node-Selectors:", &p->spec.node_selector);
  printf ("%-18s", "Tolerations:");
  if (p->spec.tolerations.len == 0)
    printf ("<none>\n");
  for (size_t i = 0; i < p->spec.tolerations.len; i++)
    {
      const struct toleration *t = &p->spec.tolerations.items[i];
      printf ("%*s%s%s%s%s%s%s\n", i ? 18 : 0, "", t->key ? t->key : "",
              t->value ? "=" : "", t->value ? t->value : "",
              t->effect ? ":" : "", t->effect ? t->effect : "",
              t->operator&& strcmp (t->operator, "Exists") == 0 ? " op=Exists"
                                                                : "");
    }
  describe_accounting_print (stdout, status);
  print_events (socket, p->metadata.namespace, p->metadata.name,
                p->metadata.uid);
  object_free (o);
  return 0;
}

int
cmd_describe (int argc, char **argv)
{
  static const struct option options[]
      = { { "namespace", required_argument, NULL, 'n' },
          { "socket", required_argument, NULL, 'S' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  const char *ns = "default", *socket = NULL;
  cleanup_free char *path = NULL;
  struct client_reply rep;
  berth_error_t err = NULL;
  const struct kind_info *k;
  bool events;
  int c, status;

  optind = 1;
  while ((c = getopt_long (argc, argv, "n:h", options, NULL)) != -1)
    switch (c)
      {
      case 'n':
        ns = optarg;
        break;
      case 'S':
        socket = optarg;
        break;
      case 'h':
        printf ("Usage: berth describe pod|job|cronjob NAME [-n NS] "
                "[--socket PATH]\n");
        return 0;
      default:
        return 2;
      }
  if (argc - optind != 2
      || (k = client_resource (argv[optind], &events)) == NULL
      || (k->id != KIND_POD && k->id != KIND_JOB && k->id != KIND_CRON_JOB))
    {
      fprintf (stderr, "Usage: berth describe pod|job|cronjob NAME [-n NS]\n");
      return 2;
    }
  socket = client_socket (socket);
  path = client_path (k, false, ns, argv[optind + 1]);
  if (client_request (socket, "GET", path, NULL, &rep, &err) < 0)
    {
      fprintf (stderr, "berth describe: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return 1;
    }
  if (rep.code != 200 || rep.body == NULL)
    {
      client_print_error (&rep);
      client_reply_free (&rep);
      return 1;
    }
  status = k->id == KIND_POD ? describe_pod (socket, rep.body)
                             : describe_batch (socket, ns, rep.body);
  client_reply_free (&rep);
  return status;
}
