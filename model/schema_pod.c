/* schema_pod.c - descriptors of ObjectMeta, PodSpec and everything in it. */
#include "schema.h"

size_t
schema_elem_size (const struct field_desc *f)
{
  switch (f->elem)
    {
    case ELEM_STRING:
      return sizeof (char *);
    case ELEM_INT:
      return sizeof (int64_t);
    case ELEM_STRUCT:
      return f->sub->size;
    }
  return 0;
}

/* ---- metadata and selectors ---- */

#define T struct object_meta
DESC (object_meta, object_meta, FIELD ("name", T, name, FT_STRING),
      FIELD ("generateName", T, generate_name, FT_STRING),
      FIELD ("namespace", T, namespace, FT_STRING),
      FIELD ("uid", T, uid, FT_STRING),
      FIELD ("resourceVersion", T, resource_version, FT_STRING),
      FIELD ("generation", T, generation, FT_INT),
      FIELD ("creationTimestamp", T, creation_timestamp, FT_STRING),
      FIELD ("deletionTimestamp", T, deletion_timestamp, FT_STRING),
      FIELD ("deletionGracePeriodSeconds", T, deletion_grace_period_seconds,
             FT_INT),
      FIELD ("labels", T, labels, FT_STRMAP),
      FIELD ("annotations", T, annotations, FT_STRMAP),
      FIELD ("ownerReferences", T, owner_references, FT_RAW),
      FIELD_STRLIST ("finalizers", T, finalizers),
      FIELD ("managedFields", T, name, FT_IGNORE));
#undef T

#define T struct label_selector_requirement
SDESC (lsr, label_selector_requirement, FIELD ("key", T, key, FT_STRING),
       FIELD ("operator", T, operator, FT_STRING),
       FIELD_STRLIST ("values", T, values));
#undef T
#define T struct label_selector
DESC (label_selector, label_selector,
      FIELD ("matchLabels", T, match_labels, FT_STRMAP),
      FIELD_LIST ("matchExpressions", T, match_expressions, lsr_desc));
#undef T

/* ---- env ---- */

#define T struct key_selector
SDESC (key_selector, key_selector, FIELD ("name", T, name, FT_STRING),
       FIELD ("key", T, key, FT_STRING),
       FIELD ("optional", T, optional, FT_BOOL));
#undef T
#define T struct object_field_selector
SDESC (field_sel, object_field_selector,
       FIELD ("apiVersion", T, api_version, FT_STRING),
       FIELD ("fieldPath", T, field_path, FT_STRING));
#undef T
#define T struct resource_field_selector
SDESC (res_sel, resource_field_selector,
       FIELD ("containerName", T, container_name, FT_STRING),
       FIELD ("resource", T, resource, FT_STRING),
       FIELD ("divisor", T, divisor, FT_QUANTITY_PTR));
#undef T
#define T struct env_var_source
SDESC (env_source, env_var_source,
       FIELD_SUB ("fieldRef", T, field_ref, FT_PTR, field_sel_desc),
       FIELD_SUB ("resourceFieldRef", T, resource_field_ref, FT_PTR,
                  res_sel_desc),
       FIELD_SUB ("configMapKeyRef", T, config_map_key_ref, FT_PTR,
                  key_selector_desc),
       FIELD_SUB ("secretKeyRef", T, secret_key_ref, FT_PTR,
                  key_selector_desc));
#undef T
#define T struct env_var
SDESC (env_var, env_var, FIELD ("name", T, name, FT_STRING),
       FIELD_STRSET ("value", T, value, value_set),
       FIELD_SUB ("valueFrom", T, value_from, FT_PTR, env_source_desc));
#undef T
#define T struct env_ref
SDESC (env_ref, env_ref, FIELD ("name", T, name, FT_STRING),
       FIELD ("optional", T, optional, FT_BOOL));
#undef T
#define T struct env_from_source
SDESC (env_from, env_from_source, FIELD ("prefix", T, prefix, FT_STRING),
       FIELD_SUB ("configMapRef", T, config_map_ref, FT_PTR, env_ref_desc),
       FIELD_SUB ("secretRef", T, secret_ref, FT_PTR, env_ref_desc));
