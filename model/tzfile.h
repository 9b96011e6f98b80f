/* tzfile.h - IANA time zones read from TZif files, with Go's semantics.
 *
 * Kubernetes computes CronJob times with Go's time package, so this module
 * reproduces what time.LoadLocation, Time.In and time.Date do: the lookup
 * of the offset in force at an instant (transitions from the v2+ 64-bit
 * data, then the POSIX TZ footer for later instants), and the normalisation
 * of a wall-clock date that is skipped or repeated at a DST change.
 *
 * It owns the parsing of zoneinfo files and the civil-calendar arithmetic.
 * It never touches the process's TZ variable or glibc's time-zone state
 * (that is global and the agent is one process); a struct tz is read-only
 * after tz_load and may be shared between threads.  A NULL struct tz means
 * UTC.
 */
#ifndef BERTH_TZFILE_H
#define BERTH_TZFILE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct tz; /* opaque */

/* Load NAME as time.LoadLocation does: "" and "UTC" give UTC, "Local" gives
 * berth's local zone (UTC), anything else is read from the zoneinfo
 * directories (/usr/share/zoneinfo first).  *OUT is NULL for UTC.  Errors
 * carry Go's wording: "unknown time zone NAME", "time: invalid location
 * name" (".." or a leading slash), "malformed time zone information". */
int tz_load (const char *name, struct tz **out, berth_error_t *err);

/* Build a zone from the bytes of a TZif file (LoadLocationFromTZData). */
int tz_load_data (const char *name, const void *data, size_t len,
                  struct tz **out, berth_error_t *err);

void tz_free (struct tz *z);

/* The name given to tz_load, or "UTC" for NULL. */
const char *tz_name (const struct tz *z);

/* Broken-down wall-clock time in a zone. */
struct tz_civil
{
  int64_t year;
  int month;      /* 1-12 */
  int day;        /* 1-31 */
  int hour;       /* 0-23 */
  int minute;     /* 0-59 */
  int second;     /* 0-59 */
  int weekday;    /* 0 = Sunday */
  int yday;       /* 1-366 */
  int32_t offset; /* seconds east of UTC in force at that instant */
};

/* The wall clock in Z at unix time T (Time.In(z) and its accessors). */
void tz_to_civil (const struct tz *z, int64_t t, struct tz_civil *out);

/* time.Date(year, month, day, hour, min, sec, 0, z) as unix seconds.  Out
 * of range fields are normalised (month 13 is January of the next year,
 * day 0 the last day of the previous month, ...).  A wall-clock time that
 * does not exist or exists twice resolves as Go resolves it: 02:30 on a
 * spring-forward night in America/New_York is 01:30 EST, and 01:30 on a
 * fall-back night is the first (EDT) one. */
int64_t tz_from_civil (const struct tz *z, int64_t year, int64_t month,
                       int64_t day, int64_t hour, int64_t min, int64_t sec);

/* The offset (seconds east of UTC) in force at T. */
int32_t tz_offset (const struct tz *z, int64_t t);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t tz_days_from_civil (int64_t y, int64_t m, int64_t d);
void tz_civil_from_days (int64_t days, int64_t *y, int *m, int *d);

#endif
