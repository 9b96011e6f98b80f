/* types.h - the Kubernetes objects berth understands, as typed C structs.
 *
 * Field names follow the API's JSON names in snake case.  Optional scalars
 * carry a `set` flag (Go's pointer fields); optional sub-objects are pointers
 * that stay NULL when absent; lists are { items, len } pairs.  The layout of
 * each struct is described to the generic decoder, encoder and destructor in
 * schema_*.c, so a field added here must be added there too.
 */
#ifndef BERTH_TYPES_H
#define BERTH_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "quantity.h"

#define LIST_OF(T)                                                             \
  struct                                                                       \
  {                                                                            \
    T *items;                                                                  \
    size_t len;                                                                \
  }

struct opt_int
{
  bool set;
  int64_t v;
};

struct opt_bool
{
  bool set;
  bool v;
};

enum ios_type
{
  IOS_UNSET,
  IOS_INT,
  IOS_STRING,
};

struct int_or_string
{
  enum ios_type type;
  int64_t i;
  char *s;
};

/* string -> string, in source order */
struct strmap
{
  size_t len;
  char **keys;
  char **values;
};

/* string -> bytes (Secret data, ConfigMap binaryData), base64 in manifests */
struct bytesmap
{
  size_t len;
  char **keys;
  char **values; /* decoded bytes, NUL-terminated for convenience */
  size_t *lens;
};

/* resource name -> quantity (requests, limits) */
struct quantity_map
{
  size_t len;
  char **keys;
  struct quantity *values;
};

/* ---- metadata ---- */

struct object_meta
{
  char *name;
  char *generate_name;
  char *namespace;
  char *uid;
  char *resource_version;
  struct opt_int generation;
  char *creation_timestamp;
  char *deletion_timestamp;
  struct opt_int deletion_grace_period_seconds;
  struct strmap labels;
  struct strmap annotations;
  struct node *owner_references; /* kept verbatim */
  LIST_OF (char *) finalizers;
};

struct label_selector_requirement
{
  char *key;
  char *operator;
  LIST_OF (char *) values;
};

struct label_selector
{
  struct strmap match_labels;
  LIST_OF (struct label_selector_requirement) match_expressions;
};

/* ---- containers ---- */

struct key_selector /* configMapKeyRef, secretKeyRef */
{
  char *name;
  char *key;
  struct opt_bool optional;
};

struct object_field_selector
{
  char *api_version;
  char *field_path;
};

struct resource_field_selector
{
  char *container_name;
  char *resource;
  struct quantity *divisor;
};

struct env_var_source
{
  struct object_field_selector *field_ref;
  struct resource_field_selector *resource_field_ref;
  struct key_selector *config_map_key_ref;
  struct key_selector *secret_key_ref;
};

struct env_var
{
  char *name;
  char *value;
  bool value_set; /* value: "" is distinct from no value */
  struct env_var_source *value_from;
};

struct env_ref /* configMapRef, secretRef in envFrom */
{
  char *name;
  struct opt_bool optional;
};

struct env_from_source
{
  char *prefix;
  struct env_ref *config_map_ref;
  struct env_ref *secret_ref;
};

struct container_port
{
  char *name;
  struct opt_int host_port;
  struct opt_int container_port;
  char *protocol;
  char *host_ip;
};

struct resource_requirements
{
  struct quantity_map limits;
  struct quantity_map requests;
  struct node *claims;
};

struct volume_mount
{
  char *name;
  struct opt_bool read_only;
  char *recursive_read_only;
  char *mount_path;
  char *sub_path;
  char *sub_path_expr;
  char *mount_propagation;
};

struct exec_action
{
  LIST_OF (char *) command;
};

struct http_header
{
  char *name;
  char *value;
};

struct http_get_action
{
  char *path;
  struct int_or_string port;
  char *host;
  char *scheme;
  LIST_OF (struct http_header) http_headers;
};

struct tcp_socket_action
{
  struct int_or_string port;
  char *host;
};