#undef T

/* ---- ports, resources, mounts ---- */

#define T struct container_port
SDESC (cport, container_port, FIELD ("name", T, name, FT_STRING),
       FIELD_I32 ("hostPort", T, host_port),
       FIELD_I32 ("containerPort", T, container_port),
       FIELD ("protocol", T, protocol, FT_STRING),
       FIELD ("hostIP", T, host_ip, FT_STRING));
#undef T
#define T struct resource_requirements
SDESC (resources, resource_requirements,
       FIELD ("limits", T, limits, FT_QUANTITY_MAP),
       FIELD ("requests", T, requests, FT_QUANTITY_MAP),
       FIELD ("claims", T, claims, FT_RAW));
#undef T
#define T struct volume_mount
SDESC (vmount, volume_mount, FIELD ("name", T, name, FT_STRING),
       FIELD ("readOnly", T, read_only, FT_BOOL),
       FIELD ("recursiveReadOnly", T, recursive_read_only, FT_STRING),
       FIELD ("mountPath", T, mount_path, FT_STRING),
       FIELD ("subPath", T, sub_path, FT_STRING),
       FIELD ("subPathExpr", T, sub_path_expr, FT_STRING),
       FIELD ("mountPropagation", T, mount_propagation, FT_STRING));
#undef T

/* ---- probes and hooks ---- */

#define T struct exec_action
SDESC (exec, exec_action, FIELD_STRLIST ("command", T, command));
#undef T
#define T struct http_header
SDESC (hheader, http_header, FIELD ("name", T, name, FT_STRING),
       FIELD ("value", T, value, FT_STRING));
#undef T
#define T struct http_get_action
SDESC (http_get, http_get_action, FIELD ("path", T, path, FT_STRING),
       FIELD ("port", T, port, FT_INT_OR_STR),
       FIELD ("host", T, host, FT_STRING),
       FIELD ("scheme", T, scheme, FT_STRING),
       FIELD_LIST ("httpHeaders", T, http_headers, hheader_desc));
#undef T
#define T struct tcp_socket_action
SDESC (tcp_socket, tcp_socket_action, FIELD ("port", T, port, FT_INT_OR_STR),
       FIELD ("host", T, host, FT_STRING));
#undef T
#define T struct grpc_action
SDESC (grpc, grpc_action, FIELD_I32 ("port", T, port),
       FIELD_STRSET ("service", T, service, service_set));
#undef T
#define T struct sleep_action
SDESC (sleep, sleep_action, FIELD ("seconds", T, seconds, FT_INT));
#undef T
#define T struct probe
SDESC (probe, probe, FIELD_SUB ("exec", T, exec, FT_PTR, exec_desc),
       FIELD_SUB ("httpGet", T, http_get, FT_PTR, http_get_desc),
       FIELD_SUB ("tcpSocket", T, tcp_socket, FT_PTR, tcp_socket_desc),
       FIELD_SUB ("grpc", T, grpc, FT_PTR, grpc_desc),
       FIELD_I32 ("initialDelaySeconds", T, initial_delay_seconds),
       FIELD_I32 ("timeoutSeconds", T, timeout_seconds),
       FIELD_I32 ("periodSeconds", T, period_seconds),
       FIELD_I32 ("successThreshold", T, success_threshold),
       FIELD_I32 ("failureThreshold", T, failure_threshold),
       FIELD ("terminationGracePeriodSeconds", T,
              termination_grace_period_seconds, FT_INT));
#undef T
#define T struct lifecycle_handler
SDESC (handler, lifecycle_handler,
       FIELD_SUB ("exec", T, exec, FT_PTR, exec_desc),
       FIELD_SUB ("httpGet", T, http_get, FT_PTR, http_get_desc),
       FIELD_SUB ("tcpSocket", T, tcp_socket, FT_PTR, tcp_socket_desc),
       FIELD_SUB ("sleep", T, sleep, FT_PTR, sleep_desc));
