/* cronjob_controller.h - the CronJob controller (kube-controller-manager's
 * pkg/controller/cronjob, cronjob_controllerv2.go and utils.go) over the
 * agent's object store.
 *
 * For every CronJob it creates the Job of the most recent unmet schedule
 * time (spec.schedule read by model/cron.c in spec.timeZone), named
 * "<cronjob>-<scheduled unix minutes>" so that a restarted agent cannot
 * create it twice; it applies startingDeadlineSeconds, concurrencyPolicy
 * (Allow, Forbid, Replace) and suspend, keeps status.active,
 * lastScheduleTime and lastSuccessfulTime, prunes finished Jobs beyond the
 * history limits (oldest first), and records the controller's events
 * (SuccessfulCreate, SawCompletedJob, MissSchedule, TooManyMissedTimes,
 * JobAlreadyActive, SuccessfulDelete, ...).  Jobs whose CronJob is gone are
 * deleted (the garbage collector's part).
 *
 * It owns a cache of loaded time zones; the clock is the sync's NOW_MS. */
#ifndef BERTH_CRONJOB_CONTROLLER_H
#define BERTH_CRONJOB_CONTROLLER_H

#include "controller.h"

struct controller *cronjob_controller_new (void);

#endif
