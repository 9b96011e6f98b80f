/* test_job_controller.c - the Job controller against a real store, with
 * pod statuses written as the pod worker writes them and an injected
 * clock: completions and parallelism, backoffLimit (Never and OnFailure),
 * the pod failure back-off, activeDeadlineSeconds, Indexed jobs,
 * podFailurePolicy, ttlSecondsAfterFinished, suspend, and counting that
 * survives a restart of the controller. */
#include "test_job_util.h"

#include "job_controller.h"

#define MAXP 64

#define JOB_YAML                                                               \
  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: %s}\n"                    \
  "spec:\n%s"                                                                  \
  "  template:\n    spec:\n      restartPolicy: %s\n"                          \
  "      containers: [{name: c, image: busybox}]\n"

static struct store_entry *
make_job (struct store *s, const char *name, const char *spec,
          const char *restart)
{
  cleanup_free char *y = NULL;
  ck_assert_int_ge (asprintf (&y, JOB_YAML, name, spec, restart), 0);
  return apply_yaml (s, y);
}

static void
setup (struct store *s, struct controller **c)
{
  store_init (s);
  s->graceful_pods = true;
  s->node_name = "node1";
  *c = job_controller_new ();
}

static void
teardown (struct store *s, struct controller *c)
{
  c->ops->free (c);
  store_free (s);
}

START_TEST (test_completions_parallelism)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  int64_t now = T0;
  size_t n = 0, created = 0;
  const char *reason = NULL, *msg = NULL;

  setup (&s, &c);
  je = make_job (&s, "five", "  completions: 5\n  parallelism: 2\n", "Never");
  for (int round = 0; round < 10; round++)
    {
      size_t active = 0;
      settle (c, &s, now);
      n = job_pods (&s, "five", pods, MAXP);
      for (size_t i = 0; i < n; i++)
        active += pod_active (pods[i]);
      ck_assert_uint_le (active, 2);
      ck_assert_int_eq (status_int (je, "active"), (int64_t)active);
      if (active == 0)
        break;
      /* one pod at a time runs to success */
      for (size_t i = 0; i < n; i++)
        if (pod_active (pods[i]))
          {
            pod_status (&s, pods[i], "Running", 0, 0, now);
            settle (c, &s, now);
            /* the pod just marked Running; the others are Pending */
            ck_assert_int_eq (status_int (je, "ready"), 1);
            now += 1000;
            pod_status (&s, pods[i], "Succeeded", 0, 0, now);
            break;
          }
    }
  n = job_pods (&s, "five", pods, MAXP);
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_str_eq (pod_phase (pods[i]), "Succeeded");
      created++;
    }
  ck_assert_uint_eq (created, 5);
  ck_assert_int_eq (status_int (je, "succeeded"), 5);
  ck_assert_int_eq (status_int (je, "failed"), 0);
  ck_assert_str_eq (condition_of (je, "SuccessCriteriaMet", &reason, &msg),
                    "True");
  ck_assert_str_eq (condition_of (je, "Complete", &reason, &msg), "True");
  ck_assert_str_eq (reason, "CompletionsReached");
  ck_assert_str_eq (msg, "Reached expected number of succeeded pods");
  ck_assert_ptr_nonnull (status_str (je, "completionTime"));
  ck_assert_ptr_nonnull (status_str (je, "startTime"));
  ck_assert_uint_eq (count_events (&s, "SuccessfulCreate"), 5);
  ck_assert_uint_eq (count_events (&s, "Completed"), 1);
  /* the pods: generated names, labels, finalizer gone, controller ref */
  {
    const struct object_meta *m = object_meta (pods[0]->obj);
    ck_assert_uint_eq (strlen (m->name), strlen ("five-") + 5);
    ck_assert (strncmp (m->name, "five-", 5) == 0);
    ck_assert_str_eq (strmap_get (&m->labels, "job-name"), "five");
    ck_assert_str_eq (strmap_get (&m->labels, "controller-uid"),
                      object_meta (je->obj)->uid);
    ck_assert_str_eq (
        strmap_get (&m->labels, "batch.kubernetes.io/controller-uid"),
        object_meta (je->obj)->uid);
    ck_assert_uint_eq (m->finalizers.len, 0);
    ck_assert_str_eq (k8s_get_str (m->owner_references->items[0], "kind"),
                      "Job");
  }
  teardown (&s, c);
}
END_TEST

