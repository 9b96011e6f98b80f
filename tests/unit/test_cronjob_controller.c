/* test_cronjob_controller.c - the CronJob controller against a real store
 * with an injected clock: Jobs created on time with their names and
 * scheduled-timestamp annotation, Forbid and Replace, the history limits,
 * missed schedules (only the latest runs, TooManyMissedTimes past 100),
 * startingDeadlineSeconds, suspend, a daylight-saving change in
 * spec.timeZone, and no duplicate Job after a restart. */
#include "test_job_util.h"

#include "cronjob_controller.h"

#define MIN 60000LL

static struct store_entry *
make_cronjob (struct store *s, const char *name, const char *spec,
              int64_t created_ms)
{
  cleanup_free char *y = NULL;
  struct store_entry *e;
  struct object_meta *m;
  ck_assert_int_ge (
      asprintf (&y,
                "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: %s}\n"
                "spec:\n%s"
                "  jobTemplate:\n    metadata: {labels: {app: %s}}\n"
                "    spec:\n      template:\n        spec:\n"
                "          restartPolicy: Never\n"
                "          containers: [{name: c, image: busybox}]\n",
                name, spec, name),
      0);
  e = apply_yaml (s, y);
  /* the API server's clock at creation: the test's */
  m = object_meta (e->obj);
  free (m->creation_timestamp);
  m->creation_timestamp = k8s_rfc3339 (created_ms);
  return e;
}

static struct store_entry *
get_job (struct store *s, const char *name)
{
  return store_get (s, kind_lookup ("Job"), "default", name);
}

static size_t
count_jobs (struct store *s)
{
  size_t n = 0;
  for (size_t i = 0; i < s->len; i++)
    n += s->items[i]->obj->info->id == KIND_JOB;
  return n;
}

/* What the Job controller would write when the Job finished as TYPE. */
static void
finish_job (struct store *s, struct store_entry *je, const char *type,
            int64_t start_ms, int64_t end_ms)
{
  struct node *st = node_new_map (), *conds = node_new_seq ();
  struct node *c = node_new_map ();
  cleanup_free char *start = k8s_rfc3339 (start_ms);
  cleanup_free char *end = k8s_rfc3339 (end_ms);
  berth_error_t err = NULL;
  node_map_set_str (c, "type", type);
  node_map_set_str (c, "status", "True");
  node_map_set_str (c, "lastTransitionTime", end);
  node_seq_append (conds, c);
  node_map_set (st, "conditions", conds);
  node_map_set_str (st, "startTime", start);
  if (strcmp (type, "Complete") == 0)
    node_map_set_str (st, "completionTime", end);
  ck_assert_int_eq (store_set_status (s, je, st, &err), 0);
}

static char *
job_name (const char *cj, int64_t sched_ms)
{
  char *n = NULL;
  ck_assert_int_ge (asprintf (&n, "%s-%lld", cj, (long long)(sched_ms / MIN)),
                    0);
  return n;
}

static size_t
active_len (const struct store_entry *ce)
{
  const struct node *a = k8s_get (ce->status, "active");
  return a ? a->len : 0;
}

START_TEST (test_on_time)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  struct store_entry *ce, *je;
  cleanup_free char *name = job_name ("every", T0 + MIN);
  int64_t next;

  store_init (&s);
  ce = make_cronjob (&s, "every", "  schedule: \"*/1 * * * *\"\n", T0);
  next = settle (c, &s, T0 + 30000);
  ck_assert_uint_eq (count_jobs (&s), 0);
  ck_assert_int_eq (next, T0 + MIN + 100);
  settle (c, &s, next);
  je = get_job (&s, name);
  ck_assert_ptr_nonnull (je);
  ck_assert_str_eq (
      strmap_get (&object_meta (je->obj)->annotations,
                  "batch.kubernetes.io/cronjob-scheduled-timestamp"),
      "2026-11-27T12:01:00Z");
  ck_assert_str_eq (strmap_get (&object_meta (je->obj)->labels, "app"),
                    "every");
  ck_assert_str_eq (
      k8s_get_str (object_meta (je->obj)->owner_references->items[0], "kind"),
      "CronJob");
  ck_assert_uint_eq (active_len (ce), 1);
  ck_assert_str_eq (
      k8s_get_str (k8s_get (ce->status, "active")->items[0], "name"), name);
  ck_assert_str_eq (status_str (ce, "lastScheduleTime"),
                    "2026-11-27T12:01:00Z");
  ck_assert_uint_eq (count_events (&s, "SuccessfulCreate"), 1);
  /* the next minute's Job comes at the next minute, not before */
  ck_assert_int_eq (settle (c, &s, next + 1000), T0 + 2 * MIN + 100);
  ck_assert_uint_eq (count_jobs (&s), 1);
  settle (c, &s, T0 + 2 * MIN + 100);
  ck_assert_uint_eq (count_jobs (&s), 2);
  ck_assert_uint_eq (active_len (ce), 2); /* Allow */
  /* a finished Job leaves the active list; lastSuccessfulTime follows */
  finish_job (&s, je, "Complete", T0 + MIN, T0 + MIN + 5000);
  settle (c, &s, T0 + 2 * MIN + 200);
  ck_assert_uint_eq (active_len (ce), 1);
  ck_assert_uint_eq (count_events (&s, "SawCompletedJob"), 1);
  ck_assert_str_eq (status_str (ce, "lastSuccessfulTime"),
                    "2026-11-27T12:01:05Z");
  c->ops->free (c);
  store_free (&s);
}
END_TEST

