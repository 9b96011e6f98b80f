/* describe_accounting.c - see describe_accounting.h. */
#include "describe_accounting.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_json.h"

void
describe_bytes (char *buf, size_t size, uint64_t v, bool exact)
{
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
  uint64_t unit = 1024;
  int u = 0;
  if (v < 1024)
    {
      snprintf (buf, size, "%" PRIu64 " B", v);
      return;
    }
  while (u < 4 && v >= unit * 1024)
    unit *= 1024, u++;
  if (exact && v % unit == 0)
    snprintf (buf, size, "%" PRIu64 " %s", v / unit, units[u]);
  else
    snprintf (buf, size, "%.1f %s", (double)v / (double)unit, units[u]);
}

/* The unsigned integer at PATH under N; false when absent or null. */
static bool
get_u64 (const struct node *n, const char *path, uint64_t *out)
{
  const char *s = k8s_get_str (n, path);
  char *end;
  if (s == NULL || node_is_null (k8s_get (n, path)) || *s < '0' || *s > '9')
    return false;
  *out = strtoull (s, &end, 10);
  return *end == '\0';
}

static void
print_cpu (FILE *out, const struct node *m)
{
  uint64_t usage, periods = 0, throttled = 0, tusec = 0;
  if (get_u64 (m, "cpu.usageUsec", &usage))
    fprintf (out, "    CPU time: %.2f s\n", (double)usage / 1e6);
  else
    fprintf (out, "    CPU time: not sampled yet\n");
  if (get_u64 (m, "cpu.nrPeriods", &periods)
      | get_u64 (m, "cpu.nrThrottled", &throttled)
      | get_u64 (m, "cpu.throttledUsec", &tusec))
    fprintf (out,
             "    CPU throttled in %" PRIu64 " of %" PRIu64
             " periods (%.2f s)\n",
             throttled, periods, (double)tusec / 1e6);
}

static void
print_memory (FILE *out, const struct node *m)
{
  uint64_t cur, ws, peak, limit, kills = 0;
  char a[32], b[32], c[32];
  bool has_peak = get_u64 (m, "memory.peak", &peak);
  bool has_limit = get_u64 (m, "memory.limit", &limit);
  if (get_u64 (m, "memory.current", &cur))
    {
      describe_bytes (a, sizeof (a), cur, false);
      fprintf (out, "    Memory: %s now", a);
      if (get_u64 (m, "memory.workingSet", &ws))
        {
          describe_bytes (b, sizeof (b), ws, false);
          fprintf (out, ", %s working set", b);
        }
      fputc ('\n', out);
    }
  get_u64 (m, "oomKills", &kills);
  fprintf (out, "    OOM kills: %" PRIu64, kills);
  if (has_peak)
    {
      describe_bytes (b, sizeof (b), peak, false);
      fprintf (out, ", peak %s", b);
    }
  if (has_limit)
    {
      describe_bytes (c, sizeof (c), limit, true);
      fprintf (out, "%s %s limit", has_peak ? " of a" : ", a", c);
    }
  else
    fprintf (out, " (no limit)");
  fputc ('\n', out);
}

static void
print_events (FILE *out, const struct node *m)
{
  static const char *const keys[][2]
      = { { "low", "low" },          { "high", "high" },
          { "max", "max" },          { "oom", "oom" },
          { "oomKill", "oom_kill" }, { "oomGroupKill", "oom_group_kill" } };
  const struct node *ev = k8s_get (m, "memory.events");
  int shown = 0;
  for (size_t i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    {
      uint64_t v;
      if (!get_u64 (ev, keys[i][0], &v))
        continue;
      fprintf (out, "%s%s %" PRIu64,
               shown++ ? ", " : "    Memory events: ", keys[i][1], v);
    }
  if (shown)
    fputc ('\n', out);
}

static bool
print_psi (FILE *out, const struct node *p, const char *kind, bool first)
{
  const char *a10 = k8s_get_str (p, "avg10"), *a60 = k8s_get_str (p, "avg60");
  const char *a300 = k8s_get_str (p, "avg300");
  if (a10 == NULL || a60 == NULL || a300 == NULL)
    return false;
  fprintf (out, "%s%s %s/%s/%s", first ? "" : "  ", kind, a10, a60, a300);
  return true;
}

static void
print_pressure (FILE *out, const struct node *m)
{
  static const char *const res[] = { "cpu", "memory", "io" };
  const struct node *p = k8s_get (m, "pressure");
  bool header = false;
  for (size_t i = 0; p && i < 3; i++)
    {
      const struct node *r = node_map_get (p, res[i]);
      if (r == NULL || node_is_null (r))
        continue;
      if (!header)
        fprintf (out, "    Pressure (%% of time, avg10/avg60/avg300):\n");
      header = true;
      fprintf (out, "      %s:%*s", res[i], (int)(8 - strlen (res[i])), "");
      print_psi (out, node_map_get (r, "full"), "full",
                 !print_psi (out, node_map_get (r, "some"), "some", true));
      fputc ('\n', out);
    }
}

static void
print_block (FILE *out, const char *title, const struct node *m, bool psi)
{
  fprintf (out, "  %s:\n", title);
  print_cpu (out, m);
  print_memory (out, m);
  print_events (out, m);
  if (psi)
    print_pressure (out, m);
}

void
describe_accounting_print (FILE *out, const struct node *status)
{
  const struct node *b = k8s_get (status, "berth");
  const char *cg = k8s_get_str (b, "cgroup");
  bool on;
  if (b == NULL || b->kind != NODE_MAP
      || !node_as_bool (node_map_get (b, "resourceEnforcement"), &on))
    {
      fprintf (out, "%-18s<none>\n", "Accounting:");
      return;
    }
  fprintf (out, "Accounting:\n");
  if (!on)
    {
      fprintf (out, "  Resource enforcement:  off (the agent runs with "
                    "--no-resource-enforcement: no limits, no accounting)\n");
      return;
    }
  fprintf (out, "  Resource enforcement:  on");
  if (cg != NULL && !node_is_null (k8s_get (b, "cgroup")))
    fprintf (out, " (cgroup %s)", cg);
  fputc ('\n', out);
  for (int pass = 0; pass < 2; pass++)
    {
      const struct node *l
          = node_map_get (b, pass ? "containers" : "initContainers");
      for (size_t i = 0; l && l->kind == NODE_SEQ && i < l->len; i++)
        {
          char title[300];
          snprintf (title, sizeof (title), "%s%s",
                    k8s_get_str (l->items[i], "name") ?: "?",
                    pass ? "" : " (init)");
          print_block (out, title, l->items[i], true);
        }
    }
  if (node_map_get (b, "pod") != NULL)
    print_block (out, "Pod total", node_map_get (b, "pod"), false);
}