struct grpc_action
{
  struct opt_int port;
  char *service;
  bool service_set;
};

struct sleep_action
{
  struct opt_int seconds;
};

struct probe
{
  struct exec_action *exec;
  struct http_get_action *http_get;
  struct tcp_socket_action *tcp_socket;
  struct grpc_action *grpc;
  struct opt_int initial_delay_seconds;
  struct opt_int timeout_seconds;
  struct opt_int period_seconds;
  struct opt_int success_threshold;
  struct opt_int failure_threshold;
  struct opt_int termination_grace_period_seconds;
};

struct lifecycle_handler
{
  struct exec_action *exec;
  struct http_get_action *http_get;
  struct tcp_socket_action *tcp_socket;
  struct sleep_action *sleep;
};

struct lifecycle
{
  struct lifecycle_handler *post_start;
  struct lifecycle_handler *pre_stop;
  char *stop_signal;
};

struct capabilities
{
  LIST_OF (char *) add;
  LIST_OF (char *) drop;
};

struct profile /* seccompProfile, appArmorProfile */
{
  char *type;
  char *localhost_profile;
};

struct security_context
{
  struct capabilities *capabilities;
  struct opt_bool privileged;
  struct node *se_linux_options;
  struct node *windows_options;
  struct opt_int run_as_user;
  struct opt_int run_as_group;
  struct opt_bool run_as_non_root;
  struct opt_bool read_only_root_filesystem;
  struct opt_bool allow_privilege_escalation;
  char *proc_mount;
  struct profile *seccomp_profile;
  struct profile *app_armor_profile;
};

struct container_resize_policy
{
  char *resource_name;
  char *restart_policy;
};

struct container
{
  char *name;
  char *image;
  LIST_OF (char *) command;
  LIST_OF (char *) args;
  char *working_dir;
  LIST_OF (struct container_port) ports;
  LIST_OF (struct env_from_source) env_from;
  LIST_OF (struct env_var) env;
  struct resource_requirements resources;
  LIST_OF (struct container_resize_policy) resize_policy;
  char *restart_policy; /* "Always" makes an init container a sidecar */
  LIST_OF (struct volume_mount) volume_mounts;
  struct node *volume_devices;
  struct probe *liveness_probe;
  struct probe *readiness_probe;
  struct probe *startup_probe;
  struct lifecycle *lifecycle;
  char *termination_message_path;
  char *termination_message_policy;
  char *image_pull_policy;
  struct security_context *security_context;
  struct opt_bool stdin_;
  struct opt_bool stdin_once;
  struct opt_bool tty;
};

/* ---- volumes ---- */

struct key_to_path
{
  char *key;
  char *path;
  struct opt_int mode;
};

struct empty_dir_source
{
  char *medium;
  struct quantity *size_limit;
};

struct host_path_source
{
  char *path;
  char *type;
  bool type_set;
};

struct config_map_source
{
  char *name;
  LIST_OF (struct key_to_path) items;
  struct opt_int default_mode;
  struct opt_bool optional;
};

struct secret_source
{
  char *secret_name;
  LIST_OF (struct key_to_path) items;
  struct opt_int default_mode;
  struct opt_bool optional;
};

struct downward_api_file
{
  char *path;
  struct object_field_selector *field_ref;
  struct resource_field_selector *resource_field_ref;
  struct opt_int mode;
};

struct downward_api_source
{
  LIST_OF (struct downward_api_file) items;
  struct opt_int default_mode;
};

struct config_map_projection
{
  char *name;
  LIST_OF (struct key_to_path) items;
  struct opt_bool optional;
};

struct secret_projection
{
  char *name;
  LIST_OF (struct key_to_path) items;
  struct opt_bool optional;
};

struct downward_api_projection
{
  LIST_OF (struct downward_api_file) items;
};

struct service_account_token_projection
{
  char *audience;
  struct opt_int expiration_seconds;
  char *path;
};

struct volume_projection
{
  struct secret_projection *secret;
  struct config_map_projection *config_map;
  struct downward_api_projection *downward_api;
  struct service_account_token_projection *service_account_token;
  struct node *cluster_trust_bundle;
};

