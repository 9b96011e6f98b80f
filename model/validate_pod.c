/* validate_pod.c - PodSpec validation as the API server does it
 * (k8s.io/kubernetes pkg/apis/core/validation: ValidatePodSpec and the
 * functions it calls), for the fields berth models. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "kinds.h"
#include "sysctl_ns.h"
#include "validation.h"

static const char *const restart_policies[]
    = { "Always", "OnFailure", "Never", NULL };
static const char *const protocols[] = { "SCTP", "TCP", "UDP", NULL };

/* The names of the pod's volumes, to check mounts against. */
struct volume_names
{
  const struct volume *items;
  size_t len;
};

static bool
has_volume (const struct volume_names *vols, const char *name)
{
  for (size_t i = 0; name && i < vols->len; i++)
    if (vols->items[i].name && strcmp (vols->items[i].name, name) == 0)
      return true;
  return false;
}

static void
v_port_number (struct vctx *v, const char *field, int64_t port)
{
  if (port < 1 || port > 65535)
    v_invalid_int (v, field, port, "must be between 1 and 65535, inclusive");
}

static void
v_int_or_name_port (struct vctx *v, const char *field,
                    const struct int_or_string *p)
{
  if (p->type == IOS_UNSET)
    v_required (v, field, NULL);
  else if (p->type == IOS_INT)
    v_port_number (v, field, p->i);
  else if (check_iana_svc_name (p->s))
    v_invalid (v, field, p->s, "%s", check_iana_svc_name (p->s));
}

/* ---- env ---- */

static const char *const field_paths[] = { "metadata.name",
                                           "metadata.namespace",
                                           "metadata.uid",
                                           "spec.nodeName",
                                           "spec.serviceAccountName",
                                           "status.hostIP",
                                           "status.hostIPs",
                                           "status.podIP",
                                           "status.podIPs",
                                           NULL };
static const char *const resource_refs[] = { "limits.cpu",
                                             "limits.memory",
                                             "limits.ephemeral-storage",
                                             "requests.cpu",
                                             "requests.memory",
                                             "requests.ephemeral-storage",
                                             NULL };

static void
v_field_ref (struct vctx *v, const struct object_field_selector *f,
             bool in_volume)
{
  size_t mark = VPUSH (v, "fieldRef");
  const char *p = f->field_path;
  if (p == NULL || *p == '\0')
    v_required (v, "fieldPath", NULL);
  else if (strcmp (f->api_version, "v1") != 0)
    v_unsupported (v, "apiVersion", f->api_version,
                   (const char *const[]){ "v1", NULL });
  else if (strncmp (p, "metadata.labels['", 17) == 0
           || strncmp (p, "metadata.annotations['", 22) == 0)
    {
      const char *open = strchr (p, '\'');
      size_t len = strlen (p);
      if (len < 3 || p[len - 1] != ']' || p[len - 2] != '\''
          || open == p + len - 2)
        v_invalid (v, "fieldPath", p, "error converting fieldPath");
    }
  else if (in_volume
           && (strcmp (p, "metadata.labels") == 0
               || strcmp (p, "metadata.annotations") == 0))
    ;
  else if (!str_in (p, field_paths))
    {
      if (in_volume)
        v_unsupported (
            v, "fieldPath", p,
            (const char *const[]){ "metadata.annotations", "metadata.labels",
                                   "metadata.name", "metadata.namespace",
                                   "metadata.uid", NULL });
      else
        v_unsupported (v, "fieldPath", p, field_paths);
    }
  VPOP (v, mark);
}

static void
v_resource_ref (struct vctx *v, const struct resource_field_selector *r,
                bool in_volume)
{
  size_t mark = VPUSH (v, "resourceFieldRef");
  if (r->resource == NULL || *r->resource == '\0')
    v_required (v, "resource", NULL);
  else if (!str_in (r->resource, resource_refs)
           && strncmp (r->resource, "limits.hugepages-", 17) != 0
           && strncmp (r->resource, "requests.hugepages-", 19) != 0)
    v_unsupported (v, "resource", r->resource, resource_refs);
  if (in_volume && (r->container_name == NULL || !*r->container_name))
    v_required (v, "containerName", NULL);
  if (r->divisor && quantity_is_negative (r->divisor))
    v_error (v, "divisor", "Invalid value: must be a positive quantity");
  VPOP (v, mark);
}

static void
v_key_selector (struct vctx *v, const char *field, const struct key_selector *k)
{
  size_t mark = VPUSH (v, field);
  if (k->name == NULL || *k->name == '\0')
    v_required (v, "name", NULL);
  if (k->key == NULL || *k->key == '\0')
    v_required (v, "key", NULL);
  else if (check_config_map_key (k->key))
    v_invalid (v, "key", k->key, "%s", check_config_map_key (k->key));
  VPOP (v, mark);
}

static void
v_env_var (struct vctx *v, const struct env_var *e)
{
  const struct env_var_source *s = e->value_from;
  if (e->name == NULL || *e->name == '\0')
    v_required (v, "name", NULL);
  else if (check_env_var_name (e->name))
    v_invalid (v, "name", e->name, "%s", check_env_var_name (e->name));
  if (s == NULL)
    return;
  if (e->value && *e->value)
    {
      v_invalid (v, "valueFrom", "",
                 "may not be specified when `value` is not empty");
      return;
    }
  {
    size_t mark = VPUSH (v, "valueFrom");
    int n = (s->field_ref != NULL) + (s->resource_field_ref != NULL)
            + (s->config_map_key_ref != NULL) + (s->secret_key_ref != NULL);
    if (n == 0)
      v_invalid (v, NULL, "",
                 "must specify one of: `fieldRef`, "
                 "`resourceFieldRef`, `configMapKeyRef` or "
                 "`secretKeyRef`");
    else if (n > 1)
      v_invalid (v, NULL, "",
                 "may not have more than one field specified at "
                 "a time");
    else if (s->field_ref)
      v_field_ref (v, s->field_ref, false);
    else if (s->resource_field_ref)
      v_resource_ref (v, s->resource_field_ref, false);
    else if (s->config_map_key_ref)
      v_key_selector (v, "configMapKeyRef", s->config_map_key_ref);
    else
      v_key_selector (v, "secretKeyRef", s->secret_key_ref);
    VPOP (v, mark);
  }
}