/* Fail every pod the Job makes; returns the number of pods created. */
static size_t
fail_all (struct controller *c, struct store *s, const char *job, int64_t *now,
          int64_t *waits, size_t max_rounds)
{
  struct store_entry *pods[MAXP];
  size_t n = 0;
  for (size_t round = 0; round < max_rounds; round++)
    {
      int64_t next = settle (c, s, *now);
      bool any = false;
      n = job_pods (s, job, pods, MAXP);
      for (size_t i = 0; i < n; i++)
        if (pod_active (pods[i]))
          {
            pod_status (s, pods[i], "Failed", 1, 0, *now);
            any = true;
          }
      if (!any)
        {
          if (next < 0)
            break;
          waits[round] = next - *now;
          *now = next;
        }
    }
  settle (c, s, *now);
  finish_deleted (s);
  settle (c, s, *now);
  return job_pods (s, job, pods, MAXP);
}

START_TEST (test_backoff_limit_never)
{
  struct store s;
  struct controller *c;
  struct store_entry *je;
  int64_t now = T0, waits[16] = { 0 };
  const char *reason = NULL, *msg = NULL;

  setup (&s, &c);
  je = make_job (&s, "fails", "  backoffLimit: 1\n", "Never");
  ck_assert_uint_eq (fail_all (c, &s, "fails", &now, waits, 16), 2);
  /* the second pod waited the 10 s re-creation back-off */
  ck_assert_int_eq (waits[1], 10000);
  ck_assert_int_eq (status_int (je, "failed"), 2);
  ck_assert_int_eq (status_int (je, "active"), 0);
  ck_assert_str_eq (condition_of (je, "FailureTarget", &reason, &msg), "True");
  ck_assert_str_eq (condition_of (je, "Failed", &reason, &msg), "True");
  ck_assert_str_eq (reason, "BackoffLimitExceeded");
  ck_assert_str_eq (msg, "Job has reached the specified backoff limit");
  ck_assert_ptr_null (status_str (je, "completionTime"));
  ck_assert_uint_eq (count_events (&s, "BackoffLimitExceeded"), 1);
  teardown (&s, c);
}
END_TEST

START_TEST (test_backoff_doubles_to_cap)
{
  struct store s;
  struct controller *c;
  int64_t now = T0, waits[32] = { 0 };

  setup (&s, &c);
  make_job (&s, "slow", "  backoffLimit: 8\n", "Never");
  ck_assert_uint_eq (fail_all (c, &s, "slow", &now, waits, 32), 9);
  /* 10 s, 20 s, ... doubling, capped at the code's 10 minutes (the docs
   * say 6) */
  {
    int64_t want[]
        = { 10000, 20000, 40000, 80000, 160000, 320000, 600000, 600000 };
    size_t k = 0;
    for (size_t i = 0; i < 32 && k < 8; i++)
      if (waits[i])
        ck_assert_int_eq (waits[i], want[k++]);
    ck_assert_uint_eq (k, 8);
  }
  teardown (&s, c);
}
END_TEST

START_TEST (test_on_failure_restarts)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  int64_t now = T0;
  const char *reason = NULL;

  setup (&s, &c);
  je = make_job (&s, "crash", "  backoffLimit: 2\n", "OnFailure");
  settle (c, &s, now);
  ck_assert_uint_eq (job_pods (&s, "crash", pods, MAXP), 1);
  pod_status (&s, pods[0], "Running", 0, 1, now);
  settle (c, &s, now);
  ck_assert_ptr_null (condition_of (je, "FailureTarget", NULL, NULL));
  /* the kubelet restarted the container twice: 2 >= backoffLimit */
  pod_status (&s, pods[0], "Running", 0, 2, now);
  settle (c, &s, now);
  ck_assert_str_eq (condition_of (je, "FailureTarget", &reason, NULL), "True");
  ck_assert_str_eq (reason, "BackoffLimitExceeded");
  ck_assert_ptr_nonnull (object_meta (pods[0]->obj)->deletion_timestamp);
  /* Failed waits for the pod to be gone (terminating) */
  ck_assert_ptr_null (condition_of (je, "Failed", NULL, NULL));
  ck_assert_int_eq (status_int (je, "terminating"), 1);
  finish_deleted (&s);
  settle (c, &s, now);
  ck_assert_str_eq (condition_of (je, "Failed", &reason, NULL), "True");
  ck_assert_str_eq (reason, "BackoffLimitExceeded");
  ck_assert_int_eq (status_int (je, "failed"), 1);
  ck_assert_int_eq (status_int (je, "terminating"), 0);
  teardown (&s, c);
}
END_TEST