struct projected_source
{
  LIST_OF (struct volume_projection) sources;
  struct opt_int default_mode;
};

struct pvc_source
{
  char *claim_name;
  struct opt_bool read_only;
};

struct volume
{
  char *name;
  struct empty_dir_source *empty_dir;
  struct host_path_source *host_path;
  struct config_map_source *config_map;
  struct secret_source *secret;
  struct downward_api_source *downward_api;
  struct projected_source *projected;
  struct pvc_source *persistent_volume_claim;
  /* Sources berth cannot provide on one node; kept to report them. */
  struct node *nfs;
  struct node *csi;
  struct node *ephemeral;
  struct node *image;
  struct node *iscsi;
};

/* ---- pod spec ---- */

struct node_selector_requirement
{
  char *key;
  char *operator;
  LIST_OF (char *) values;
};

struct node_selector_term
{
  LIST_OF (struct node_selector_requirement) match_expressions;
  LIST_OF (struct node_selector_requirement) match_fields;
};

struct node_selector
{
  LIST_OF (struct node_selector_term) node_selector_terms;
};

struct preferred_scheduling_term
{
  struct opt_int weight;
  struct node_selector_term preference;
};

struct node_affinity
{
  struct node_selector *required;
  LIST_OF (struct preferred_scheduling_term) preferred;
};

struct affinity
{
  struct node_affinity *node_affinity;
  struct node *pod_affinity;
  struct node *pod_anti_affinity;
};

struct toleration
{
  char *key;
  char *operator;
  char *value;
  char *effect;
  struct opt_int toleration_seconds;
};

struct host_alias
{
  char *ip;
  LIST_OF (char *) hostnames;
};

struct sysctl
{
  char *name;
  char *value;
};

struct pod_security_context
{
  struct node *se_linux_options;
  struct node *windows_options;
  struct opt_int run_as_user;
  struct opt_int run_as_group;
  struct opt_bool run_as_non_root;
  LIST_OF (int64_t) supplemental_groups;
  char *supplemental_groups_policy;
  struct opt_int fs_group;
  LIST_OF (struct sysctl) sysctls;
  char *fs_group_change_policy;
  struct profile *seccomp_profile;
  struct profile *app_armor_profile;
};

struct local_object_reference
{
  char *name;
};

struct pod_spec
{
  LIST_OF (struct volume) volumes;
  LIST_OF (struct container) init_containers;
  LIST_OF (struct container) containers;
  char *restart_policy;
  struct opt_int termination_grace_period_seconds;
  struct opt_int active_deadline_seconds;
  char *dns_policy;
  struct strmap node_selector;
  char *service_account_name;
  char *service_account;
  struct opt_bool automount_service_account_token;
  char *node_name;
  struct opt_bool host_network;
  struct opt_bool host_pid;
  struct opt_bool host_ipc;
  struct opt_bool share_process_namespace;
  struct pod_security_context *security_context;
  LIST_OF (struct local_object_reference) image_pull_secrets;
  char *hostname;
  char *subdomain;
  struct affinity *affinity;
  char *scheduler_name;
  LIST_OF (struct toleration) tolerations;
  LIST_OF (struct host_alias) host_aliases;
  char *priority_class_name;
  struct opt_int priority;
  struct node *dns_config;
  struct node *readiness_gates;
  char *runtime_class_name;
  struct opt_bool enable_service_links;
  char *preemption_policy;
  struct quantity_map overhead;
  struct node *topology_spread_constraints;
  struct node *os;
  struct opt_bool host_users;
  struct node *scheduling_gates;
  struct node *resource_claims;
  struct resource_requirements *resources; /* pod-level resources */
};

struct pod_template_spec
{
  struct object_meta metadata;
  struct pod_spec spec;
};

/* ---- kinds ---- */

struct pod
{
  struct object_meta metadata;
  struct pod_spec spec;
};

