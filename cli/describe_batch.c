/* describe_batch.c - see describe_batch.h.  The layout is kubectl's
 * (pkg/describe/describe.go describeJob, describeCronJob,
 * describeJobTemplate, DescribePodTemplate, DescribeEvents) written through
 * a small tabwriter with kubectl's padding of 2. */
#include "describe_batch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "client.h"
#include "codec.h"
#include "k8s_json.h"

/* ---- a tabwriter: cells separated by '\t', aligned per column over the
 * consecutive lines that have that column ---- */

struct tw
{
  FILE *out;
  char **lines;
  size_t n;
};

static void tw_printf (struct tw *w, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
tw_printf (struct tw *w, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  w->lines = reallocarray (w->lines, w->n + 1, sizeof (char *));
  if (w->lines == NULL)
    abort ();
  w->lines[w->n++] = s;
}

static size_t
cell_len (const char *line, size_t col)
{
  for (size_t c = 0; c < col; c++)
    {
      line = strchr (line, '\t');
      if (line == NULL)
        return 0;
      line++;
    }
  return strcspn (line, "\t\n");
}

static bool
has_cell (const char *line, size_t col)
{
  /* a cell that a tab ends: the last cell of a line is not aligned */
  for (size_t c = 0; c <= col; c++)
    {
      line = strchr (line, '\t');
      if (line == NULL)
        return false;
      line++;
    }
  return true;
}

static void
tw_flush (struct tw *w)
{
  for (size_t i = 0; i < w->n; i++)
    {
      const char *p = w->lines[i];
      for (size_t col = 0; has_cell (w->lines[i], col); col++)
        {
          size_t width = 0, len = strcspn (p, "\t");
          /* the block: the lines around I that have this column */
          size_t a = i, b = i;
          while (a > 0 && has_cell (w->lines[a - 1], col))
            a--;
          while (b + 1 < w->n && has_cell (w->lines[b + 1], col))
            b++;
          for (size_t k = a; k <= b; k++)
            if (cell_len (w->lines[k], col) > width)
              width = cell_len (w->lines[k], col);
          fprintf (w->out, "%.*s%*s", (int)len, p, (int)(width + 2 - len), "");
          p += len + 1;
        }
      fputs (p, w->out);
    }
  for (size_t i = 0; i < w->n; i++)
    free (w->lines[i]);
  free (w->lines);
  w->lines = NULL;
  w->n = 0;
}

/* ---- values ---- */

static const char *
str (const struct node *n, const char *path)
{
  return k8s_get_str (n, path);
}

static int64_t
num (const struct node *n, const char *path)
{
  int64_t v = 0;
  if (!node_as_int64 (k8s_get (n, path), &v, NULL))
    return 0;
  return v;
}

/* time.RFC1123Z in UTC */
static void
rfc1123z (const char *ts, char *buf, size_t len)
{
  time_t t;
  struct tm tm;
  if (k8s_rfc3339_parse (ts, &t) < 0)
    {
      snprintf (buf, len, "%s", ts);
      return;
    }
  gmtime_r (&t, &tm);
  strftime (buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void
since (const char *ts, int64_t now, char *buf, size_t len)
{
  time_t t;
  if (ts == NULL || k8s_rfc3339_parse (ts, &t) < 0)
    {
      snprintf (buf, len, "<unknown>");
      return;
    }
  k8s_human_duration (now - (int64_t)t, buf, len);
}

/* printLabelsMultiline: sorted keys, one per line. */
static int
cmp_pair (const void *a, const void *b)
{
  const struct node_pair *p = a, *q = b;
  return strcmp (p->key->text, q->key->text);
}

static void
print_map (struct tw *w, const char *indent, const char *label,
           const struct node *m, bool annotations)
{
  cleanup_free struct node_pair *v = NULL;
  size_t n = m && m->kind == NODE_MAP ? m->len : 0;
  if (n == 0)
    {
      tw_printf (w, "%s%s\t<none>\n", indent, label);
      return;
    }
  v = xcalloc (n, sizeof (*v));
  memcpy (v, m->pairs, n * sizeof (*v));
  qsort (v, n, sizeof (*v), cmp_pair);
  for (size_t i = 0; i < n; i++)
    tw_printf (w, "%s%s\t%s%s%s\n", indent, i ? "" : label, v[i].key->text,
               annotations ? ": " : "=",
               v[i].value->kind == NODE_SCALAR ? v[i].value->text : "");
}

static void
print_labels (struct tw *w, const char *indent, const char *label,
              const struct node *m, bool annotations)
{
  cleanup_free char *l = NULL;
  if (asprintf (&l, "%s:", label) < 0)
    abort ();
  print_map (w, indent, l, m, annotations);
}

static void
print_list (struct tw *w, const char *indent, const char *label,
            const struct node *seq)
{
  if (seq == NULL || seq->kind != NODE_SEQ || seq->len == 0)
    return;
  tw_printf (w, "%s%s:\n", indent, label);
  for (size_t i = 0; i < seq->len; i++)
    tw_printf (w, "%s  %s\n", indent,
               seq->items[i]->kind == NODE_SCALAR ? seq->items[i]->text : "");
}

/* DescribePodTemplate, the parts berth's pods use. */
static void
pod_template (struct tw *w, const struct node *tmpl)
{
  const struct node *cs = k8s_get (tmpl, "spec.containers");
  const struct node *vols = k8s_get (tmpl, "spec.volumes");
  tw_printf (w, "Pod Template:\n");
  print_labels (w, "  ", "Labels", k8s_get (tmpl, "metadata.labels"), false);
  if (k8s_get (tmpl, "metadata.annotations"))
    print_labels (w, "  ", "Annotations",
                  k8s_get (tmpl, "metadata.annotations"), true);
  tw_printf (w, "  Containers:\n");
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    {
      const struct node *c = cs->items[i], *env = node_map_get (c, "env");
      tw_printf (w, "   %s:\n", str (c, "name") ?: "");
      tw_printf (w, "    Image:\t%s\n", str (c, "image") ?: "");
      tw_printf (w, "    Port:\t<none>\n");
      tw_printf (w, "    Host Port:\t<none>\n");
      print_list (w, "    ", "Command", node_map_get (c, "command"));
      print_list (w, "    ", "Args", node_map_get (c, "args"));
      if (env == NULL || env->kind != NODE_SEQ || env->len == 0)
        tw_printf (w, "    Environment:\t<none>\n");
      else
        {
          tw_printf (w, "    Environment:\n");
          for (size_t k = 0; k < env->len; k++)
            tw_printf (w, "      %s:\t%s\n", str (env->items[k], "name") ?: "",
                       str (env->items[k], "value") ?: "");
        }
      tw_printf (w, "    Mounts:\t<none>\n");
    }
  if (vols && vols->kind == NODE_SEQ && vols->len)
    {
      tw_printf (w, "  Volumes:\n");
      for (size_t i = 0; i < vols->len; i++)
        tw_printf (w, "   %s:\n", str (vols->items[i], "name") ?: "");
    }
  else
    tw_printf (w, "  Volumes:\t<none>\n");
  tw_printf (w, "  Node-Selectors:\t<none>\n");
  tw_printf (w, "  Tolerations:\t<none>\n");
}

/* DescribeEvents over the events whose involved object is BODY. */
static void
events (struct tw *w, const struct node *body, const struct node *list,
        int64_t now)
{
  const struct node *items = list ? node_map_get (list, "items") : NULL;
  const char *kind = str (body, "kind"), *name = str (body, "metadata.name");
  const char *uid = str (body, "metadata.uid");
  size_t shown = 0;
  if (list == NULL)
    {
      tw_printf (w, "Events:\t<unavailable>\n");
      return;
    }
  for (size_t i = 0; items && items->kind == NODE_SEQ && i < items->len; i++)
    {
      const struct node *e = items->items[i];
      const char *ok = str (e, "involvedObject.kind");
      const char *on = str (e, "involvedObject.name");
      const char *ou = str (e, "involvedObject.uid");
      int64_t count = num (e, "count");
      char age[64], first[32];
      if (!ok || !on || !kind || !name || strcmp (ok, kind) != 0
          || strcmp (on, name) != 0 || (ou && uid && strcmp (ou, uid) != 0))
        continue;
      if (shown++ == 0)
        {
          tw_printf (w, "Events:\n");
          tw_printf (w, "  Type\tReason\tAge\tFrom\tMessage\n");
          tw_printf (w, "  ----\t------\t----\t----\t-------\n");
        }
      since (str (e, "lastTimestamp"), now, age, sizeof (age));
      if (count > 1)
        {
          size_t l = strlen (age);
          since (str (e, "firstTimestamp"), now, first, sizeof (first));
          snprintf (age + l, sizeof (age) - l, " (x%lld over %s)",
                    (long long)count, first);
        }
      tw_printf (w, "  %s\t%s\t%s\t%s\t%s\n", str (e, "type") ?: "",
                 str (e, "reason") ?: "", age,
                 str (e, "source.component") ?: "", str (e, "message") ?: "");
    }
  if (shown == 0)
    tw_printf (w, "Events:\t<none>\n");
}

static void
selector (struct tw *w, const struct node *spec, bool unset_ok)
{
  const struct node *ml = k8s_get (spec, "selector.matchLabels");
  cleanup_free char *s = xstrdup ("");
  for (size_t i = 0; ml && ml->kind == NODE_MAP && i < ml->len; i++)
    {
      char *n = NULL;
      if (asprintf (&n, "%s%s%s=%s", s, i ? "," : "", ml->pairs[i].key->text,
                    ml->pairs[i].value->text)
          < 0)
        abort ();
      free (s);
      s = n;
    }
  if (*s)
    tw_printf (w, "Selector:\t%s\n", s);
  else
    tw_printf (w, "Selector:\t%s\n", unset_ok ? "<unset>" : "<none>");
}

static void
describe_job (struct tw *w, const struct node *o, int64_t now)
{
  const struct node *spec = node_map_get (o, "spec");
  const char *start = str (o, "status.startTime");
  const char *end = str (o, "status.completionTime");
  const char *mode = str (spec, "completionMode");
  char buf[64];
  tw_printf (w, "Name:\t%s\n", str (o, "metadata.name") ?: "");
  tw_printf (w, "Namespace:\t%s\n", str (o, "metadata.namespace") ?: "");
  selector (w, spec, false);
  print_labels (w, "", "Labels", k8s_get (o, "metadata.labels"), false);
  print_labels (w, "", "Annotations", k8s_get (o, "metadata.annotations"),
                true);
  {
    const struct node *refs = k8s_get (o, "metadata.ownerReferences");
    if (refs && refs->kind == NODE_SEQ && refs->len)
      tw_printf (w, "Controlled By:\t%s/%s\n",
                 str (refs->items[0], "kind") ?: "",
                 str (refs->items[0], "name") ?: "");
  }
  if (str (spec, "parallelism"))
    tw_printf (w, "Parallelism:\t%s\n", str (spec, "parallelism"));
  tw_printf (w, "Completions:\t%s\n", str (spec, "completions") ?: "<unset>");
  if (mode)
    tw_printf (w, "Completion Mode:\t%s\n", mode);
  if (str (spec, "suspend"))
    tw_printf (w, "Suspend:\t%s\n", str (spec, "suspend"));
  if (str (spec, "backoffLimit"))
    tw_printf (w, "Backoff Limit:\t%s\n", str (spec, "backoffLimit"));
  if (str (spec, "ttlSecondsAfterFinished"))
    tw_printf (w, "TTL Seconds After Finished:\t%s\n",
               str (spec, "ttlSecondsAfterFinished"));
  if (start)
    {
      rfc1123z (start, buf, sizeof (buf));
      tw_printf (w, "Start Time:\t%s\n", buf);
    }
  if (end)
    {
      rfc1123z (end, buf, sizeof (buf));
      tw_printf (w, "Completed At:\t%s\n", buf);
    }
  if (start && end)
    {
      time_t t0, t1;
      if (k8s_rfc3339_parse (start, &t0) == 0
          && k8s_rfc3339_parse (end, &t1) == 0)
        {
          k8s_human_duration ((int64_t)(t1 - t0), buf, sizeof (buf));
          tw_printf (w, "Duration:\t%s\n", buf);
        }
    }
  if (str (spec, "activeDeadlineSeconds"))
    tw_printf (w, "Active Deadline Seconds:\t%ss\n",
               str (spec, "activeDeadlineSeconds"));
  if (k8s_get (o, "status.ready"))
    tw_printf (w,
               "Pods Statuses:\t%lld Active (%lld Ready) / %lld Succeeded "
               "/ %lld Failed\n",
               (long long)num (o, "status.active"),
               (long long)num (o, "status.ready"),
               (long long)num (o, "status.succeeded"),
               (long long)num (o, "status.failed"));
  else
    tw_printf (w,
               "Pods Statuses:\t%lld Active / %lld Succeeded / %lld "
               "Failed\n",
               (long long)num (o, "status.active"),
               (long long)num (o, "status.succeeded"),
               (long long)num (o, "status.failed"));
  if (mode && strcmp (mode, "Indexed") == 0)
    {
      const char *ci = str (o, "status.completedIndexes");
      tw_printf (w, "Completed Indexes:\t%s\n", ci && *ci ? ci : "<none>");
      if (str (spec, "backoffLimitPerIndex"))
        {
          const char *fi = str (o, "status.failedIndexes");
          tw_printf (w, "Failed Indexes:\t%s\n", fi && *fi ? fi : "<none>");
        }
    }
  pod_template (w, node_map_get (spec, "template"));
  (void)now;
}

static void
describe_cronjob (struct tw *w, const struct node *o)
{
  const struct node *spec = node_map_get (o, "spec");
  const struct node *jspec = k8s_get (spec, "jobTemplate.spec");
  const struct node *active = k8s_get (o, "status.active");
  const char *last = str (o, "status.lastScheduleTime");
  char buf[64];
  tw_printf (w, "Name:\t%s\n", str (o, "metadata.name") ?: "");
  tw_printf (w, "Namespace:\t%s\n", str (o, "metadata.namespace") ?: "");
  print_labels (w, "", "Labels", k8s_get (o, "metadata.labels"), false);
  print_labels (w, "", "Annotations", k8s_get (o, "metadata.annotations"),
                true);
  tw_printf (w, "Schedule:\t%s\n", str (spec, "schedule") ?: "");
  if (str (spec, "timeZone"))
    tw_printf (w, "Time Zone:\t%s\n", str (spec, "timeZone"));
  tw_printf (w, "Concurrency Policy:\t%s\n",
             str (spec, "concurrencyPolicy") ?: "");
  tw_printf (w, "Suspend:\t%s\n",
             str (spec, "suspend") ? (
                 strcmp (str (spec, "suspend"), "true") == 0 ? "True" : "False")
                                   : "<unset>");
  tw_printf (w, "Successful Job History Limit:\t%s\n",
             str (spec, "successfulJobsHistoryLimit") ?: "<unset>");
  tw_printf (w, "Failed Job History Limit:\t%s\n",
             str (spec, "failedJobsHistoryLimit") ?: "<unset>");
  if (str (spec, "startingDeadlineSeconds"))
    tw_printf (w, "Starting Deadline Seconds:\t%ss\n",
               str (spec, "startingDeadlineSeconds"));
  else
    tw_printf (w, "Starting Deadline Seconds:\t<unset>\n");
  /* describeJobTemplate */
  selector (w, jspec, true);
  tw_printf (w, "Parallelism:\t%s\n", str (jspec, "parallelism") ?: "<unset>");
  tw_printf (w, "Completions:\t%s\n", str (jspec, "completions") ?: "<unset>");
  if (str (jspec, "activeDeadlineSeconds"))
    tw_printf (w, "Active Deadline Seconds:\t%ss\n",
               str (jspec, "activeDeadlineSeconds"));
  pod_template (w, node_map_get (jspec, "template"));
  if (last)
    {
      rfc1123z (last, buf, sizeof (buf));
      tw_printf (w, "Last Schedule Time:\t%s\n", buf);
    }
  else
    tw_printf (w, "Last Schedule Time:\t<unset>\n");
  if (active == NULL || active->kind != NODE_SEQ || active->len == 0)
    tw_printf (w, "Active Jobs:\t<none>\n");
  else
    {
      cleanup_free char *names = xstrdup ("");
      for (size_t i = 0; i < active->len; i++)
        {
          char *n = NULL;
          if (asprintf (&n, "%s%s%s", names, i ? ", " : "",
                        str (active->items[i], "name") ?: "")
              < 0)
            abort ();
          free (names);
          names = n;
        }
      tw_printf (w, "Active Jobs:\t%s\n", names);
    }
}

void
describe_batch_print (FILE *out, const struct node *body, const struct node *ev,
                      int64_t now)
{
  struct tw w = { .out = out };
  const char *kind = str (body, "kind");
  if (kind && strcmp (kind, "CronJob") == 0)
    describe_cronjob (&w, body);
  else
    describe_job (&w, body, now);
  events (&w, body, ev, now);
  tw_flush (&w);
}

int
describe_batch (const char *socket, const char *ns, const struct node *body)
{
  cleanup_free char *path = client_path (NULL, true, ns, NULL);
  struct client_reply rep = { 0 };
  berth_error_t err = NULL;
  bool have = client_request (socket, "GET", path, NULL, &rep, &err) == 0
              && rep.code == 200;
  berth_error_release (&err);
  describe_batch_print (stdout, body, have ? rep.body : NULL,
                        (int64_t)time (NULL));
  client_reply_free (&rep);
  return 0;
}
