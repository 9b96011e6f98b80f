/* validate_kinds.c - validation of the kinds other than Pod, as the API
 * server does it (pkg/apis/{core,batch,apps}/validation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "cron.h"
#include "kinds.h"
#include "validation.h"

#define MAX_DATA_BYTES (1024 * 1024) /* ConfigMap and Secret: 1 MiB */

static void
v_keys (struct vctx *v, const char *field, char **keys, size_t len,
        size_t *total, const size_t *value_lens, char **values)
{
  size_t mark = VPUSH (v, field);
  for (size_t i = 0; i < len; i++)
    {
      const char *why = check_config_map_key (keys[i]);
      size_t m2 = path_push_key (&v->path, keys[i]);
      if (why)
        v_invalid (v, NULL, keys[i], "%s", why);
      *total += value_lens ? value_lens[i] : strlen (values[i]);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

void
validate_config_map (struct object *o)
{
  struct config_map *cm = o->data;
  struct vctx v = { .diags = &o->diags };
  size_t total = 0;
  v_object_meta (&v, &cm->metadata, true, check_dns1123_subdomain);
  v_keys (&v, "data", cm->data.keys, cm->data.len, &total, NULL,
          cm->data.values);
  v_keys (&v, "binaryData", cm->binary_data.keys, cm->binary_data.len, &total,
          cm->binary_data.lens, NULL);
  for (size_t i = 0; i < cm->binary_data.len; i++)
    if (strmap_get (&cm->data, cm->binary_data.keys[i]))
      {
        size_t m = VPUSH (&v, "data"),
               m2 = path_push_key (&v.path, cm->binary_data.keys[i]);
        v_invalid (&v, NULL, cm->binary_data.keys[i],
                   "duplicate of key present in binaryData");
        VPOP (&v, m2);
        VPOP (&v, m);
      }
  if (total > MAX_DATA_BYTES)
    v_error (&v, NULL, "Too long: must have at most 1048576 bytes");
  path_free (&v.path);
}

static bool
secret_has (const struct secret *s, const char *key)
{
  for (size_t i = 0; i < s->data.len; i++)
    if (strcmp (s->data.keys[i], key) == 0)
      return true;
  return false;
}

void
validate_secret (struct object *o)
{
  struct secret *s = o->data;
  struct vctx v = { .diags = &o->diags };
  size_t total = 0;
  const char *t = s->type;

  v_object_meta (&v, &s->metadata, true, check_dns1123_subdomain);
  /* stringData was folded into data by the defaults; check its keys under
   * their own name first, as the API server validates before converting */
  v_keys (&v, "data", s->data.keys, s->data.len, &total, s->data.lens, NULL);
  if (total > MAX_DATA_BYTES)
    v_error (&v, "data", "Too long: must have at most 1048576 bytes");
  if (strcmp (t, "kubernetes.io/tls") == 0)
    {
      if (!secret_has (s, "tls.crt"))
        v_required (&v, "data[tls.crt]", NULL);
      if (!secret_has (s, "tls.key"))
        v_required (&v, "data[tls.key]", NULL);
    }
  else if (strcmp (t, "kubernetes.io/dockerconfigjson") == 0
           && !secret_has (s, ".dockerconfigjson"))
    v_required (&v, "data[.dockerconfigjson]", NULL);
  else if (strcmp (t, "kubernetes.io/dockercfg") == 0
           && !secret_has (s, ".dockercfg"))
    v_required (&v, "data[.dockercfg]", NULL);
  else if (strcmp (t, "kubernetes.io/ssh-auth") == 0
           && !secret_has (s, "ssh-privatekey"))
    v_required (&v, "data[ssh-privatekey]", NULL);
  else if (strcmp (t, "kubernetes.io/basic-auth") == 0
           && !secret_has (s, "username") && !secret_has (s, "password"))
    v_required (&v, "data[username]", "");
  else if (strcmp (t, "kubernetes.io/service-account-token") == 0
           && strmap_get (&s->metadata.annotations,
                          "kubernetes.io/service-account.name")
                  == NULL)
    v_required (&v, "metadata.annotations[kubernetes.io/service-account.name]",
                NULL);
  path_free (&v.path);
}

void
validate_namespace (struct object *o)
{
  struct namespace_obj *ns = o->data;
  struct vctx v = { .diags = &o->diags };
  v_object_meta (&v, &ns->metadata, false, check_dns1123_label);
  path_free (&v.path);
}

/* ---- Service ---- */

static void
v_service_port (struct vctx *v, const struct service_spec *s, size_t i,
                bool need_name)
{
  const struct service_port *p = &s->ports.items[i];
  static const char *const protocols[] = { "SCTP", "TCP", "UDP", NULL };
  size_t mark = VPUSH_INDEX (v, i);

  if (need_name && (p->name == NULL || *p->name == '\0'))
    v_required (v, "name", NULL);
  else if (p->name && *p->name)
    {
      if (check_dns1123_label (p->name))
        v_invalid (v, "name", p->name, "%s", check_dns1123_label (p->name));
      for (size_t j = 0; j < i; j++)
        if (s->ports.items[j].name && !strcmp (s->ports.items[j].name, p->name))
          {
            v_duplicate (v, "name", p->name);
            break;
          }
    }
  if (!p->port.set || p->port.v < 1 || p->port.v > 65535)
    v_invalid_int (v, "port", p->port.v,
                   "must be between 1 and 65535, "
                   "inclusive");
  if (!str_in (p->protocol, protocols))
    v_unsupported (v, "protocol", p->protocol, protocols);
  if (p->target_port.type == IOS_INT
      && (p->target_port.i < 1 || p->target_port.i > 65535))
    v_invalid_int (v, "targetPort", p->target_port.i,
                   "must be between 1 and 65535, inclusive");
  else if (p->target_port.type == IOS_STRING
           && check_iana_svc_name (p->target_port.s))
    v_invalid (v, "targetPort", p->target_port.s, "%s",
               check_iana_svc_name (p->target_port.s));
  if (p->node_port.set && p->node_port.v != 0)
    {
      if (strcmp (s->type, "NodePort") != 0
          && strcmp (s->type, "LoadBalancer") != 0)
        v_forbidden (v, "nodePort",
                     "may not be used when `type` is "
                     "'ClusterIP'");
      else if (p->node_port.v < 1 || p->node_port.v > 65535)
        v_invalid_int (v, "nodePort", p->node_port.v,
                       "must be between 1 and 65535, inclusive");
    }
  VPOP (v, mark);
}

void
validate_service (struct object *o)
{
  struct service *svc = o->data;
  struct service_spec *s = &svc->spec;
  struct vctx v = { .diags = &o->diags };
  static const char *const types[]
      = { "ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL };
  static const char *const affinities[] = { "ClientIP", "None", NULL };
  bool headless = s->cluster_ip && strcmp (s->cluster_ip, "None") == 0;
  size_t mark;

  v_object_meta (&v, &svc->metadata, true, check_dns1035_label);
  mark = VPUSH (&v, "spec");
  if (!str_in (s->type, types))
    v_unsupported (&v, "type", s->type, types);
  else if (strcmp (s->type, "ExternalName") == 0)
    {
      if (s->external_name == NULL || *s->external_name == '\0')
        v_required (&v, "externalName", NULL);
      else if (check_dns1123_subdomain (s->external_name))
        v_invalid (&v, "externalName", s->external_name, "%s",
                   check_dns1123_subdomain (s->external_name));
    }
  else if (s->ports.len == 0 && !headless)
    v_required (&v, "ports", NULL);
  if (headless && strcmp (s->type, "ClusterIP") != 0
      && strcmp (s->type, "ExternalName") != 0)
    v_invalid (&v, "clusterIPs[0]", "None",
               "may not be set to 'None' for "
               "%s services",
               s->type);
  if (s->cluster_ip && *s->cluster_ip && !headless
      && !is_ip_address (s->cluster_ip))
    v_invalid (&v, "clusterIPs[0]", s->cluster_ip,
               "must be empty, 'None', or a valid IP address");
  if (!str_in (s->session_affinity, affinities))
    v_unsupported (&v, "sessionAffinity", s->session_affinity, affinities);
  {
    size_t m2 = VPUSH (&v, "ports");
    for (size_t i = 0; i < s->ports.len; i++)
      v_service_port (&v, s, i, s->ports.len > 1);
    VPOP (&v, m2);
  }
  v_labels (&v, "selector", &s->selector);
  VPOP (&v, mark);
  path_free (&v.path);
}

/* ---- Job and CronJob ---- */

static const char *const job_restart[] = { "OnFailure", "Never", NULL };

static void
v_pod_failure_policy (struct vctx *v, const struct job_spec *s)
{
  static const char *const actions[]
      = { "Count", "FailIndex", "FailJob", "Ignore", NULL };
  const struct pod_failure_policy *p = s->pod_failure_policy;
  size_t mark = VPUSH (v, "podFailurePolicy");
  if (s->template.spec.restart_policy
      && strcmp (s->template.spec.restart_policy, "Never") != 0)
    {
      VPOP (v, mark);
      v_invalid (v, "template.spec.restartPolicy",
                 s->template.spec.restart_policy,
                 "only \"Never\" is supported when podFailurePolicy is "
                 "specified");
      mark = VPUSH (v, "podFailurePolicy");
    }
  for (size_t i = 0; i < p->rules.len; i++)
    {
      const struct pod_failure_policy_rule *r = &p->rules.items[i];
      size_t m2 = VPUSH (v, "rules"), m3 = VPUSH_INDEX (v, i);
      if (!str_in (r->action, actions))
        v_unsupported (v, "action", r->action ? r->action : "", actions);
      else if (strcmp (r->action, "FailIndex") == 0
               && !s->backoff_limit_per_index.set)
        v_forbidden (v, "action",
                     "requires the backoffLimitPerIndex to be "
                     "set");
      if ((r->on_exit_codes != NULL) == (r->on_pod_conditions.len > 0))
        v_invalid (v, NULL, "",
                   "specifying one of OnExitCodes and "
                   "OnPodConditions is required");
      if (r->on_exit_codes)
        {
          const struct pod_failure_policy_on_exit_codes *e = r->on_exit_codes;
          size_t m4 = VPUSH (v, "onExitCodes");
          if (!str_in (
                  e->operator, (const char *const[]){ "In", "NotIn", NULL }))
            v_unsupported (v, "operator", e->operator ? e->operator : "",
                           (const char *const[]){ "In", "NotIn", NULL });
          if (e->values.len == 0 || e->values.len > 255)
            v_required (v, "values", "at least one value is required");
          for (size_t k = 0; k < e->values.len; k++)
            {
              if (e->operator&& strcmp (e->operator, "In") == 0
                  && e->values.items[k] == 0)
                v_invalid_int (v, "values", 0,
                               "must not be 0 for the In "
                               "operator");
              if (k > 0 && e->values.items[k] <= e->values.items[k - 1])
                v_invalid_int (v, "values", e->values.items[k],
                               "must be ordered");
            }
          VPOP (v, m4);
        }
      VPOP (v, m3);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static void
v_job_spec (struct vctx *v, const struct job_spec *s,
            const struct object_meta *meta)
{
  static const char *const modes[] = { "NonIndexed", "Indexed", NULL };
  v_non_negative (v, "parallelism", &s->parallelism);
  v_non_negative (v, "completions", &s->completions);
  v_non_negative (v, "activeDeadlineSeconds", &s->active_deadline_seconds);
  v_non_negative (v, "backoffLimit", &s->backoff_limit);
  v_non_negative (v, "ttlSecondsAfterFinished", &s->ttl_seconds_after_finished);
  v_non_negative (v, "backoffLimitPerIndex", &s->backoff_limit_per_index);
  v_non_negative (v, "maxFailedIndexes", &s->max_failed_indexes);
  if (s->completion_mode && !str_in (s->completion_mode, modes))
    v_unsupported (v, "completionMode", s->completion_mode, modes);
  else if (s->completion_mode && strcmp (s->completion_mode, "Indexed") == 0)
    {
      if (!s->completions.set)
        v_required (v, "completions", "when completion mode is Indexed");
      else if (s->completions.v > 100000)
        v_invalid_int (v, "completions", s->completions.v,
                       "must be less than or equal to 100000 when completion "
                       "mode is Indexed");
    }
  else if (s->backoff_limit_per_index.set)
    v_required (v, "completionMode",
                "when backoffLimitPerIndex is specified "
                "the completion mode must be Indexed");
  if (s->max_failed_indexes.set && !s->backoff_limit_per_index.set)
    v_required (v, "backoffLimitPerIndex",
                "when maxFailedIndexes is specified");
  if (s->pod_replacement_policy
      && !str_in (
          s->pod_replacement_policy,
          (const char *const[]){ "TerminatingOrFailed", "Failed", NULL }))
    v_unsupported (
        v, "podReplacementPolicy", s->pod_replacement_policy,
        (const char *const[]){ "TerminatingOrFailed", "Failed", NULL });
  if (s->pod_failure_policy)
    v_pod_failure_policy (v, s);
  if (s->selector)
    {
      v_label_selector (v, "selector", s->selector);
      if (s->manual_selector.v
          && !label_selector_matches (s->selector,
                                      &s->template.metadata.labels))
        v_invalid (v, "template.metadata.labels", "",
                   "`selector` does not match template `labels`");
    }
  (void)meta;
  v_pod_template (v, &s->template, job_restart);
}

void
validate_job (struct object *o)
{
  struct job *j = o->data;
  struct vctx v = { .diags = &o->diags };
  size_t mark;
  v_object_meta (&v, &j->metadata, true, check_dns1123_subdomain);
  if (j->metadata.name && strlen (j->metadata.name) > 63)
    v_invalid (&v, "metadata.name", j->metadata.name,
               "must be no more than 63 characters");
  mark = VPUSH (&v, "spec");
  v_job_spec (&v, &j->spec, &j->metadata);
  VPOP (&v, mark);
  path_free (&v.path);
}

void
validate_cron_job (struct object *o)
{
  static const char *const policies[] = { "Allow", "Forbid", "Replace", NULL };
  struct cron_job *cj = o->data;
  struct cron_job_spec *s = &cj->spec;
  struct vctx v = { .diags = &o->diags };
  berth_error_t err = NULL;
  size_t mark;

  v_object_meta (&v, &cj->metadata, true, check_dns1123_subdomain);
  if (cj->metadata.name && strlen (cj->metadata.name) > 52)
    v_invalid (&v, "metadata.name", cj->metadata.name,
               "must be no more than 52 characters");
  mark = VPUSH (&v, "spec");
  /* the cron module words these as the API server does, path aside */
  if (cron_validate_schedule (s->schedule ? s->schedule : "", &err) < 0)
    v_error (&v, "schedule", "%s", berth_error_msg (&err));
  berth_error_release (&err);
  if (s->time_zone && cron_validate_time_zone (s->time_zone, &err) < 0)
    v_error (&v, "timeZone", "%s", berth_error_msg (&err));
  berth_error_release (&err);
  if (!str_in (s->concurrency_policy, policies))
    v_unsupported (&v, "concurrencyPolicy", s->concurrency_policy, policies);
  v_non_negative (&v, "startingDeadlineSeconds", &s->starting_deadline_seconds);
  v_non_negative (&v, "successfulJobsHistoryLimit",
                  &s->successful_jobs_history_limit);
  v_non_negative (&v, "failedJobsHistoryLimit", &s->failed_jobs_history_limit);
  {
    size_t m2 = VPUSH (&v, "jobTemplate");
    size_t m3 = VPUSH (&v, "spec");
    v_job_spec (&v, &s->job_template.spec, NULL);
    VPOP (&v, m3);
    VPOP (&v, m2);
  }
  VPOP (&v, mark);
  path_free (&v.path);
}

/* ---- Deployment, ReplicaSet, StatefulSet ---- */

void
validate_workload (struct object *o)
{
  struct workload *w = o->data;
  struct vctx v = { .diags = &o->diags };
  size_t mark;
  v_object_meta (&v, &w->metadata, true, check_dns1123_subdomain);
  mark = VPUSH (&v, "spec");
  v_non_negative (&v, "replicas", &w->spec.replicas);
  v_non_negative (&v, "minReadySeconds", &w->spec.min_ready_seconds);
  v_non_negative (&v, "revisionHistoryLimit", &w->spec.revision_history_limit);
  if (w->spec.selector == NULL
      || (w->spec.selector->match_labels.len == 0
          && w->spec.selector->match_expressions.len == 0))
    v_invalid (&v, "selector", "",
               "empty selector is invalid for "
               "deployment");
  else
    {
      v_label_selector (&v, "selector", w->spec.selector);
      if (!label_selector_matches (w->spec.selector,
                                   &w->spec.template.metadata.labels))
        v_invalid (&v, "template.metadata.labels", "",
                   "`selector` does not match template `labels`");
    }
  v_pod_template (&v, &w->spec.template,
                  (const char *const[]){ "Always", NULL });
  VPOP (&v, mark);
  path_free (&v.path);
}
