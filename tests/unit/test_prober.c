/* test_prober.c - the kubelet's probe worker rules (prober.h) with an
 * injected clock and a fake executor, and the gRPC health framing. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "prober.h"

#define MAX_CALLS 64

struct fake
{
  int64_t now;
  double random;
  struct
  {
    const struct probe *spec;
    probe_done_cb done;
    void *ctx;
    bool open, cancelled;
  } calls[MAX_CALLS];
  int n_calls;
  char events[32][256];
  int n_events;
  int results[32][3]; /* kind, result, instance */
  int n_results;
};

static struct fake F;

static int
f_start (void *impl, const struct probe_call *call, probe_done_cb done,
         void *ctx, void **handle, berth_error_t *err)
{
  (void)impl;
  (void)err;
  ck_assert_int_lt (F.n_calls, MAX_CALLS);
  F.calls[F.n_calls].spec = call->spec;
  F.calls[F.n_calls].done = done;
  F.calls[F.n_calls].ctx = ctx;
  F.calls[F.n_calls].open = true;
  *handle = (void *)(intptr_t)(F.n_calls + 1);
  F.n_calls++;
  return 0;
}

static void
f_cancel (void *impl, void *handle)
{
  (void)impl;
  F.calls[(intptr_t)handle - 1].open = false;
  F.calls[(intptr_t)handle - 1].cancelled = true;
}

static int64_t
f_now (void *impl)
{
  (void)impl;
  return F.now;
}

static double
f_random (void *impl)
{
  (void)impl;
  return F.random;
}

static void
on_result (void *ctx, const char *uid, const char *c, uint64_t inst,
           enum probe_kind k, enum probe_result r)
{
  (void)ctx;
  (void)uid;
  (void)c;
  F.results[F.n_results][0] = k;
  F.results[F.n_results][1] = r;
  F.results[F.n_results][2] = (int)inst;
  F.n_results++;
}

static void
on_event (void *ctx, const char *uid, const char *c, const char *type,
          const char *reason, const char *msg)
{
  (void)ctx;
  (void)uid;
  (void)c;
  snprintf (F.events[F.n_events++ % 32], 256, "%s %s %s", type, reason, msg);
}

static struct prober *
new_prober (void)
{
  static const struct prober_callbacks cb = { on_result, on_event, NULL };
  struct prober_env env = { f_start, f_cancel, f_now, f_now, f_random, NULL };
  struct prober *p = NULL;
  berth_error_t err = NULL;

  memset (&F, 0, sizeof (F));
  F.now = 1000000;
  ck_assert_int_eq (prober_new (NULL, &cb, &env, &p, &err), 0);
  return p;
}

static struct probe
probe_spec (int delay, int period, int success, int failure)
{
  static struct tcp_socket_action tcp = { { IOS_INT, 80, NULL }, NULL };
  struct probe p = { 0 };
  p.tcp_socket = &tcp;
  p.initial_delay_seconds = (struct opt_int){ delay > 0, delay };
  p.period_seconds = (struct opt_int){ true, period };
  p.timeout_seconds = (struct opt_int){ true, 1 };
  p.success_threshold = (struct opt_int){ true, success };
  p.failure_threshold = (struct opt_int){ true, failure };
  return p;
}

static const struct prober_pod pod = { "uid-1", "p", "ns", "Always" };
static const struct probe_target target
    = { "/run/ns", "10.0.0.2", 1, NULL, NULL };

static uint64_t
add (struct prober *p, struct container *c)
{
  berth_error_t err = NULL;
  uint64_t id = prober_add_container (p, &pod, c, &target, F.now, &err);
  ck_assert_uint_gt (id, 0);
  return id;
}

/* Complete the last open call of SPEC. */
static void
complete (const struct probe *spec, enum probe_outcome o, const char *out,
          const char *error)
{
  for (int i = F.n_calls - 1; i >= 0; i--)
    if (F.calls[i].open && F.calls[i].spec == spec)
      {
        F.calls[i].open = false;
        F.calls[i].done (F.calls[i].ctx, o, out, error);
        return;
      }
  ck_abort_msg ("no open probe call");
}

