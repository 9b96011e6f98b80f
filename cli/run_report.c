/* run_report.c - see run_report.h. */
#include "run_report.h"
#include "pod_status.h"

#include <inttypes.h>
#include <string.h>

#include "codec.h"
#include "node.h"

void
run_format_bytes (char *buf, size_t size, uint64_t bytes)
{
  static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti" };
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024 && u < 4)
    v /= 1024, u++;
  if (u == 0 || v == (double)(uint64_t)v)
    snprintf (buf, size, "%.0f%s", v, units[u]);
  else
    snprintf (buf, size, "%.1f%s", v, units[u]);
}

static const char *
pod_ns (const struct pod *p)
{
  return p->metadata.namespace ? p->metadata.namespace : "default";
}

static void
state_line (const struct runner_container *c, char *buf, size_t size)
{
  const struct lifecycle_status *s = &c->now.st;
  switch (s->state)
    {
    case CSTATE_RUNNING:
      /* with probes, their verdicts: readiness transitions show live */
      snprintf (buf, size, "Running (restarts %d)%s%s", c->restart_count,
                c->spec->startup_probe && !pod_status_container_started (c)
                    ? ", not started"
                    : "",
                c->spec->readiness_probe ? (
                    pod_status_container_ready (c) ? ", ready" : ", not ready")
                                         : "");
      break;
    case CSTATE_TERMINATED:
      snprintf (buf, size, "Terminated (%s, exit code %d)",
                c->now.reason ? c->now.reason : "?", s->exit_code);
      break;
    default:
      snprintf (buf, size, "Waiting (%s)",
                c->now.waiting_reason ? c->now.waiting_reason : "");
    }
}

void
run_report_changes (FILE *out, const struct pod_runner *r, struct run_watch *w)
{
  const char *name = r->pod->metadata.name;
  if (!w->phase_printed || w->phase != r->phase)
    {
      fprintf (out, "pod/%s/%s: %s%s%s\n", pod_ns (r->pod), name,
               lifecycle_phase_name (r->phase), r->reason ? " " : "",
               r->reason ? r->reason : "");
      w->phase = r->phase;
      w->phase_printed = true;
    }
  for (size_t i = 0; i < r->n && i < 64; i++)
    {
      char line[96];
      state_line (&r->c[i], line, sizeof (line));
      if (strcmp (line, w->last[i]) != 0)
        {
          fprintf (out, "  %s/%s: %s\n", name, r->c[i].spec->name, line);
          snprintf (w->last[i], sizeof (w->last[i]), "%s", line);
        }
    }
  fflush (out);
}

/* The limit in bytes (memory) or millicores (cpu), or -1. */
static int64_t
limit_value (const struct container *c, const char *res)
{
  const struct quantity *q = quantity_map_get (&c->resources.limits, res);
  berth_error_t err = NULL;
  int64_t v = -1;
  if (q == NULL)
    return -1;
  if ((strcmp (res, "cpu") == 0 ? quantity_milli_value (q, &v, &err)
                                : quantity_value (q, &v, &err))
      < 0)
    {
      berth_error_release (&err);
      return -1;
    }
  return v;
}

void
run_report_live (FILE *out, const struct pod_runner *r, struct run_watch *w,
                 int64_t now_ms)
{
  int64_t dt = w->last_sample_ms ? now_ms - w->last_sample_ms : 0;
  for (size_t i = 0; i < r->n && i < 64; i++)
    {
      const struct runner_container *c = &r->c[i];
      int64_t ml = limit_value (c->spec, "memory");
      int64_t cl = limit_value (c->spec, "cpu");
      char mem[32], lim[40] = "";
      double cpu = 0;
      if (c->cgroup_dir == NULL || c->now.st.state != CSTATE_RUNNING)
        continue;
      if (dt > 0 && c->cpu_usec_total >= w->last_cpu_usec[i])
        cpu = (double)(c->cpu_usec_total - w->last_cpu_usec[i]) / 1000.0
              / (double)dt;
      w->last_cpu_usec[i] = c->cpu_usec_total;
      run_format_bytes (mem, sizeof (mem), c->stats.memory_current.v);
      if (ml >= 0)
        {
          char tmp[32];
          run_format_bytes (tmp, sizeof (tmp), (uint64_t)ml);
          snprintf (lim, sizeof (lim), "/%s", tmp);
        }
      fprintf (out, "  %s/%s: mem %s%s  cpu %.2f", r->pod->metadata.name,
               c->spec->name, mem, lim, cpu);
      if (cl >= 0)
        fprintf (out, "/%.2f", (double)cl / 1000.0);
      fprintf (out,
               "  throttled %" PRIu64 "/%" PRIu64
               " periods (%.2fs)  oom %" PRIu64 "  restarts %d\n",
               c->throttled_periods_total, c->periods_total,
               (double)c->throttled_usec_total / 1e6, c->oom_kills,
               c->restart_count);
    }
  w->last_sample_ms = now_ms;
  fflush (out);
}

/* A termination message under its attempt, each line indented, without
 * its final newline. */
