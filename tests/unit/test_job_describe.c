/* test_job_describe.c - what a person reads from `berth describe job` and
 * `berth describe cronjob` (cli/describe_batch.c): a Job run by the Job
 * controller over a store, and a CronJob, encoded as the API returns them
 * with their events, printed with exact expected lines. */
#include <time.h>

#include "test_job_util.h"

#include "describe_batch.h"
#include "job_controller.h"

static char *
describe (struct store *s, const struct store_entry *e, int64_t now)
{
  struct node *body = store_entry_encode (e);
  struct node *list = node_new_map (), *items = node_new_seq ();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  for (size_t i = 0; i < s->nevents; i++)
    node_seq_append (items, store_event_encode (&s->events[i]));
  node_map_set (list, "items", items);
  ck_assert_ptr_nonnull (f);
  describe_batch_print (f, body, list, now);
  fclose (f);
  node_unref (body);
  node_unref (list);
  return buf;
}

START_TEST (test_describe_job)
{
  struct store s;
  struct controller *c = job_controller_new ();
  struct store_entry *je, *pods[4];
  cleanup_free char *out = NULL;

  store_init (&s);
  s.graceful_pods = true;
  je = apply_yaml (&s, "apiVersion: batch/v1\nkind: Job\n"
                       "metadata: {name: pi}\n"
                       "spec:\n  backoffLimit: 4\n  template:\n    spec:\n"
                       "      restartPolicy: Never\n"
                       "      containers:\n      - name: pi\n"
                       "        image: perl:5.34.0\n"
                       "        command: [perl, -Mbignum=bpi, -wle, "
                       "\"print bpi(2000)\"]\n");
  settle (c, &s, T0);
  ck_assert_uint_eq (job_pods (&s, "pi", pods, 4), 1);
  pod_status (&s, pods[0], "Succeeded", 0, 0, T0 + 65000);
  settle (c, &s, T0 + 65000);
  /* the events carry the real clock (the store's), the Job the test's */
  out = describe (&s, je, (int64_t)time (NULL) + 5);
  {
    /* the Job strategy's generated selector and labels */
    cleanup_free char *head = NULL;
    const char *uid = object_meta (je->obj)->uid;
    if (asprintf (&head,
                  "Name:             pi\n"
                  "Namespace:        default\n"
                  "Selector:         batch.kubernetes.io/controller-uid=%s\n"
                  "Labels:           batch.kubernetes.io/controller-uid=%s\n"
                  "                  batch.kubernetes.io/job-name=pi\n"
                  "                  controller-uid=%s\n"
                  "                  job-name=pi\n"
                  "Annotations:      <none>\n",
                  uid, uid, uid)
        < 0)
      abort ();
    ck_assert_msg (strstr (out, head) != NULL, "%s", out);
  }
  ck_assert_msg (
      strstr (out, "Parallelism:      1\n"
                   "Completions:      1\n"
                   "Completion Mode:  NonIndexed\n"
                   "Suspend:          false\n"
                   "Backoff Limit:    4\n"
                   "Start Time:       Fri, 27 Nov 2026 12:00:00 +0000\n"
                   "Completed At:     Fri, 27 Nov 2026 12:01:05 +0000\n"
                   "Duration:         65s\n"
                   "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 "
                   "Failed\n"
                   "Pod Template:\n")
          != NULL,
      "%s", out);
  ck_assert_msg (strstr (out, "   pi:\n"
                              "    Image:      perl:5.34.0\n")
                     != NULL,
                 "%s", out);
  ck_assert_msg (strstr (out, "    Command:\n      perl\n      -Mbignum=bpi\n"
                              "      -wle\n      print bpi(2000)\n")
                     != NULL,
                 "%s", out);
  ck_assert_msg (strstr (out, "Events:\n  Type    Reason            Age")
                     != NULL,
                 "%s", out);
  /* the Age column is as wide as its "----" (the ages are the real
   * clock's, 4 or 5 s here) */
  ck_assert_msg (strstr (out, "  Normal  SuccessfulCreate  ") != NULL, "%s",
                 out);
  ck_assert_msg (strstr (out, "s    berth  Created pod: pi-") != NULL, "%s",
                 out);
  ck_assert_msg (strstr (out, "s    berth  Job completed\n") != NULL, "%s",
                 out);
  c->ops->free (c);
  store_free (&s);
}
END_TEST

START_TEST (test_describe_cronjob)
{
  struct store s;
  struct store_entry *ce;
  cleanup_free char *out = NULL;

  store_init (&s);
  ce = apply_yaml (&s, "apiVersion: batch/v1\nkind: CronJob\n"
                       "metadata: {name: hello}\n"
                       "spec:\n  schedule: \"*/5 * * * *\"\n"
                       "  timeZone: Europe/Paris\n"
                       "  jobTemplate:\n    spec:\n      template:\n"
                       "        spec:\n          restartPolicy: OnFailure\n"
                       "          containers: [{name: hello, image: "
                       "busybox}]\n");
  out = describe (&s, ce, T0 / 1000);
  ck_assert_msg (strstr (out, "Name:                          hello\n") != NULL,
                 "%s", out);
  ck_assert_msg (strstr (out, "Schedule:                      */5 * * * *\n"
                              "Time Zone:                     Europe/Paris\n"
                              "Concurrency Policy:            Allow\n"
                              "Suspend:                       False\n"
                              "Successful Job History Limit:  3\n"
                              "Failed Job History Limit:      1\n"
                              "Starting Deadline Seconds:     <unset>\n"
                              "Selector:                      <unset>\n"
                              "Parallelism:                   <unset>\n"
                              "Completions:                   <unset>\n"
                              "Pod Template:\n")
                     != NULL,
                 "%s", out);
  ck_assert_msg (strstr (out, "Last Schedule Time:  <unset>\n"
                              "Active Jobs:         <none>\n"
                              "Events:              <none>\n")
                     != NULL,
                 "%s", out);
  store_free (&s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("job_describe");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_describe_job);
  tcase_add_test (tc, test_describe_cronjob);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