#undef T
#define T struct lifecycle
SDESC (lifecycle, lifecycle,
       FIELD_SUB ("postStart", T, post_start, FT_PTR, handler_desc),
       FIELD_SUB ("preStop", T, pre_stop, FT_PTR, handler_desc),
       FIELD ("stopSignal", T, stop_signal, FT_STRING));
#undef T

/* ---- security ---- */

#define T struct capabilities
SDESC (caps, capabilities, FIELD_STRLIST ("add", T, add),
       FIELD_STRLIST ("drop", T, drop));
#undef T
#define T struct profile
SDESC (profile, profile, FIELD ("type", T, type, FT_STRING),
       FIELD ("localhostProfile", T, localhost_profile, FT_STRING));
#undef T
#define T struct security_context
SDESC (sc, security_context,
       FIELD_SUB ("capabilities", T, capabilities, FT_PTR, caps_desc),
       FIELD ("privileged", T, privileged, FT_BOOL),
       FIELD ("seLinuxOptions", T, se_linux_options, FT_RAW),
       FIELD ("windowsOptions", T, windows_options, FT_RAW),
       FIELD ("runAsUser", T, run_as_user, FT_INT),
       FIELD ("runAsGroup", T, run_as_group, FT_INT),
       FIELD ("runAsNonRoot", T, run_as_non_root, FT_BOOL),
       FIELD ("readOnlyRootFilesystem", T, read_only_root_filesystem, FT_BOOL),
       FIELD ("allowPrivilegeEscalation", T, allow_privilege_escalation,
              FT_BOOL),
       FIELD ("procMount", T, proc_mount, FT_STRING),
       FIELD_SUB ("seccompProfile", T, seccomp_profile, FT_PTR, profile_desc),
       FIELD_SUB ("appArmorProfile", T, app_armor_profile, FT_PTR,
                  profile_desc));
#undef T
#define T struct container_resize_policy
SDESC (resize, container_resize_policy,
       FIELD ("resourceName", T, resource_name, FT_STRING),
       FIELD ("restartPolicy", T, restart_policy, FT_STRING));
#undef T

#define T struct container
DESC (container, container, FIELD ("name", T, name, FT_STRING),
      FIELD ("image", T, image, FT_STRING),
      FIELD_STRLIST ("command", T, command), FIELD_STRLIST ("args", T, args),
      FIELD ("workingDir", T, working_dir, FT_STRING),
      FIELD_LIST ("ports", T, ports, cport_desc),
      FIELD_LIST ("envFrom", T, env_from, env_from_desc),
      FIELD_LIST ("env", T, env, env_var_desc),
      FIELD_SUB ("resources", T, resources, FT_STRUCT, resources_desc),
      FIELD_LIST ("resizePolicy", T, resize_policy, resize_desc),
      FIELD ("restartPolicy", T, restart_policy, FT_STRING),
      FIELD_LIST ("volumeMounts", T, volume_mounts, vmount_desc),
      FIELD ("volumeDevices", T, volume_devices, FT_RAW),
      FIELD_SUB ("livenessProbe", T, liveness_probe, FT_PTR, probe_desc),
      FIELD_SUB ("readinessProbe", T, readiness_probe, FT_PTR, probe_desc),
      FIELD_SUB ("startupProbe", T, startup_probe, FT_PTR, probe_desc),
      FIELD_SUB ("lifecycle", T, lifecycle, FT_PTR, lifecycle_desc),
      FIELD ("terminationMessagePath", T, termination_message_path, FT_STRING),
      FIELD ("terminationMessagePolicy", T, termination_message_policy,
             FT_STRING),
      FIELD ("imagePullPolicy", T, image_pull_policy, FT_STRING),
      FIELD_SUB ("securityContext", T, security_context, FT_PTR, sc_desc),
      FIELD ("stdin", T, stdin_, FT_BOOL),
      FIELD ("stdinOnce", T, stdin_once, FT_BOOL),
      FIELD ("tty", T, tty, FT_BOOL));
#undef T

/* ---- volumes ---- */

#define T struct key_to_path
SDESC (ktp, key_to_path, FIELD ("key", T, key, FT_STRING),
       FIELD ("path", T, path, FT_STRING), FIELD_I32 ("mode", T, mode));