START_TEST (test_active_deadline)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  int64_t now = T0, next;
  const char *reason = NULL, *msg = NULL;

  setup (&s, &c);
  je = make_job (&s, "late", "  activeDeadlineSeconds: 1\n", "Never");
  next = settle (c, &s, now);
  ck_assert_int_eq (next, T0 + 1000);
  ck_assert_uint_eq (job_pods (&s, "late", pods, MAXP), 1);
  pod_status (&s, pods[0], "Running", 0, 0, now);
  settle (c, &s, now + 999);
  ck_assert_ptr_null (condition_of (je, "FailureTarget", NULL, NULL));
  settle (c, &s, next);
  ck_assert_str_eq (condition_of (je, "FailureTarget", &reason, &msg), "True");
  ck_assert_str_eq (reason, "DeadlineExceeded");
  ck_assert_str_eq (msg, "Job was active longer than specified deadline");
  ck_assert_ptr_nonnull (object_meta (pods[0]->obj)->deletion_timestamp);
  finish_deleted (&s);
  settle (c, &s, next);
  ck_assert_str_eq (condition_of (je, "Failed", &reason, NULL), "True");
  ck_assert_str_eq (reason, "DeadlineExceeded");
  ck_assert_uint_eq (job_pods (&s, "late", pods, MAXP), 0);
  teardown (&s, c);
}
END_TEST

START_TEST (test_indexed)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  size_t n;

  setup (&s, &c);
  je = make_job (&s, "idx",
                 "  completions: 3\n  parallelism: 3\n"
                 "  completionMode: Indexed\n",
                 "Never");
  settle (c, &s, T0);
  n = job_pods (&s, "idx", pods, MAXP);
  ck_assert_uint_eq (n, 3);
  for (size_t i = 0; i < n; i++)
    {
      const struct pod *p = pods[i]->obj->data;
      const char *ix = strmap_get (&p->metadata.annotations,
                                   "batch.kubernetes.io/job-completion-index");
      char want[32];
      const struct env_var *ev;
      ck_assert_ptr_nonnull (ix);
      snprintf (want, sizeof (want), "idx-%s-", ix);
      ck_assert (strncmp (p->metadata.name, want, strlen (want)) == 0);
      ck_assert_uint_eq (strlen (p->metadata.name), strlen (want) + 5);
      snprintf (want, sizeof (want), "idx-%s", ix);
      ck_assert_str_eq (p->spec.hostname, want);
      ck_assert_str_eq (strmap_get (&p->metadata.labels,
                                    "batch.kubernetes.io/job-completion-index"),
                        ix);
      ev = &p->spec.containers.items[0].env.items[0];
      ck_assert_str_eq (ev->name, "JOB_COMPLETION_INDEX");
      ck_assert_str_eq (ev->value_from->field_ref->field_path,
                        "metadata.labels['batch.kubernetes.io/"
                        "job-completion-index']");
    }
  /* index 1 succeeds first */
  for (size_t i = 0; i < n; i++)
    if (strcmp (strmap_get (&object_meta (pods[i]->obj)->annotations,
                            "batch.kubernetes.io/job-completion-index"),
                "1")
        == 0)
      pod_status (&s, pods[i], "Succeeded", 0, 0, T0 + 1000);
  settle (c, &s, T0 + 1000);
  ck_assert_str_eq (status_str (je, "completedIndexes"), "1");
  ck_assert_int_eq (status_int (je, "succeeded"), 1);
  for (size_t i = 0; i < n; i++)
    pod_status (&s, pods[i], "Succeeded", 0, 0, T0 + 2000);
  settle (c, &s, T0 + 2000);
  ck_assert_str_eq (status_str (je, "completedIndexes"), "0-2");
  ck_assert_int_eq (status_int (je, "succeeded"), 3);
  ck_assert_str_eq (condition_of (je, "Complete", NULL, NULL), "True");
  teardown (&s, c);
}
END_TEST

START_TEST (test_backoff_limit_per_index)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  int64_t now = T0;
  size_t n;
  const char *reason = NULL;

  setup (&s, &c);
  je = make_job (&s, "pi",
                 "  completions: 2\n  parallelism: 2\n"
                 "  completionMode: Indexed\n  backoffLimitPerIndex: 1\n",
                 "Never");
  settle (c, &s, now);
  n = job_pods (&s, "pi", pods, MAXP);
  ck_assert_uint_eq (n, 2);
  /* index 0 fails twice (limit 1), index 1 succeeds */
  for (int attempt = 0; attempt < 2; attempt++)
    {
      n = job_pods (&s, "pi", pods, MAXP);
      for (size_t i = 0; i < n; i++)
        {
          const char *ix
              = strmap_get (&object_meta (pods[i]->obj)->annotations,
                            "batch.kubernetes.io/job-completion-index");
          if (!pod_active (pods[i]))
            continue;
          if (strcmp (ix, "0") == 0)
            {
              ck_assert_str_eq (
                  strmap_get (&object_meta (pods[i]->obj)->annotations,
                              "batch.kubernetes.io/job-index-failure-count"),
                  attempt ? "1" : "0");
              pod_status (&s, pods[i], "Failed", 1, 0, now);
            }
          else
            pod_status (&s, pods[i], "Succeeded", 0, 0, now);
        }
      settle (c, &s, now);
      now += 10000; /* the per-index back-off */
      settle (c, &s, now);
    }
  ck_assert_str_eq (status_str (je, "failedIndexes"), "0");
  ck_assert_str_eq (status_str (je, "completedIndexes"), "1");
  ck_assert_str_eq (condition_of (je, "Failed", &reason, NULL), "True");
  ck_assert_str_eq (reason, "FailedIndexes");
  ck_assert_int_eq (status_int (je, "failed"), 2);
  teardown (&s, c);
}
END_TEST

