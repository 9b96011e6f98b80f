/* agent_http.c - the API paths that are not stored objects: /metrics
 * (cAdvisor's container metrics and the prober's, also apart as the
 * kubelet serves them: /metrics/cadvisor, /metrics/probes), the Resource
 * Metrics of /metrics/resource, /stats/summary (the
 * kubelet's Summary API) and a pod's container log
 * (/api/v1/namespaces/{ns}/pods/{name}/log, streamed with ?follow=true),
 * as the kubelet serves them.
 * Plugged into api.c as its extra handler (api.h); reads the store and the
 * pod worker, changes nothing. */
#include "agent_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "metrics.h"
#include "metrics_resource.h"
#include "pod_log.h"

#define AGENT_HTTP_MAX_PODS 4096

static int
reply_json (struct node *n, int code, char **out, size_t *len,
            const char **ctype)
{
  berth_error_t err = NULL;
  if (node_write_json (n, true, out, len, &err) < 0)
    {
      berth_error_release (&err);
      *out = xstrdup ("{}");
      *len = 2;
    }
  node_unref (n);
  *ctype = "application/json";
  return code;
}

static int
reply_status (int code, const char *reason, const char *msg, char **out,
              size_t *len, const char **ctype)
{
  return reply_json (k8s_status_error (code, reason, msg, NULL, NULL, NULL),
                     code, out, len, ctype);
}

/* Which families a metrics path serves: the kubelet splits them over
 * /metrics/cadvisor, /metrics/probes and /metrics/resource; berth's
 * /metrics has the first two. */
enum metrics_set
{
  METRICS_CADVISOR = 1,
  METRICS_PROBES = 2,
};

static int
metrics (struct agent *a, unsigned sets, char **out, size_t *len,
         const char **ctype)
{
  const struct pod_runner *pods[AGENT_HTTP_MAX_PODS];
  int64_t sampled[AGENT_HTTP_MAX_PODS];
  size_t n = a->worker
                 ? pod_worker_runners (a->worker, pods, AGENT_HTTP_MAX_PODS)
                 : 0;
  FILE *f = open_memstream (out, len);
  if (f == NULL)
    abort ();
  /* each pod's series at the time it was sampled, as cAdvisor serves them */
  for (size_t i = 0; i < n; i++)
    sampled[i] = pod_worker_sampled_ms (a->worker, pods[i]);
  if (sets & METRICS_CADVISOR)
    metrics_write_pods_sampled (f, pods, sampled, n);
  if ((sets & METRICS_PROBES) && a->worker && a->worker->prober)
    {
      cleanup_free char *probes = NULL;
      size_t plen = 0;
      prober_metrics_render (a->worker->prober, &probes, &plen);
      if (probes)
        fwrite (probes, 1, plen, f);
    }
  fclose (f);
  *ctype = METRICS_CONTENT_TYPE;
  return 200;
}

/* The Summary of the node and its pods (summary.h). */
static struct node *
build_summary (struct agent *a)
{
  const struct pod_runner *pods[AGENT_HTTP_MAX_PODS];
  const char *starts[AGENT_HTTP_MAX_PODS];
  struct summary_node_stats node;
  berth_error_t err = NULL;
  size_t n = pod_worker_runners (a->worker, pods, AGENT_HTTP_MAX_PODS);
  bool have_node = summary_node_read (loop_wall_ms (), &node, &err) == 0;

  berth_error_release (&err);
  if (have_node)
    pod_worker_note_node (a->worker, &node);
  for (size_t i = 0; i < n; i++)
    {
      const struct store_entry *e = store_get (&a->store, kind_lookup ("Pod"),
                                               pods[i]->pod->metadata.namespace,
                                               pods[i]->pod->metadata.name);
      const struct node *st = e ? node_map_get (e->status, "startTime") : NULL;
      starts[i] = st && st->kind == NODE_SCALAR ? st->text : NULL;
    }
  return summary_encode (a->node_name, have_node ? &node : NULL, pods, starts,
                         n, &a->worker->history);
}