#undef T
#define T struct empty_dir_source
SDESC (empty_dir, empty_dir_source, FIELD ("medium", T, medium, FT_STRING),
       FIELD ("sizeLimit", T, size_limit, FT_QUANTITY_PTR));
#undef T
#define T struct host_path_source
SDESC (host_path, host_path_source, FIELD ("path", T, path, FT_STRING),
       FIELD_STRSET ("type", T, type, type_set));
#undef T
#define T struct config_map_source
SDESC (cm_vol, config_map_source, FIELD ("name", T, name, FT_STRING),
       FIELD_LIST ("items", T, items, ktp_desc),
       FIELD_I32 ("defaultMode", T, default_mode),
       FIELD ("optional", T, optional, FT_BOOL));
#undef T
#define T struct secret_source
SDESC (secret_vol, secret_source,
       FIELD ("secretName", T, secret_name, FT_STRING),
       FIELD_LIST ("items", T, items, ktp_desc),
       FIELD_I32 ("defaultMode", T, default_mode),
       FIELD ("optional", T, optional, FT_BOOL));
#undef T
#define T struct downward_api_file
SDESC (dapi_file, downward_api_file, FIELD ("path", T, path, FT_STRING),
       FIELD_SUB ("fieldRef", T, field_ref, FT_PTR, field_sel_desc),
       FIELD_SUB ("resourceFieldRef", T, resource_field_ref, FT_PTR,
                  res_sel_desc),
       FIELD_I32 ("mode", T, mode));
#undef T
#define T struct downward_api_source
SDESC (dapi_vol, downward_api_source,
       FIELD_LIST ("items", T, items, dapi_file_desc),
       FIELD_I32 ("defaultMode", T, default_mode));
#undef T
#define T struct config_map_projection
SDESC (cm_proj, config_map_projection, FIELD ("name", T, name, FT_STRING),
       FIELD_LIST ("items", T, items, ktp_desc),
       FIELD ("optional", T, optional, FT_BOOL));
#undef T
#define T struct secret_projection
SDESC (secret_proj, secret_projection, FIELD ("name", T, name, FT_STRING),
       FIELD_LIST ("items", T, items, ktp_desc),
       FIELD ("optional", T, optional, FT_BOOL));
#undef T
#define T struct downward_api_projection
SDESC (dapi_proj, downward_api_projection,
       FIELD_LIST ("items", T, items, dapi_file_desc));
#undef T
#define T struct service_account_token_projection
SDESC (sat_proj, service_account_token_projection,
       FIELD ("audience", T, audience, FT_STRING),
       FIELD ("expirationSeconds", T, expiration_seconds, FT_INT),
       FIELD ("path", T, path, FT_STRING));
#undef T
#define T struct volume_projection
SDESC (vproj, volume_projection,
       FIELD_SUB ("secret", T, secret, FT_PTR, secret_proj_desc),
       FIELD_SUB ("configMap", T, config_map, FT_PTR, cm_proj_desc),
       FIELD_SUB ("downwardAPI", T, downward_api, FT_PTR, dapi_proj_desc),
       FIELD_SUB ("serviceAccountToken", T, service_account_token, FT_PTR,
                  sat_proj_desc),
       FIELD ("clusterTrustBundle", T, cluster_trust_bundle, FT_RAW));
#undef T
#define T struct projected_source
SDESC (projected, projected_source,
       FIELD_LIST ("sources", T, sources, vproj_desc),
       FIELD_I32 ("defaultMode", T, default_mode));
#undef T
#define T struct pvc_source
SDESC (pvc_vol, pvc_source, FIELD ("claimName", T, claim_name, FT_STRING),
       FIELD ("readOnly", T, read_only, FT_BOOL));