static int
open_calls (const struct probe *spec)
{
  int n = 0;
  for (int i = 0; i < F.n_calls; i++)
    n += F.calls[i].open && F.calls[i].spec == spec;
  return n;
}

static void
at (struct prober *p, int64_t ms)
{
  F.now = 1000000 + ms;
  prober_tick (p);
}

START_TEST (test_initial_results)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (100, 10, 1, 3), r = l, s = l;
  struct container c = { .name = "c" };
  enum probe_result res;
  uint64_t id;

  c.liveness_probe = &l;
  c.readiness_probe = &r;
  c.startup_probe = &s;
  id = add (p, &c);
  ck_assert (prober_result (p, id, PROBE_LIVENESS, &res));
  ck_assert_int_eq (res, PROBE_RESULT_SUCCESS);
  ck_assert (prober_result (p, id, PROBE_READINESS, &res));
  ck_assert_int_eq (res, PROBE_RESULT_FAILURE);
  ck_assert (prober_result (p, id, PROBE_STARTUP, &res));
  ck_assert_int_eq (res, PROBE_RESULT_UNKNOWN);
  ck_assert (!prober_started (p, id));
  ck_assert (!prober_ready (p, id));
  prober_free (p);
}
END_TEST

/* Until startup succeeds only it runs; then only the others. */
START_TEST (test_startup_gating)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 10, 1, 3), r = l, s = l;
  struct container c = { .name = "c" };
  uint64_t id;

  c.liveness_probe = &l;
  c.readiness_probe = &r;
  c.startup_probe = &s;
  id = add (p, &c);
  at (p, 0);
  ck_assert_int_eq (open_calls (&s), 1);
  ck_assert_int_eq (open_calls (&l) + open_calls (&r), 0);
  complete (&s, PROBE_OUT_SUCCESS, "", NULL);
  ck_assert (prober_started (p, id));
  ck_assert (!prober_ready (p, id));
  at (p, 10000);
  ck_assert_int_eq (open_calls (&s), 0);
  ck_assert_int_eq (open_calls (&l), 1);
  ck_assert_int_eq (open_calls (&r), 1);
  complete (&r, PROBE_OUT_SUCCESS, "", NULL);
  ck_assert (prober_ready (p, id));
  prober_free (p);
}
END_TEST

/* failureThreshold 3: two failures change nothing, the third publishes
 * Failure with an Unhealthy event each time; then the worker holds. */
START_TEST (test_failure_threshold_and_hold)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 10, 1, 3);
  struct container c = { .name = "c" };
  enum probe_result res;
  uint64_t id;
  int i;

  c.liveness_probe = &l;
  id = add (p, &c);
  for (i = 0; i < 3; i++)
    {
      at (p, i * 10000);
      ck_assert_int_eq (open_calls (&l), 1);
      complete (&l, PROBE_OUT_FAILURE, "HTTP probe failed with statuscode: 500",
                NULL);
      prober_result (p, id, PROBE_LIVENESS, &res);
      ck_assert_int_eq (res,
                        i < 2 ? PROBE_RESULT_SUCCESS : PROBE_RESULT_FAILURE);
    }
  ck_assert_int_eq (F.n_events, 3);
  ck_assert_str_eq (F.events[2], "Warning Unhealthy Liveness probe failed: "
                                 "HTTP probe failed with statuscode: 500");
  ck_assert_int_eq (F.n_results, 1);
  ck_assert_int_eq (F.results[0][1], PROBE_RESULT_FAILURE);
  /* on hold: no probe until a new instance */
  at (p, 30000);
  at (p, 40000);
  ck_assert_int_eq (open_calls (&l), 0);
  ck_assert_int_eq (F.n_calls, 3);
  {
    char *m = prober_kill_message (PROBE_LIVENESS, "c", true);
    ck_assert_str_eq (m, "Container c failed liveness probe, will be "
                         "restarted");
    free (m);
  }
  prober_free (p);
}
END_TEST

