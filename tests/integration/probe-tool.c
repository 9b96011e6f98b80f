/* probe-tool.c - test driver for the probes (agent/probe.h, prober.h).
 *
 *   probe-tool [options] exec CMD...         an exec probe
 *   probe-tool [options] http PORT [PATH]    an httpGet probe
 *   probe-tool [options] tcp PORT            a tcpSocket probe
 *   probe-tool [options] grpc PORT           a grpc probe
 *
 * options: --net-ns FILE, --pod-ip IP, --pid PID (the container's init),
 * --instance DIR, --timeout S, --host H, --scheme S, --header NAME:VALUE,
 * --service NAME, --port NAME=NUMBER (a container port; PORT may then be
 * NAME), --env NAME=VALUE (the container's static env), --count N (N
 * probes at once), --watch SECONDS with --period S --failure N --success
 * N --kind liveness|readiness|startup: run a prober worker (prober.h) for
 * that long and print every result and event.
 *
 * A single probe prints "outcome=..", "output=..", "error=.." and
 * "ms=N"; with --count, one "outcome=" line per probe and "ms=" for all;
 * --parallel P keeps at most P of them running (default: all at once),
 * --quiet prints only the count of each outcome.  Then "cpu_self_ms=" (this
 * process: what the agent would spend) and "cpu_children_ms=" (exec
 * helpers and commands).
 * Exit status 0 (1: bad usage or a start error).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "loop.h"
#include "probe.h"
#include "prober.h"

#define MAX 32

struct tool
{
  struct loop loop;
  int pending, to_start, counts[4];
  bool quiet;
  int64_t start;
  struct probe_runner *runner;
  struct probe_call *call;
};

static void start_one (struct tool *t);

static void
done (void *ctx, enum probe_outcome o, const char *output, const char *error)
{
  struct tool *t = ctx;
  t->counts[o]++;
  if (!t->quiet)
    printf ("outcome=%s\noutput=%s\nerror=%s\n", probe_outcome_name (o),
            output ? output : "", error ? error : "");
  t->pending--;
  if (t->to_start > 0)
    start_one (t);
  else if (t->pending == 0)
    loop_stop (&t->loop, 0);
}

static void
start_one (struct tool *t)
{
  berth_error_t err = NULL;
  struct probe_run *run;

  t->to_start--;
  if (probe_run_start (t->runner, t->call, done, t, &run, &err) < 0)
    {
      fprintf (stderr, "probe-tool: %s\n", berth_error_msg (&err));
      exit (1);
    }
  t->pending++;
}

static double
cpu_ms (int who)
{
  struct rusage ru;
  getrusage (who, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static void
on_result (void *ctx, const char *uid, const char *c, uint64_t inst,
           enum probe_kind k, enum probe_result r)
{
  static const char *const names[] = { "Unknown", "Success", "Failure" };
  struct tool *t = ctx;
  (void)uid;
  (void)c;
  (void)inst;
  if (t->quiet)
    return;
  printf ("t=%.1f result %s %s\n", (loop_now_ms () - t->start) / 1000.0,
          prober_kind_name (k), names[r]);
  fflush (stdout);
}

static void
on_event (void *ctx, const char *uid, const char *c, const char *type,
          const char *reason, const char *msg)
{
  struct tool *t = ctx;
  (void)uid;
  (void)c;
  if (t->quiet)
    return;
  printf ("t=%.1f event %s %s %s\n", (loop_now_ms () - t->start) / 1000.0, type,
          reason, msg);
  fflush (stdout);
}

static void
stop_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)w;
  (void)events;
  loop_stop (l, 0);
}

static int
die (berth_error_t *err)
{
  fprintf (stderr, "probe-tool: %s\n", berth_error_msg (err));
  berth_error_release (err);
  return 1;
}

static void
set_port (struct int_or_string *p, const char *s)
{
  char *end;
  long v = strtol (s, &end, 10);
  if (*end == '\0')
    *p = (struct int_or_string){ IOS_INT, v, NULL };
  else
    *p = (struct int_or_string){ IOS_STRING, 0, (char *)s };
}

/* Sum the prober_probe_total series of RESULT in the metrics text (NULL:
 * the berth_prober_missed_periods_total series), and the smallest
 * per-worker count. */
