/* agent_http.c - the API paths that are not stored objects: /metrics
 * (cAdvisor's container metrics and the prober's), /stats/summary (the
 * kubelet's Summary API) and a pod's container log
 * (/api/v1/namespaces/{ns}/pods/{name}/log), as the kubelet serves them.
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

static int
metrics (struct agent *a, char **out, size_t *len, const char **ctype)
{
  const struct pod_runner *pods[AGENT_HTTP_MAX_PODS];
  size_t n = a->worker
                 ? pod_worker_runners (a->worker, pods, AGENT_HTTP_MAX_PODS)
                 : 0;
  FILE *f = open_memstream (out, len);
  if (f == NULL)
    abort ();
  metrics_write_pods (f, pods, n, loop_wall_ms ());
  if (a->worker && a->worker->prober)
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

static int
summary (struct agent *a, char **out, size_t *len, const char **ctype)
{
  const struct pod_runner *pods[AGENT_HTTP_MAX_PODS];
  const char *starts[AGENT_HTTP_MAX_PODS];
  struct summary_node_stats node;
  berth_error_t err = NULL;
  size_t n = a->worker
                 ? pod_worker_runners (a->worker, pods, AGENT_HTTP_MAX_PODS)
                 : 0;
  bool have_node = summary_node_read (loop_wall_ms (), &node, &err) == 0;

  berth_error_release (&err);
  for (size_t i = 0; i < n; i++)
    {
      const struct store_entry *e = store_get (&a->store, kind_lookup ("Pod"),
                                               pods[i]->pod->metadata.namespace,
                                               pods[i]->pod->metadata.name);
      const struct node *st = e ? node_map_get (e->status, "startTime") : NULL;
      starts[i] = st && st->kind == NODE_SCALAR ? st->text : NULL;
    }
  return reply_json (summary_encode (a->node_name, have_node ? &node : NULL,
                                     pods, starts, n, &a->worker->history),
                     200, out, len, ctype);
}

/* The text of a CRI log file: the message of each line, partial lines
 * (tag P) joined, as kubectl logs shows it; the last TAIL lines when
 * TAIL >= 0. */
static char *
cri_log_text (const char *path, long tail, size_t *len, int *err_no)
{
  cleanup_file FILE *f = fopen (path, "re");
  char *text = NULL, *line = NULL;
  size_t cap = 0, tlen = 0;
  FILE *o;
  ssize_t n;

  if (f == NULL)
    {
      *err_no = errno;
      return NULL;
    }
  o = open_memstream (&text, &tlen);
  if (o == NULL)
    abort ();
  while ((n = getline (&line, &cap, f)) > 0)
    {
      /* <time> <stream> <P|F> <message> */
      char *p = line, *tag;
      for (int field = 0; field < 2 && p; field++)
        p = strchr (p, ' '), p = p ? p + 1 : NULL;
      if (p == NULL)
        continue;
      tag = p;
      p = strchr (p, ' ');
      if (p == NULL)
        continue;
      p++;
      if (line[n - 1] == '\n')
        line[--n] = '\0';
      fputs (p, o);
      if (*tag != 'P')
        fputc ('\n', o);
    }
  free (line);
  fclose (o);
  if (tail >= 0)
    {
      size_t start = tlen;
      long lines = 0;
      while (start > 0)
        {
          if (text[start - 1] == '\n' && start != tlen && ++lines == tail)
            break;
          start--;
        }
      if (tail == 0)
        start = tlen;
      memmove (text, text + start, tlen - start + 1);
      tlen -= start;
    }
  *len = tlen;
  return text;
}

static const struct runner_container *
find_container (const struct pod_runner *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->c[i].spec->name, name) == 0)
      return &r->c[i];
  return NULL;
}

/* GET .../pods/NAME/log?container=&previous=&tailLines= */
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
  cleanup_free char *path = NULL, *msg = NULL;
  int restart, err_no = 0;

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
  if (prev && strcmp (prev, "true") == 0)
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
  *out = cri_log_text (path, tail ? strtol (tail, NULL, 10) : -1, len, &err_no);
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
  if (strcmp (path, "/metrics") == 0 || strcmp (path, "/metrics/cadvisor") == 0)
    return metrics (a, out, out_len, content_type);
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