/* A new instance: its initial result, probing resumes, the old
 * instance's results are gone and its probe is cancelled. */
START_TEST (test_new_instance)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 10, 1, 1), r = probe_spec (0, 10, 1, 1);
  struct container c = { .name = "c" };
  enum probe_result res;
  uint64_t a, b;

  c.liveness_probe = &l;
  c.readiness_probe = &r;
  a = add (p, &c);
  at (p, 0);
  complete (&l, PROBE_OUT_FAILURE, "x", NULL);
  complete (&r, PROBE_OUT_SUCCESS, "", NULL);
  ck_assert (prober_ready (p, a));
  at (p, 10000); /* readiness runs, liveness holds */
  ck_assert_int_eq (open_calls (&r), 1);
  prober_container_exited (p, a);
  ck_assert_int_eq (open_calls (&r), 0);
  ck_assert (!prober_ready (p, a));
  b = add (p, &c);
  ck_assert_uint_ne (a, b);
  ck_assert (!prober_result (p, a, PROBE_LIVENESS, &res));
  ck_assert (prober_result (p, b, PROBE_LIVENESS, &res));
  ck_assert_int_eq (res, PROBE_RESULT_SUCCESS);
  ck_assert (!prober_ready (p, b));
  at (p, 20000);
  ck_assert_int_eq (open_calls (&l), 1);
  prober_free (p);
}
END_TEST

/* initialDelaySeconds counts whole seconds from the start; probes stay
 * on the worker's period grid. */
START_TEST (test_initial_delay)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (5, 2, 1, 3);
  struct container c = { .name = "c" };

  c.liveness_probe = &l;
  add (p, &c);
  at (p, 0);
  at (p, 2000);
  at (p, 4000);
  ck_assert_int_eq (F.n_calls, 0);
  at (p, 5000); /* not on the grid */
  ck_assert_int_eq (F.n_calls, 0);
  at (p, 6000);
  ck_assert_int_eq (F.n_calls, 1);
  prober_free (p);
}
END_TEST

/* A young prober spreads its workers' first probes over a period. */
START_TEST (test_jitter)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 10, 1, 3);
  struct container c = { .name = "c" };

  F.random = 0.5;
  c.liveness_probe = &l;
  add (p, &c);
  at (p, 4999);
  ck_assert_int_eq (F.n_calls, 0);
  at (p, 5000);
  ck_assert_int_eq (F.n_calls, 1);
  prober_free (p);
}
END_TEST

START_TEST (test_success_threshold)
{
  struct prober *p = new_prober ();
  struct probe r = probe_spec (0, 1, 2, 3);
  struct container c = { .name = "c" };
  uint64_t id;

  c.readiness_probe = &r;
  id = add (p, &c);
  at (p, 0);
  complete (&r, PROBE_OUT_SUCCESS, "", NULL);
  ck_assert (!prober_ready (p, id));
  at (p, 1000);
  complete (&r, PROBE_OUT_SUCCESS, "", NULL);
  ck_assert (prober_ready (p, id));
  /* readiness does not hold after failures */
  at (p, 2000);
  complete (&r, PROBE_OUT_FAILURE, "no", NULL);
  at (p, 3000);
  complete (&r, PROBE_OUT_FAILURE, "no", NULL);
  ck_assert (prober_ready (p, id));
  at (p, 4000);
  complete (&r, PROBE_OUT_FAILURE, "no", NULL);
  ck_assert (!prober_ready (p, id));
  at (p, 5000);
  ck_assert_int_eq (open_calls (&r), 1);
  prober_free (p);
}
END_TEST

/* Errors are retried 3 times, then reported and discarded; a warning is
 * a success with a ProbeWarning event. */