static void
sum_metric (const char *text, const char *result, long *sum, long *min)
{
  char want[64];
  const char *l;

  if (result)
    snprintf (want, sizeof (want), "result=\"%s\"} ", result);
  else
    snprintf (want, sizeof (want), "} ");
  *sum = 0;
  *min = -1;
  for (l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    {
      const char *e = strchr (l, '\n'), *m;
      const char *series = result ? "prober_probe_total{"
                                  : "berth_prober_missed_periods_total{";
      if (strncmp (l, series, strlen (series)) != 0
          || (m = strstr (l, want)) == NULL || (e && m > e))
        continue;
      long v = atol (m + strlen (want));
      *sum += v;
      if (*min < 0 || v < *min)
        *min = v;
    }
}

/* The value of the series that starts a line of TEXT with KEY (0: none). */
static long
metric_value (const char *text, const char *key)
{
  const char *l;

  for (l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, key, strlen (key)) == 0)
      return atol (l + strlen (key));
  return 0;
}

/* A prober with WORKERS containers (ctr-0...) for SECONDS; prints every
 * result and event, or with --quiet the probe counts from the metrics:
 * successful (and the smallest per worker), failed, missed (periods without a
 * probe), late_1s (periods taken up more than 1 s late). */
static int
watch (struct tool *t, struct probe *pr, struct container *c,
       struct probe_target *tg, const char *kind, int seconds, int workers)
{
  struct prober_callbacks cb = { on_result, on_event, t };
  struct prober_pod pod = { "uid", "pod", "default", "Always" };
  struct loop_watcher stop = { .fd = -1 };
  struct container *cs = calloc (workers, sizeof (*cs));
  struct prober *p = NULL;
  berth_error_t err = NULL;
  char *metrics = NULL;
  size_t len = 0;
  long sum, min;
  int i;

  if (strcmp (kind, "readiness") == 0)
    c->readiness_probe = pr;
  else if (strcmp (kind, "startup") == 0)
    c->startup_probe = pr;
  else
    c->liveness_probe = pr;
  if (prober_new (&t->loop, &cb, NULL, &p, &err) < 0)
    return die (&err);
  for (i = 0; i < workers; i++)
    {
      cs[i] = *c;
      if (workers > 1 && asprintf (&cs[i].name, "ctr-%d", i) < 0)
        abort ();
      if (prober_add_container (p, &pod, &cs[i], tg, loop_wall_ms (), &err)
          == 0)
        return die (&err);
    }
  if (loop_timer_add (&t->loop, &stop, seconds * 1000, 0, stop_cb, NULL, &err)
          < 0
      || loop_run (&t->loop, &err) < 0)
    return die (&err);
  prober_metrics_render (p, &metrics, &len);
  sum_metric (metrics, "successful", &sum, &min);
  printf ("successful=%ld\nmin_successful=%ld\n", sum, min);
  sum_metric (metrics, "failed", &sum, &min);
  printf ("failed=%ld\n", sum);
  sum_metric (metrics, NULL, &sum, &min);
  printf ("missed=%ld\n", sum);
  printf (
      "late_1s=%ld\n",
      metric_value (metrics, "berth_prober_tick_delay_seconds_count ")
          - metric_value (metrics,
                          "berth_prober_tick_delay_seconds_bucket{le=\"1\"} "));
  printf ("cpu_self_ms=%.0f\n", cpu_ms (RUSAGE_SELF));
  free (metrics);
  prober_free (p);
  for (i = 0; workers > 1 && i < workers; i++)
    free (cs[i].name);
  free (cs);
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option opts[]
      = { { "net-ns", 1, NULL, 'N' },  { "pod-ip", 1, NULL, 'I' },
          { "pid", 1, NULL, 'P' },     { "instance", 1, NULL, 'D' },
          { "timeout", 1, NULL, 'T' }, { "host", 1, NULL, 'H' },
          { "scheme", 1, NULL, 'S' },  { "header", 1, NULL, 'h' },
          { "service", 1, NULL, 's' }, { "port", 1, NULL, 'p' },
          { "env", 1, NULL, 'e' },     { "count", 1, NULL, 'n' },
          { "watch", 1, NULL, 'w' },   { "period", 1, NULL, 'r' },
          { "failure", 1, NULL, 'f' }, { "success", 1, NULL, 'u' },
          { "kind", 1, NULL, 'k' },    { "parallel", 1, NULL, 'j' },
          { "quiet", 0, NULL, 'q' },   { "workers", 1, NULL, 'W' },
          { NULL, 0, NULL, 0 } };
  static struct tool t;
  struct probe_target tg = { 0 };
  struct probe pr = { 0 };
  struct container c = { .name = "ctr" };
  struct exec_action ex = { 0 };
  struct http_get_action hg = { 0 };
  struct tcp_socket_action tcp = { 0 };
  struct grpc_action gr = { 0 };
  struct http_header headers[MAX];
  struct container_port ports[MAX];
  struct env_var env[MAX];
  const char *kind = "liveness";
  berth_error_t err = NULL;
  int o, count = 1, watch_s = 0, parallel = 0, workers = 1, i;

