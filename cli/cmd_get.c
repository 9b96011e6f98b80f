/* cmd_get.c - `berth get RESOURCE [NAME] [-n NS|-A] [-o wide|json|yaml]`:
 * the agent's objects as kubectl prints them. */
#include <getopt.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli_util.h"
#include "client.h"
#include "codec.h"
#include "commands.h"
#include "k8s_json.h"

enum output
{
  OUT_TABLE,
  OUT_WIDE,
  OUT_JSON,
  OUT_YAML,
};

static char *fmt (const char *f, ...) __attribute__ ((format (printf, 1, 2)));
static char *
fmt (const char *f, ...)
{
  va_list ap;
  char *s = NULL;
  va_start (ap, f);
  if (vasprintf (&s, f, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

static char *
str_or (const char *s, const char *dflt)
{
  return xstrdup (s && *s ? s : dflt);
}

static char *
age_of (const char *ts)
{
  time_t t;
  char buf[32];
  if (k8s_rfc3339_parse (ts, &t) < 0)
    return xstrdup ("<unknown>");
  k8s_human_duration ((int64_t)(time (NULL) - t), buf, sizeof (buf));
  return xstrdup (buf);
}

static size_t
len_of (const struct node *n)
{
  return n && (n->kind == NODE_MAP || n->kind == NODE_SEQ) ? n->len : 0;
}

static bool
has_condition (const struct node *o, const char *type)
{
  const struct node *cs = k8s_get (o, "status.conditions");
  for (size_t j = 0; j < len_of (cs); j++)
    {
      const char *t = k8s_get_str (cs->items[j], "type");
      const char *st = k8s_get_str (cs->items[j], "status");
      if (t && st && strcmp (t, type) == 0 && strcmp (st, "True") == 0)
        return true;
    }
  return false;
}

static const char *
state_str (const struct node *c, const char *path)
{
  return k8s_get_str (c, path);
}

static bool
state_has (const struct node *c, const char *path)
{
  return k8s_get (c, path) != NULL;
}

/* "Init:..." while an init container holds the pod back (kubectl's
 * printPod); NULL once initialized. */
static char *
init_reason (const struct node *o, int64_t *restarts, int64_t *ready,
             int64_t *total, int64_t *sidecar_restarts,
             const char **last_restart)
{
  const struct node *ics = k8s_get (o, "status.initContainerStatuses");
  const struct node *spec = k8s_get (o, "spec.initContainers");
  size_t n_init = len_of (spec);
  char *reason = NULL;
  for (size_t j = 0; j < len_of (ics); j++)
    {
      const struct node *c = ics->items[j];
      const char *name = k8s_get_str (c, "name"), *policy = NULL, *why;
      int64_t v = 0, code = 0;
      bool b = false;
      for (size_t k = 0; k < n_init; k++)
        if (name && k8s_get_str (spec->items[k], "name")
            && strcmp (k8s_get_str (spec->items[k], "name"), name) == 0)
          policy = k8s_get_str (spec->items[k], "restartPolicy");
      node_as_int64 (node_map_get (c, "restartCount"), &v, NULL);
      if (state_has (c, "lastState.terminated"))
        *last_restart = state_str (c, "lastState.terminated.finishedAt");
      if (policy && strcmp (policy, "Always") == 0)
        {
          (*total)++;
          *sidecar_restarts += v;
          if (node_as_bool (node_map_get (c, "ready"), &b) && b)
            (*ready)++;
          continue;
        }
      *restarts += v;
      if (reason)
        continue;
      node_as_int64 (k8s_get (c, "state.terminated.exitCode"), &code, NULL);
      if (state_has (c, "state.terminated") && code == 0)
        continue;
      if (state_has (c, "state.terminated"))
        {
          why = state_str (c, "state.terminated.reason");
          reason = why && *why ? fmt ("Init:%s", why)
                               : fmt ("Init:ExitCode:%lld", (long long)code);
        }
      else if ((why = state_str (c, "state.waiting.reason")) && *why
               && strcmp (why, "PodInitializing") != 0)
        reason = fmt ("Init:%s", why);
      else
        reason = fmt ("Init:%zu/%zu", j, n_init);
    }
  return reason;
}

/* kubectl's printPod: READY, STATUS and RESTARTS from the statuses. */
static void
pod_row (const struct node *o, char **row, size_t *i, enum output out)
{
  const struct node *cs = k8s_get (o, "status.containerStatuses");
  const char *phase = k8s_get_str (o, "status.phase");
  const char *last_restart = NULL;
  int64_t restarts = 0, ready = 0, sidecar_restarts = 0;
  int64_t total = (int64_t)len_of (k8s_get (o, "spec.containers"));
  char *reason = init_reason (o, &restarts, &ready, &total, &sidecar_restarts,
                              &last_restart);
  bool initialized = has_condition (o, "Initialized");

  if (reason == NULL || initialized)
    {
      bool running = false;
      free (reason);
      reason = k8s_get_str (o, "status.reason")
                   ? xstrdup (k8s_get_str (o, "status.reason"))
                   : xstrdup (phase ? phase : "Unknown");
      restarts = sidecar_restarts;
      for (size_t j = len_of (cs); j-- > 0;)
        {
          const struct node *c = cs->items[j];
          const char *why;
          int64_t v = 0, code = 0;
          bool b = false;
          node_as_int64 (node_map_get (c, "restartCount"), &v, NULL);
          restarts += v;
          if (state_has (c, "lastState.terminated"))
            last_restart = state_str (c, "lastState.terminated.finishedAt");
          node_as_int64 (k8s_get (c, "state.terminated.exitCode"), &code, NULL);
          if ((why = state_str (c, "state.waiting.reason")) && *why)
            free (reason), reason = xstrdup (why);
          else if ((why = state_str (c, "state.terminated.reason")) && *why)
            free (reason), reason = xstrdup (why);
          else if (state_has (c, "state.terminated"))
            free (reason), reason = fmt ("ExitCode:%lld", (long long)code);
          else if (node_as_bool (node_map_get (c, "ready"), &b) && b
                   && state_has (c, "state.running"))
            running = true, ready++;
        }
      if (strcmp (reason, "Completed") == 0 && running)
        {
          free (reason);
          reason
              = xstrdup (has_condition (o, "Ready") ? "Running" : "NotReady");
        }
    }
  if (k8s_get_str (o, "metadata.deletionTimestamp") && phase
      && strcmp (phase, "Succeeded") != 0 && strcmp (phase, "Failed") != 0)
    {
      free (reason);
      reason = xstrdup ("Terminating");
    }
  row[(*i)++] = fmt ("%lld/%lld", (long long)ready, (long long)total);
  row[(*i)++] = reason;
  if (restarts != 0 && last_restart)
    {
      cleanup_free char *ago = age_of (last_restart);
      row[(*i)++] = fmt ("%lld (%s ago)", (long long)restarts, ago);
    }
  else
    row[(*i)++] = fmt ("%lld", (long long)restarts);
  row[(*i)++] = age_of (k8s_get_str (o, "metadata.creationTimestamp"));
  if (out == OUT_WIDE)
    {
      row[(*i)++] = str_or (k8s_get_str (o, "status.podIP"), "<none>");
      row[(*i)++] = str_or (k8s_get_str (o, "spec.nodeName"), "<none>");
      row[(*i)++] = xstrdup ("<none>");
      row[(*i)++] = xstrdup ("<none>");
    }
}

static char *
service_ports (const struct node *o)
{
  const struct node *ports = k8s_get (o, "spec.ports");
  char *s = xstrdup ("");
  for (size_t j = 0; j < len_of (ports); j++)
    {
      const struct node *p = ports->items[j];
      const char *port = k8s_get_str (p, "port");
      const char *np = k8s_get_str (p, "nodePort");
      const char *proto = k8s_get_str (p, "protocol");
      char *n = fmt ("%s%s%s%s%s/%s", s, j ? "," : "", port ? port : "",
                     np ? ":" : "", np ? np : "", proto ? proto : "TCP");
      free (s);
      s = n;
    }
  if (*s == '\0')
    {
      free (s);
      s = xstrdup ("<none>");
    }
  return s;
}

/* kubectl's printJob: the terminal conditions, Terminating, Suspended,
 * then the interim ones, else Running. */
static void
job_row (const struct node *o, char **row, size_t *i)
{
  const char *comp = k8s_get_str (o, "spec.completions");
  const char *par = k8s_get_str (o, "spec.parallelism");
  const char *succ = k8s_get_str (o, "status.succeeded");
  const char *start = k8s_get_str (o, "status.startTime");
  const char *end = k8s_get_str (o, "status.completionTime");
  time_t t0, t1;
  char buf[32] = "";
  row[(*i)++] = xstrdup (
      has_condition (o, "Complete")                   ? "Complete"
      : has_condition (o, "Failed")                   ? "Failed"
      : k8s_get_str (o, "metadata.deletionTimestamp") ? "Terminating"
      : has_condition (o, "Suspended")                ? "Suspended"
      : has_condition (o, "FailureTarget")            ? "FailureTarget"
      : has_condition (o, "SuccessCriteriaMet")       ? "SuccessCriteriaMet"
                                                      : "Running");
  if (comp)
    row[(*i)++] = fmt ("%s/%s", succ ? succ : "0", comp);
  else if (par && atoll (par) > 1)
    row[(*i)++] = fmt ("%s/1 of %s", succ ? succ : "0", par);
  else
    row[(*i)++] = fmt ("%s/1", succ ? succ : "0");
  if (start && k8s_rfc3339_parse (start, &t0) == 0)
    {
      if (!end || k8s_rfc3339_parse (end, &t1) < 0)
        t1 = time (NULL);
      k8s_human_duration ((int64_t)(t1 - t0), buf, sizeof (buf));
    }
  row[(*i)++] = xstrdup (buf);
}

/* The columns of KIND after NAME (and before AGE when it has one). */
static size_t
header (const char *kind, bool all_ns, enum output out, char **h)
{
  static const struct
  {
    const char *kind;
    const char *cols[8];
  } heads[] = {
    { "Pod", { "READY", "STATUS", "RESTARTS", "AGE" } },
    { "ConfigMap", { "DATA", "AGE" } },
    { "Secret", { "TYPE", "DATA", "AGE" } },
    { "Service", { "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE" } },
    { "Job", { "STATUS", "COMPLETIONS", "DURATION", "AGE" } },
    { "CronJob",
      { "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE" } },
    { "Namespace", { "STATUS", "AGE" } },
    { "Event", { "TYPE", "REASON", "OBJECT", "MESSAGE" } },
    { "Endpoints", { "ENDPOINTS", "AGE" } },
    { "EndpointSlice", { "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE" } },
  };
  size_t n = 0;
  if (all_ns && strcmp (kind, "Namespace") != 0)
    h[n++] = xstrdup ("NAMESPACE");
  h[n++] = xstrdup (strcmp (kind, "Event") == 0 ? "LAST SEEN" : "NAME");
  for (size_t i = 0; i < sizeof (heads) / sizeof (heads[0]); i++)
    if (strcmp (heads[i].kind, kind) == 0)
      for (size_t j = 0; j < 8 && heads[i].cols[j]; j++)
        h[n++] = xstrdup (heads[i].cols[j]);
  if (n == 1 + (all_ns ? 1 : 0))
    h[n++] = xstrdup ("AGE");
  if (out == OUT_WIDE && strcmp (kind, "Pod") == 0)
    {
      h[n++] = xstrdup ("IP");
      h[n++] = xstrdup ("NODE");
      h[n++] = xstrdup ("NOMINATED NODE");
      h[n++] = xstrdup ("READINESS GATES");
    }
  return n;
}

/* kubectl's formatEndpoints: the ready addresses with each port, at most
 * three, then "+ N more...". */
static char *
endpoints_cell (const struct node *o)
{
  const struct node *subsets = k8s_get (o, "subsets");
  char *s = xstrdup ("");
  size_t listed = 0, count = 0;
  if (len_of (subsets) == 0)
    {
      free (s);
      return xstrdup ("<none>");
    }
  for (size_t i = 0; i < subsets->len; i++)
    {
      const struct node *addrs = k8s_get (subsets->items[i], "addresses");
      const struct node *ports = k8s_get (subsets->items[i], "ports");
      size_t np = len_of (ports) ? ports->len : 1;
      for (size_t p = 0; p < np; p++)
        {
          count += len_of (addrs);
          for (size_t a = 0; a < len_of (addrs) && listed < 3; a++, listed++)
            {
              const char *ip = k8s_get_str (addrs->items[a], "ip");
              const char *port = len_of (ports)
                                     ? k8s_get_str (ports->items[p], "port")
                                     : NULL;
              char *n = fmt ("%s%s%s%s%s", s, listed ? "," : "", ip ? ip : "",
                             port ? ":" : "", port ? port : "");
              free (s);
              s = n;
            }
        }
    }
  if (count > 3)
    {
      char *n = fmt ("%s + %zu more...", s, count - 3);
      free (s);
      s = n;
    }
  return s;
}

/* kubectl's formatDiscoveryPorts / formatDiscoveryEndpoints: at most three,
 * "<unset>" when there are none. */
static char *
slice_cell (const struct node *o, bool ports)
{
  const struct node *list = k8s_get (o, ports ? "ports" : "endpoints");
  char *s = xstrdup ("");
  size_t count = 0;
  for (size_t i = 0; i < len_of (list); i++)
    {
      const struct node *addrs = k8s_get (list->items[i], "addresses");
      size_t n = ports ? 1 : len_of (addrs);
      for (size_t a = 0; a < n; a++, count++)
        {
          const char *v = ports ? k8s_get_str (list->items[i], "port")
                                : addrs->items[a]->text;
          char *x;
          if (count >= 3)
            continue;
          x = fmt ("%s%s%s", s, count ? "," : "", v ? v : "<unset>");
          free (s);
          s = x;
        }
    }
  if (count == 0)
    {
      free (s);
      return xstrdup ("<unset>");
    }
  if (count > 3)
    {
      char *x = fmt ("%s + %zu more...", s, count - 3);
      free (s);
      s = x;
    }
  return s;
}

static void
event_row (const struct node *o, char **row, size_t *i)
{
  cleanup_free char *kind
      = client_kind_lower (k8s_get_str (o, "involvedObject.kind") ?: "");
  const char *name = k8s_get_str (o, "involvedObject.name");
  row[(*i)++] = xstrdup (k8s_get_str (o, "type") ?: "");
  row[(*i)++] = xstrdup (k8s_get_str (o, "reason") ?: "");
  row[(*i)++] = fmt ("%s/%s", kind, name ? name : "");
  row[(*i)++] = xstrdup (k8s_get_str (o, "message") ?: "");
}

static void
object_row (const char *kind, const struct node *o, bool all_ns,
            enum output out, char **row)
{
  size_t i = 0;
  const char *age_ts = k8s_get_str (o, "metadata.creationTimestamp");
  bool age = true;
  if (all_ns && strcmp (kind, "Namespace") != 0)
    row[i++] = str_or (k8s_get_str (o, "metadata.namespace"), "");
  if (strcmp (kind, "Event") == 0)
    {
      row[i++] = age_of (k8s_get_str (o, "lastTimestamp"));
      event_row (o, row, &i);
      return;
    }
  row[i++] = str_or (k8s_get_str (o, "metadata.name"), "");
  if (strcmp (kind, "Pod") == 0)
    {
      pod_row (o, row, &i, out);
      return;
    }
  if (strcmp (kind, "ConfigMap") == 0)
    row[i++] = fmt ("%zu", len_of (node_map_get (o, "data"))
                               + len_of (node_map_get (o, "binaryData")));
  else if (strcmp (kind, "Secret") == 0)
    {
      row[i++] = str_or (k8s_get_str (o, "type"), "Opaque");
      row[i++] = fmt ("%zu", len_of (node_map_get (o, "data")));
    }
  else if (strcmp (kind, "Service") == 0)
    {
      const struct node *ext = k8s_get (o, "spec.externalIPs");
      row[i++] = str_or (k8s_get_str (o, "spec.type"), "ClusterIP");
      row[i++] = str_or (k8s_get_str (o, "spec.clusterIP"), "<none>");
      row[i++]
          = len_of (ext) ? xstrdup (ext->items[0]->text) : xstrdup ("<none>");
      row[i++] = service_ports (o);
    }
  else if (strcmp (kind, "Job") == 0)
    job_row (o, row, &i);
  else if (strcmp (kind, "CronJob") == 0)
    {
      const char *susp = k8s_get_str (o, "spec.suspend");
      row[i++] = str_or (k8s_get_str (o, "spec.schedule"), "");
      row[i++] = str_or (k8s_get_str (o, "spec.timeZone"), "<none>");
      row[i++]
          = xstrdup (susp && strcmp (susp, "true") == 0 ? "True" : "False");
      row[i++] = fmt ("%zu", len_of (k8s_get (o, "status.active")));
      row[i++] = k8s_get_str (o, "status.lastScheduleTime")
                     ? age_of (k8s_get_str (o, "status.lastScheduleTime"))
                     : xstrdup ("<none>");
    }
  else if (strcmp (kind, "Namespace") == 0)
    row[i++] = str_or (k8s_get_str (o, "status.phase"), "Active");
  else if (strcmp (kind, "Endpoints") == 0)
    row[i++] = endpoints_cell (o);
  else if (strcmp (kind, "EndpointSlice") == 0)
    {
      row[i++] = str_or (k8s_get_str (o, "addressType"), "");
      row[i++] = slice_cell (o, true);
      row[i++] = slice_cell (o, false);
    }
  if (age)
    row[i++] = age_of (age_ts);
}

static int
print_structured (const struct node *body, enum output out)
{
  cleanup_free char *text = NULL;
  berth_error_t err = NULL;
  size_t len = 0;
  int r = out == OUT_JSON ? node_write_json (body, true, &text, &len, &err)
                          : node_write_yaml (body, &text, &len, &err);
  if (r < 0)
    {
      fprintf (stderr, "berth get: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return 1;
    }
  fwrite (text, 1, len, stdout);
  if (len == 0 || text[len - 1] != '\n')
    putchar ('\n');
  return 0;
}

static int
print_table (const char *kind, const struct node *body, bool single,
             bool all_ns, enum output out, const char *ns, size_t *widths)
{
  const struct node *items = single ? NULL : node_map_get (body, "items");
  size_t n = single ? 1 : len_of (items);
  struct cli_table t = { 0 };
  char *h[16];

  if (n == 0)
    {
      if (all_ns || strcmp (kind, "Namespace") == 0)
        fprintf (stderr, "No resources found\n");
      else
        fprintf (stderr, "No resources found in %s namespace.\n", ns);
      return 0;
    }
  t.ncols = header (kind, all_ns, out, h);
  cli_table_add (&t, h);
  for (size_t i = 0; i < n; i++)
    {
      char *row[16] = { 0 };
      object_row (kind, single ? body : items->items[i], all_ns, out, row);
      for (size_t c = 0; c < t.ncols; c++)
        if (row[c] == NULL)
          row[c] = xstrdup ("");
      cli_table_add (&t, row);
    }
  cli_table_print (stdout, &t, widths);
  return 0;
}

/* The rows of a watch: one line per object that changed, in the widths
 * of the first table, as kubectl get -w prints them. */
struct watch_state
{
  size_t n;
  char **keys, **lines; /* per object: the resourceVersion printed */
  bool header_done;
  size_t widths[16];
  size_t ncols;
};

static void
watch_print_changes (struct watch_state *ws, const char *kind,
                     const struct node *body, bool single, bool all_ns,
                     enum output out, bool print)
{
  const struct node *items = single ? NULL : node_map_get (body, "items");
  size_t n = single ? 1 : len_of (items);
  char *h[16];
  size_t ncols = header (kind, all_ns, out, h);
  for (size_t c = 0; c < ncols; c++)
    free (h[c]);
  for (size_t i = 0; i < n; i++)
    {
      const struct node *o = single ? body : items->items[i];
      const char *uid = k8s_get_str (o, "metadata.uid");
      const char *name = k8s_get_str (o, "metadata.name");
      const char *rv = k8s_get_str (o, "metadata.resourceVersion");
      char *row[16] = { 0 }, *line = NULL, *key;
      size_t len = 0, k;
      FILE *f = open_memstream (&line, &len);
      if (f == NULL)
        abort ();
      object_row (kind, o, all_ns, out, row);
      for (size_t c = 0; c < ncols; c++)
        {
          const char *cell = row[c] ? row[c] : "";
          size_t w
              = ws->widths[c] > strlen (cell) ? ws->widths[c] : strlen (cell);
          if (c + 1 < ncols)
            fprintf (f, "%-*s", (int)(w + 3), cell);
          else
            fputs (cell, f);
          free (row[c]);
        }
      fclose (f);
      key = fmt ("%s/%s", uid ? uid : "", name ? name : "");
      for (k = 0; k < ws->n && strcmp (ws->keys[k], key) != 0; k++)
        ;
      /* a change of the object, not of its age, as a watch event */
      if (k < ws->n && rv && strcmp (ws->lines[k], rv) == 0)
        {
          free (key);
          free (line);
          continue;
        }
      if (print)
        {
          if (!ws->header_done)
            {
              /* nothing was listed at first: the header with the first
               * row */
              char *hh[16];
              size_t nh = header (kind, all_ns, out, hh);
              for (size_t c = 0; c < nh; c++)
                {
                  if (ws->widths[c] < strlen (hh[c]))
                    ws->widths[c] = strlen (hh[c]);
                  if (c + 1 < nh)
                    printf ("%-*s", (int)(ws->widths[c] + 3), hh[c]);
                  else
                    printf ("%s\n", hh[c]);
                  free (hh[c]);
                }
              ws->header_done = true;
            }
          puts (line);
          fflush (stdout);
        }
      free (line);
      line = xstrdup (rv ? rv : "");
      if (k == ws->n)
        {
          ws->keys = reallocarray (ws->keys, ws->n + 1, sizeof (char *));
          ws->lines = reallocarray (ws->lines, ws->n + 1, sizeof (char *));
          if (ws->keys == NULL || ws->lines == NULL)
            abort ();
          ws->keys[ws->n] = key;
          ws->lines[ws->n++] = line;
        }
      else
        {
          free (key);
          free (ws->lines[k]);
          ws->lines[k] = line;
        }
    }
}

/* The kinds the agent computes (endpoints.h) rather than stores. */
static const char *
derived_resource (const char *name)
{
  if (strcmp (name, "endpoints") == 0 || strcmp (name, "ep") == 0)
    return "Endpoints";
  if (strcmp (name, "endpointslices") == 0
      || strcmp (name, "endpointslice") == 0
      || strcmp (name, "endpointslices.discovery.k8s.io") == 0)
    return "EndpointSlice";
  return NULL;
}

static char *
derived_path (const char *kind, const char *ns, const char *name)
{
  bool slices = strcmp (kind, "EndpointSlice") == 0;
  return fmt ("%s%s%s%s%s%s", slices ? "/apis/discovery.k8s.io/v1" : "/api/v1",
              ns ? "/namespaces/" : "", ns ? ns : "",
              slices ? "/endpointslices" : "/endpoints", name ? "/" : "",
              name ? name : "");
}

/* What a watch stream delivers, split into its lines (one event each). */
struct watch_sink
{
  struct watch_state *ws;
  const char *kind;
  bool all_ns;
  enum output out;
  char *buf;
  size_t len;
};

/* A watch event {"type": ..., "object": {...}}: the object's row, as
 * kubectl get -w prints every event (a deletion too). */
static void
watch_event (struct watch_sink *s, const char *line, size_t len)
{
  struct node_stream st = { 0 };
  berth_error_t err = NULL;
  if (node_stream_read (line, len, &st, &err) == 0 && st.len == 1)
    {
      const struct node *o = node_map_get (st.docs[0], "object");
      if (o)
        watch_print_changes (s->ws, s->kind, o, true, s->all_ns, s->out, true);
    }
  berth_error_release (&err);
  node_stream_free (&st);
}

static ssize_t
watch_sink_write (void *cookie, const char *data, size_t n)
{
  struct watch_sink *s = cookie;
  char *nl;
  s->buf = realloc (s->buf, s->len + n + 1);
  if (s->buf == NULL)
    abort ();
  memcpy (s->buf + s->len, data, n);
  s->len += n;
  while ((nl = memchr (s->buf, '\n', s->len)) != NULL)
    {
      size_t k = (size_t)(nl - s->buf);
      watch_event (s, s->buf, k);
      memmove (s->buf, nl + 1, s->len - k - 1);
      s->len -= k + 1;
    }
  return (ssize_t)n;
}

/* The agent's watch (?watch=true from the list's resourceVersion), for
 * the stored kinds; returns when the stream ends. */
static int
watch_stream (const char *socket, const char *path, const char *name,
              const char *list_rv, struct watch_sink *s)
{
  cookie_io_functions_t io = { .write = watch_sink_write };
  cleanup_free char *url = NULL;
  FILE *f = fopencookie (s, "w", io);
  int ret;
  if (f == NULL)
    abort ();
  setvbuf (f, NULL, _IONBF, 0);
  if (name)
    {
      /* .../pods/NAME -> .../pods?fieldSelector=metadata.name=NAME */
      char *coll = xstrdup (path);
      *strrchr (coll, '/') = '\0';
      url = fmt ("%s?watch=true&fieldSelector=metadata.name=%s"
                 "&resourceVersion=%s",
                 coll, name, list_rv ? list_rv : "");
      free (coll);
    }
  else
    url = fmt ("%s?watch=true&resourceVersion=%s", path,
               list_rv ? list_rv : "");
  ret = client_stream (client_socket (socket), url, f, "get");
  fclose (f);
  free (s->buf);
  return ret;
}

/* get -w: the table, then every change, until interrupted.  Stored kinds
 * and events are watched through the agent's watch stream; endpoints,
 * which the agent computes, are listed again every second. */
static int
watch_table (const char *socket, const char *path, const char *kind,
             struct client_reply *first, bool single, bool all_ns,
             enum output out, const char *ns, const char *name, bool stored)
{
  struct watch_state ws = { 0 };
  berth_error_t err = NULL;
  print_table (kind, first->body, single, all_ns, out, ns, ws.widths);
  fflush (stdout); /* the list shows now, not with the first change */
  ws.header_done = single || len_of (node_map_get (first->body, "items")) > 0;
  /* what was printed counts as seen */
  watch_print_changes (&ws, kind, first->body, single, all_ns, out, false);
  if (stored)
    {
      struct watch_sink s = { &ws, kind, all_ns, out, NULL, 0 };
      const char *list_rv
          = k8s_get_str (first->body, "metadata.resourceVersion");
      cleanup_free char *rv = list_rv ? xstrdup (list_rv) : NULL;
      client_reply_free (first);
      return watch_stream (socket, path, name, rv, &s);
    }
  client_reply_free (first);
  for (;;)
    {
      struct client_reply rep = { 0 };
      sleep (1);
      if (client_request (client_socket (socket), "GET", path, NULL, &rep, &err)
          < 0)
        {
          fprintf (stderr, "berth get: %s\n", berth_error_msg (&err));
          berth_error_release (&err);
          return 1;
        }
      if (rep.code == 200 && rep.body)
        watch_print_changes (&ws, kind, rep.body, single, all_ns, out, true);
      client_reply_free (&rep);
    }
}

static void
usage (FILE *f)
{
  fprintf (f,
           "Usage: berth get RESOURCE [NAME] [-n NS | -A] [-o wide|json|yaml] "
           "[-w]\n"
           "\n"
           "Show the agent's objects as kubectl does.  RESOURCE: pods (po),\n"
           "configmaps (cm), secrets, services (svc), endpoints (ep),\n"
           "endpointslices, events (ev), jobs,\n"
           "cronjobs (cj), namespaces (ns).\n"
           "\n"
           "Options:\n"
           "  -n, --namespace NS    the namespace (default: default)\n"
           "  -A, --all-namespaces  every namespace (a NAMESPACE column)\n"
           "  -o, --output FORMAT   wide, json or yaml\n"
           "  -w, --watch           after the list, print each object again\n"
           "                        when it changes (the agent's watch;\n"
           "                        endpoints are listed again every\n"
           "                        second)\n"
           "      --socket PATH     the agent's socket (default $%s or %s)\n"
           "  -h, --help            show this help\n",
           CLIENT_ENV_SOCKET, "/run/berth/berth.sock");
}

int
cmd_get (int argc, char **argv)
{
  static const struct option options[]
      = { { "namespace", required_argument, NULL, 'n' },
          { "all-namespaces", no_argument, NULL, 'A' },
          { "output", required_argument, NULL, 'o' },
          { "watch", no_argument, NULL, 'w' },
          { "socket", required_argument, NULL, 'S' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  const char *ns = "default", *socket = NULL, *name = NULL;
  enum output out = OUT_TABLE;
  bool all_ns = false, events = false, watch = false;
  const struct kind_info *k;
  const char *derived; /* Endpoints, EndpointSlice: not kinds of the model */
  struct client_reply rep;
  berth_error_t err = NULL;
  cleanup_free char *path = NULL;
  int c, status;

  optind = 1;
  while ((c = getopt_long (argc, argv, "n:Ao:wh", options, NULL)) != -1)
    switch (c)
      {
      case 'w':
        watch = true;
        break;
      case 'n':
        ns = optarg;
        break;
      case 'A':
        all_ns = true;
        break;
      case 'o':
        if (strcmp (optarg, "wide") == 0)
          out = OUT_WIDE;
        else if (strcmp (optarg, "json") == 0)
          out = OUT_JSON;
        else if (strcmp (optarg, "yaml") == 0)
          out = OUT_YAML;
        else
          {
            fprintf (stderr,
                     "berth get: unknown output format \"%s\" (wide, "
                     "json or yaml)\n",
                     optarg);
            return 2;
          }
        break;
      case 'S':
        socket = optarg;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (optind >= argc || argc - optind > 2)
    {
      usage (stderr);
      return 2;
    }
  derived = derived_resource (argv[optind]);
  k = derived ? NULL : client_resource (argv[optind], &events);
  if (k == NULL && !events && !derived)
    {
      fprintf (stderr,
               "error: the server doesn't have a resource type \"%s\"\n",
               argv[optind]);
      return 1;
    }
  if (argc - optind == 2)
    name = argv[optind + 1];
  if (derived)
    path = derived_path (derived, all_ns && !name ? NULL : ns, name);
  else
    path = client_path (k, events, all_ns && !name ? NULL : ns, name);
  if (client_request (client_socket (socket), "GET", path, NULL, &rep, &err)
      < 0)
    {
      fprintf (stderr, "berth get: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return 1;
    }
  if (watch && out != OUT_JSON && out != OUT_YAML && rep.code == 200
      && rep.body)
    return watch_table (socket, path,
                        derived  ? derived
                        : events ? "Event"
                                 : k->kind,
                        &rep, name != NULL, all_ns && !name, out, ns, name,
                        derived == NULL);
  if (rep.code != 200 || rep.body == NULL)
    {
      client_print_error (&rep);
      client_reply_free (&rep);
      return 1;
    }
  if (out == OUT_JSON || out == OUT_YAML)
    status = print_structured (rep.body, out);
  else
    status
        = print_table (derived  ? derived
                       : events ? "Event"
                                : k->kind,
                       rep.body, name != NULL, all_ns && !name, out, ns, NULL);
  client_reply_free (&rep);
  return status;
}