START_TEST (test_errors_and_warnings)
{
  struct prober *p = new_prober ();
  struct probe r = probe_spec (0, 10, 1, 1);
  struct container c = { .name = "c" };
  char *m = NULL;
  size_t len = 0;
  uint64_t id;

  c.readiness_probe = &r;
  id = add (p, &c);
  at (p, 0);
  complete (&r, PROBE_OUT_UNKNOWN, "", "boom");
  complete (&r, PROBE_OUT_UNKNOWN, "", "boom");
  complete (&r, PROBE_OUT_UNKNOWN, "", "boom");
  ck_assert_int_eq (F.n_calls, 3);
  ck_assert_int_eq (F.n_events, 1);
  ck_assert_str_eq (F.events[0], "Warning Unhealthy Readiness probe errored "
                                 "and resulted in unknown state: boom");
  ck_assert_int_eq (F.n_results, 0);
  prober_metrics_render (p, &m, &len);
  ck_assert_ptr_null (strstr (m, "prober_probe_total{"));
  free (m);
  at (p, 10000);
  complete (&r, PROBE_OUT_WARNING,
            "Probe terminated redirects, Response "
            "body: ",
            NULL);
  ck_assert (prober_ready (p, id));
  ck_assert_str_eq (F.events[1], "Warning ProbeWarning Readiness probe "
                                 "warning: Probe terminated redirects, "
                                 "Response body: ");
  prober_free (p);
}
END_TEST

START_TEST (test_metrics)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 10, 1, 3);
  struct container c = { .name = "c" };
  char *m = NULL;
  size_t len = 0;

  c.liveness_probe = &l;
  add (p, &c);
  at (p, 0);
  F.now += 30; /* 30 ms */
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  at (p, 10000);
  complete (&l, PROBE_OUT_FAILURE, "x", NULL);
  prober_metrics_render (p, &m, &len);
  ck_assert_ptr_nonnull (strstr (
      m, "prober_probe_total{container=\"c\",namespace=\"ns\",pod=\"p\","
         "pod_uid=\"uid-1\",probe_type=\"Liveness\",result=\"successful\"} "
         "1\n"));
  ck_assert_ptr_nonnull (strstr (m, "result=\"failed\"} 1\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "prober_probe_duration_seconds_bucket{container=\"c\","
                 "namespace=\"ns\",pod=\"p\",probe_type=\"Liveness\","
                 "le=\"0.025\"} 1\n"));
  ck_assert_ptr_nonnull (strstr (m, "le=\"0.05\"} 2\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "prober_probe_duration_seconds_count{container=\"c\","
                 "namespace=\"ns\",pod=\"p\",probe_type=\"Liveness\"} 2\n"));
  free (m);
  prober_free (p);
}
END_TEST

static uint64_t
missed (struct prober *p)
{
  const char *key = "berth_prober_missed_periods_total{container=\"c\","
                    "namespace=\"ns\",pod=\"p\",probe_type=\"Liveness\"} ";
  char *m = NULL, *at_key;
  size_t len = 0;
  uint64_t n;

  prober_metrics_render (p, &m, &len);
  at_key = strstr (m, key);
  ck_assert_ptr_nonnull (at_key);
  n = strtoull (at_key + strlen (key), NULL, 10);
  free (m);
  return n;
}

/* Every period gets its probe: 0 missed.  A probe running past a period
 * buffers one tick (Go's ticker), any further tick is missed; so is every
 * period a late loop turn skips. */
START_TEST (test_missed_periods)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 1, 1, 3);
  struct container c = { .name = "c" };

  c.liveness_probe = &l;
  add (p, &c);
  for (int t = 0; t < 5; t++)
    {
      at (p, t * 1000 + 10);
      complete (&l, PROBE_OUT_SUCCESS, "", NULL);
    }
  ck_assert_int_eq (F.n_calls, 5);
  ck_assert_uint_eq (missed (p), 0);
  /* the probe of 5 s runs until 7.5 s: the tick of 6 s waits, 7 s is
   * missed, the buffered one runs when the probe ends */
  at (p, 5000);
  at (p, 6000);
  ck_assert_uint_eq (missed (p), 0);
  at (p, 7000);
  ck_assert_uint_eq (missed (p), 1);
  F.now = 1000000 + 7500;
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  at (p, 7500);
  ck_assert_int_eq (F.n_calls, 7);
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  /* a loop turn at 11.2 s: the ticks of 8, 9, 10 and 11 s get one probe */
  at (p, 11200);
  ck_assert_int_eq (F.n_calls, 8);
  ck_assert_uint_eq (missed (p), 4);
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  at (p, 12000);
  ck_assert_uint_eq (missed (p), 4);
  prober_free (p);
}
END_TEST

