/* schema_kinds.c - descriptors of the kinds other than Pod. */
#include "schema.h"

/* Every top-level kind: apiVersion and kind are read by the manifest
 * reader, status is accepted and dropped as the API server does on create. */
#define TOP(T)                                                                 \
  FIELD ("apiVersion", T, metadata, FT_IGNORE),                                \
      FIELD ("kind", T, metadata, FT_IGNORE),                                  \
      FIELD ("status", T, metadata, FT_IGNORE),                                \
      FIELD_SUB ("metadata", T, metadata, FT_STRUCT, object_meta_desc)

#define T struct config_map
DESC (config_map, config_map, TOP (T), FIELD ("data", T, data, FT_STRMAP),
      FIELD ("binaryData", T, binary_data, FT_BYTESMAP),
      FIELD ("immutable", T, immutable, FT_BOOL));
#undef T

#define T struct secret
DESC (secret, secret, TOP (T), FIELD ("data", T, data, FT_BYTESMAP),
      FIELD ("stringData", T, string_data, FT_STRMAP),
      FIELD ("type", T, type, FT_STRING),
      FIELD ("immutable", T, immutable, FT_BOOL));
#undef T

#define T struct namespace_spec
SDESC (ns_spec, namespace_spec, FIELD_STRLIST ("finalizers", T, finalizers));
#undef T
#define T struct namespace_obj
DESC (namespace, namespace_obj, TOP (T),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, ns_spec_desc));
#undef T

#define T struct service_port
SDESC (svc_port, service_port, FIELD ("name", T, name, FT_STRING),
       FIELD ("protocol", T, protocol, FT_STRING),
       FIELD ("appProtocol", T, app_protocol, FT_STRING),
       FIELD_I32 ("port", T, port),
       FIELD ("targetPort", T, target_port, FT_INT_OR_STR),
       FIELD_I32 ("nodePort", T, node_port));
#undef T
#define T struct service_spec
SDESC (svc_spec, service_spec, FIELD_LIST ("ports", T, ports, svc_port_desc),
       FIELD ("selector", T, selector, FT_STRMAP),
       FIELD ("clusterIP", T, cluster_ip, FT_STRING),
       FIELD_STRLIST ("clusterIPs", T, cluster_ips),
       FIELD ("type", T, type, FT_STRING),
       FIELD_STRLIST ("externalIPs", T, external_ips),
       FIELD ("sessionAffinity", T, session_affinity, FT_STRING),
       FIELD ("loadBalancerIP", T, load_balancer_ip, FT_STRING),
       FIELD_STRLIST ("loadBalancerSourceRanges", T,
                      load_balancer_source_ranges),
       FIELD ("externalName", T, external_name, FT_STRING),
       FIELD ("externalTrafficPolicy", T, external_traffic_policy, FT_STRING),
       FIELD_I32 ("healthCheckNodePort", T, health_check_node_port),
       FIELD ("publishNotReadyAddresses", T, publish_not_ready_addresses,
              FT_BOOL),
       FIELD ("sessionAffinityConfig", T, session_affinity_config, FT_RAW),
       FIELD_STRLIST ("ipFamilies", T, ip_families),
       FIELD ("ipFamilyPolicy", T, ip_family_policy, FT_STRING),
       FIELD ("allocateLoadBalancerNodePorts", T,
              allocate_load_balancer_node_ports, FT_BOOL),
       FIELD ("loadBalancerClass", T, load_balancer_class, FT_STRING),
       FIELD ("internalTrafficPolicy", T, internal_traffic_policy, FT_STRING),
       FIELD ("trafficDistribution", T, traffic_distribution, FT_STRING));
#undef T
#define T struct service
DESC (service, service, TOP (T),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, svc_spec_desc));
#undef T

/* ---- batch ---- */

#define T struct pod_failure_policy_on_exit_codes
SDESC (pfp_exit, pod_failure_policy_on_exit_codes,
       FIELD ("containerName", T, container_name, FT_STRING),
       FIELD ("operator", T, operator, FT_STRING),
       FIELD_INTLIST ("values", T, values));
#undef T
#define T struct pod_failure_policy_on_pod_condition
SDESC (pfp_cond, pod_failure_policy_on_pod_condition,
       FIELD ("type", T, type, FT_STRING),
       FIELD ("status", T, status, FT_STRING));
#undef T
#define T struct pod_failure_policy_rule
SDESC (pfp_rule, pod_failure_policy_rule,
       FIELD ("action", T, action, FT_STRING),
       FIELD_SUB ("onExitCodes", T, on_exit_codes, FT_PTR, pfp_exit_desc),
       FIELD_LIST ("onPodConditions", T, on_pod_conditions, pfp_cond_desc));
