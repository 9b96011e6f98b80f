/* kinds.h - the per-kind defaulting and validation entry points that the
 * kind table in manifest.c points to.  Defaults mutate the decoded object
 * exactly as the API server's defaulters do; validators add DIAG_ERROR
 * diagnostics with field paths as the API server's validation does. */
#ifndef BERTH_KINDS_H
#define BERTH_KINDS_H

#include "manifest.h"

void defaults_pod (struct object *o);
void defaults_pod_spec (struct pod_spec *s);
void defaults_config_map (struct object *o);
void defaults_secret (struct object *o);
void defaults_namespace (struct object *o);
void defaults_service (struct object *o);
void defaults_job (struct object *o);
void defaults_cron_job (struct object *o);
void defaults_deployment (struct object *o);
void defaults_replica_set (struct object *o);
void defaults_stateful_set (struct object *o);

void validate_pod (struct object *o);
void validate_config_map (struct object *o);
void validate_secret (struct object *o);
void validate_namespace (struct object *o);
void validate_service (struct object *o);
void validate_job (struct object *o);
void validate_cron_job (struct object *o);
void validate_workload (struct object *o);

#endif