/* /metrics/resource: what metrics-server scrapes, from the Summary. */
static int
metrics_resource (struct agent *a, char **out, size_t *len, const char **ctype)
{
  struct node *sum = build_summary (a);
  FILE *f = open_memstream (out, len);
  if (f == NULL)
    abort ();
  metrics_write_resource (f, sum);
  fclose (f);
  node_unref (sum);
  *ctype = METRICS_CONTENT_TYPE;
  return 200;
}

static int
summary (struct agent *a, char **out, size_t *len, const char **ctype)
{
  return reply_json (build_summary (a), 200, out, len, ctype);
}

/* A followed log's streamed reply. */
struct log_reply
{
  struct pod_log_follow *f;
  struct api_stream *s;
};

static void
log_reply_wake (void *ctx)
{
  struct log_reply *lr = ctx;
  api_stream_wake (lr->s);
}

static ssize_t
log_reply_read (void *ctx, char *buf, size_t max)
{
  struct log_reply *lr = ctx;
  return pod_log_follow_read (lr->f, buf, max);
}

static void
log_reply_free (void *ctx)
{
  struct log_reply *lr = ctx;
  pod_log_follow_free (lr->f);
  free (lr);
}

/* ?follow=true of a running container: the log so far, then what it
 * writes, until it exits.  0 when it cannot be followed (it has exited). */
static int
follow_log (struct agent *a, const char *path, const struct runner_container *c,
            long tail, void *actx, char **out, size_t *len, const char **ctype)
{
  struct log_reply *lr = xcalloc (1, sizeof (*lr));
  struct api_stream_source src = { log_reply_read, log_reply_free, lr };
  berth_error_t err = NULL;
  if (pod_log_follow_new (&a->loop, path, c->instance_dir, tail, log_reply_wake,
                          lr, &lr->f, &err)
      < 0)
    {
      free (lr);
      berth_error_release (&err);
      return 0;
    }
  if (api_stream_reply (&a->api, actx, &src, "text/plain", &lr->s, &err) < 0)
    {
      cleanup_free char *msg = xstrdup (berth_error_msg (&err));
      berth_error_release (&err);
      return reply_status (500, "InternalError", msg, out, len, ctype);
    }
  return API_REPLY_QUEUED;
}

static const struct runner_container *
find_container (const struct pod_runner *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->c[i].spec->name, name) == 0)
      return &r->c[i];
  return NULL;
}

