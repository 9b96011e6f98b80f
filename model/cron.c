/* cron.c - see cron.h.  Mirrors robfig/cron v3 parser.go, spec.go and
 * constantdelay.go, and Kubernetes' pkg/controller/cronjob/utils.go and
 * pkg/apis/batch/validation. */
#include "cron.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "gostr.h"

/* Set in a field when it was written "*" or "?" (robfig's starBit). */
#define STAR_BIT (UINT64_C (1) << 63)
#define BIT(n) (UINT64_C (1) << (n))
/* Go's zero time.Time, which robfig returns for "no activation". */
#define GO_ZERO_TIME INT64_C (-62135596800)
#define NS_PER_SEC INT64_C (1000000000)

struct cron_schedule
{
  bool every;    /* @every: a constant delay */
  int64_t delay; /* seconds, for @every */
  uint64_t minute, hour, dom, month, dow;
  bool has_zone;   /* a TZ= or CRON_TZ= prefix was given */
  struct tz *zone; /* that zone (NULL for UTC) */
};

struct span
{
  const char *p;
  size_t n;
};

struct bounds
{
  uint64_t min, max;
  const char *const *names; /* index = value, or NULL */
  size_t nnames;
};

static const char *const month_names[]
    = { "",    "jan", "feb", "mar", "apr", "may", "jun",
        "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const dow_names[]
    = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const struct bounds minutes_b = { 0, 59, NULL, 0 };
static const struct bounds hours_b = { 0, 23, NULL, 0 };
static const struct bounds dom_b = { 1, 31, NULL, 0 };
static const struct bounds months_b = { 1, 12, month_names, 13 };
static const struct bounds dow_b = { 0, 6, dow_names, 7 };

void
cron_free (struct cron_schedule *s)
{
  if (s == NULL)
    return;
  tz_free (s->zone);
  free (s);
}

/* ---- fields (robfig's getField / getRange) ------------------------------ */

static int
must_parse_int (struct span s, uint64_t *out, berth_error_t *err)
{
  const char *why;
  int64_t v;

  if (gostr_atoi (s.p, s.n, &v, &why) < 0)
    {
      cleanup_free char *q = gostr_quote (s.p, s.n);
      return berth_error_make (err, EINVAL,
                               "failed to parse int from %.*s: strconv.Atoi: "
                               "parsing %s: %s",
                               (int)s.n, s.p, q ? q : "", why);
    }
  if (v < 0)
    return berth_error_make (err, EINVAL,
                             "negative number (%" PRId64 ") not allowed: %.*s",
                             v, (int)s.n, s.p);
  *out = (uint64_t)v;
  return 0;
}

static int
parse_int_or_name (struct span s, const struct bounds *r, uint64_t *out,
                   berth_error_t *err)
{
  for (size_t i = 0; i < r->nnames; i++)
    if (r->names[i][0] != '\0' && s.n == strlen (r->names[i])
        && strncasecmp (s.p, r->names[i], s.n) == 0)
      {
        *out = i;
        return 0;
      }
  return must_parse_int (s, out, err);
}

static size_t
count_char (struct span s, char c)
{
  size_t n = 0;
  for (size_t i = 0; i < s.n; i++)
    n += s.p[i] == c;
  return n;
}

/* The part of S before the first C (all of S without one). */
static struct span
before (struct span s, char c)
{
  const char *q = memchr (s.p, c, s.n);
  return (struct span){ s.p, q ? (size_t)(q - s.p) : s.n };
}

/* The part of S between the first and second C. */
static struct span
after_first (struct span s, char c)
{
  struct span b = before (s, c), rest = { s.p + b.n + 1, s.n - b.n - 1 };
  return before (rest, c);
}

static bool
span_is (struct span s, const char *lit)
{
  return s.n == strlen (lit) && memcmp (s.p, lit, s.n) == 0;
}

static uint64_t
get_bits (uint64_t min, uint64_t max, uint64_t step)
{
  uint64_t bits = 0;
  for (uint64_t i = min; i <= max; i += step)
    bits |= BIT (i);
  return bits;
}

static int
parse_low_high (struct span expr, struct span range, const struct bounds *r,
                uint64_t *start, uint64_t *end, berth_error_t *err)
{
  size_t hyphens = count_char (range, '-');

  if (parse_int_or_name (before (range, '-'), r, start, err) < 0)
    return -1;
  if (hyphens == 0)
    *end = *start;
  else if (hyphens == 1)
    return parse_int_or_name (after_first (range, '-'), r, end, err);
  else
    return berth_error_make (err, EINVAL, "too many hyphens: %.*s", (int)expr.n,
                             expr.p);
  return 0;
}

static int
get_range (struct span expr, const struct bounds *r, uint64_t *out,
           berth_error_t *err)
{
  struct span range = before (expr, '/'), low = before (range, '-');
  size_t slashes = count_char (expr, '/');
  bool single = count_char (range, '-') == 0;
  uint64_t start, end, step = 1, extra = 0;
  int n = (int)expr.n;

  if (span_is (low, "*") || span_is (low, "?"))
    {
      /* robfig ignores anything after "*-". */
      start = r->min;
      end = r->max;
      extra = STAR_BIT;
    }
  else if (parse_low_high (expr, range, r, &start, &end, err) < 0)
    return -1;

  if (slashes == 1)
    {
      if (must_parse_int (after_first (expr, '/'), &step, err) < 0)
        return -1;
      if (single) /* "N/step" means "N-max/step" */
        end = r->max;
      if (step > 1)
        extra = 0;
    }
  else if (slashes > 1)
    return berth_error_make (err, EINVAL, "too many slashes: %.*s", n, expr.p);

  if (start < r->min)
    return berth_error_make (err, EINVAL,
                             "beginning of range (%" PRIu64
                             ") below minimum (%" PRIu64 "): %.*s",
                             start, r->min, n, expr.p);
  if (end > r->max)
    return berth_error_make (err, EINVAL,
                             "end of range (%" PRIu64
                             ") above maximum (%" PRIu64 "): %.*s",
                             end, r->max, n, expr.p);
  if (start > end)
    return berth_error_make (err, EINVAL,
                             "beginning of range (%" PRIu64
                             ") beyond end of range (%" PRIu64 "): %.*s",
                             start, end, n, expr.p);
  if (step == 0)
    return berth_error_make (err, EINVAL,
                             "step of range should be a positive number: %.*s",
                             n, expr.p);
  *out = get_bits (start, end, step) | extra;
  return 0;
}

/* A comma-separated list of ranges; empty items are skipped, as Go's
 * strings.FieldsFunc does, so "," alone is a field that never matches. */
static int
get_field (struct span field, const struct bounds *r, uint64_t *out,
           berth_error_t *err)
{
  size_t i = 0;

  *out = 0;
  while (i < field.n)
    {
      struct span item = { field.p + i, 0 };
      uint64_t bits = 0;
      while (i < field.n && field.p[i] != ',')
        i++, item.n++;
      i++;
      if (item.n == 0)
        continue;
      if (get_range (item, r, &bits, err) < 0)
        return -1;
      *out |= bits;
    }
  return 0;
}

/* ---- descriptors and the whole spec ------------------------------------- */

static int
parse_descriptor (const char *d, struct cron_schedule *s, berth_error_t *err)
{
  const uint64_t all_dom = get_bits (1, 31, 1) | STAR_BIT;
  const uint64_t all_month = get_bits (1, 12, 1) | STAR_BIT;
  const uint64_t all_dow = get_bits (0, 6, 1) | STAR_BIT;
  const uint64_t all_hour = get_bits (0, 23, 1) | STAR_BIT;
  int64_t ns = 0;

  s->minute = BIT (0);
  s->hour = BIT (0);
  s->dom = all_dom;
  s->month = all_month;
  s->dow = all_dow;
  if (strcmp (d, "@yearly") == 0 || strcmp (d, "@annually") == 0)
    s->dom = BIT (1), s->month = BIT (1);
  else if (strcmp (d, "@monthly") == 0)
    s->dom = BIT (1);
  else if (strcmp (d, "@weekly") == 0)
    s->dow = BIT (0);
  else if (strcmp (d, "@daily") == 0 || strcmp (d, "@midnight") == 0)
    ;
  else if (strcmp (d, "@hourly") == 0)
    s->hour = all_hour;
  else if (strncmp (d, "@every ", 7) == 0)
    {
      if (gostr_parse_duration (d + 7, &ns, err) < 0)
        return berth_error_wrap (err, "failed to parse duration %s", d);
      /* robfig's Every: at least a second, whole seconds only. */
      s->every = true;
      s->delay = ns < NS_PER_SEC ? 1 : ns / NS_PER_SEC;
    }
  else
    return berth_error_make (err, EINVAL, "unrecognized descriptor: %s", d);
  return 0;
}

/* strings.Fields into at most 5 spans; returns the field count. */
static size_t
split_fields (const char *spec, struct span f[5])
{
  const char *p = spec, *end = spec + strlen (spec);
  size_t count = 0, sl;

  while (p < end)
    {
      const char *start;
      while (p < end && (sl = gostr_space_len (p, end)) > 0)
        p += sl;
      if (p == end)
        break;
      start = p;
      while (p < end && gostr_space_len (p, end) == 0)
        p++;
      if (count < 5)
        f[count] = (struct span){ start, (size_t)(p - start) };
      count++;
    }
  return count;
}

static int
fields_error (const char *spec, size_t count, berth_error_t *err)
{
  const char *p = spec, *end = spec + strlen (spec);
  cleanup_free char *list = NULL;
  size_t len = 0, sl;
  FILE *f = open_memstream (&list, &len);
  bool first = true;

  if (f == NULL)
    return berth_error_make (err, ENOMEM, "out of memory");
  while (p < end)
    {
      const char *start;
      while (p < end && (sl = gostr_space_len (p, end)) > 0)
        p += sl;
      if (p == end)
        break;
      start = p;
      while (p < end && gostr_space_len (p, end) == 0)
        p++;
      fprintf (f, "%s%.*s", first ? "" : " ", (int)(p - start), start);
      first = false;
    }
  fclose (f);
  return berth_error_make (err, EINVAL,
                           "expected exactly 5 fields, found %zu: [%s]", count,
                           list ? list : "");
}

static int
parse_fields (const char *spec, struct cron_schedule *s, berth_error_t *err)
{
  struct span f[5];
  size_t count = split_fields (spec, f);

  if (count != 5)
    return fields_error (spec, count, err);
  if (get_field (f[0], &minutes_b, &s->minute, err) < 0
      || get_field (f[1], &hours_b, &s->hour, err) < 0
      || get_field (f[2], &dom_b, &s->dom, err) < 0
      || get_field (f[3], &months_b, &s->month, err) < 0
      || get_field (f[4], &dow_b, &s->dow, err) < 0)
    return -1;
  return 0;
}

/* "TZ=zone rest": load the zone and return REST with spaces trimmed. */
static int
parse_zone_prefix (const char *spec, struct cron_schedule *s, char **rest,
                   berth_error_t *err)
{
  const char *sp = strchr (spec, ' '), *eq = strchr (spec, '=');
  cleanup_free char *name = NULL;

  if (sp == NULL)
    /* robfig panics here (slice bounds out of range). */
    return berth_error_make (err, EINVAL,
                             "provided bad location %s: no schedule after "
                             "the time zone",
                             eq + 1);
  name = strndup (eq + 1, (size_t)(sp - eq - 1));
  if (name == NULL)
    return berth_error_make (err, ENOMEM, "out of memory");
  if (tz_load (name, &s->zone, err) < 0)
    return berth_error_wrap (err, "provided bad location %s", name);
  s->has_zone = true;
  *rest = gostr_trim_space (sp);
  return *rest == NULL ? berth_error_make (err, ENOMEM, "out of memory") : 0;
}

int
cron_parse (const char *spec, struct cron_schedule **out, berth_error_t *err)
{
  struct cron_schedule *s;
  cleanup_free char *rest = NULL;
  int ret;

  *out = NULL;
  if (spec == NULL || spec[0] == '\0')
    return berth_error_make (err, EINVAL, "empty spec string");
  s = calloc (1, sizeof (*s));
  if (s == NULL)
    return berth_error_make (err, ENOMEM, "out of memory");
  if (strncmp (spec, "TZ=", 3) == 0 || strncmp (spec, "CRON_TZ=", 8) == 0)
    {
      if (parse_zone_prefix (spec, s, &rest, err) < 0)
        {
          cron_free (s);
          return -1;
        }
      spec = rest;
    }
  if (spec[0] == '@')
    ret = parse_descriptor (spec, s, err);
  else
    ret = parse_fields (spec, s, err);
  if (ret < 0)
    {
      cron_free (s);
      return -1;
    }
  *out = s;
  return 0;
}

/* ---- Next (robfig's SpecSchedule.Next) ---------------------------------- */

static bool
day_matches (const struct cron_schedule *s, const struct tz_civil *c)
{
  bool dom = (s->dom & BIT (c->day)) != 0;
  bool dow = (s->dow & BIT (c->weekday)) != 0;

  if ((s->dom & STAR_BIT) || (s->dow & STAR_BIT))
    return dom && dow;
  return dom || dow;
}

struct cursor
{
  const struct tz *z;
  int64_t t;
  struct tz_civil c;
  bool added; /* a field was moved: lower fields start from zero */
};

static void
cursor_set (struct cursor *k, int64_t t)
{
  k->t = t;
  tz_to_civil (k->z, t, &k->c);
}

/* Each returns false when the field wrapped and the search restarts. */
static bool
find_month (const struct cron_schedule *s, struct cursor *k)
{
  while (!(s->month & BIT (k->c.month)))
    {
      if (!k->added)
        {
          k->added = true;
          cursor_set (k,
                      tz_from_civil (k->z, k->c.year, k->c.month, 1, 0, 0, 0));
        }
      cursor_set (k, tz_from_civil (k->z, k->c.year, k->c.month + 1, k->c.day,
                                    k->c.hour, k->c.minute, k->c.second));
      if (k->c.month == 1)
        return false;
    }
  return true;
}

static bool
find_day (const struct cron_schedule *s, struct cursor *k)
{
  while (!day_matches (s, &k->c))
    {
      if (!k->added)
        {
          k->added = true;
          cursor_set (k, tz_from_civil (k->z, k->c.year, k->c.month, k->c.day,
                                        0, 0, 0));
        }
      cursor_set (k, tz_from_civil (k->z, k->c.year, k->c.month, k->c.day + 1,
                                    k->c.hour, k->c.minute, k->c.second));
      /* Where midnight does not exist (DST at 00:00), snap back to a day
       * boundary as robfig does. */
      if (k->c.hour > 12)
        cursor_set (k, k->t + (int64_t)(24 - k->c.hour) * 3600);
      else if (k->c.hour != 0)
        cursor_set (k, k->t - (int64_t)k->c.hour * 3600);
      if (k->c.day == 1)
        return false;
    }
  return true;
}

static bool
find_hour (const struct cron_schedule *s, struct cursor *k)
{
  while (!(s->hour & BIT (k->c.hour)))
    {
      if (!k->added)
        {
          k->added = true;
          cursor_set (k, tz_from_civil (k->z, k->c.year, k->c.month, k->c.day,
                                        k->c.hour, 0, 0));
        }
      cursor_set (k, k->t + 3600);
      if (k->c.hour == 0)
        return false;
    }
  return true;
}

/* Minutes (UNIT 60) and seconds (UNIT 1) move in absolute time; Go's
 * Truncate rounds relative to the zero time, i.e. in UTC. */
static bool
find_small (uint64_t bits, int unit, struct cursor *k)
{
  while (!(bits & BIT (unit == 60 ? k->c.minute : k->c.second)))
    {
      if (!k->added)
        {
          int64_t m = k->t % unit;
          k->added = true;
          cursor_set (k, k->t - (m < 0 ? m + unit : m));
        }
      cursor_set (k, k->t + unit);
      if ((unit == 60 ? k->c.minute : k->c.second) == 0)
        return false;
    }
  return true;
}

static int64_t
spec_next (const struct cron_schedule *s, const struct tz *z, int64_t t)
{
  struct cursor k = { .z = z };
  int64_t year_limit;

  cursor_set (&k, t + 1);
  year_limit = k.c.year + 5;
  for (;;)
    {
      cursor_set (&k, k.t);
      if (k.c.year > year_limit)
        return GO_ZERO_TIME;
      if (find_month (s, &k) && find_day (s, &k) && find_hour (s, &k)
          && find_small (s->minute, 60, &k) && find_small (BIT (0), 1, &k))
        return k.t;
    }
}

/* Schedule.Next, with Go's zero time for "none". */
static int64_t
next_go (const struct cron_schedule *s, const struct tz *z, int64_t t)
{
  if (s->every)
    return t + s->delay;
  return spec_next (s, s->has_zone ? s->zone : z, t);
}

int64_t
cron_next (const struct cron_schedule *s, const struct tz *z, int64_t t)
{
  int64_t n = next_go (s, z, t);
  return n == GO_ZERO_TIME ? -1 : n;
}

int
cron_most_recent (const struct cron_schedule *s, const struct tz *z,
                  int64_t earliest, int64_t now, int64_t *most_recent,
                  int64_t *missed, berth_error_t *err)
{
  int64_t t1 = next_go (s, z, earliest), t2 = next_go (s, z, t1);
  int64_t between, count, t, recent = GO_ZERO_TIME;

  *most_recent = -1;
  *missed = 0;
  if (now < t1)
    return 0;
  if (now < t2)
    {
      *most_recent = t1;
      return 0;
    }
  between = t2 - t1;
  if (between < 1)
    return berth_error_make (
        err, EINVAL,
        "time difference between two schedules is less than 1 second");
  /* Kubernetes estimates the count from the first interval, then steps
   * from two intervals before the estimated last one. */
  count = (now - t1) / between + 1;
  for (t = next_go (s, z, t1 + (count - 2) * between); t <= now;
       t = next_go (s, z, t))
    {
      recent = t;
      if (t == GO_ZERO_TIME) /* Go would loop from year 1 here */
        break;
    }
  *missed = count;
  if (recent != GO_ZERO_TIME)
    *most_recent = recent;
  return 0;
}

/* ---- API server validation ---------------------------------------------- */

static int
invalid (berth_error_t *err, const char *value, const char *detail)
{
  cleanup_free char *q = gostr_quote (value, strlen (value));
  return berth_error_make (err, EINVAL, "Invalid value: %s: %s", q ? q : "",
                           detail);
}

int
cron_validate_schedule (const char *schedule, berth_error_t *err)
{
  struct cron_schedule *s = NULL;
  berth_error_t perr = NULL;

  if (schedule == NULL || schedule[0] == '\0')
    return berth_error_make (err, EINVAL, "Required value");
  if (cron_parse (schedule, &s, &perr) < 0)
    {
      int ret = invalid (err, schedule, berth_error_msg (&perr));
      berth_error_release (&perr);
      return ret;
    }
  cron_free (s);
  if (strstr (schedule, "TZ") != NULL)
    return invalid (err, schedule,
                    "cannot use TZ or CRON_TZ in schedule, "
                    "use timeZone field instead");
  return 0;
}

/* One '/'-separated part of a zone name: ^[A-Za-z.\-_0-9+]{1,14}$, not "."
 * or "..", not starting with '-'. */
static bool
zone_part_ok (const char *p, size_t n)
{
  if (n == 0 || n > 14 || p[0] == '-' || (n == 1 && p[0] == '.')
      || (n == 2 && p[0] == '.' && p[1] == '.'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')
          || (p[i] >= '0' && p[i] <= '9') || strchr (".-_+", p[i]) != NULL)
        || p[i] == '\0')
      return false;
  return true;
}

int
cron_validate_time_zone (const char *tz, berth_error_t *err)
{
  struct tz *z = NULL;
  berth_error_t lerr = NULL;
  const char *p = tz;

  if (tz == NULL)
    return 0;
  if (tz[0] == '\0')
    return invalid (err, tz, "timeZone must be nil or non-empty string");
  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t)(slash - p) : strlen (p);
      if (!zone_part_ok (p, n))
        {
          cleanup_free char *d = NULL;
          if (asprintf (&d, "unknown time zone %s", tz) < 0)
            return berth_error_make (err, ENOMEM, "out of memory");
          return invalid (err, tz, d);
        }
      if (slash == NULL)
        break;
      p = slash + 1;
    }
  if (strcasecmp (tz, "Local") == 0)
    return invalid (err, tz,
                    "timeZone must be an explicit time zone as defined in "
                    "https://www.iana.org/time-zones");
  if (tz_load (tz, &z, &lerr) < 0)
    {
      int ret = invalid (err, tz, berth_error_msg (&lerr));
      berth_error_release (&lerr);
      return ret;
    }
  tz_free (z);
  return 0;
}