static void
v_env (struct vctx *v, const struct container *c)
{
  size_t mark = VPUSH (v, "env");
  for (size_t i = 0; i < c->env.len; i++)
    {
      size_t m2 = VPUSH_INDEX (v, i);
      v_env_var (v, &c->env.items[i]);
      VPOP (v, m2);
    }
  VPOP (v, mark);
  mark = VPUSH (v, "envFrom");
  for (size_t i = 0; i < c->env_from.len; i++)
    {
      const struct env_from_source *e = &c->env_from.items[i];
      size_t m2 = VPUSH_INDEX (v, i);
      if (e->prefix && *e->prefix && check_env_var_name (e->prefix))
        v_invalid (v, "prefix", e->prefix, "%s",
                   check_env_var_name (e->prefix));
      if ((e->config_map_ref != NULL) + (e->secret_ref != NULL) != 1)
        v_invalid (v, NULL, "",
                   "must specify one of: `configMapRef` or "
                   "`secretRef`");
      else if (e->config_map_ref
               && (e->config_map_ref->name == NULL
                   || !*e->config_map_ref->name))
        v_required (v, "configMapRef.name", NULL);
      else if (e->secret_ref
               && (e->secret_ref->name == NULL || !*e->secret_ref->name))
        v_required (v, "secretRef.name", NULL);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

/* ---- resources ---- */

static bool
is_standard_resource (const char *name)
{
  static const char *const names[]
      = { "cpu", "memory", "ephemeral-storage", NULL };
  return str_in (name, names) || strncmp (name, "hugepages-", 10) == 0;
}

static void
v_resource_map (struct vctx *v, const char *field, const struct quantity_map *m)
{
  size_t mark = VPUSH (v, field);
  for (size_t i = 0; i < m->len; i++)
    {
      const char *name = m->keys[i];
      size_t m2 = VPUSH (v, name);
      if (!is_standard_resource (name))
        {
          if (check_qualified_name (name))
            v_invalid (v, NULL, name, "%s", check_qualified_name (name));
          else if (strchr (name, '/') == NULL)
            v_invalid (v, NULL, name,
                       "must be a standard resource type or fully "
                       "qualified");
        }
      if (quantity_is_negative (&m->values[i]))
        {
          char *s = quantity_format (&m->values[i]);
          v_invalid (v, NULL, s, "must be greater than or equal to 0");
          free (s);
        }
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

void
v_resources (struct vctx *v, const struct resource_requirements *r)
{
  size_t mark = VPUSH (v, "resources");
  v_resource_map (v, "limits", &r->limits);
  v_resource_map (v, "requests", &r->requests);
  for (size_t i = 0; i < r->requests.len; i++)
    {
      const char *name = r->requests.keys[i];
      const struct quantity *req = &r->requests.values[i];
      const struct quantity *lim = quantity_map_get (&r->limits, name);
      size_t m2 = VPUSH (v, "requests");
      if (lim && quantity_cmp (req, lim) > 0)
        {
          char *rs = quantity_format (req), *ls = quantity_format (lim);
          v_invalid (v, name, rs,
                     "must be less than or equal to %s limit of %s", name, ls);
          free (rs);
          free (ls);
        }
      else if (!is_standard_resource (name) && strchr (name, '/') != NULL
               && (lim == NULL || quantity_cmp (req, lim) != 0))
        v_invalid (v, name, "", "must be equal to %s limit", name);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

/* ---- probes, hooks ---- */

static int
v_handlers (struct vctx *v, const struct exec_action *exec,
            const struct http_get_action *http,
            const struct tcp_socket_action *tcp, const struct grpc_action *grpc,
            const struct sleep_action *sleep)
{
  int n = (exec != NULL) + (http != NULL) + (tcp != NULL) + (grpc != NULL)
          + (sleep != NULL);
  if (n == 0)
    v_required (v, NULL, "must specify a handler type");
  else if (n > 1)
    v_forbidden (v, NULL, "may not specify more than 1 handler type");
  if (n != 1)
    return -1;
  if (exec && exec->command.len == 0)
    v_required (v, "exec.command", NULL);
  if (http)
    {
      static const char *const schemes[] = { "HTTP", "HTTPS", NULL };
      size_t mark = VPUSH (v, "httpGet");
      v_int_or_name_port (v, "port", &http->port);
      if (!str_in (http->scheme, schemes))
        v_unsupported (v, "scheme", http->scheme, schemes);
      for (size_t i = 0; i < http->http_headers.len; i++)
        {
          const char *name = http->http_headers.items[i].name;
          size_t m2 = VPUSH (v, "httpHeaders");
          size_t m3 = VPUSH_INDEX (v, i);
          if (name == NULL || *name == '\0' || strpbrk (name, " :\t\r\n"))
            v_invalid (v, "name", name,
                       "a valid HTTP header must consist of "
                       "alphanumeric characters or '-'");
          VPOP (v, m3);
          VPOP (v, m2);
        }
      VPOP (v, mark);
    }
  if (tcp)
    {
      size_t mark = VPUSH (v, "tcpSocket");
      v_int_or_name_port (v, "port", &tcp->port);
      VPOP (v, mark);
    }
  if (grpc)
    {
      size_t mark = VPUSH (v, "grpc");
      if (!grpc->port.set)
        v_required (v, "port", NULL);
      else
        v_port_number (v, "port", grpc->port.v);
      VPOP (v, mark);
    }
  if (sleep && sleep->seconds.set && sleep->seconds.v < 0)
    v_invalid_int (v, "sleep.seconds", sleep->seconds.v,
                   "must be greater than or equal to 0");
  return 0;
}

static void
v_probe (struct vctx *v, const char *field, const struct probe *p,
         bool single_success)
{
  size_t mark;
  if (p == NULL)
    return;
  mark = VPUSH (v, field);
  v_handlers (v, p->exec, p->http_get, p->tcp_socket, p->grpc, NULL);
  v_non_negative (v, "initialDelaySeconds", &p->initial_delay_seconds);
  v_non_negative (v, "timeoutSeconds", &p->timeout_seconds);
  v_non_negative (v, "periodSeconds", &p->period_seconds);
  v_non_negative (v, "successThreshold", &p->success_threshold);
  v_non_negative (v, "failureThreshold", &p->failure_threshold);
  if (single_success && p->success_threshold.v != 1)
    v_invalid_int (v, "successThreshold", p->success_threshold.v, "must be 1");
  if (p->termination_grace_period_seconds.set
      && p->termination_grace_period_seconds.v <= 0)
    v_invalid_int (v, "terminationGracePeriodSeconds",
                   p->termination_grace_period_seconds.v,
                   "must be greater than 0");
  VPOP (v, mark);
}

static void
v_lifecycle (struct vctx *v, const struct lifecycle *l)
{
  size_t mark = VPUSH (v, "lifecycle");
  const struct lifecycle_handler *hs[2] = { l->post_start, l->pre_stop };
  const char *names[2] = { "postStart", "preStop" };
  for (int i = 0; i < 2; i++)
    if (hs[i])
      {
        size_t m2 = VPUSH (v, names[i]);
        v_handlers (v, hs[i]->exec, hs[i]->http_get, hs[i]->tcp_socket, NULL,
                    hs[i]->sleep);
        VPOP (v, m2);
      }
  VPOP (v, mark);
}

/* ---- security ---- */

static void
v_profile (struct vctx *v, const char *field, const struct profile *p)
{
  static const char *const types[]
      = { "Localhost", "RuntimeDefault", "Unconfined", NULL };
  size_t mark;
  if (p == NULL)
    return;
  mark = VPUSH (v, field);
  if (p->type == NULL || *p->type == '\0')
    v_required (v, "type", NULL);
  else if (!str_in (p->type, types))
    v_unsupported (v, "type", p->type, types);
  else if (strcmp (p->type, "Localhost") == 0
           && (p->localhost_profile == NULL || !*p->localhost_profile))
    v_required (v, "localhostProfile",
                "must be set when seccomp type is Localhost");
  else if (strcmp (p->type, "Localhost") != 0 && p->localhost_profile)
    v_invalid (v, "localhostProfile", p->localhost_profile,
               "can only be set when seccomp type is Localhost");
  VPOP (v, mark);
}

static void
v_id (struct vctx *v, const char *field, const struct opt_int *id)
{
  if (id->set && (id->v < 0 || id->v > INT32_MAX))
    v_invalid_int (v, field, id->v,
                   "must be between 0 and 2147483647, "
                   "inclusive");
}

static void
v_security_context (struct vctx *v, const struct security_context *sc)
{
  static const char *const proc_mounts[] = { "Default", "Unmasked", NULL };
  size_t mark = VPUSH (v, "securityContext");
  v_id (v, "runAsUser", &sc->run_as_user);
  v_id (v, "runAsGroup", &sc->run_as_group);
  if (sc->proc_mount && !str_in (sc->proc_mount, proc_mounts))
    v_unsupported (v, "procMount", sc->proc_mount, proc_mounts);
  if (sc->allow_privilege_escalation.set && !sc->allow_privilege_escalation.v)
    {
      if (sc->privileged.set && sc->privileged.v)
        v_invalid (v, NULL, "",
                   "cannot set `allowPrivilegeEscalation` to "
                   "false and `privileged` to true");
      for (size_t i = 0; sc->capabilities && i < sc->capabilities->add.len; i++)
        if (strcmp (sc->capabilities->add.items[i], "SYS_ADMIN") == 0
            || strcmp (sc->capabilities->add.items[i], "CAP_SYS_ADMIN") == 0)
          v_invalid (v, NULL, "",
                     "cannot set `allowPrivilegeEscalation` to "
                     "false and `capabilities.Add` CAP_SYS_ADMIN");
    }
  v_profile (v, "seccompProfile", sc->seccomp_profile);
  v_profile (v, "appArmorProfile", sc->app_armor_profile);
  VPOP (v, mark);
}

/* ---- containers ---- */

static void
v_ports (struct vctx *v, const struct container *c)
{
  size_t mark = VPUSH (v, "ports");
  for (size_t i = 0; i < c->ports.len; i++)
    {
      const struct container_port *p = &c->ports.items[i];
      size_t m2 = VPUSH_INDEX (v, i);
      if (p->name && *p->name)
        {
          if (check_iana_svc_name (p->name))
            v_invalid (v, "name", p->name, "%s", check_iana_svc_name (p->name));
          for (size_t j = 0; j < i; j++)
            if (c->ports.items[j].name
                && strcmp (c->ports.items[j].name, p->name) == 0)
              {
                v_duplicate (v, "name", p->name);
                break;
              }
        }
      if (!p->container_port.set || p->container_port.v == 0)
        v_required (v, "containerPort", NULL);
      else
        v_port_number (v, "containerPort", p->container_port.v);
      if (p->host_port.set && p->host_port.v != 0)
        v_port_number (v, "hostPort", p->host_port.v);
      if (!str_in (p->protocol, protocols))
        v_unsupported (v, "protocol", p->protocol, protocols);
      if (p->host_ip && *p->host_ip && !is_ip_address (p->host_ip))
        v_invalid (v, "hostIP", p->host_ip, "must be a valid IP address");
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static bool
path_has_dotdot (const char *p)
{
  const char *s = p;
  while ((s = strstr (s, "..")) != NULL)
    {
      if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
        return true;
      s += 2;
    }
  return false;
}

static void
v_mounts (struct vctx *v, const struct container *c,
          const struct volume_names *vols)
{
  size_t mark = VPUSH (v, "volumeMounts");
  for (size_t i = 0; i < c->volume_mounts.len; i++)
    {
      const struct volume_mount *m = &c->volume_mounts.items[i];
      size_t m2 = VPUSH_INDEX (v, i);
      if (m->name == NULL || *m->name == '\0')
        v_required (v, "name", NULL);
      else if (!has_volume (vols, m->name))
        v_error (v, "name", "Not found: \"%s\"", m->name);
      if (m->mount_path == NULL || *m->mount_path == '\0')
        v_required (v, "mountPath", NULL);
      else
        for (size_t j = 0; j < i; j++)
          if (c->volume_mounts.items[j].mount_path
              && strcmp (c->volume_mounts.items[j].mount_path, m->mount_path)
                     == 0)
            {
              v_invalid (v, "mountPath", m->mount_path, "must be unique");
              break;
            }
      if (m->sub_path && *m->sub_path)
        {
          if (m->sub_path[0] == '/')
            v_invalid (v, "subPath", m->sub_path, "must be a relative path");
          else if (path_has_dotdot (m->sub_path))
            v_invalid (v, "subPath", m->sub_path, "must not contain '..'");
        }
      if (m->sub_path && *m->sub_path && m->sub_path_expr && *m->sub_path_expr)
        v_invalid (v, "subPathExpr", m->sub_path_expr,
                   "subPathExpr and subPath are mutually exclusive");
      if (m->mount_propagation
          && !str_in (m->mount_propagation,
                      (const char *const[]){ "None", "HostToContainer",
                                             "Bidirectional", NULL }))
        v_unsupported (v, "mountPropagation", m->mount_propagation,
                       (const char *const[]){ "None", "HostToContainer",
                                              "Bidirectional", NULL });
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

/* Checks common to init, sidecar and app containers. */
static void
v_container_common (struct vctx *v, const struct container *c,
                    const struct volume_names *vols)
{
  static const char *const pull[] = { "Always", "IfNotPresent", "Never", NULL };
  static const char *const msg_policies[]
      = { "File", "FallbackToLogsOnError", NULL };

  if (c->name == NULL || *c->name == '\0')
    v_required (v, "name", NULL);
  else if (check_dns1123_label (c->name))
    v_invalid (v, "name", c->name, "%s", check_dns1123_label (c->name));
  if (c->image == NULL || *c->image == '\0')
    v_required (v, "image", NULL);
  else if (strspn (c->image, " \t") > 0
           || (strlen (c->image) > 0
               && strchr (" \t", c->image[strlen (c->image) - 1])))
    v_invalid (v, "image", c->image,
               "must not have leading or trailing whitespace");
  if (!str_in (c->image_pull_policy, pull))
    v_unsupported (v, "imagePullPolicy", c->image_pull_policy, pull);
  if (!str_in (c->termination_message_policy, msg_policies))
    v_unsupported (v, "terminationMessagePolicy", c->termination_message_policy,
                   msg_policies);
  v_ports (v, c);
  v_env (v, c);
  v_mounts (v, c, vols);
  v_resources (v, &c->resources);
  if (c->security_context)
    v_security_context (v, c->security_context);
}

static void
v_app_container (struct vctx *v, const struct container *c,
                 const struct volume_names *vols)
{
  v_container_common (v, c, vols);
  v_probe (v, "livenessProbe", c->liveness_probe, true);
  v_probe (v, "readinessProbe", c->readiness_probe, false);
  v_probe (v, "startupProbe", c->startup_probe, true);
  if (c->readiness_probe
      && c->readiness_probe->termination_grace_period_seconds.set)
    v_invalid_int (v, "readinessProbe.terminationGracePeriodSeconds",
                   c->readiness_probe->termination_grace_period_seconds.v,
                   "must not be set for readinessProbes");
  if (c->lifecycle)
    v_lifecycle (v, c->lifecycle);
  if (c->restart_policy)
    v_forbidden (v, "restartPolicy", "may not be set for non-init containers");
}

static void
v_init_container (struct vctx *v, const struct container *c,
                  const struct volume_names *vols)
{
  bool sidecar = c->restart_policy && strcmp (c->restart_policy, "Always") == 0;
  v_container_common (v, c, vols);
  if (c->restart_policy && !sidecar)
    v_unsupported (v, "restartPolicy", c->restart_policy,
                   (const char *const[]){ "Always", NULL });
  if (sidecar)
    {
      v_probe (v, "livenessProbe", c->liveness_probe, true);
      v_probe (v, "readinessProbe", c->readiness_probe, false);
      v_probe (v, "startupProbe", c->startup_probe, true);
      if (c->lifecycle)
        v_lifecycle (v, c->lifecycle);
      return;
    }
  if (c->lifecycle)
    v_forbidden (v, "lifecycle",
                 "may not be set for init containers "
                 "without restartPolicy=Always");
  if (c->liveness_probe)
    v_forbidden (v, "livenessProbe",
                 "may not be set for init containers "
                 "without restartPolicy=Always");
  if (c->readiness_probe)
    v_forbidden (v, "readinessProbe",
                 "may not be set for init containers "
                 "without restartPolicy=Always");
  if (c->startup_probe)
    v_forbidden (v, "startupProbe",
                 "may not be set for init containers "
                 "without restartPolicy=Always");
}

static void
v_containers (struct vctx *v, const struct pod_spec *s,
              const struct volume_names *vols)
{
  size_t mark = VPUSH (v, "containers");
  if (s->containers.len == 0)
    v_required (v, NULL, NULL);
  for (size_t i = 0; i < s->containers.len; i++)
    {
      const struct container *c = &s->containers.items[i];
      size_t m2 = VPUSH_INDEX (v, i);
      v_app_container (v, c, vols);
      for (size_t j = 0; c->name && j < i; j++)
        if (s->containers.items[j].name
            && strcmp (s->containers.items[j].name, c->name) == 0)
          {
            v_duplicate (v, "name", c->name);
            break;
          }
      VPOP (v, m2);
    }
  VPOP (v, mark);

  mark = VPUSH (v, "initContainers");
  for (size_t i = 0; i < s->init_containers.len; i++)
    {
      const struct container *c = &s->init_containers.items[i];
      bool dup = false;
      size_t m2 = VPUSH_INDEX (v, i);
      v_init_container (v, c, vols);
      for (size_t j = 0; c->name && j < s->containers.len && !dup; j++)
        dup = s->containers.items[j].name
              && strcmp (s->containers.items[j].name, c->name) == 0;
      for (size_t j = 0; c->name && j < i && !dup; j++)
        dup = s->init_containers.items[j].name
              && strcmp (s->init_containers.items[j].name, c->name) == 0;
      if (dup)
        v_duplicate (v, "name", c->name);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

/* ---- volumes ---- */

static void
v_mode (struct vctx *v, const char *field, const struct opt_int *mode)
{
  if (mode->set && (mode->v < 0 || mode->v > 0777))
    v_invalid_int (v, field, mode->v,
                   "must be a number between 0 and 0777 "
                   "(octal), both inclusive");
}

static void
v_key_to_paths (struct vctx *v, const struct key_to_path *items, size_t len)
{
  size_t mark = VPUSH (v, "items");
  for (size_t i = 0; i < len; i++)
    {
      size_t m2 = VPUSH_INDEX (v, i);
      if (items[i].key == NULL || *items[i].key == '\0')
        v_required (v, "key", NULL);
      if (items[i].path == NULL || *items[i].path == '\0')
        v_required (v, "path", NULL);
      else if (items[i].path[0] == '/')
        v_invalid (v, "path", items[i].path, "must be a relative path");
      else if (path_has_dotdot (items[i].path))
        v_invalid (v, "path", items[i].path, "must not contain '..'");
      v_mode (v, "mode", &items[i].mode);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static void
v_downward_files (struct vctx *v, const struct downward_api_file *items,
                  size_t len)
{
  size_t mark = VPUSH (v, "items");
  for (size_t i = 0; i < len; i++)
    {
      const struct downward_api_file *f = &items[i];
      size_t m2 = VPUSH_INDEX (v, i);
      if (f->path == NULL || *f->path == '\0')
        v_required (v, "path", NULL);
      else if (f->path[0] == '/' || path_has_dotdot (f->path))
        v_invalid (v, "path", f->path, "must be a relative path without '..'");
      if ((f->field_ref != NULL) + (f->resource_field_ref != NULL) != 1)
        v_invalid (v, NULL, "",
                   "fieldRef and resourceFieldRef can not be "
                   "specified simultaneously");
      else if (f->field_ref)
        v_field_ref (v, f->field_ref, true);
      else
        v_resource_ref (v, f->resource_field_ref, true);
      v_mode (v, "mode", &f->mode);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static void
v_projected (struct vctx *v, const struct projected_source *p)
{
  size_t mark = VPUSH (v, "projected");
  v_mode (v, "defaultMode", &p->default_mode);
  for (size_t i = 0; i < p->sources.len; i++)
    {
      const struct volume_projection *s = &p->sources.items[i];
      size_t m2 = VPUSH (v, "sources"), m3 = VPUSH_INDEX (v, i);
      int n = (s->secret != NULL) + (s->config_map != NULL)
              + (s->downward_api != NULL) + (s->service_account_token != NULL)
              + (s->cluster_trust_bundle != NULL);
      if (n != 1)
        v_forbidden (v, NULL,
                     "may not specify more than 1 volume type per "
                     "source");
      if (s->secret)
        {
          size_t m4 = VPUSH (v, "secret");
          v_key_to_paths (v, s->secret->items.items, s->secret->items.len);
          VPOP (v, m4);
        }
      if (s->config_map)
        {
          size_t m4 = VPUSH (v, "configMap");
          v_key_to_paths (v, s->config_map->items.items,
                          s->config_map->items.len);
          VPOP (v, m4);
        }
      if (s->downward_api)
        {
          size_t m4 = VPUSH (v, "downwardAPI");
          v_downward_files (v, s->downward_api->items.items,
                            s->downward_api->items.len);
          VPOP (v, m4);
        }
      if (s->service_account_token
          && (s->service_account_token->path == NULL
              || !*s->service_account_token->path))
        v_required (v, "serviceAccountToken.path", NULL);
      if (s->service_account_token
          && s->service_account_token->expiration_seconds.v < 600)
        v_invalid_int (v, "serviceAccountToken.expirationSeconds",
                       s->service_account_token->expiration_seconds.v,
                       "may not specify a duration less than 10 minutes");
      VPOP (v, m3);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static void
v_volume_source (struct vctx *v, const struct volume *vol)
{
  static const char *const host_path_types[]
      = { "",           "DirectoryOrCreate",
          "Directory",  "FileOrCreate",
          "File",       "Socket",
          "CharDevice", "BlockDevice",
          NULL };
  if (vol->empty_dir && vol->empty_dir->medium && *vol->empty_dir->medium
      && strcmp (vol->empty_dir->medium, "Memory") != 0
      && strncmp (vol->empty_dir->medium, "HugePages", 9) != 0)
    v_unsupported (v, "emptyDir.medium", vol->empty_dir->medium,
                   (const char *const[]){ "", "Memory", "HugePages", NULL });
  if (vol->empty_dir && vol->empty_dir->size_limit
      && quantity_is_negative (vol->empty_dir->size_limit))
    v_error (v, "emptyDir.sizeLimit",
             "Invalid value: must be greater than or equal to 0");
  if (vol->host_path)
    {
      if (vol->host_path->path == NULL || *vol->host_path->path == '\0')
        v_required (v, "hostPath.path", NULL);
      else if (path_has_dotdot (vol->host_path->path))
        v_invalid (v, "hostPath.path", vol->host_path->path,
                   "must not contain '..'");
      if (!str_in (vol->host_path->type, host_path_types))
        v_unsupported (v, "hostPath.type", vol->host_path->type,
                       host_path_types + 1);
    }
  if (vol->config_map)
    {
      size_t mark = VPUSH (v, "configMap");
      if (vol->config_map->name == NULL || !*vol->config_map->name)
        v_required (v, "name", NULL);
      v_mode (v, "defaultMode", &vol->config_map->default_mode);
      v_key_to_paths (v, vol->config_map->items.items,
                      vol->config_map->items.len);
      VPOP (v, mark);
    }
  if (vol->secret)
    {
      size_t mark = VPUSH (v, "secret");
      if (vol->secret->secret_name == NULL || !*vol->secret->secret_name)
        v_required (v, "secretName", NULL);
      v_mode (v, "defaultMode", &vol->secret->default_mode);
      v_key_to_paths (v, vol->secret->items.items, vol->secret->items.len);
      VPOP (v, mark);
    }
  if (vol->downward_api)
    {
      size_t mark = VPUSH (v, "downwardAPI");
      v_mode (v, "defaultMode", &vol->downward_api->default_mode);
      v_downward_files (v, vol->downward_api->items.items,
                        vol->downward_api->items.len);
      VPOP (v, mark);
    }
  if (vol->projected)
    v_projected (v, vol->projected);
  if (vol->persistent_volume_claim
      && (vol->persistent_volume_claim->claim_name == NULL
          || !*vol->persistent_volume_claim->claim_name))
    v_required (v, "persistentVolumeClaim.claimName", NULL);
}

static void
v_volumes (struct vctx *v, const struct pod_spec *s)
{
  static const char *const unsupported[]
      = { "nfs", "csi", "ephemeral", "image", "iscsi" };
  size_t mark = VPUSH (v, "volumes");
  for (size_t i = 0; i < s->volumes.len; i++)
    {
      const struct volume *vol = &s->volumes.items[i];
      const struct node *raw[]
          = { vol->nfs, vol->csi, vol->ephemeral, vol->image, vol->iscsi };
      int n = (vol->empty_dir != NULL) + (vol->host_path != NULL)
              + (vol->config_map != NULL) + (vol->secret != NULL)
              + (vol->downward_api != NULL) + (vol->projected != NULL)
              + (vol->persistent_volume_claim != NULL);
      size_t m2 = VPUSH_INDEX (v, i);
      for (size_t k = 0; k < sizeof (raw) / sizeof (raw[0]); k++)
        if (raw[k])
          {
            n++;
            v_warning (v, unsupported[k],
                       "berth does not support %s volumes; "
                       "the pod will not start",
                       unsupported[k]);
          }
      if (vol->name == NULL || *vol->name == '\0')
        v_required (v, "name", NULL);
      else if (check_dns1123_label (vol->name))
        v_invalid (v, "name", vol->name, "%s", check_dns1123_label (vol->name));
      else
        for (size_t j = 0; j < i; j++)
          if (s->volumes.items[j].name
              && strcmp (s->volumes.items[j].name, vol->name) == 0)
            {
              v_duplicate (v, "name", vol->name);
              break;
            }
      if (n > 1)
        v_forbidden (v, NULL, "may not specify more than 1 volume type");
      v_volume_source (v, vol);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

/* ---- scheduling ---- */

static void
v_node_selector_term (struct vctx *v, const struct node_selector_term *t)
{
  static const char *const ops[]
      = { "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL };
  for (size_t i = 0; i < t->match_expressions.len; i++)
    {
      const struct node_selector_requirement *r
          = &t->match_expressions.items[i];
      size_t m = VPUSH (v, "matchExpressions"), m2 = VPUSH_INDEX (v, i);
      v_requirement (v, r->key, r->operator, r->values.len, ops);
      VPOP (v, m2);
      VPOP (v, m);
    }
}

static void
v_affinity (struct vctx *v, const struct affinity *a)
{
  size_t mark = VPUSH (v, "affinity");
  const struct node_affinity *na = a->node_affinity;
  if (na)
    {
      size_t m1 = VPUSH (v, "nodeAffinity");
      if (na->required)
        {
          size_t m2
              = VPUSH (v, "requiredDuringSchedulingIgnoredDuringExecution");
          size_t m3 = VPUSH (v, "nodeSelectorTerms");
          if (na->required->node_selector_terms.len == 0)
            v_required (v, NULL, "must have at least one node selector term");
          for (size_t i = 0; i < na->required->node_selector_terms.len; i++)
            {
              size_t m4 = VPUSH_INDEX (v, i);
              v_node_selector_term (
                  v, &na->required->node_selector_terms.items[i]);
              VPOP (v, m4);
            }
          VPOP (v, m3);
          VPOP (v, m2);
        }
      for (size_t i = 0; i < na->preferred.len; i++)
        {
          const struct preferred_scheduling_term *p = &na->preferred.items[i];
          size_t m2
              = VPUSH (v, "preferredDuringSchedulingIgnoredDuringExecution");
          size_t m3 = VPUSH_INDEX (v, i);
          if (p->weight.v < 1 || p->weight.v > 100)
            v_invalid_int (v, "weight", p->weight.v,
                           "must be in the range 1-100");
          {
            size_t m4 = VPUSH (v, "preference");
            v_node_selector_term (v, &p->preference);
            VPOP (v, m4);
          }
          VPOP (v, m3);
          VPOP (v, m2);
        }
      VPOP (v, m1);
    }
  VPOP (v, mark);
}

static void
v_tolerations (struct vctx *v, const struct pod_spec *s)
{
  static const char *const effects[]
      = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };
  size_t mark = VPUSH (v, "tolerations");
  for (size_t i = 0; i < s->tolerations.len; i++)
    {
      const struct toleration *t = &s->tolerations.items[i];
      const char *op = t->operator&& * t->operator? t->operator: "Equal";
      size_t m2 = VPUSH_INDEX (v, i);
      if (t->key && *t->key && check_qualified_name (t->key))
        v_invalid (v, "key", t->key, "%s", check_qualified_name (t->key));
      if ((t->key == NULL || !*t->key) && strcmp (op, "Exists") != 0)
        v_invalid (v, "operator", op,
                   "operator must be Exists when `key` is "
                   "empty, which means \"match all values "
                   "and all keys\"");
      if (strcmp (op, "Exists") == 0 && t->value && *t->value)
        v_invalid (v, "operator", t->value,
                   "value must be empty when "
                   "`operator` is 'Exists'");
      else if (strcmp (op, "Equal") != 0 && strcmp (op, "Exists") != 0)
        v_unsupported (v, "operator", op,
                       (const char *const[]){ "Equal", "Exists", NULL });
      if (t->effect && *t->effect && !str_in (t->effect, effects))
        v_unsupported (v, "effect", t->effect, effects);
      if (t->toleration_seconds.set
          && (t->effect == NULL || strcmp (t->effect, "NoExecute") != 0))
        v_invalid (v, "effect", t->effect ? t->effect : "",
                   "effect must be 'NoExecute' when `tolerationSeconds` is "
                   "set");
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static void
v_pod_security (struct vctx *v, const struct pod_security_context *sc)
{
  size_t mark;
  if (sc == NULL)
    return;
  mark = VPUSH (v, "securityContext");
  v_id (v, "runAsUser", &sc->run_as_user);
  v_id (v, "runAsGroup", &sc->run_as_group);
  v_id (v, "fsGroup", &sc->fs_group);
  for (size_t i = 0; i < sc->supplemental_groups.len; i++)
    if (sc->supplemental_groups.items[i] < 0
        || sc->supplemental_groups.items[i] > INT32_MAX)
      {
        size_t m2 = VPUSH (v, "supplementalGroups"), m3 = VPUSH_INDEX (v, i);
        v_invalid_int (v, NULL, sc->supplemental_groups.items[i],
                       "must be between 0 and 2147483647, inclusive");
        VPOP (v, m3);
        VPOP (v, m2);
      }
  if (sc->fs_group_change_policy
      && !str_in (sc->fs_group_change_policy,
                  (const char *const[]){ "OnRootMismatch", "Always", NULL }))
    v_unsupported (v, "fsGroupChangePolicy", sc->fs_group_change_policy,
                   (const char *const[]){ "OnRootMismatch", "Always", NULL });
  v_profile (v, "seccompProfile", sc->seccomp_profile);
  v_profile (v, "appArmorProfile", sc->app_armor_profile);
  VPOP (v, mark);
}

/* A sysctl name: segments of [a-z0-9]([-_a-z0-9]*[a-z0-9])? separated by
 * dots or slashes, at most 253 characters (SysctlContainSlashFmt). */
static bool
sysctl_name_ok (const char *n)
{
  size_t len = strlen (n);
  if (len == 0 || len > 253)
    return false;
  for (const char *seg = n;;)
    {
      size_t l = strcspn (seg, "./");
      if (l == 0 || !isalnum ((unsigned char)seg[0])
          || !isalnum ((unsigned char)seg[l - 1]))
        return false;
      for (size_t i = 0; i < l; i++)
        if (!(islower ((unsigned char)seg[i]) || isdigit ((unsigned char)seg[i])
              || seg[i] == '-' || seg[i] == '_'))
          return false;
      if (seg[l] == '\0')
        return true;
      seg += l + 1;
    }
}

static void
v_sysctls (struct vctx *v, const struct pod_spec *s)
{
  const struct pod_security_context *sc = s->security_context;
  size_t m1, m2;
  if (sc == NULL || sc->sysctls.len == 0)
    return;
  m1 = VPUSH (v, "securityContext");
  m2 = VPUSH (v, "sysctls");
  for (size_t i = 0; i < sc->sysctls.len; i++)
    {
      const char *n = sc->sysctls.items[i].name;
      size_t m3 = VPUSH_INDEX (v, i);
      bool dup = false;
      for (size_t k = 0; n && k < i; k++)
        dup = dup
              || (sc->sysctls.items[k].name
                  && strcmp (sc->sysctls.items[k].name, n) == 0);
      if (n == NULL || *n == '\0')
        v_required (v, "name", NULL);
      else if (!sysctl_name_ok (n))
        v_invalid (v, "name", n,
                   "must have at most 253 characters and match regex "
                   "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./"
                   "])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?");
      else if (dup)
        v_duplicate (v, "name", n);
      else if (s->host_network.v && sysctl_namespace (n) == SYSCTL_NS_NET)
        v_invalid (v, "name", n,
                   "may not be specified when 'hostNetwork' is true");
      else if (s->host_ipc.v && sysctl_namespace (n) == SYSCTL_NS_IPC)
        v_invalid (v, "name", n, "may not be specified when 'hostIPC' is true");
      VPOP (v, m3);
    }
  VPOP (v, m2);
  VPOP (v, m1);
}

/* ---- the spec ---- */

void
v_pod_spec (struct vctx *v, const struct pod_spec *s,
            const char *const *allowed_restart)
{
  static const char *const dns[]
      = { "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL };
  struct volume_names vols = { s->volumes.items, s->volumes.len };

  v_volumes (v, s);
  v_containers (v, s, &vols);
  if (!str_in (s->restart_policy,
               allowed_restart ? allowed_restart : restart_policies))
    v_unsupported (v, "restartPolicy", s->restart_policy,
                   allowed_restart ? allowed_restart : restart_policies);
  if (!str_in (s->dns_policy, dns))
    v_unsupported (v, "dnsPolicy", s->dns_policy, dns);
  else if (strcmp (s->dns_policy, "None") == 0 && s->dns_config == NULL)
    v_required (v, "dnsConfig",
                "must provide `dnsConfig` when `dnsPolicy` "
                "is None");
  v_labels (v, "nodeSelector", &s->node_selector);
  if (s->active_deadline_seconds.set
      && (s->active_deadline_seconds.v < 1
          || s->active_deadline_seconds.v > UINT32_MAX))
    v_invalid_int (v, "activeDeadlineSeconds", s->active_deadline_seconds.v,
                   "must be between 1 and 4294967295, inclusive");
  if (s->hostname && *s->hostname && check_dns1123_label (s->hostname))
    v_invalid (v, "hostname", s->hostname, "%s",
               check_dns1123_label (s->hostname));
  if (s->subdomain && *s->subdomain && check_dns1123_label (s->subdomain))
    v_invalid (v, "subdomain", s->subdomain, "%s",
               check_dns1123_label (s->subdomain));
  if (s->share_process_namespace.v && s->host_pid.v)
    v_invalid (v, "securityContext.shareProcessNamespace", "true",
               "ShareProcessNamespace and HostPID cannot both be enabled");
  v_pod_security (v, s->security_context);
  v_sysctls (v, s);
  if (s->affinity)
    v_affinity (v, s->affinity);
  v_tolerations (v, s);
  for (size_t i = 0; i < s->host_aliases.len; i++)
    {
      const struct host_alias *h = &s->host_aliases.items[i];
      size_t m = VPUSH (v, "hostAliases"), m2 = VPUSH_INDEX (v, i);
      if (h->ip == NULL || !is_ip_address (h->ip))
        v_invalid (v, "ip", h->ip, "must be a valid IP address");
      for (size_t j = 0; j < h->hostnames.len; j++)
        if (check_dns1123_subdomain (h->hostnames.items[j]))
          {
            size_t m3 = VPUSH (v, "hostnames"), m4 = VPUSH_INDEX (v, j);
            v_invalid (v, NULL, h->hostnames.items[j], "%s",
                       check_dns1123_subdomain (h->hostnames.items[j]));
            VPOP (v, m4);
            VPOP (v, m3);
          }
      VPOP (v, m2);
      VPOP (v, m);
    }
  if (s->resources)
    v_resources (v, s->resources);
}

void
v_pod_template (struct vctx *v, const struct pod_template_spec *t,
                const char *const *allowed_restart)
{
  size_t mark = VPUSH (v, "template");
  size_t m2 = VPUSH (v, "metadata");
  v_labels (v, "labels", &t->metadata.labels);
  v_annotations (v, &t->metadata.annotations);
  VPOP (v, m2);
  m2 = VPUSH (v, "spec");
  v_pod_spec (v, &t->spec, allowed_restart);
  VPOP (v, m2);
  VPOP (v, mark);
}

void
validate_pod (struct object *o)
{
  struct pod *p = o->data;
  struct vctx v = { .diags = &o->diags };
  size_t mark;
  v_object_meta (&v, &p->metadata, true, check_dns1123_subdomain);
  mark = VPUSH (&v, "spec");
  v_pod_spec (&v, &p->spec, NULL);
  VPOP (&v, mark);
  path_free (&v.path);
}