/* GET .../pods/NAME/log?container=&previous=&tailLines=&follow= */
static int
pod_log (struct agent *a, const char *ns, const char *name,
         const char *(*arg) (void *, const char *), void *actx, char **out,
         size_t *len, const char **ctype)
{
  const struct store_entry *e
      = store_get (&a->store, kind_lookup ("Pod"), ns, name);
  const struct pod_runner *r;
  const struct runner_container *c;
  const char *cname = arg (actx, "container");
  const char *prev = arg (actx, "previous");
  const char *tail = arg (actx, "tailLines");
  const char *follow = arg (actx, "follow");
  cleanup_free char *path = NULL, *msg = NULL;
  int restart, err_no = 0, code;
  bool previous = prev && strcmp (prev, "true") == 0;

  if (e == NULL)
    {
      if (asprintf (&msg, "pods \"%s\" not found", name) < 0)
        abort ();
      return reply_status (404, "NotFound", msg, out, len, ctype);
    }
  r = a->worker ? pod_worker_runner (a->worker, object_meta (e->obj)->uid)
                : NULL;
  if (r == NULL)
    {
      if (asprintf (&msg, "pod \"%s\" is not running on this node", name) < 0)
        abort ();
      return reply_status (400, "BadRequest", msg, out, len, ctype);
    }
  if ((cname == NULL || *cname == '\0') && r->pod->spec.containers.len == 1)
    cname = r->pod->spec.containers.items[0].name;
  if (cname == NULL || *cname == '\0')
    {
      FILE *m = open_memstream (&msg, &(size_t){ 0 });
      fprintf (m,
               "a container name must be specified for pod %s, choose one "
               "of: [",
               name);
      for (size_t i = 0; i < r->pod->spec.containers.len; i++)
        fprintf (m, "%s%s", i ? " " : "",
                 r->pod->spec.containers.items[i].name);
      fputc (']', m);
      fclose (m);
      return reply_status (400, "BadRequest", msg, out, len, ctype);
    }
  c = find_container (r, cname);
  if (c == NULL)
    {
      if (asprintf (&msg, "container %s is not valid for pod %s", cname, name)
          < 0)
        abort ();
      return reply_status (400, "BadRequest", msg, out, len, ctype);
    }
  restart = c->restart_count;
  if (previous)
    {
      if (restart == 0)
        {
          if (asprintf (&msg,
                        "previous terminated container \"%s\" in pod \"%s\" "
                        "not found",
                        cname, name)
              < 0)
            abort ();
          return reply_status (400, "BadRequest", msg, out, len, ctype);
        }
      restart--;
    }
  if (asprintf (&path, "%s/%s_%s_%s/%s/%d.log", a->worker->cfg.runner.log_dir,
                ns, name, r->uid, cname, restart)
      < 0)
    abort ();
  if (!previous && follow && strcmp (follow, "true") == 0
      && c->now.st.state == CSTATE_RUNNING && c->instance_dir
      && (code = follow_log (a, path, c, tail ? strtol (tail, NULL, 10) : -1,
                             actx, out, len, ctype))
             != 0)
    return code;
  *out = pod_log_text (path, tail ? strtol (tail, NULL, 10) : -1, len, &err_no);
  if (*out == NULL)
    {
      if (err_no != ENOENT)
        {
          if (asprintf (&msg, "read %s: %s", path, strerror (err_no)) < 0)
            abort ();
          return reply_status (500, "InternalError", msg, out, len, ctype);
        }
      *out = xstrdup ("");
      *len = 0;
    }
  *ctype = "text/plain";
  return 200;
}

int
agent_http_extra (void *ctx, const char *method, const char *path,
                  const char *(*arg) (void *actx, const char *key), void *actx,
                  char **out, size_t *out_len, const char **content_type)
{
  struct agent *a = ctx;
  char buf[512], *seg[8];
  int n = 0;

  if (strcmp (method, "GET") != 0)
    return 0;
  if (strcmp (path, "/metrics") == 0)
    return metrics (a, METRICS_CADVISOR | METRICS_PROBES, out, out_len,
                    content_type);
  if (strcmp (path, "/metrics/cadvisor") == 0)
    return metrics (a, METRICS_CADVISOR, out, out_len, content_type);
  if (strcmp (path, "/metrics/probes") == 0)
    return metrics (a, METRICS_PROBES, out, out_len, content_type);
  if (strcmp (path, "/metrics/resource") == 0 && a->worker)
    return metrics_resource (a, out, out_len, content_type);
  if (strcmp (path, "/stats/summary") == 0 && a->worker)
    return summary (a, out, out_len, content_type);
  if (strlen (path) >= sizeof buf)
    return 0;
  strcpy (buf, path);
  for (char *save = NULL, *t = strtok_r (buf, "/", &save); t && n < 8;
       t = strtok_r (NULL, "/", &save))
    seg[n++] = t;
  /* api v1 namespaces NS pods NAME log */
  if (n == 7 && strcmp (seg[0], "api") == 0 && strcmp (seg[1], "v1") == 0
      && strcmp (seg[2], "namespaces") == 0 && strcmp (seg[4], "pods") == 0
      && strcmp (seg[6], "log") == 0)
    return pod_log (a, seg[3], seg[5], arg, actx, out, out_len, content_type);
  return 0;
}
