/* test_cron.c - CronJob schedules: robfig/cron v3 parsing and Next
 * (vectors from its spec_test.go, parser_test.go, constantdelay_test.go),
 * Kubernetes' mostRecentScheduleTime (utils_test.go) and API validation,
 * and TZif loading with Go's DST semantics. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "tzfile.h"

/* "2012-03-11T00:00:00-0500" or "...Z" to unix seconds. */
static int64_t
iso (const char *s)
{
  int y, mo, d, h, mi, sec, n = 0;
  int64_t t;

  ck_assert_int_eq (
      sscanf (s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &n), 6);
  t = tz_days_from_civil (y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  if (s[n] == '+' || s[n] == '-')
    {
      int off = atoi (s + n + 1);
      off = (off / 100) * 3600 + (off % 100) * 60;
      t -= s[n] == '+' ? off : -off;
    }
  return t;
}

static struct tz *
zone (const char *name)
{
  struct tz *z = NULL;
  berth_error_t err = NULL;

  if (tz_load (name, &z, &err) < 0)
    ck_abort_msg ("tz_load %s: %s", name, berth_error_msg (&err));
  return z;
}

static int64_t
next_of (const char *spec, const char *zname, int64_t t)
{
  struct cron_schedule *s = NULL;
  berth_error_t err = NULL;
  struct tz *z = zname ? zone (zname) : NULL;
  int64_t r;

  if (cron_parse (spec, &s, &err) < 0)
    ck_abort_msg ("parse %s: %s", spec, berth_error_msg (&err));
  r = cron_next (s, z, t);
  cron_free (s);
  tz_free (z);
  return r;
}

/* ---- parsing ------------------------------------------------------------ */

static const char *const accepted[] = {
  "* * * * ?",
  "0/15 * * * *",
  "5/15 * * * *",
  "0 0 1,15 * Sun",
  "0 0 * JAN-dec MON-fri",
  "0 0 * * sun-sat",
  "0 0 * * 0-6/2",
  "*/1 * * * *",
  "1,,2 * * * *",
  "0 0 , * *",
  "*-5 * * * *",
  "+5 * * * *",
  "0\t0\n* *  *",
  "  0 0 * * *  ",
  "30 08 ? Jul Sun",
  "59 23 31 2 *",
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
  "@every 5m",
  "@every 1h30m",
  "@every 0",
  "@every -1h",
  "@every 1.5s",
  "@every 1\xc2\xb5s",
  "TZ=UTC * * * * *",
  "TZ=UTC  @midnight",
  "CRON_TZ=America/New_York 0 0 * * *",
  "TZ= 0 0 * * *",
};

START_TEST (test_parse_accepts)
{
  struct cron_schedule *s = NULL;
  berth_error_t err = NULL;
  const char *spec = accepted[_i];

  if (cron_parse (spec, &s, &err) < 0)
    ck_abort_msg ("%s: %s", spec, berth_error_msg (&err));
  ck_assert_ptr_nonnull (s);
  cron_free (s);
}
END_TEST

static const struct
{
  const char *spec, *msg;
} rejected[] = {
  { "", "empty spec string" },
  { "xyz", "expected exactly 5 fields, found 1: [xyz]" },
  { "* * * *", "expected exactly 5 fields, found 4: [* * * *]" },
  { "* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]" },
  { " @daily", "expected exactly 5 fields, found 1: [@daily]" },
  { "60 0 * * *", "end of range (60) above maximum (59): 60" },
  { "0 60 * * *", "end of range (60) above maximum (23): 60" },
  { "0 24 * * *", "end of range (24) above maximum (23): 24" },
  { "0 0 32 * *", "end of range (32) above maximum (31): 32" },
  { "0 0 0 * *", "beginning of range (0) below minimum (1): 0" },
  { "0 0 * 13 *", "end of range (13) above maximum (12): 13" },
  { "0 0 * 0 *", "beginning of range (0) below minimum (1): 0" },
  { "0 0 * * 7", "end of range (7) above maximum (6): 7" },
  { "0 0 * * 1-7", "end of range (7) above maximum (6): 1-7" },
  { "0 0 * * XYZ", "failed to parse int from XYZ: strconv.Atoi: parsing "
                   "\"XYZ\": invalid syntax" },
  { "5 j * * *", "failed to parse int from j: strconv.Atoi: parsing \"j\": "
                 "invalid syntax" },
  { "0 0 L * *", "failed to parse int from L: strconv.Atoi: parsing \"L\": "
                 "invalid syntax" },
  { "0 0 1 jan-x *", "failed to parse int from x: strconv.Atoi: parsing "
                     "\"x\": invalid syntax" },
  { "-5 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": "
                  "invalid syntax" },
  { "99999999999999999999 * * * *",
    "failed to parse int from 99999999999999999999: strconv.Atoi: parsing "
    "\"99999999999999999999\": value out of range" },
  { "5--5 * * * *", "too many hyphens: 5--5" },
  { "*//2 * * * *", "too many slashes: *//2" },
  { "1/x/2 * * * *", "too many slashes: 1/x/2" },
  { "*/0 * * * *", "step of range should be a positive number: */0" },
  { "15/0 * * * *", "step of range should be a positive number: 15/0" },
  { "*/-12 * * * *", "negative number (-12) not allowed: -12" },
  { "5-3 * * * *", "beginning of range (5) beyond end of range (3): 5-3" },
  { "70/5 * * * *", "beginning of range (70) beyond end of range (59): 70/5" },
  { "@unrecognized", "unrecognized descriptor: @unrecognized" },
  { "@daily ", "unrecognized descriptor: @daily " },
  { "@every", "unrecognized descriptor: @every" },
  { "@every Xm", "failed to parse duration @every Xm: time: invalid duration "
                 "\"Xm\"" },
  { "@every 5", "failed to parse duration @every 5: time: missing unit in "
                "duration \"5\"" },
  { "@every 5x", "failed to parse duration @every 5x: time: unknown unit "
                 "\"x\" in duration \"5x\"" },
  { "@every 2562048h", "failed to parse duration @every 2562048h: time: "
                       "invalid duration \"2562048h\"" },
  { "TZ=Nowhere/City * * * * *", "provided bad location Nowhere/City: "
                                 "unknown time zone Nowhere/City" },
  { "TZ=../x * * * * *", "provided bad location ../x: time: invalid "
                         "location name" },
  { "TZ=UTC", "provided bad location UTC: no schedule after the time zone" },
};

START_TEST (test_parse_rejects)
{
  struct cron_schedule *s = NULL;
  berth_error_t err = NULL;

  ck_assert_int_lt (cron_parse (rejected[_i].spec, &s, &err), 0);
  ck_assert_ptr_null (s);
  ck_assert_str_eq (berth_error_msg (&err), rejected[_i].msg);
  berth_error_release (&err);
}
END_TEST

/* ---- activation and Next (robfig spec_test.go) -------------------------- */

static const struct
{
  const char *time, *spec;
  int expected;
} activations[] = {
  { "2012-07-09T15:00:00Z", "0/15 * * * *", 1 },
  { "2012-07-09T15:45:00Z", "0/15 * * * *", 1 },
  { "2012-07-09T15:40:00Z", "0/15 * * * *", 0 },
  { "2012-07-09T15:05:00Z", "5/15 * * * *", 1 },
  { "2012-07-09T15:20:00Z", "5/15 * * * *", 1 },
  { "2012-07-09T15:50:00Z", "5/15 * * * *", 1 },
  { "2012-07-15T15:00:00Z", "0/15 * * Jul *", 1 },
  { "2012-07-15T15:00:00Z", "0/15 * * Jun *", 0 },
  { "2012-07-15T08:30:00Z", "30 08 ? Jul Sun", 1 },
  { "2012-07-15T08:30:00Z", "30 08 15 Jul ?", 1 },
  { "2012-07-16T08:30:00Z", "30 08 ? Jul Sun", 0 },
  { "2012-07-16T08:30:00Z", "30 08 15 Jul ?", 0 },
  { "2012-07-09T15:00:00Z", "@hourly", 1 },
  { "2012-07-09T15:04:00Z", "@hourly", 0 },
  { "2012-07-09T15:00:00Z", "@daily", 0 },
  { "2012-07-09T00:00:00Z", "@daily", 1 },
  { "2012-07-09T00:00:00Z", "@weekly", 0 },
  { "2012-07-08T00:00:00Z", "@weekly", 1 },
  { "2012-07-08T01:00:00Z", "@weekly", 0 },
  { "2012-07-08T00:00:00Z", "@monthly", 0 },
  { "2012-07-01T00:00:00Z", "@monthly", 1 },
  /* dom and dow both restricted: either may match */
  { "2012-07-15T00:00:00Z", "* * 1,15 * Sun", 1 },
  { "2012-06-15T00:00:00Z", "* * 1,15 * Sun", 1 },
  { "2012-08-01T00:00:00Z", "* * 1,15 * Sun", 1 },
  { "2012-07-15T00:00:00Z", "* * */10 * Sun", 1 },
  /* one is a star: both must match */
  { "2012-07-15T00:00:00Z", "* * * * Mon", 0 },
  { "2012-07-09T00:00:00Z", "* * 1,15 * *", 0 },
  { "2012-07-15T00:00:00Z", "* * 1,15 * *", 1 },
  { "2012-07-15T00:00:00Z", "* * */2 * Sun", 1 },
};

START_TEST (test_activation)
{
  int64_t t = iso (activations[_i].time);
  int64_t got = next_of (activations[_i].spec, NULL, t - 1);

  ck_assert_msg ((got == t) == activations[_i].expected, "%s at %s: got %lld",
                 activations[_i].spec, activations[_i].time, (long long)got);
}
END_TEST

/* ZONE is the location of the input time (robfig's getTime "TZ=..."), used
 * as the controller's zone when the spec has no TZ= prefix. */
static const struct
{
  const char *time, *spec, *zone, *expected;
} nexts[] = {
  { "2012-07-09T14:45:00Z", "0/15 * * * *", NULL, "2012-07-09T15:00:00Z" },
  { "2012-07-09T14:59:00Z", "0/15 * * * *", NULL, "2012-07-09T15:00:00Z" },
  { "2012-07-09T14:59:59Z", "0/15 * * * *", NULL, "2012-07-09T15:00:00Z" },
  { "2012-07-09T15:45:00Z", "20-35/15 * * * *", NULL, "2012-07-09T16:20:00Z" },
  { "2012-07-09T23:46:00Z", "*/15 * * * *", NULL, "2012-07-10T00:00:00Z" },
  { "2012-07-09T23:45:00Z", "20-35/15 * * * *", NULL, "2012-07-10T00:20:00Z" },
  { "2012-07-09T23:35:00Z", "0 0 9 Apr-Oct ?", NULL, "2012-08-09T00:00:00Z" },
  { "2012-07-09T23:35:00Z", "0 0 */5 Apr,Aug,Oct Mon", NULL,
    "2012-08-01T00:00:00Z" },
  { "2012-07-09T23:35:00Z", "0 0 */5 Oct Mon", NULL, "2012-10-01T00:00:00Z" },
  { "2012-07-09T23:35:00Z", "0 0 * Feb Mon", NULL, "2013-02-04T00:00:00Z" },
  { "2012-07-09T23:35:00Z", "0 0 * Feb Mon/2", NULL, "2013-02-01T00:00:00Z" },
  { "2012-12-31T23:59:45Z", "* * * * *", NULL, "2013-01-01T00:00:00Z" },
  { "2012-07-09T23:35:00Z", "0 0 29 Feb ?", NULL, "2016-02-29T00:00:00Z" },
  /* spring forward, 2am EST (-5) -> 3am EDT (-4) */
  { "2012-03-11T00:00:00-0500", "TZ=America/New_York 30 2 11 Mar ?", NULL,
    "2013-03-11T02:30:00-0400" },
  { "2012-03-11T00:00:00-0500", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-03-11T01:00:00-0500" },
  { "2012-03-11T01:00:00-0500", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-03-11T03:00:00-0400" },
  { "2012-03-11T03:00:00-0400", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-03-11T04:00:00-0400" },
  { "2012-03-11T04:00:00-0400", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-03-11T05:00:00-0400" },
  { "2012-03-11T01:00:00-0500", "CRON_TZ=America/New_York 0 * * * ?", NULL,
    "2012-03-11T03:00:00-0400" },
  { "2012-03-11T00:00:00-0500", "TZ=America/New_York 0 1 * * ?", NULL,
    "2012-03-11T01:00:00-0500" },
  { "2012-03-11T01:00:00-0500", "TZ=America/New_York 0 1 * * ?", NULL,
    "2012-03-12T01:00:00-0400" },
  { "2012-03-11T00:00:00-0500", "TZ=America/New_York 0 2 * * ?", NULL,
    "2012-03-12T02:00:00-0400" },
  /* fall back, 2am EDT (-4) -> 1am EST (-5) */
  { "2012-11-04T00:00:00-0400", "TZ=America/New_York 30 2 04 Nov ?", NULL,
    "2012-11-04T02:30:00-0500" },
  { "2012-11-04T01:45:00-0400", "TZ=America/New_York 30 1 04 Nov ?", NULL,
    "2012-11-04T01:30:00-0500" },
  { "2012-11-04T00:00:00-0400", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-11-04T01:00:00-0400" },
  { "2012-11-04T01:00:00-0400", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-11-04T01:00:00-0500" },
  { "2012-11-04T01:00:00-0500", "TZ=America/New_York 0 * * * ?", NULL,
    "2012-11-04T02:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "TZ=America/New_York 0 1 * * ?", NULL,
    "2012-11-04T01:00:00-0400" },
  { "2012-11-04T01:00:00-0400", "TZ=America/New_York 0 1 * * ?", NULL,
    "2012-11-04T01:00:00-0500" },
  { "2012-11-04T01:00:00-0500", "TZ=America/New_York 0 1 * * ?", NULL,
    "2012-11-05T01:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "TZ=America/New_York 0 2 * * ?", NULL,
    "2012-11-04T02:00:00-0500" },
  { "2012-11-04T02:00:00-0500", "TZ=America/New_York 0 2 * * ?", NULL,
    "2012-11-05T02:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "TZ=America/New_York 0 3 * * ?", NULL,
    "2012-11-04T03:00:00-0500" },
  { "2012-11-04T03:00:00-0500", "TZ=America/New_York 0 3 * * ?", NULL,
    "2012-11-05T03:00:00-0500" },
  /* the same, with the zone given as the controller's (spec.timeZone) */
  { "2012-11-04T00:00:00-0400", "0 * * * ?", "America/New_York",
    "2012-11-04T01:00:00-0400" },
  { "2012-11-04T01:00:00-0400", "0 * * * ?", "America/New_York",
    "2012-11-04T01:00:00-0500" },
  { "2012-11-04T01:00:00-0500", "0 * * * ?", "America/New_York",
    "2012-11-04T02:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "0 1 * * ?", "America/New_York",
    "2012-11-04T01:00:00-0400" },
  { "2012-11-04T01:00:00-0400", "0 1 * * ?", "America/New_York",
    "2012-11-04T01:00:00-0500" },
  { "2012-11-04T01:00:00-0500", "0 1 * * ?", "America/New_York",
    "2012-11-05T01:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "0 2 * * ?", "America/New_York",
    "2012-11-04T02:00:00-0500" },
  { "2012-11-04T02:00:00-0500", "0 2 * * ?", "America/New_York",
    "2012-11-05T02:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "0 3 * * ?", "America/New_York",
    "2012-11-04T03:00:00-0500" },
  { "2012-11-04T03:00:00-0500", "0 3 * * ?", "America/New_York",
    "2012-11-05T03:00:00-0500" },
  { "2012-11-04T00:00:00-0400", "0 3 3 * ?", "America/New_York",
    "2012-12-03T03:00:00-0500" },
  /* unsatisfiable */
  { "2012-07-09T23:35:00Z", "0 0 30 Feb ?", NULL, NULL },
  { "2012-07-09T23:35:00Z", "0 0 31 Apr ?", NULL, NULL },
  { "2012-07-09T23:35:00Z", "0 0 , * *", NULL, NULL },
  /* midnight does not exist on DST days (robfig issue 157) */
  { "2018-10-17T05:00:00-0400", "TZ=America/Sao_Paulo 0 9 10 * ?", NULL,
    "2018-11-10T06:00:00-0500" },
  { "2018-02-14T05:00:00-0500", "TZ=America/Sao_Paulo 0 9 22 * ?", NULL,
    "2018-02-22T07:00:00-0500" },
  /* TestNextWithTz: the input's own +05:30 zone */
  { "2016-01-03T13:09:03+0530", "14 14 * * *", "Asia/Kolkata",
    "2016-01-03T14:14:00+0530" },
  { "2016-01-03T04:09:03+0530", "14 14 * * ?", "Asia/Kolkata",
    "2016-01-03T14:14:00+0530" },
  { "2016-01-03T14:09:03+0530", "14 14 * * *", "Asia/Kolkata",
    "2016-01-03T14:14:00+0530" },
  { "2016-01-03T14:00:00+0530", "14 14 * * ?", "Asia/Kolkata",
    "2016-01-03T14:14:00+0530" },
  /* Europe/London: 01:30 is skipped in March and happens twice in October */
  { "2024-03-31T00:00:00Z", "30 1 * * *", "Europe/London",
    "2024-04-01T00:30:00Z" },
  { "2024-10-27T00:00:00Z", "30 1 * * *", "Europe/London",
    "2024-10-27T00:30:00Z" },
  { "2024-10-27T00:30:00Z", "30 1 * * *", "Europe/London",
    "2024-10-27T01:30:00Z" },
  { "2024-10-27T01:30:00Z", "30 1 * * *", "Europe/London",
    "2024-10-28T01:30:00Z" },
  /* beyond the last transition: the footer rule of a slim TZif file */
  { "2040-03-11T00:00:00-0500", "0 * * * *", "America/New_York",
    "2040-03-11T01:00:00-0500" },
  { "2040-03-11T01:00:00-0500", "0 * * * *", "America/New_York",
    "2040-03-11T03:00:00-0400" },
  { "2040-11-04T01:00:00-0400", "0 1 * * *", "America/New_York",
    "2040-11-04T01:00:00-0500" },
  { "2040-07-01T00:00:00Z", "0 12 * * *", "Australia/Sydney",
    "2040-07-01T02:00:00Z" },
  { "2040-12-01T00:00:00Z", "0 12 * * *", "Australia/Sydney",
    "2040-12-01T01:00:00Z" },
  /* @every: constant delay in whole seconds */
  { "2012-07-09T14:59:00Z", "@every 15m", NULL, "2012-07-09T15:14:00Z" },
  { "2012-07-09T15:45:00Z", "@every 35m", NULL, "2012-07-09T16:20:00Z" },
  { "2012-07-09T23:35:51Z", "@every 25h44m24s", NULL, "2012-07-11T01:20:15Z" },
  { "2012-12-31T23:59:45Z", "@every 15s", NULL, "2013-01-01T00:00:00Z" },
  { "2012-07-09T14:45:00Z", "@every 15ms", NULL, "2012-07-09T14:45:01Z" },
  { "2012-07-09T14:45:00Z", "@every 1.5s", NULL, "2012-07-09T14:45:01Z" },
  { "2012-07-09T14:45:00Z", "@every -1h", NULL, "2012-07-09T14:45:01Z" },
  { "2012-07-09T14:45:00Z", "@every 1.5h", NULL, "2012-07-09T16:15:00Z" },
  { "2012-07-09T14:45:00Z", "TZ=America/New_York @every 1h", NULL,
    "2012-07-09T15:45:00Z" },
  /* descriptors */
  { "2012-07-09T14:45:00Z", "@yearly", NULL, "2013-01-01T00:00:00Z" },
  { "2012-07-09T14:45:00Z", "@monthly", NULL, "2012-08-01T00:00:00Z" },
  { "2012-07-09T14:45:00Z", "@weekly", NULL, "2012-07-15T00:00:00Z" },
  { "2012-07-09T14:45:00Z", "@midnight", "America/New_York",
    "2012-07-10T00:00:00-0400" },
};

START_TEST (test_next)
{
  int64_t from = iso (nexts[_i].time);
  int64_t want = nexts[_i].expected ? iso (nexts[_i].expected) : -1;
  int64_t got = next_of (nexts[_i].spec, nexts[_i].zone, from);

  ck_assert_msg (got == want, "%s, %s in %s: want %lld got %lld",
                 nexts[_i].time, nexts[_i].spec,
                 nexts[_i].zone ? nexts[_i].zone : "UTC", (long long)want,
                 (long long)got);
}
END_TEST

/* ---- Kubernetes mostRecentScheduleTime (utils_test.go) ------------------ */

#define TOP INT64_C (1463652000) /* 2016-05-19T10:00:00Z, a Thursday */
#define MIN 60
#define HOUR 3600

static const struct
{
  const char *name, *spec;
  int64_t earliest, now, recent; /* recent -1: nil */
  int missed;                    /* 0 none, 1 few, 2 many, -1 error */
} recents[] = {
  { "now before next schedule", "0 * * * *", TOP, TOP + 30, -1, 0 },
  { "now just after next schedule", "0 * * * *", TOP, TOP + 61 * MIN,
    TOP + 60 * MIN, 0 },
  { "missed 5 schedules", "0 * * * *", TOP + 10, TOP + 301 * MIN,
    TOP + 300 * MIN, 1 },
  { "complex schedule", "30 6-16/4 * * 1-5", TOP + 30 * MIN,
    TOP + 24 * HOUR + 31 * MIN, TOP + 24 * HOUR + 30 * MIN, 1 },
  { "another complex schedule", "30 10,11,12 * * 1-5", TOP + 30 * MIN,
    TOP + 30 * HOUR + 30 * MIN, -1, 1 },
  { "complex schedule with longer diff", "30 6-16/4 * * 1-5", TOP + 30 * MIN,
    TOP + 96 * HOUR + 31 * MIN, TOP + 96 * HOUR + 30 * MIN, 1 },
  { "complex schedule with shorter diff", "30 6-16/4 * * 1-5", TOP,
    TOP + 24 * HOUR + 31 * MIN, TOP + 24 * HOUR + 30 * MIN, 1 },
  { "@every schedule", "@every 1h", TOP + MIN, TOP + 7 * 24 * HOUR,
    TOP + 6 * 24 * HOUR + 23 * HOUR + MIN, 2 },
  { "rogue cronjob", "59 23 31 2 *", TOP + 10, TOP + HOUR, -1, -1 },
  { "earliest is creation and last schedule", "0 * * * *", TOP, TOP + 30, -1,
    0 },
  { "earliest is last schedule", "*/5 * * * *", TOP + 30 * MIN, TOP + 31 * MIN,
    -1, 0 },
  /* startingDeadlineSeconds 60 moves earliest to now - 60 */
  { "earliest from starting deadline", "*/5 * * * *", TOP + 31 * MIN,
    TOP + 32 * MIN, -1, 0 },
  { "hourly, a week missed", "0 * * * *", TOP, TOP + 7 * 24 * HOUR + 5,
    TOP + 7 * 24 * HOUR, 2 },
};

START_TEST (test_most_recent)
{
  struct cron_schedule *s = NULL;
  berth_error_t err = NULL;
  int64_t recent = 0, missed = 0;
  int ret, cls;

  ck_assert_int_eq (cron_parse (recents[_i].spec, &s, &err), 0);
  ret = cron_most_recent (s, NULL, recents[_i].earliest, recents[_i].now,
                          &recent, &missed, &err);
  cron_free (s);
  if (recents[_i].missed < 0)
    {
      ck_assert_int_lt (ret, 0);
      ck_assert_str_eq (berth_error_msg (&err), "time difference between two "
                                                "schedules is less than 1 "
                                                "second");
      berth_error_release (&err);
      return;
    }
  ck_assert_int_eq (ret, 0);
  cls = missed > 100 ? 2 : missed > 0 ? 1 : 0;
  ck_assert_msg (recent == recents[_i].recent, "%s: recent %lld",
                 recents[_i].name, (long long)recent);
  ck_assert_msg (cls == recents[_i].missed, "%s: missed %lld", recents[_i].name,
                 (long long)missed);
}
END_TEST

/* ---- API validation ----------------------------------------------------- */

static const struct
{
  const char *value, *msg; /* msg NULL: valid */
} schedules[] = {
  { NULL, "Required value" },
  { "", "Required value" },
  { "0 0 * * *", NULL },
  { "@every 1h", NULL },
  { "TZ=UTC * * * * *", "Invalid value: \"TZ=UTC * * * * *\": cannot use TZ "
                        "or CRON_TZ in schedule, use timeZone field instead" },
  { "CRON_TZ=Europe/London 0 0 * * *",
    "Invalid value: \"CRON_TZ=Europe/London 0 0 * * *\": cannot use TZ or "
    "CRON_TZ in schedule, use timeZone field instead" },
  { "TZ=Bad/Zone * * * * *", "Invalid value: \"TZ=Bad/Zone * * * * *\": "
                             "provided bad location Bad/Zone: unknown time "
                             "zone Bad/Zone" },
  { "xyz", "Invalid value: \"xyz\": expected exactly 5 fields, found 1: "
           "[xyz]" },
  { "0 0 * * 7", "Invalid value: \"0 0 * * 7\": end of range (7) above "
                 "maximum (6): 7" },
  { "a\"b", "Invalid value: \"a\\\"b\": expected exactly 5 fields, found 1: "
            "[a\"b]" },
};

START_TEST (test_validate_schedule)
{
  berth_error_t err = NULL;
  int ret = cron_validate_schedule (schedules[_i].value, &err);

  if (schedules[_i].msg == NULL)
    ck_assert_msg (ret == 0, "%s: %s", schedules[_i].value,
                   berth_error_msg (&err));
  else
    {
      ck_assert_int_lt (ret, 0);
      ck_assert_str_eq (berth_error_msg (&err), schedules[_i].msg);
      berth_error_release (&err);
    }
}
END_TEST

#define EXPLICIT                                                               \
  "timeZone must be an explicit time zone as defined in "                      \
  "https://www.iana.org/time-zones"

static const struct
{
  const char *value, *msg;
} zones[] = {
  { NULL, NULL },
  { "UTC", NULL },
  { "Etc/UTC", NULL },
  { "America/New_York", NULL },
  { "Europe/London", NULL },
  { "Etc/GMT+5", NULL },
  { "America/Port-au-Prince", NULL },
  { "", "Invalid value: \"\": timeZone must be nil or non-empty string" },
  { "Local", "Invalid value: \"Local\": " EXPLICIT },
  { "LOCAL", "Invalid value: \"LOCAL\": " EXPLICIT },
  { "Europe/Lond", "Invalid value: \"Europe/Lond\": unknown time zone "
                   "Europe/Lond" },
  { "../etc/passwd", "Invalid value: \"../etc/passwd\": unknown time zone "
                     "../etc/passwd" },
  { "/etc/localtime", "Invalid value: \"/etc/localtime\": unknown time zone "
                      "/etc/localtime" },
  { "America//New_York", "Invalid value: \"America//New_York\": unknown time "
                         "zone America//New_York" },
  { "America/New York", "Invalid value: \"America/New York\": unknown time "
                        "zone America/New York" },
  { "Abcdefghijklmno", "Invalid value: \"Abcdefghijklmno\": unknown time "
                       "zone Abcdefghijklmno" },
  { "-x/y", "Invalid value: \"-x/y\": unknown time zone -x/y" },
  { "a..b", "Invalid value: \"a..b\": time: invalid location name" },
  { "America", "Invalid value: \"America\": is a directory" },
  { "zone.tab", "Invalid value: \"zone.tab\": malformed time zone "
                "information" },
};

START_TEST (test_validate_time_zone)
{
  berth_error_t err = NULL;
  int ret = cron_validate_time_zone (zones[_i].value, &err);

  if (zones[_i].msg == NULL)
    ck_assert_msg (ret == 0, "%s: %s", zones[_i].value, berth_error_msg (&err));
  else
    {
      ck_assert_int_lt (ret, 0);
      ck_assert_str_eq (berth_error_msg (&err), zones[_i].msg);
      berth_error_release (&err);
    }
}
END_TEST

/* ---- tzfile ------------------------------------------------------------- */

/* Go's TestDate vectors (America/Los_Angeles): gaps resolve to the earlier
 * offset's reading, overlaps to the first occurrence. */
START_TEST (test_from_civil_go)
{
  struct tz *la = zone ("America/Los_Angeles");
  static const struct
  {
    int y, mo, d, h, mi, s;
    int64_t want;
  } v[] = {
    { 2011, 11, 6, 1, 0, 0, 1320566400 },
    { 2011, 11, 6, 1, 59, 59, 1320569999 },
    { 2011, 11, 6, 2, 0, 0, 1320573600 },
    { 2011, 3, 13, 1, 0, 0, 1300006800 },
    { 2011, 3, 13, 1, 59, 59, 1300010399 },
    { 2011, 3, 13, 3, 0, 0, 1300010400 },
    { 2011, 3, 13, 2, 30, 0, 1300008600 },
    { 2012, 12, 24, 0, 0, 0, 1356336000 },
    { 2011, 11, 18, 7, 56, 35, 1321631795 },
    { 2011, 11, 19, -17, 56, 35, 1321631795 },
    { 2011, 11, 17, 31, 56, 35, 1321631795 },
    { 2011, 11, 18, 6, 116, 35, 1321631795 },
    { 2011, 10, 49, 7, 56, 35, 1321631795 },
    { 2011, 11, 18, 7, 55, 95, 1321631795 },
    { 2011, 12, -12, 7, 56, 35, 1321631795 },
    { 2012, 1, -43, 7, 56, 35, 1321631795 },
    { 2012, -1, 18, 7, 56, 35, 1321631795 },
    { 2010, 23, 18, 7, 56, 35, 1321631795 },
  };
  for (size_t i = 0; i < sizeof (v) / sizeof (v[0]); i++)
    ck_assert_msg (
        tz_from_civil (la, v[i].y, v[i].mo, v[i].d, v[i].h, v[i].mi, v[i].s)
            == v[i].want,
        "vector %zu", i);
  tz_free (la);
}
END_TEST

START_TEST (test_to_civil)
{
  struct tz *ny = zone ("America/New_York");
  struct tz_civil c;

  tz_to_civil (ny, iso ("2040-03-11T07:00:00Z"), &c);
  ck_assert_int_eq (c.year, 2040);
  ck_assert_int_eq (c.month, 3);
  ck_assert_int_eq (c.day, 11);
  ck_assert_int_eq (c.hour, 3);
  ck_assert_int_eq (c.offset, -4 * 3600);
  ck_assert_int_eq (c.weekday, 0);
  tz_to_civil (ny, iso ("2040-03-11T06:59:59Z"), &c);
  ck_assert_int_eq (c.hour, 1);
  ck_assert_int_eq (c.offset, -5 * 3600);
  tz_to_civil (NULL, 0, &c);
  ck_assert_int_eq (c.year, 1970);
  ck_assert_int_eq (c.weekday, 4);
  ck_assert_int_eq (c.yday, 1);
  tz_to_civil (NULL, -1, &c);
  ck_assert_int_eq (c.year, 1969);
  ck_assert_int_eq (c.second, 59);
  ck_assert_str_eq (tz_name (ny), "America/New_York");
  ck_assert_str_eq (tz_name (NULL), "UTC");
  tz_free (ny);
}
END_TEST

/* A v2 TZif with no transitions: only the footer rule decides. */
static size_t
build_tzif (unsigned char *buf, const char *footer)
{
  static const unsigned char counts[24] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4
  };
  static const unsigned char data[10]
      = { 0xff, 0xff, 0xb9, 0xb0, 0, 0, 'E', 'S', 'T', 0 }; /* -18000 */
  size_t n = 0;

  for (int part = 0; part < 2; part++)
    {
      memcpy (buf + n, "TZif2", 5);
      memset (buf + n + 5, 0, 15);
      n += 20;
      memcpy (buf + n, counts, sizeof (counts));
      n += sizeof (counts);
      memcpy (buf + n, data, sizeof (data));
      n += sizeof (data);
    }
  n += (size_t)sprintf ((char *)buf + n, "\n%s\n", footer);
  return n;
}

START_TEST (test_footer_only)
{
  unsigned char buf[256];
  size_t n = build_tzif (buf, "EST5EDT,M3.2.0,M11.1.0");
  struct tz *z = NULL, *ny = zone ("America/New_York");
  berth_error_t err = NULL;
  static const char *const instants[]
      = { "2030-01-15T12:00:00Z", "2030-03-10T06:59:59Z",
          "2030-03-10T07:00:00Z", "2030-07-04T00:00:00Z",
          "2030-11-03T05:59:59Z", "2030-11-03T06:00:00Z",
          "2041-12-31T23:59:59Z" };

  ck_assert_int_eq (tz_load_data ("test", buf, n, &z, &err), 0);
  for (size_t i = 0; i < sizeof (instants) / sizeof (instants[0]); i++)
    ck_assert_int_eq (tz_offset (z, iso (instants[i])),
                      tz_offset (ny, iso (instants[i])));
  ck_assert_int_eq (tz_offset (z, iso ("2030-07-04T00:00:00Z")), -4 * 3600);
  ck_assert_int_eq (tz_from_civil (z, 2030, 3, 10, 2, 30, 0),
                    iso ("2030-03-10T01:30:00-0500"));
  tz_free (z);
  tz_free (ny);

  /* a fixed zone: the footer without DST */
  n = build_tzif (buf, "<+0530>-5:30");
  ck_assert_int_eq (tz_load_data ("fixed", buf, n, &z, &err), 0);
  ck_assert_int_eq (tz_offset (z, 0), 5 * 3600 + 30 * 60);
  tz_free (z);

  /* truncated and foreign data */
  ck_assert_int_lt (tz_load_data ("bad", buf, 30, &z, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "malformed time zone information");
  berth_error_release (&err);
  ck_assert_int_lt (tz_load_data ("bad", "hello", 5, &z, &err), 0);
  berth_error_release (&err);
}
END_TEST

START_TEST (test_tz_load_names)
{
  struct tz *z = (struct tz *)1;
  berth_error_t err = NULL;

  ck_assert_int_eq (tz_load ("UTC", &z, &err), 0);
  ck_assert_ptr_null (z);
  ck_assert_int_eq (tz_load ("Local", &z, &err), 0);
  ck_assert_ptr_null (z);
  ck_assert_int_eq (tz_load ("", &z, &err), 0);
  ck_assert_ptr_null (z);
  ck_assert_int_lt (tz_load ("../../etc/passwd", &z, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "time: invalid location name");
  ck_assert_int_lt (tz_load ("/etc/localtime", &z, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "time: invalid location name");
  ck_assert_int_lt (tz_load ("Mars/Olympus", &z, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "unknown time zone Mars/Olympus");
  ck_assert_int_lt (tz_load ("UTC/x", &z, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err), "not a directory");
  berth_error_release (&err);
}
END_TEST

#define N(a) ((int)(sizeof (a) / sizeof ((a)[0])))

static Suite *
cron_suite (void)
{
  Suite *s = suite_create ("cron");
  TCase *tc = tcase_create ("core");

  tcase_add_loop_test (tc, test_parse_accepts, 0, N (accepted));
  tcase_add_loop_test (tc, test_parse_rejects, 0, N (rejected));
  tcase_add_loop_test (tc, test_activation, 0, N (activations));
  tcase_add_loop_test (tc, test_next, 0, N (nexts));
  tcase_add_loop_test (tc, test_most_recent, 0, N (recents));
  tcase_add_loop_test (tc, test_validate_schedule, 0, N (schedules));
  tcase_add_loop_test (tc, test_validate_time_zone, 0, N (zones));
  tcase_add_test (tc, test_from_civil_go);
  tcase_add_test (tc, test_to_civil);
  tcase_add_test (tc, test_footer_only);
  tcase_add_test (tc, test_tz_load_names);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (cron_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