#undef T
#define T struct pod_failure_policy
SDESC (pfp, pod_failure_policy, FIELD_LIST ("rules", T, rules, pfp_rule_desc));
#undef T

#define T struct job_spec
DESC (job_spec, job_spec, FIELD_I32 ("parallelism", T, parallelism),
      FIELD_I32 ("completions", T, completions),
      FIELD ("activeDeadlineSeconds", T, active_deadline_seconds, FT_INT),
      FIELD_SUB ("podFailurePolicy", T, pod_failure_policy, FT_PTR, pfp_desc),
      FIELD ("successPolicy", T, success_policy, FT_RAW),
      FIELD_I32 ("backoffLimit", T, backoff_limit),
      FIELD_I32 ("backoffLimitPerIndex", T, backoff_limit_per_index),
      FIELD_I32 ("maxFailedIndexes", T, max_failed_indexes),
      FIELD_SUB ("selector", T, selector, FT_PTR, label_selector_desc),
      FIELD ("manualSelector", T, manual_selector, FT_BOOL),
      FIELD_SUB ("template", T, template, FT_STRUCT, pod_template_spec_desc),
      FIELD_I32 ("ttlSecondsAfterFinished", T, ttl_seconds_after_finished),
      FIELD ("completionMode", T, completion_mode, FT_STRING),
      FIELD ("suspend", T, suspend, FT_BOOL),
      FIELD ("podReplacementPolicy", T, pod_replacement_policy, FT_STRING),
      FIELD ("managedBy", T, managed_by, FT_STRING));
#undef T
#define T struct job
DESC (job, job, TOP (T), FIELD_SUB ("spec", T, spec, FT_STRUCT, job_spec_desc));
#undef T

#define T struct job_template_spec
SDESC (job_template, job_template_spec,
       FIELD_SUB ("metadata", T, metadata, FT_STRUCT, object_meta_desc),
       FIELD_SUB ("spec", T, spec, FT_STRUCT, job_spec_desc));
#undef T
#define T struct cron_job_spec
SDESC (cron_spec, cron_job_spec, FIELD ("schedule", T, schedule, FT_STRING),
       FIELD ("timeZone", T, time_zone, FT_STRING),
       FIELD ("startingDeadlineSeconds", T, starting_deadline_seconds, FT_INT),
       FIELD ("concurrencyPolicy", T, concurrency_policy, FT_STRING),
       FIELD ("suspend", T, suspend, FT_BOOL),
       FIELD_SUB ("jobTemplate", T, job_template, FT_STRUCT, job_template_desc),
       FIELD_I32 ("successfulJobsHistoryLimit", T,
                  successful_jobs_history_limit),
       FIELD_I32 ("failedJobsHistoryLimit", T, failed_jobs_history_limit));
#undef T
#define T struct cron_job
DESC (cron_job, cron_job, TOP (T),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, cron_spec_desc));
#undef T

/* ---- apps: parsed and validated, not run yet ---- */

#define T struct workload_spec
#define WORKLOAD_COMMON                                                        \
  FIELD_I32 ("replicas", T, replicas),                                         \
      FIELD_SUB ("selector", T, selector, FT_PTR, label_selector_desc),        \
      FIELD_SUB ("template", T, template, FT_STRUCT, pod_template_spec_desc),  \
      FIELD_I32 ("minReadySeconds", T, min_ready_seconds),                     \
      FIELD_I32 ("revisionHistoryLimit", T, revision_history_limit)
SDESC (deploy_spec, workload_spec, WORKLOAD_COMMON,
       FIELD ("paused", T, paused, FT_BOOL),
       FIELD_I32 ("progressDeadlineSeconds", T, progress_deadline_seconds),
       FIELD ("strategy", T, strategy, FT_RAW));
SDESC (rs_spec, workload_spec, WORKLOAD_COMMON);
SDESC (sts_spec, workload_spec, WORKLOAD_COMMON,
       FIELD ("serviceName", T, service_name, FT_STRING),
       FIELD ("podManagementPolicy", T, pod_management_policy, FT_STRING),
       FIELD ("updateStrategy", T, update_strategy, FT_RAW),
       FIELD ("volumeClaimTemplates", T, volume_claim_templates, FT_RAW),
       FIELD ("persistentVolumeClaimRetentionPolicy", T,
              persistent_volume_claim_retention_policy, FT_RAW),
       FIELD ("ordinals", T, ordinals, FT_RAW));
#undef T
#define T struct workload
DESC (deployment, workload, TOP (T),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, deploy_spec_desc));
DESC (replica_set, workload, TOP (T),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, rs_spec_desc));
DESC (stateful_set, workload, TOP (T),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, sts_spec_desc));
#undef T