START_TEST (test_pod_failure_policy)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  size_t n;
  const char *reason = NULL, *msg = NULL;
  char want[256];

  setup (&s, &c);
  je = make_job (&s, "pfp",
                 "  backoffLimit: 0\n"
                 "  podFailurePolicy:\n    rules:\n"
                 "    - action: Ignore\n"
                 "      onExitCodes: {operator: In, values: [42]}\n"
                 "    - action: FailJob\n"
                 "      onExitCodes: {containerName: c, operator: In, "
                 "values: [3]}\n",
                 "Never");
  settle (c, &s, T0);
  ck_assert_uint_eq (job_pods (&s, "pfp", pods, MAXP), 1);
  /* exit 42 is ignored: not counted against backoffLimit 0, the pod is
   * replaced (after the re-creation back-off, which counts every failure
   * in the code) */
  pod_status (&s, pods[0], "Failed", 42, 0, T0);
  ck_assert_int_eq (settle (c, &s, T0), T0 + 10000);
  ck_assert_uint_eq (job_pods (&s, "pfp", pods, MAXP), 1);
  settle (c, &s, T0 + 10000);
  n = job_pods (&s, "pfp", pods, MAXP);
  ck_assert_uint_eq (n, 2);
  ck_assert_int_eq (status_int (je, "failed"), 0);
  ck_assert_ptr_null (condition_of (je, "FailureTarget", NULL, NULL));
  /* exit 3 fails the Job by the FailJob rule */
  pod_status (&s, pods[1], "Failed", 3, 0, T0 + 11000);
  settle (c, &s, T0 + 11000);
  ck_assert_str_eq (condition_of (je, "Failed", &reason, &msg), "True");
  ck_assert_str_eq (reason, "PodFailurePolicy");
  snprintf (want, sizeof (want),
            "Container c for pod default/%s failed with exit code 3 "
            "matching FailJob rule at index 1",
            object_meta (pods[1]->obj)->name);
  ck_assert_str_eq (msg, want);
  ck_assert_int_eq (status_int (je, "failed"), 1);
  ck_assert_uint_eq (job_pods (&s, "pfp", pods, MAXP), 2);
  teardown (&s, c);
}
END_TEST

START_TEST (test_ttl_after_finished)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  int64_t next;

  setup (&s, &c);
  je = make_job (&s, "ttl", "  ttlSecondsAfterFinished: 5\n", "Never");
  settle (c, &s, T0);
  ck_assert_uint_eq (job_pods (&s, "ttl", pods, MAXP), 1);
  pod_status (&s, pods[0], "Succeeded", 0, 0, T0);
  next = settle (c, &s, T0);
  ck_assert_str_eq (condition_of (je, "Complete", NULL, NULL), "True");
  ck_assert_int_eq (next, T0 + 5000);
  settle (c, &s, T0 + 4999);
  ck_assert_ptr_nonnull (store_get (&s, kind_lookup ("Job"), "default", "ttl"));
  settle (c, &s, T0 + 5000);
  ck_assert_ptr_null (store_get (&s, kind_lookup ("Job"), "default", "ttl"));
  /* the finished pod is deleted with it */
  finish_deleted (&s);
  ck_assert_uint_eq (job_pods (&s, "ttl", pods, MAXP), 0);
  teardown (&s, c);
}
END_TEST

