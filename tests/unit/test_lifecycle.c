/* test_lifecycle.c - the kubelet's phase, restart and back-off rules. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "lifecycle.h"
#include "manifest.h"

static struct manifest m;

static const struct pod_spec *
pod_spec (const char *policy, const char *init_yaml)
{
  cleanup_free char *text = NULL;
  ck_assert_int_ge (asprintf (&text,
                              "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                              "spec:\n  restartPolicy: %s\n%s"
                              "  containers: [{name: a, image: x}]\n",
                              policy, init_yaml ? init_yaml : ""),
                    0);
  manifest_read_buffer ("t.yaml", text, strlen (text), &m);
  ck_assert (object_is_valid (m.objects[0]));
  return &((struct pod *)m.objects[0]->data)->spec;
}

static struct lifecycle_status
terminated (const char *name, int code)
{
  return (struct lifecycle_status){ .name = name,
                                    .state = CSTATE_TERMINATED,
                                    .exit_code = code };
}

static struct lifecycle_status
state (const char *name, enum container_state_kind k)
{
  return (struct lifecycle_status){ .name = name, .state = k };
}

/* The restart policy matrix for one app container that exited. */
START_TEST (test_phase_matrix)
{
  static const struct
  {
    const char *policy;
    int code;
    enum pod_phase phase;
  } cases[] = {
    { "Always", 0, PHASE_RUNNING },      { "Always", 1, PHASE_RUNNING },
    { "OnFailure", 0, PHASE_SUCCEEDED }, { "OnFailure", 1, PHASE_RUNNING },
    { "Never", 0, PHASE_SUCCEEDED },     { "Never", 1, PHASE_FAILED },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      const struct pod_spec *s = pod_spec (cases[i].policy, NULL);
      struct lifecycle_status st = terminated ("a", cases[i].code);
      ck_assert_msg (lifecycle_pod_phase (s, &st, 1, false, false)
                         == cases[i].phase,
                     "%s exit %d", cases[i].policy, cases[i].code);
      /* a terminal pod reports what its containers did */
      ck_assert_int_eq (lifecycle_pod_phase (s, &st, 1, true, false),
                        cases[i].code == 0 ? PHASE_SUCCEEDED : PHASE_FAILED);
      manifest_free (&m);
    }
}
END_TEST

START_TEST (test_phase_states)
{
  const struct pod_spec *s = pod_spec ("Always", NULL);
  struct lifecycle_status st = state ("a", CSTATE_WAITING);
  ck_assert_int_eq (lifecycle_pod_phase (s, NULL, 0, false, false),
                    PHASE_PENDING);
  ck_assert_int_eq (lifecycle_pod_phase (s, &st, 1, false, false),
                    PHASE_PENDING);
  st = state ("a", CSTATE_RUNNING);
  ck_assert_int_eq (lifecycle_pod_phase (s, &st, 1, false, false),
                    PHASE_RUNNING);
  /* CrashLoopBackOff: waiting after a termination counts as stopped */
  st = state ("a", CSTATE_WAITING);
  st.last_terminated = true;
  st.last_exit_code = 1;
  ck_assert_int_eq (lifecycle_pod_phase (s, &st, 1, false, false),
                    PHASE_RUNNING);
  manifest_free (&m);
}
END_TEST

START_TEST (test_phase_init)
{
  const char *init = "  initContainers: [{name: i, image: x}]\n";
  const struct pod_spec *s = pod_spec ("Never", init);
  struct lifecycle_status st[2]
      = { terminated ("i", 1), state ("a", CSTATE_WAITING) };
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false), PHASE_FAILED);
  manifest_free (&m);
  s = pod_spec ("Always", init);
  /* a failed init container under Always: Pending (Init:Error) */
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false),
                    PHASE_PENDING);
  st[0] = state ("i", CSTATE_RUNNING);
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false),
                    PHASE_PENDING);
  st[0] = terminated ("i", 0);
  st[1] = state ("a", CSTATE_RUNNING);
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false),
                    PHASE_RUNNING);
  manifest_free (&m);
}
END_TEST

START_TEST (test_phase_sidecar)
{
  const char *init
      = "  initContainers: [{name: side, image: x, restartPolicy: Always}]\n";
  const struct pod_spec *s = pod_spec ("Never", init);
  struct lifecycle_status st[2]
      = { state ("side", CSTATE_RUNNING), state ("a", CSTATE_NONE) };
  /* a sidecar not yet Started keeps the pod Pending */
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false),
                    PHASE_PENDING);
  /* once the app container finished, a running sidecar keeps it Running;
   * once the sidecar is stopped too, the app container decides */
  st[0].started = true;
  st[1] = terminated ("a", 0);
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false),
                    PHASE_RUNNING);
  st[0] = terminated ("side", 137);
  ck_assert_int_eq (lifecycle_pod_phase (s, st, 2, false, false),
                    PHASE_SUCCEEDED);
  ck_assert (lifecycle_is_sidecar (&s->init_containers.items[0]));
  manifest_free (&m);
}
END_TEST

START_TEST (test_should_restart)
{
  struct lifecycle_status ok = terminated ("a", 0), bad = terminated ("a", 2);
  struct lifecycle_status run = state ("a", CSTATE_RUNNING);
  ck_assert (lifecycle_should_restart ("Always", &ok, false));
  ck_assert (lifecycle_should_restart ("Always", &bad, false));
  ck_assert (!lifecycle_should_restart ("OnFailure", &ok, false));
  ck_assert (lifecycle_should_restart ("OnFailure", &bad, false));
  ck_assert (!lifecycle_should_restart ("Never", &bad, false));
  ck_assert (!lifecycle_should_restart ("Always", &run, false));
  ck_assert (!lifecycle_should_restart ("Always", &bad, true));
  ck_assert (lifecycle_should_restart ("Never", NULL, false));
}
END_TEST

