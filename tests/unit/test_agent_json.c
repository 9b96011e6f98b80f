/* test_agent_json.c - kubectl's AGE durations, RFC 3339 times, and the
 * agent's loop (timers, signals, inotify) without busy polling. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_json.h"
#include "loop.h"

START_TEST (test_human_duration)
{
  static const struct
  {
    int64_t s;
    const char *want;
  } cases[] = {
    { -5, "<invalid>" },
    { -1, "0s" },
    { 0, "0s" },
    { 5, "5s" },
    { 119, "119s" },
    { 120, "2m" },
    { 182, "3m2s" },
    { 599, "9m59s" },
    { 600, "10m" },
    { 10799, "179m" },
    { 10800, "3h" },
    { 3 * 3600 + 25 * 60, "3h25m" },
    { 8 * 3600, "8h" },
    { 47 * 3600 + 59 * 60, "47h" },
    { 48 * 3600, "2d" },
    { 51 * 3600, "2d3h" },
    { 8 * 86400, "8d" },
    { 729 * 86400, "729d" },
    { 730 * 86400, "2y" },
    { 731 * 86400, "2y1d" },
    { 8 * 365 * 86400, "8y" },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char buf[32];
      k8s_human_duration (cases[i].s, buf, sizeof (buf));
      ck_assert_msg (strcmp (buf, cases[i].want) == 0, "%lld s: %s, wanted %s",
                     (long long)cases[i].s, buf, cases[i].want);
    }
}
END_TEST

START_TEST (test_rfc3339)
{
  time_t t;
  char *s = k8s_rfc3339 (1700000000123);
  ck_assert_str_eq (s, "2023-11-14T22:13:20Z");
  free (s);
  s = k8s_rfc3339_nano (1700000000123);
  ck_assert_str_eq (s, "2023-11-14T22:13:20.123000000Z");
  free (s);
  ck_assert_int_eq (k8s_rfc3339_parse ("2023-11-14T22:13:20Z", &t), 0);
  ck_assert_int_eq (t, 1700000000);
  ck_assert_int_eq (k8s_rfc3339_parse ("2023-11-14T23:13:20.5+01:00", &t), 0);
  ck_assert_int_eq (t, 1700000000);
  ck_assert_int_eq (k8s_rfc3339_parse ("yesterday", &t), -1);
}
END_TEST

struct counts
{
  int timer, periodic, signal, inotify;
  struct loop_watcher *periodic_w;
};

static void
on_timer (struct loop *l, struct loop_watcher *w, uint32_t ev)
{
  struct counts *c = w->data;
  (void)ev;
  c->timer++;
  loop_watcher_del (w); /* deleting itself in its callback is allowed */
  kill (getpid (), SIGUSR1);
  (void)l;
}

static void
on_periodic (struct loop *l, struct loop_watcher *w, uint32_t ev)
{
  struct counts *c = w->data;
  (void)ev;
  if (++c->periodic == 3)
    loop_stop (l, 7);
}

static void
on_signal (struct loop *l, struct loop_watcher *w, uint32_t ev)
{
  struct counts *c = w->data;
  (void)l;
  (void)ev;
  ck_assert_int_eq (w->signo, SIGUSR1);
  c->signal++;
}

static void
on_inotify (struct loop *l, struct loop_watcher *w, uint32_t ev)
{
  struct counts *c = w->data;
  (void)l;
  (void)ev;
  c->inotify++;
}

START_TEST (test_loop)
{
  struct loop l;
  struct loop_watcher t = { 0 }, p = { 0 }, s = { 0 }, in = { 0 };
  struct counts c = { 0 };
  berth_error_t err = NULL;
  char dir[] = "/tmp/berth-loop-XXXXXX", file[64];
  const int sigs[] = { SIGUSR1 };
  int64_t t0;
  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (file, sizeof (file), "%s/f", dir);
  ck_assert_int_eq (loop_init (&l, &err), 0);
  ck_assert_int_eq (loop_timer_add (&l, &t, 10, 0, on_timer, &c, &err), 0);
  ck_assert_int_eq (loop_timer_add (&l, &p, 30, 30, on_periodic, &c, &err), 0);
  ck_assert_int_eq (loop_signal_add (&l, &s, sigs, 1, on_signal, &c, &err), 0);
  ck_assert_int_eq (loop_inotify_add (&l, &in, dir, 0x100 /* IN_CREATE */,
                                      on_inotify, &c, &err),
                    0);
  close (creat (file, 0600));
  t0 = loop_now_ms ();
  ck_assert_int_eq (loop_run (&l, &err), 7);
  ck_assert_int_ge (loop_now_ms () - t0, 85);
  ck_assert_int_eq (c.timer, 1);
  ck_assert_int_eq (c.periodic, 3);
  ck_assert_int_eq (c.signal, 1);
  ck_assert_int_eq (c.inotify, 1);
  ck_assert (!loop_watcher_active (&t));
  loop_watcher_del (&p);
  loop_watcher_del (&s);
  loop_watcher_del (&in);
  loop_close (&l);
  unlink (file);
  rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("agent_json");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_human_duration);
  tcase_add_test (tc, test_rfc3339);
  tcase_add_test (tc, test_loop);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