START_TEST (test_suspend_and_orphans)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP], *removed = NULL;
  berth_error_t err = NULL;

  setup (&s, &c);
  je = make_job (&s, "sus",
                 "  suspend: true\n  parallelism: 2\n"
                 "  completions: 2\n",
                 "Never");
  settle (c, &s, T0);
  ck_assert_uint_eq (job_pods (&s, "sus", pods, MAXP), 0);
  ck_assert_str_eq (condition_of (je, "Suspended", NULL, NULL), "True");
  ck_assert_ptr_null (status_str (je, "startTime"));
  ck_assert_uint_eq (count_events (&s, "Suspended"), 1);
  /* deleting the Job deletes its pods (the garbage collector's part) */
  make_job (&s, "gc", "  parallelism: 2\n  completions: 2\n", "Never");
  settle (c, &s, T0);
  ck_assert_uint_eq (job_pods (&s, "gc", pods, MAXP), 2);
  ck_assert_int_eq (
      store_delete (&s, kind_lookup ("Job"), "default", "gc", &removed, &err),
      0);
  store_entry_free (removed);
  settle (c, &s, T0);
  ck_assert_ptr_nonnull (object_meta (pods[0]->obj)->deletion_timestamp);
  ck_assert_ptr_nonnull (object_meta (pods[1]->obj)->deletion_timestamp);
  ck_assert_uint_eq (object_meta (pods[0]->obj)->finalizers.len, 0);
  teardown (&s, c);
}
END_TEST

/* A restart of the controller in the middle of a Job, and a crash between
 * the two status writes (UIDs recorded as uncounted, finalizers not yet
 * removed): nothing is counted twice or lost, no pod is created twice. */
START_TEST (test_restart_counts)
{
  struct store s;
  struct controller *c;
  struct store_entry *je, *pods[MAXP];
  size_t n;

  setup (&s, &c);
  je = make_job (&s, "rs", "  completions: 4\n  parallelism: 2\n", "Never");
  settle (c, &s, T0);
  n = job_pods (&s, "rs", pods, MAXP);
  ck_assert_uint_eq (n, 2);
  pod_status (&s, pods[0], "Succeeded", 0, 0, T0);
  settle (c, &s, T0);
  ck_assert_int_eq (status_int (je, "succeeded"), 1);
  /* restart */
  c->ops->free (c);
  c = job_controller_new ();
  settle (c, &s, T0 + 1000);
  ck_assert_int_eq (status_int (je, "succeeded"), 1);
  ck_assert_uint_eq (job_pods (&s, "rs", pods, MAXP), 3);
  /* the crash: pods[1] succeeded, its UID recorded as uncounted, but the
   * finalizer not removed yet */
  n = job_pods (&s, "rs", pods, MAXP);
  pod_status (&s, pods[1], "Succeeded", 0, 0, T0 + 2000);
  {
    struct node *st = node_new_map (), *unc = node_new_map ();
    struct node *seq = node_new_seq ();
    berth_error_t err = NULL;
    node_seq_append (seq,
                     node_new_scalar (object_meta (pods[1]->obj)->uid, true));
    node_map_set (unc, "succeeded", seq);
    node_map_set_str (st, "startTime", status_str (je, "startTime"));
    node_map_set_int (st, "active", 2);
    node_map_set_int (st, "succeeded", 1);
    node_map_set (st, "uncountedTerminatedPods", unc);
    ck_assert_int_eq (store_set_status (&s, je, st, &err), 0);
  }
  c->ops->free (c);
  c = job_controller_new ();
  settle (c, &s, T0 + 2000);
  ck_assert_int_eq (status_int (je, "succeeded"), 2);
  ck_assert_ptr_null (
      k8s_get (je->status, "uncountedTerminatedPods.succeeded"));
  n = job_pods (&s, "rs", pods, MAXP);
  ck_assert_uint_eq (n, 4);
  for (size_t i = 0; i < n; i++)
    if (pod_active (pods[i]))
      pod_status (&s, pods[i], "Succeeded", 0, 0, T0 + 3000);
  settle (c, &s, T0 + 3000);
  ck_assert_int_eq (status_int (je, "succeeded"), 4);
  ck_assert_str_eq (condition_of (je, "Complete", NULL, NULL), "True");
  ck_assert_uint_eq (job_pods (&s, "rs", pods, MAXP), 4);
  teardown (&s, c);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("job_controller");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_completions_parallelism);
  tcase_add_test (tc, test_backoff_limit_never);
  tcase_add_test (tc, test_backoff_doubles_to_cap);
  tcase_add_test (tc, test_on_failure_restarts);
  tcase_add_test (tc, test_active_deadline);
  tcase_add_test (tc, test_indexed);
  tcase_add_test (tc, test_backoff_limit_per_index);
  tcase_add_test (tc, test_pod_failure_policy);
  tcase_add_test (tc, test_ttl_after_finished);
  tcase_add_test (tc, test_suspend_and_orphans);
  tcase_add_test (tc, test_restart_counts);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