/* A readiness probe triggered (UpdatePodStatus) while one runs: the
 * trigger waits in manualTriggerCh and runs as soon as that probe ends,
 * with no tick in between; a probe ending with nothing buffered starts
 * nothing. */
START_TEST (test_trigger_while_running)
{
  struct prober *p = new_prober ();
  struct probe r = probe_spec (0, 10, 1, 3);
  struct container c = { .name = "c" };

  c.readiness_probe = &r;
  add (p, &c);
  ck_assert_int_eq (F.n_calls, 1);
  prober_update_pod_status (p, "uid-1");
  ck_assert_int_eq (F.n_calls, 1);
  complete (&r, PROBE_OUT_FAILURE, "no", NULL);
  ck_assert_int_eq (F.n_calls, 2);
  complete (&r, PROBE_OUT_FAILURE, "no", NULL);
  ck_assert_int_eq (F.n_calls, 2);
  ck_assert_int_eq (open_calls (&r), 0);
  prober_free (p);
}
END_TEST

/* berth_prober_tick_delay_seconds: how late each period was taken up. */
START_TEST (test_tick_delay)
{
  struct prober *p = new_prober ();
  struct probe l = probe_spec (0, 1, 1, 3);
  struct container c = { .name = "c" };
  char *m = NULL;
  size_t len = 0;

  c.liveness_probe = &l;
  add (p, &c); /* probes at once: on time */
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  at (p, 1010); /* 10 ms late */
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  at (p, 2300); /* 300 ms late */
  complete (&l, PROBE_OUT_SUCCESS, "", NULL);
  at (p, 2500); /* nothing due */
  ck_assert_int_eq (F.n_calls, 3);
  prober_metrics_render (p, &m, &len);
  ck_assert_ptr_nonnull (
      strstr (m, "berth_prober_tick_delay_seconds_bucket{le=\"0.005\"} 1\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "berth_prober_tick_delay_seconds_bucket{le=\"0.025\"} 2\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "berth_prober_tick_delay_seconds_bucket{le=\"0.25\"} 2\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "berth_prober_tick_delay_seconds_bucket{le=\"0.5\"} 3\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "berth_prober_tick_delay_seconds_sum 0.31\n"));
  ck_assert_ptr_nonnull (
      strstr (m, "berth_prober_tick_delay_seconds_count 3\n"));
  free (m);
  prober_free (p);
}
END_TEST

/* Pod deletion: liveness and startup turn Success and stop. */
START_TEST (test_terminating)
{
  struct prober *p = new_prober ();
  struct probe s = probe_spec (0, 10, 1, 3);
  struct container c = { .name = "c" };
  enum probe_result res;
  uint64_t id;

  c.startup_probe = &s;
  id = add (p, &c);
  ck_assert_int_eq (open_calls (&s), 1); /* due at once */
  prober_pod_terminating (p, "uid-1");
  ck_assert (F.calls[0].cancelled);
  ck_assert (prober_result (p, id, PROBE_STARTUP, &res));
  ck_assert_int_eq (res, PROBE_RESULT_SUCCESS);
  at (p, 10000);
  at (p, 20000);
  ck_assert_int_eq (F.n_calls, 1);
  prober_free (p);
}
END_TEST

/* status.berth: the published result with its time, the last probe and
 * the counts; what moves every period is a snapshot refreshed on a
 * transition and otherwise every PROBER_SNAPSHOT_MS. */
static int64_t
rec_int (const struct node *berth, const char *ctr, const char *kind,
         const char *key)
{
  const struct node *seq = node_map_get (berth, "containers");
  for (size_t i = 0; seq && i < seq->len; i++)
    if (strcmp (node_map_get (seq->items[i], "name")->text, ctr) == 0)
      {
        const struct node *r = node_map_get (
            node_map_get (node_map_get (seq->items[i], "probes"), kind), key);
        int64_t v = -1;
        bool ovf;
        ck_assert_ptr_nonnull (r);
        ck_assert (node_as_int64 (r, &v, &ovf));
        return v;
      }
  ck_abort_msg ("no container %s", ctr);
  return -1;
}

static const char *
rec_str (const struct node *berth, const char *kind, const char *key)
{
  const struct node *c = node_map_get (berth, "containers")->items[0];
  const struct node *r = node_map_get (node_map_get (c, "probes"), kind);
  for (const char *k = key, *dot; r; k = dot + 1)
    {
      char part[32];
      dot = strchr (k, '.');
      snprintf (part, sizeof (part), "%.*s",
                (int)(dot ? (size_t)(dot - k) : strlen (k)), k);
      r = node_map_get (r, part);
      if (dot == NULL)
        break;
    }
  return r ? r->text : NULL;
}

static struct node *
status_block (struct prober *p)
{
  struct node *b = node_new_map (), *seq = node_new_seq ();
  struct node *c = node_new_map ();
  node_map_set_str (c, "name", "c");
  node_seq_append (seq, c);
  node_map_set (b, "containers", seq);
  prober_status_attach (p, "uid-1", b);
  return b;
}

START_TEST (test_status_record)
{
  struct prober *p = new_prober ();
  struct probe r = probe_spec (0, 1, 1, 3), l = probe_spec (0, 1, 1, 3);
  struct container c = { .name = "c" }, c2 = { .name = "other" };
  struct node *b;
  int i;

  c.readiness_probe = &r;
  c2.liveness_probe = &l;
  add (p, &c);
  add (p, &c2);
  b = status_block (p);
  ck_assert_str_eq (rec_str (b, "readiness", "result"), "Failure");
  ck_assert_ptr_null (rec_str (b, "readiness", "lastProbe.result"));
  ck_assert_int_eq (rec_int (b, "c", "readiness", "failures"), 0);
  /* a container missing from the block is appended to "containers" */
  ck_assert_int_eq (rec_int (b, "other", "liveness", "successes"), 0);
  node_unref (b);
  at (p, 0);
  complete (&r, PROBE_OUT_SUCCESS, "", NULL);
  for (i = 1; i <= 3; i++)
    {
      at (p, i * 1000);
      complete (&r, PROBE_OUT_FAILURE, "HTTP probe failed with statuscode: 500",
                NULL);
    }
  b = status_block (p);
  ck_assert_str_eq (rec_str (b, "readiness", "result"), "Failure");
  ck_assert_str_eq (rec_str (b, "readiness", "since"),
                    "1970-01-01T00:16:43.000000000Z");
  ck_assert_str_eq (rec_str (b, "readiness", "lastProbe.result"), "Failure");
  ck_assert_str_eq (rec_str (b, "readiness", "lastProbe.time"),
                    "1970-01-01T00:16:43Z");
  ck_assert_int_eq (rec_int (b, "c", "readiness", "consecutive"), 3);
  ck_assert_int_eq (rec_int (b, "c", "readiness", "successes"), 1);
  ck_assert_int_eq (rec_int (b, "c", "readiness", "failures"), 3);
  node_unref (b);
  /* more failures, no transition: the snapshot holds for 10 s */
  for (i = 4; i <= 12; i++)
    {
      at (p, i * 1000);
      complete (&r, PROBE_OUT_FAILURE, "HTTP probe failed with statuscode: 500",
                NULL);
      b = status_block (p);
      ck_assert_int_eq (rec_int (b, "c", "readiness", "failures"), 3);
      node_unref (b);
    }
  at (p, 13000);
  complete (&r, PROBE_OUT_FAILURE, "HTTP probe failed with statuscode: 500",
            NULL);
  b = status_block (p);
  ck_assert_int_eq (rec_int (b, "c", "readiness", "failures"), 13);
  ck_assert_int_eq (rec_int (b, "c", "readiness", "consecutive"), 13);
  node_unref (b);
  /* a success publishes Success: shown at once */
  at (p, 14000);
  complete (&r, PROBE_OUT_SUCCESS, "", NULL);
  b = status_block (p);
  ck_assert_str_eq (rec_str (b, "readiness", "result"), "Success");
  ck_assert_str_eq (rec_str (b, "readiness", "lastProbe.result"), "Success");
  ck_assert_int_eq (rec_int (b, "c", "readiness", "consecutive"), 1);
  ck_assert_int_eq (rec_int (b, "c", "readiness", "successes"), 2);
  node_unref (b);
  prober_free (p);
}
END_TEST

START_TEST (test_grpc_framing)
{
  uint8_t buf[64];
  size_t n = probe_grpc_encode_request ("", buf, sizeof (buf));
  static const uint8_t empty[] = { 0, 0, 0, 0, 0 };
  static const uint8_t svc[] = { 0, 0, 0, 0, 5, 0x0a, 3, 'a', 'p', 'i' };
  static const uint8_t serving[] = { 0, 0, 0, 0, 2, 0x08, 1 };
  /* an unknown field 2 (string) before status NOT_SERVING */
  static const uint8_t extra[] = { 0, 0, 0, 0, 5, 0x12, 1, 'x', 0x08, 2 };
  static const uint8_t truncated[] = { 0, 0, 0, 0, 9, 0x08, 1 };
  int status = -1;

  ck_assert_uint_eq (n, 5);
  ck_assert_mem_eq (buf, empty, 5);
  n = probe_grpc_encode_request ("api", buf, sizeof (buf));
  ck_assert_uint_eq (n, sizeof (svc));
  ck_assert_mem_eq (buf, svc, sizeof (svc));
  ck_assert_int_eq (
      probe_grpc_decode_response (serving, sizeof (serving), &status), 0);
  ck_assert_int_eq (status, 1);
  ck_assert_int_eq (probe_grpc_decode_response (empty, 5, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_int_eq (probe_grpc_decode_response (extra, sizeof (extra), &status),
                    0);
  ck_assert_str_eq (probe_grpc_status_name (status), "NOT_SERVING");
  ck_assert_int_eq (
      probe_grpc_decode_response (truncated, sizeof (truncated), &status), -1);
}
END_TEST

START_TEST (test_named_port)
{
  struct container_port ports[]
      = { { .name = "http", .container_port = { true, 8080 } } };
  struct container c = { .name = "c" };
  struct int_or_string byname = { IOS_STRING, 0, "http" };
  struct int_or_string missing = { IOS_STRING, 0, "grpc" };
  berth_error_t err = NULL;

  c.ports.items = ports;
  c.ports.len = 1;
  ck_assert_int_eq (probe_resolve_port (&byname, &c, &err), 8080);
  ck_assert_int_lt (probe_resolve_port (&missing, &c, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "couldn't find port: grpc in c");
  berth_error_release (&err);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prober");
  TCase *tc = tcase_create ("worker");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_initial_results);
  tcase_add_test (tc, test_startup_gating);
  tcase_add_test (tc, test_failure_threshold_and_hold);
  tcase_add_test (tc, test_new_instance);
  tcase_add_test (tc, test_initial_delay);
  tcase_add_test (tc, test_jitter);
  tcase_add_test (tc, test_success_threshold);
  tcase_add_test (tc, test_errors_and_warnings);
  tcase_add_test (tc, test_metrics);
  tcase_add_test (tc, test_missed_periods);
  tcase_add_test (tc, test_tick_delay);
  tcase_add_test (tc, test_trigger_while_running);
  tcase_add_test (tc, test_terminating);
  tcase_add_test (tc, test_status_record);
  tcase_add_test (tc, test_grpc_framing);
  tcase_add_test (tc, test_named_port);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
