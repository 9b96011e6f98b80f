/* cron.h - CronJob schedules as Kubernetes reads them.
 *
 * Kubernetes parses spec.schedule with robfig/cron v3 ParseStandard and
 * computes activations with Schedule.Next in spec.timeZone.  This module
 * reproduces both exactly (grammar, error wording, the dom/dow "star" rule,
 * @every, and Next's handling of wall-clock times skipped or repeated at DST
 * changes), plus the controller's mostRecentScheduleTime and the API
 * server's validation of spec.schedule and spec.timeZone.
 *
 * It owns schedule parsing and next-time arithmetic only; it does not read
 * the clock, create Jobs or know about CronJob objects.  Time zones come
 * from tzfile.h; a NULL struct tz is UTC.
 */
#ifndef BERTH_CRON_H
#define BERTH_CRON_H

#include <stdint.h>

#include "error.h"
#include "tzfile.h"

struct cron_schedule; /* opaque */

/* Parse SPEC as cron.ParseStandard: five fields (minute hour dom month
 * dow), or a descriptor (@yearly @annually @monthly @weekly @daily
 * @midnight @hourly, "@every <Go duration>"), optionally prefixed by
 * "TZ=<zone> " or "CRON_TZ=<zone> ".  Errors carry robfig's messages
 * ("expected exactly 5 fields, found 4: [* * * *]", ...). */
int cron_parse (const char *spec, struct cron_schedule **out,
                berth_error_t *err);
void cron_free (struct cron_schedule *s);

/* The first activation strictly after unix time T, evaluated on the wall
 * clock of Z (or of the schedule's own TZ= zone, which wins), or -1 when
 * there is none within five years (robfig gives up after five). */
int64_t cron_next (const struct cron_schedule *s, const struct tz *z,
                   int64_t t);

/* The controller's mostRecentScheduleTime: EARLIEST is the CronJob's
 * lastScheduleTime, or its creationTimestamp, moved forward to
 * now - startingDeadlineSeconds when that is later.  On return
 * *MOST_RECENT is the latest activation in (EARLIEST, NOW], or -1 when the
 * controller would see none, and *MISSED is Kubernetes' estimate of missed
 * activations: 0 means noneMissed, 1-100 fewMissed, more than 100
 * manyMissed (the "TooManyMissedTimes" warning).  Fails, as Kubernetes
 * does, when two consecutive activations are less than a second apart
 * (a schedule that never fires, such as "59 23 31 2 *"). */
int cron_most_recent (const struct cron_schedule *s, const struct tz *z,
                      int64_t earliest, int64_t now, int64_t *most_recent,
                      int64_t *missed, berth_error_t *err);

/* The API server's checks of spec.schedule and spec.timeZone.  On failure
 * the message is the error body exactly as the API server words it,
 * without the field path, e.g. "Required value" or
 * `Invalid value: "TZ=UTC * * * *": cannot use TZ or CRON_TZ in schedule,
 * use timeZone field instead`; the caller prefixes "spec.schedule: ".
 * When Kubernetes would report two errors for the field only the first is
 * given.  TZ is NULL when spec.timeZone is unset (valid). */
int cron_validate_schedule (const char *schedule, berth_error_t *err);
int cron_validate_time_zone (const char *tz, berth_error_t *err);

#endif