#undef T
#define T struct volume
SDESC (volume, volume, FIELD ("name", T, name, FT_STRING),
       FIELD_SUB ("emptyDir", T, empty_dir, FT_PTR, empty_dir_desc),
       FIELD_SUB ("hostPath", T, host_path, FT_PTR, host_path_desc),
       FIELD_SUB ("configMap", T, config_map, FT_PTR, cm_vol_desc),
       FIELD_SUB ("secret", T, secret, FT_PTR, secret_vol_desc),
       FIELD_SUB ("downwardAPI", T, downward_api, FT_PTR, dapi_vol_desc),
       FIELD_SUB ("projected", T, projected, FT_PTR, projected_desc),
       FIELD_SUB ("persistentVolumeClaim", T, persistent_volume_claim, FT_PTR,
                  pvc_vol_desc),
       FIELD ("nfs", T, nfs, FT_RAW), FIELD ("csi", T, csi, FT_RAW),
       FIELD ("ephemeral", T, ephemeral, FT_RAW),
       FIELD ("image", T, image, FT_RAW), FIELD ("iscsi", T, iscsi, FT_RAW));
#undef T

/* ---- scheduling ---- */

#define T struct node_selector_requirement
SDESC (nsr, node_selector_requirement, FIELD ("key", T, key, FT_STRING),
       FIELD ("operator", T, operator, FT_STRING),
       FIELD_STRLIST ("values", T, values));
#undef T
#define T struct node_selector_term
SDESC (nsterm, node_selector_term,
       FIELD_LIST ("matchExpressions", T, match_expressions, nsr_desc),
       FIELD_LIST ("matchFields", T, match_fields, nsr_desc));
#undef T
#define T struct node_selector
SDESC (nsel, node_selector,
       FIELD_LIST ("nodeSelectorTerms", T, node_selector_terms, nsterm_desc));
#undef T
#define T struct preferred_scheduling_term
SDESC (pst, preferred_scheduling_term, FIELD_I32 ("weight", T, weight),
       FIELD_SUB ("preference", T, preference, FT_STRUCT, nsterm_desc));
#undef T
#define T struct node_affinity
SDESC (naff, node_affinity,
       FIELD_SUB ("requiredDuringSchedulingIgnoredDuringExecution", T, required,
                  FT_PTR, nsel_desc),
       FIELD_LIST ("preferredDuringSchedulingIgnoredDuringExecution", T,
                   preferred, pst_desc));
#undef T
#define T struct affinity
SDESC (affinity, affinity,
       FIELD_SUB ("nodeAffinity", T, node_affinity, FT_PTR, naff_desc),
       FIELD ("podAffinity", T, pod_affinity, FT_RAW),
       FIELD ("podAntiAffinity", T, pod_anti_affinity, FT_RAW));
#undef T
#define T struct toleration
SDESC (toleration, toleration, FIELD ("key", T, key, FT_STRING),
       FIELD ("operator", T, operator, FT_STRING),
       FIELD ("value", T, value, FT_STRING),
       FIELD ("effect", T, effect, FT_STRING),
       FIELD ("tolerationSeconds", T, toleration_seconds, FT_INT));
#undef T
#define T struct host_alias
SDESC (host_alias, host_alias, FIELD ("ip", T, ip, FT_STRING),
       FIELD_STRLIST ("hostnames", T, hostnames));
#undef T
#define T struct sysctl
SDESC (sysctl, sysctl, FIELD ("name", T, name, FT_STRING),
       FIELD ("value", T, value, FT_STRING));
#undef T
#define T struct pod_security_context
SDESC (psc, pod_security_context,
       FIELD ("seLinuxOptions", T, se_linux_options, FT_RAW),
       FIELD ("windowsOptions", T, windows_options, FT_RAW),
       FIELD ("runAsUser", T, run_as_user, FT_INT),
       FIELD ("runAsGroup", T, run_as_group, FT_INT),
       FIELD ("runAsNonRoot", T, run_as_non_root, FT_BOOL),
       FIELD_INTLIST ("supplementalGroups", T, supplemental_groups),
       FIELD ("supplementalGroupsPolicy", T, supplemental_groups_policy,
              FT_STRING),
       FIELD ("fsGroup", T, fs_group, FT_INT),
       FIELD_LIST ("sysctls", T, sysctls, sysctl_desc),
       FIELD ("fsGroupChangePolicy", T, fs_group_change_policy, FT_STRING),
       FIELD_SUB ("seccompProfile", T, seccomp_profile, FT_PTR, profile_desc),
       FIELD_SUB ("appArmorProfile", T, app_armor_profile, FT_PTR,
                  profile_desc));