START_TEST (test_forbid)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  struct store_entry *ce;
  cleanup_free char *first = job_name ("fb", T0 + MIN);
  cleanup_free char *third = job_name ("fb", T0 + 3 * MIN);

  store_init (&s);
  ce = make_cronjob (&s, "fb",
                     "  schedule: \"* * * * *\"\n"
                     "  concurrencyPolicy: Forbid\n",
                     T0);
  settle (c, &s, T0 + MIN + 100);
  ck_assert_uint_eq (count_jobs (&s), 1);
  settle (c, &s, T0 + 2 * MIN + 100);
  ck_assert_uint_eq (count_jobs (&s), 1);
  ck_assert_uint_eq (count_events (&s, "JobAlreadyActive"), 1);
  finish_job (&s, get_job (&s, first), "Complete", T0 + MIN, T0 + 2 * MIN);
  settle (c, &s, T0 + 3 * MIN + 100);
  ck_assert_uint_eq (count_jobs (&s), 2);
  ck_assert_ptr_nonnull (get_job (&s, third));
  ck_assert_uint_eq (active_len (ce), 1);
  c->ops->free (c);
  store_free (&s);
}
END_TEST

START_TEST (test_replace)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  struct store_entry *ce;
  cleanup_free char *first = job_name ("rp", T0 + MIN);
  cleanup_free char *second = job_name ("rp", T0 + 2 * MIN);

  store_init (&s);
  ce = make_cronjob (&s, "rp",
                     "  schedule: \"* * * * *\"\n"
                     "  concurrencyPolicy: Replace\n",
                     T0);
  settle (c, &s, T0 + MIN + 100);
  ck_assert_ptr_nonnull (get_job (&s, first));
  settle (c, &s, T0 + 2 * MIN + 100);
  ck_assert_ptr_null (get_job (&s, first));
  ck_assert_ptr_nonnull (get_job (&s, second));
  ck_assert_uint_eq (count_jobs (&s), 1);
  ck_assert_uint_eq (active_len (ce), 1);
  ck_assert_uint_eq (count_events (&s, "SuccessfulDelete"), 1);
  c->ops->free (c);
  store_free (&s);
}
END_TEST

START_TEST (test_history_limits)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();

  store_init (&s);
  make_cronjob (&s, "hl",
                "  schedule: \"* * * * *\"\n"
                "  successfulJobsHistoryLimit: 2\n"
                "  failedJobsHistoryLimit: 1\n",
                T0);
  /* minutes 1-4 complete, 5-6 fail */
  for (int m = 1; m <= 6; m++)
    {
      cleanup_free char *n = job_name ("hl", T0 + m * MIN);
      settle (c, &s, T0 + m * MIN + 100);
      ck_assert_ptr_nonnull (get_job (&s, n));
      finish_job (&s, get_job (&s, n), m <= 4 ? "Complete" : "Failed",
                  T0 + m * MIN, T0 + m * MIN + 1000);
    }
  settle (c, &s, T0 + 6 * MIN + 2000);
  ck_assert_uint_eq (count_jobs (&s), 3);
  for (int m = 1; m <= 6; m++)
    {
      cleanup_free char *n = job_name ("hl", T0 + m * MIN);
      bool kept = m == 3 || m == 4 || m == 6;
      ck_assert_msg ((get_job (&s, n) != NULL) == kept, "minute %d", m);
    }
  c->ops->free (c);
  store_free (&s);
}
END_TEST

START_TEST (test_missed_schedules)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  cleanup_free char *latest = job_name ("ms", T0 + 180 * MIN);
  cleanup_free char *few = job_name ("few", T0 + 5 * MIN);

  store_init (&s);
  /* three hours down: 180 missed, only the latest runs, with a warning */
  make_cronjob (&s, "ms", "  schedule: \"* * * * *\"\n", T0);
  settle (c, &s, T0 + 180 * MIN + 30000);
  ck_assert_uint_eq (count_jobs (&s), 1);
  ck_assert_ptr_nonnull (get_job (&s, latest));
  ck_assert_uint_eq (count_events (&s, "TooManyMissedTimes"), 1);
  /* five missed: no warning */
  make_cronjob (&s, "few", "  schedule: \"* * * * *\"\n", T0);
  settle (c, &s, T0 + 5 * MIN + 30000);
  ck_assert_ptr_nonnull (get_job (&s, few));
  ck_assert_uint_eq (count_jobs (&s), 2);
  ck_assert_uint_eq (count_events (&s, "TooManyMissedTimes"), 1);
  c->ops->free (c);
  store_free (&s);
}
END_TEST