static void
print_message (FILE *out, const char *msg)
{
  size_t len = strlen (msg);
  while (len > 0 && msg[len - 1] == '\n')
    len--;
  fprintf (out, "      message: ");
  for (size_t i = 0; i < len; i++)
    {
      fputc (msg[i], out);
      if (msg[i] == '\n')
        fprintf (out, "               ");
    }
  fputc ('\n', out);
}

void
run_report_text (FILE *out, const struct pod_runner *r, const char *ending)
{
  fprintf (out, "\npod/%s/%s: %s (%s)\n", pod_ns (r->pod),
           r->pod->metadata.name, lifecycle_phase_name (r->phase), ending);
  if (r->reason)
    fprintf (out, "  %s: %s\n", r->reason, r->message ? r->message : "");
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      int64_t ml = limit_value (c->spec, "memory");
      char peak[32];
      fprintf (out, "  %scontainer %s (image %s):\n",
               c->init ? (c->sidecar ? "sidecar " : "init ") : "",
               c->spec->name, c->spec->image ? c->spec->image : "");
      if (c->n_attempts == 0)
        fprintf (
            out, "    never finished; now %s\n",
            c->now.st.state == CSTATE_RUNNING
                ? "running"
                : (c->now.waiting_reason ? c->now.waiting_reason : "waiting"));
      for (size_t k = 0; k < c->n_attempts; k++)
        {
          fprintf (out, "    attempt %zu: exit code %d, %s", k + 1,
                   c->attempts[k].exit_code, c->attempts[k].reason);
          if (k > 0)
            fprintf (out, " (started %.1f s after the previous exit)",
                     (double)c->attempts[k].backoff_ms / 1000.0);
          fputc ('\n', out);
          if (c->attempts[k].message)
            print_message (out, c->attempts[k].message);
        }
      fprintf (out, "    restarts: %d\n", c->restart_count);
      if (c->cgroup_dir == NULL)
        continue;
      fprintf (out,
               "    CPU: %.2f s; throttled in %" PRIu64 " of %" PRIu64
               " periods (%.2f s)\n",
               (double)c->cpu_usec_total / 1e6, c->throttled_periods_total,
               c->periods_total, (double)c->throttled_usec_total / 1e6);
      run_format_bytes (peak, sizeof (peak), c->memory_peak);
      fprintf (out, "    memory peak: %s", peak);
      if (ml >= 0)
        {
          char lim[32];
          run_format_bytes (lim, sizeof (lim), (uint64_t)ml);
          fprintf (out, " of a %s limit", lim);
        }
      fprintf (out, "; OOM kills: %" PRIu64 "\n", c->oom_kills);
    }
}

static void
set_u64 (struct node *m, const char *key, uint64_t v)
{
  node_map_set_int (m, key, (int64_t)v);
}

struct node *
run_report_json (const struct pod_runner *r, const char *ending)
{
  struct node *pod = node_new_map (), *ctrs = node_new_seq ();
  node_map_set_str (pod, "name", r->pod->metadata.name);
  node_map_set_str (pod, "namespace", pod_ns (r->pod));
  node_map_set_str (pod, "uid", r->uid);
  node_map_set_str (pod, "phase", lifecycle_phase_name (r->phase));
  node_map_set_str (pod, "ending", ending);
  if (r->reason)
    {
      node_map_set_str (pod, "reason", r->reason);
      node_map_set_str (pod, "message", r->message ? r->message : "");
    }
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      struct node *m = node_new_map (), *att = node_new_seq ();
      node_map_set_str (m, "name", c->spec->name);
      node_map_set_bool (m, "init", c->init);
      node_map_set_int (m, "restartCount", c->restart_count);
      for (size_t k = 0; k < c->n_attempts; k++)
        {
          struct node *a = node_new_map ();
          node_map_set_int (a, "exitCode", c->attempts[k].exit_code);
          node_map_set_str (a, "reason", c->attempts[k].reason);
          node_map_set_int (a, "backOffMs", c->attempts[k].backoff_ms);
          if (c->attempts[k].message)
            node_map_set_str (a, "message", c->attempts[k].message);
          if (c->attempts[k].started_at)
            node_map_set_str (a, "startedAt", c->attempts[k].started_at);
          if (c->attempts[k].finished_at)
            node_map_set_str (a, "finishedAt", c->attempts[k].finished_at);
          node_seq_append (att, a);
        }
      node_map_set (m, "attempts", att);
      if (c->cgroup_dir)
        {
          set_u64 (m, "cpuUsageUsec", c->cpu_usec_total);
          set_u64 (m, "cfsPeriods", c->periods_total);
          set_u64 (m, "cfsThrottledPeriods", c->throttled_periods_total);
          set_u64 (m, "cfsThrottledUsec", c->throttled_usec_total);
          set_u64 (m, "memoryPeakBytes", c->memory_peak);
          set_u64 (m, "oomKills", c->oom_kills);
        }
      node_seq_append (ctrs, m);
    }
  node_map_set (pod, "containers", ctrs);
  return pod;
}