#undef T
#define T struct local_object_reference
SDESC (lor, local_object_reference, FIELD ("name", T, name, FT_STRING));
#undef T

#define T struct pod_spec
DESC (pod_spec, pod_spec, FIELD_LIST ("volumes", T, volumes, volume_desc),
      FIELD_LIST ("initContainers", T, init_containers, container_desc),
      FIELD_LIST ("containers", T, containers, container_desc),
      FIELD ("ephemeralContainers", T, volumes, FT_IGNORE),
      FIELD ("restartPolicy", T, restart_policy, FT_STRING),
      FIELD ("terminationGracePeriodSeconds", T,
             termination_grace_period_seconds, FT_INT),
      FIELD ("activeDeadlineSeconds", T, active_deadline_seconds, FT_INT),
      FIELD ("dnsPolicy", T, dns_policy, FT_STRING),
      FIELD ("nodeSelector", T, node_selector, FT_STRMAP),
      FIELD ("serviceAccountName", T, service_account_name, FT_STRING),
      FIELD ("serviceAccount", T, service_account, FT_STRING),
      FIELD ("automountServiceAccountToken", T, automount_service_account_token,
             FT_BOOL),
      FIELD ("nodeName", T, node_name, FT_STRING),
      FIELD ("hostNetwork", T, host_network, FT_BOOL),
      FIELD ("hostPID", T, host_pid, FT_BOOL),
      FIELD ("hostIPC", T, host_ipc, FT_BOOL),
      FIELD ("shareProcessNamespace", T, share_process_namespace, FT_BOOL),
      FIELD_SUB ("securityContext", T, security_context, FT_PTR, psc_desc),
      FIELD_LIST ("imagePullSecrets", T, image_pull_secrets, lor_desc),
      FIELD ("hostname", T, hostname, FT_STRING),
      FIELD ("subdomain", T, subdomain, FT_STRING),
      FIELD_SUB ("affinity", T, affinity, FT_PTR, affinity_desc),
      FIELD ("schedulerName", T, scheduler_name, FT_STRING),
      FIELD_LIST ("tolerations", T, tolerations, toleration_desc),
      FIELD_LIST ("hostAliases", T, host_aliases, host_alias_desc),
      FIELD ("priorityClassName", T, priority_class_name, FT_STRING),
      FIELD_I32 ("priority", T, priority),
      FIELD ("dnsConfig", T, dns_config, FT_RAW),
      FIELD ("readinessGates", T, readiness_gates, FT_RAW),
      FIELD ("runtimeClassName", T, runtime_class_name, FT_STRING),
      FIELD ("enableServiceLinks", T, enable_service_links, FT_BOOL),
      FIELD ("preemptionPolicy", T, preemption_policy, FT_STRING),
      FIELD ("overhead", T, overhead, FT_QUANTITY_MAP),
      FIELD ("topologySpreadConstraints", T, topology_spread_constraints,
             FT_RAW),
      FIELD ("os", T, os, FT_RAW), FIELD ("hostUsers", T, host_users, FT_BOOL),
      FIELD ("schedulingGates", T, scheduling_gates, FT_RAW),
      FIELD ("resourceClaims", T, resource_claims, FT_RAW),
      FIELD_SUB ("resources", T, resources, FT_PTR, resources_desc));
#undef T

#define T struct pod_template_spec
DESC (pod_template_spec, pod_template_spec,
      FIELD_SUB ("metadata", T, metadata, FT_STRUCT, object_meta_desc),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, pod_spec_desc));
#undef T

#define T struct pod
DESC (pod, pod, FIELD ("apiVersion", T, metadata, FT_IGNORE),
      FIELD ("kind", T, metadata, FT_IGNORE),
      FIELD_SUB ("metadata", T, metadata, FT_STRUCT, object_meta_desc),
      FIELD_SUB ("spec", T, spec, FT_STRUCT, pod_spec_desc),
      FIELD ("status", T, metadata, FT_IGNORE));
#undef T