/* A container that crashes 1 s after each start: the delays the kubelet
 * shows are 0 (first restart), 10, 20, 40, 80, 160, 300, 300 s. */
START_TEST (test_backoff_sequence)
{
  struct backoff_table t;
  const char *key = "p_default_uid_a_1";
  const int64_t want[]
      = { 0, 10000, 20000, 40000, 80000, 160000, 300000, 300000 };
  int64_t now = 1000000;
  backoff_table_init (&t);
  for (size_t i = 0; i < sizeof (want) / sizeof (want[0]); i++)
    {
      int64_t finished = now, waited = 0;
      while (backoff_in_backoff_since (&t, key, finished, now))
        {
          now += 1000;
          waited += 1000;
        }
      ck_assert_msg (waited == want[i], "restart %zu waited %lld, want %lld", i,
                     (long long)waited, (long long)want[i]);
      backoff_next (&t, key, finished, now);
      now += 1000; /* runs 1 s, then crashes again */
    }
  /* running for more than 600 s after the last restart starts over */
  now += 601000;
  ck_assert (!backoff_in_backoff_since (&t, key, now, now));
  backoff_next (&t, key, now, now);
  ck_assert_int_eq (backoff_get (&t, key), 10000);
  backoff_gc (&t, now + 700000);
  ck_assert_int_eq (backoff_get (&t, key), 0);
  backoff_table_free (&t);
}
END_TEST

START_TEST (test_backoff_key)
{
  const struct pod_spec *s = pod_spec ("Always", NULL);
  cleanup_free char *k1
      = backoff_key ("p", "default", "u", &s->containers.items[0]);
  cleanup_free char *k2 = NULL;
  free (s->containers.items[0].image);
  s->containers.items[0].image = strdup ("y");
  k2 = backoff_key ("p", "default", "u", &s->containers.items[0]);
  ck_assert (strncmp (k1, "p_default_u_a_", 14) == 0);
  ck_assert_str_ne (k1, k2); /* a spec change resets the back-off */
  manifest_free (&m);
}
END_TEST

START_TEST (test_conditions)
{
  const char *init = "  initContainers: [{name: i, image: x}]\n";
  const struct pod_spec *s = pod_spec ("Always", init);
  struct lifecycle_status st[2]
      = { state ("i", CSTATE_RUNNING), state ("a", CSTATE_WAITING) };
  struct pod_condition c[COND_COUNT];

  lifecycle_conditions (s, st, 2, PHASE_PENDING, true, c);
  ck_assert (c[COND_READY_TO_START].status);
  ck_assert (!c[COND_INITIALIZED].status);
  ck_assert_str_eq (c[COND_INITIALIZED].reason, "ContainersNotInitialized");
  ck_assert_str_eq (c[COND_INITIALIZED].message,
                    "containers with incomplete status: [i]");
  ck_assert_str_eq (c[COND_CONTAINERS_READY].message,
                    "containers with unready status: [a]");
  ck_assert_str_eq (c[COND_READY].reason, "ContainersNotReady");
  ck_assert (c[COND_SCHEDULED].status);
  lifecycle_conditions_free (c);

  st[0] = terminated ("i", 0);
  st[1] = state ("a", CSTATE_RUNNING);
  st[1].ready = true;
  lifecycle_conditions (s, st, 2, PHASE_RUNNING, true, c);
  ck_assert (c[COND_INITIALIZED].status);
  ck_assert (c[COND_CONTAINERS_READY].status);
  ck_assert (c[COND_READY].status);
  ck_assert_ptr_null (c[COND_READY].message);
  lifecycle_conditions_free (c);

  st[1] = terminated ("a", 0);
  lifecycle_conditions (s, st, 2, PHASE_SUCCEEDED, true, c);
  ck_assert_str_eq (c[COND_INITIALIZED].reason, "PodCompleted");
  ck_assert (!c[COND_READY].status);
  ck_assert_str_eq (c[COND_READY].reason, "PodCompleted");
  lifecycle_conditions_free (c);
  manifest_free (&m);
}
END_TEST

START_TEST (test_readiness_gates)
{
  struct manifest gm;
  const char *text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                     "  readinessGates: [{conditionType: example.com/lb}]\n"
                     "  containers: [{name: a, image: x}]\n";
  struct lifecycle_status st = state ("a", CSTATE_RUNNING);
  struct pod_condition c[COND_COUNT];
  manifest_read_buffer ("g.yaml", text, strlen (text), &gm);
  st.ready = true;
  lifecycle_conditions (&((struct pod *)gm.objects[0]->data)->spec, &st, 1,
                        PHASE_RUNNING, true, c);
  ck_assert (c[COND_CONTAINERS_READY].status);
  ck_assert (!c[COND_READY].status);
  ck_assert_str_eq (c[COND_READY].reason, "ReadinessGatesNotReady");
  ck_assert_str_eq (c[COND_READY].message,
                    "corresponding condition of pod readiness gate "
                    "\"example.com/lb\" does not exist.");
  lifecycle_conditions_free (c);
  manifest_free (&gm);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("lifecycle");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_phase_matrix);
  tcase_add_test (tc, test_phase_states);
  tcase_add_test (tc, test_phase_init);
  tcase_add_test (tc, test_phase_sidecar);
  tcase_add_test (tc, test_should_restart);
  tcase_add_test (tc, test_backoff_sequence);
  tcase_add_test (tc, test_backoff_key);
  tcase_add_test (tc, test_conditions);
  tcase_add_test (tc, test_readiness_gates);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