struct config_map
{
  struct object_meta metadata;
  struct strmap data;
  struct bytesmap binary_data;
  struct opt_bool immutable;
};

struct secret
{
  struct object_meta metadata;
  struct bytesmap data;
  struct strmap string_data;
  char *type;
  struct opt_bool immutable;
};

struct namespace_spec
{
  LIST_OF (char *) finalizers;
};

struct namespace_obj
{
  struct object_meta metadata;
  struct namespace_spec spec;
};

struct service_port
{
  char *name;
  char *protocol;
  char *app_protocol;
  struct opt_int port;
  struct int_or_string target_port;
  struct opt_int node_port;
};

struct service_spec
{
  LIST_OF (struct service_port) ports;
  struct strmap selector;
  char *cluster_ip;
  LIST_OF (char *) cluster_ips;
  char *type;
  LIST_OF (char *) external_ips;
  char *session_affinity;
  char *load_balancer_ip;
  LIST_OF (char *) load_balancer_source_ranges;
  char *external_name;
  char *external_traffic_policy;
  struct opt_int health_check_node_port;
  struct opt_bool publish_not_ready_addresses;
  struct node *session_affinity_config;
  LIST_OF (char *) ip_families;
  char *ip_family_policy;
  struct opt_bool allocate_load_balancer_node_ports;
  char *load_balancer_class;
  char *internal_traffic_policy;
  char *traffic_distribution;
};

struct service
{
  struct object_meta metadata;
  struct service_spec spec;
};

struct pod_failure_policy_on_exit_codes
{
  char *container_name;
  char *operator;
  LIST_OF (int64_t) values;
};

struct pod_failure_policy_on_pod_condition
{
  char *type;
  char *status;
};

struct pod_failure_policy_rule
{
  char *action;
  struct pod_failure_policy_on_exit_codes *on_exit_codes;
  LIST_OF (struct pod_failure_policy_on_pod_condition) on_pod_conditions;
};

struct pod_failure_policy
{
  LIST_OF (struct pod_failure_policy_rule) rules;
};

struct job_spec
{
  struct opt_int parallelism;
  struct opt_int completions;
  struct opt_int active_deadline_seconds;
  struct pod_failure_policy *pod_failure_policy;
  struct node *success_policy;
  struct opt_int backoff_limit;
  struct opt_int backoff_limit_per_index;
  struct opt_int max_failed_indexes;
  struct label_selector *selector;
  struct opt_bool manual_selector;
  struct pod_template_spec template;
  struct opt_int ttl_seconds_after_finished;
  char *completion_mode;
  struct opt_bool suspend;
  char *pod_replacement_policy;
  char *managed_by;
};

struct job
{
  struct object_meta metadata;
  struct job_spec spec;
};

struct job_template_spec
{
  struct object_meta metadata;
  struct job_spec spec;
};

struct cron_job_spec
{
  char *schedule;
  char *time_zone;
  struct opt_int starting_deadline_seconds;
  char *concurrency_policy;
  struct opt_bool suspend;
  struct job_template_spec job_template;
  struct opt_int successful_jobs_history_limit;
  struct opt_int failed_jobs_history_limit;
};

struct cron_job
{
  struct object_meta metadata;
  struct cron_job_spec spec;
};

/* Deployment, ReplicaSet and StatefulSet: parsed and validated
 * structurally (their pod template fully), not run yet. */
struct workload_spec
{
  struct opt_int replicas;
  struct label_selector *selector;
  struct pod_template_spec template;
  struct opt_int min_ready_seconds;
  struct opt_int revision_history_limit;
  struct opt_bool paused;
  struct opt_int progress_deadline_seconds;
  struct node *strategy;        /* Deployment */
  struct node *update_strategy; /* StatefulSet */
  char *service_name;           /* StatefulSet */
  char *pod_management_policy;  /* StatefulSet */
  struct node *volume_claim_templates;
  struct node *persistent_volume_claim_retention_policy;
  struct node *ordinals;
};

struct workload
{
  struct object_meta metadata;
  struct workload_spec spec;
};

#endif