START_TEST (test_starting_deadline_and_suspend)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  struct store_entry *ce;

  store_init (&s);
  /* hourly; the agent comes back 30 s after 13:00 with a 10 s deadline */
  make_cronjob (&s, "sd",
                "  schedule: \"0 * * * *\"\n"
                "  startingDeadlineSeconds: 10\n",
                T0);
  settle (c, &s, T0 + 60 * MIN + 30000);
  ck_assert_uint_eq (count_jobs (&s), 0);
  ck_assert_int_eq (settle (c, &s, T0 + 60 * MIN + 31000),
                    T0 + 120 * MIN + 100);
  /* on time the next hour */
  settle (c, &s, T0 + 120 * MIN + 5000);
  ck_assert_uint_eq (count_jobs (&s), 1);
  /* suspended: nothing */
  ce = make_cronjob (&s, "sus", "  schedule: \"* * * * *\"\n  suspend: true\n",
                     T0);
  settle (c, &s, T0 + 125 * MIN);
  ck_assert_uint_eq (count_jobs (&s), 1);
  ck_assert_uint_eq (active_len (ce), 0);
  c->ops->free (c);
  store_free (&s);
}
END_TEST

/* 09:00 in New York the day before and the day after the spring-forward
 * change of 2026-03-08: 14:00Z, then 13:00Z. */
START_TEST (test_time_zone_dst)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  int64_t before = 1772892000000LL; /* 2026-03-07T14:00:00Z */
  int64_t after = 1773061200000LL;  /* 2026-03-09T13:00:00Z */
  cleanup_free char *n1 = job_name ("ny", before);
  cleanup_free char *n2 = job_name ("ny", after);
  struct store_entry *je;

  store_init (&s);
  make_cronjob (&s, "ny",
                "  schedule: \"0 9 * * *\"\n"
                "  timeZone: America/New_York\n",
                before - 3600000);
  ck_assert_int_eq (settle (c, &s, before - 1000), before + 100);
  settle (c, &s, before + 100);
  je = get_job (&s, n1);
  ck_assert_ptr_nonnull (je);
  ck_assert_str_eq (
      strmap_get (&object_meta (je->obj)->annotations,
                  "batch.kubernetes.io/cronjob-scheduled-timestamp"),
      "2026-03-07T09:00:00-05:00");
  /* the next wake-up is 23 hours later, then 24 */
  ck_assert_int_eq (settle (c, &s, before + 200),
                    before + 23 * 3600000LL + 100);
  settle (c, &s, before + 23 * 3600000LL + 100);
  ck_assert_int_eq (settle (c, &s, before + 23 * 3600000LL + 200), after + 100);
  settle (c, &s, after + 100);
  je = get_job (&s, n2);
  ck_assert_ptr_nonnull (je);
  ck_assert_str_eq (
      strmap_get (&object_meta (je->obj)->annotations,
                  "batch.kubernetes.io/cronjob-scheduled-timestamp"),
      "2026-03-09T09:00:00-04:00");
  c->ops->free (c);
  store_free (&s);
}
END_TEST

/* A restart after the Job was created but before the status was written:
 * the Job's name is the lock, it is adopted, not created twice. */
START_TEST (test_restart_no_duplicate)
{
  struct store s;
  struct controller *c = cronjob_controller_new ();
  struct store_entry *ce;
  berth_error_t err = NULL;

  store_init (&s);
  ce = make_cronjob (&s, "rs", "  schedule: \"* * * * *\"\n", T0);
  settle (c, &s, T0 + MIN + 100);
  ck_assert_uint_eq (count_jobs (&s), 1);
  ck_assert_int_eq (store_set_status (&s, ce, node_new_map (), &err), 0);
  c->ops->free (c);
  c = cronjob_controller_new ();
  settle (c, &s, T0 + MIN + 500);
  ck_assert_uint_eq (count_jobs (&s), 1);
  ck_assert_uint_eq (active_len (ce), 1);
  ck_assert_str_eq (status_str (ce, "lastScheduleTime"),
                    "2026-11-27T12:01:00Z");
  ck_assert_uint_eq (count_events (&s, "UnexpectedJob"), 1);
  /* deleting the CronJob deletes its Jobs */
  {
    struct store_entry *removed = NULL;
    ck_assert_int_eq (store_delete (&s, kind_lookup ("CronJob"), "default",
                                    "rs", &removed, &err),
                      0);
    store_entry_free (removed);
  }
  settle (c, &s, T0 + MIN + 600);
  ck_assert_uint_eq (count_jobs (&s), 0);
  c->ops->free (c);
  store_free (&s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("cronjob_controller");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_on_time);
  tcase_add_test (tc, test_forbid);
  tcase_add_test (tc, test_replace);
  tcase_add_test (tc, test_history_limits);
  tcase_add_test (tc, test_missed_schedules);
  tcase_add_test (tc, test_starting_deadline_and_suspend);
  tcase_add_test (tc, test_time_zone_dst);
  tcase_add_test (tc, test_restart_no_duplicate);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