  pr.timeout_seconds = (struct opt_int){ true, 1 };
  while ((o = getopt_long (argc, argv, "+", opts, NULL)) != -1)
    switch (o)
      {
      case 'N':
        tg.net_ns = optarg;
        break;
      case 'I':
        tg.pod_ip = optarg;
        break;
      case 'P':
        tg.pid = atoi (optarg);
        break;
      case 'D':
        tg.instance_dir = optarg;
        break;
      case 'T':
        pr.timeout_seconds.v = atoi (optarg);
        break;
      case 'H':
        hg.host = tcp.host = optarg;
        break;
      case 'S':
        hg.scheme = optarg;
        break;
      case 'h':
        headers[hg.http_headers.len].name = strtok (optarg, ":");
        headers[hg.http_headers.len].value = strtok (NULL, "");
        hg.http_headers.items = headers;
        hg.http_headers.len++;
        break;
      case 's':
        gr.service = optarg;
        break;
      case 'p':
        ports[c.ports.len]
            = (struct container_port){ .name = strtok (optarg, "=") };
        ports[c.ports.len].container_port
            = (struct opt_int){ true, atoi (strtok (NULL, "")) };
        c.ports.items = ports;
        c.ports.len++;
        break;
      case 'e':
        env[c.env.len] = (struct env_var){ .name = strtok (optarg, "=") };
        env[c.env.len].value = strtok (NULL, "");
        env[c.env.len].value_set = true;
        c.env.items = env;
        c.env.len++;
        break;
      case 'n':
        count = atoi (optarg);
        break;
      case 'w':
        watch_s = atoi (optarg);
        break;
      case 'r':
        pr.period_seconds = (struct opt_int){ true, atoi (optarg) };
        break;
      case 'f':
        pr.failure_threshold = (struct opt_int){ true, atoi (optarg) };
        break;
      case 'u':
        pr.success_threshold = (struct opt_int){ true, atoi (optarg) };
        break;
      case 'k':
        kind = optarg;
        break;
      case 'j':
        parallel = atoi (optarg);
        break;
      case 'q':
        t.quiet = true;
        break;
      case 'W':
        workers = atoi (optarg);
        break;
      default:
        return 1;
      }
  if (argc - optind < 1)
    {
      fprintf (stderr, "usage: probe-tool [options] exec|http|tcp|grpc ...\n");
      return 1;
    }
  if (strcmp (argv[optind], "exec") == 0)
    {
      ex.command.items = argv + optind + 1;
      ex.command.len = argc - optind - 1;
      pr.exec = &ex;
    }
  else if (strcmp (argv[optind], "http") == 0 && argc - optind >= 2)
    {
      set_port (&hg.port, argv[optind + 1]);
      hg.path = argc - optind >= 3 ? argv[optind + 2] : NULL;
      pr.http_get = &hg;
    }
  else if (strcmp (argv[optind], "tcp") == 0 && argc - optind >= 2)
    {
      set_port (&tcp.port, argv[optind + 1]);
      pr.tcp_socket = &tcp;
    }
  else if (strcmp (argv[optind], "grpc") == 0 && argc - optind >= 2)
    {
      gr.port = (struct opt_int){ true, atoi (argv[optind + 1]) };
      pr.grpc = &gr;
    }
  else
    {
      fprintf (stderr, "probe-tool: unknown probe %s\n", argv[optind]);
      return 1;
    }
  if (loop_init (&t.loop, &err) < 0)
    return die (&err);
  t.start = loop_now_ms ();
  if (watch_s > 0)
    return watch (&t, &pr, &c, &tg, kind, watch_s, workers);
  {
    struct probe_call call = { &pr, &c, &tg };

    if (probe_runner_new (&t.loop, &t.runner, &err) < 0)
      return die (&err);
    t.call = &call;
    t.to_start = count;
    for (i = 0; i < (parallel > 0 ? parallel : count) && t.to_start > 0; i++)
      start_one (&t);
    if (loop_run (&t.loop, &err) < 0)
      return die (&err);
    printf ("ms=%lld\n", (long long)(loop_now_ms () - t.start));
    if (t.quiet)
      for (i = 0; i < 4; i++)
        printf ("%s=%d\n", probe_outcome_name (i), t.counts[i]);
    printf ("cpu_self_ms=%.0f\ncpu_children_ms=%.0f\n", cpu_ms (RUSAGE_SELF),
            cpu_ms (RUSAGE_CHILDREN));
    probe_runner_free (t.runner);
  }
  return 0;
}
