/* defaults.c - the API server's defaulting (k8s.io/kubernetes
 * pkg/apis/{core,batch,apps}/v1/defaults.go), applied after decoding. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "kinds.h"

#define DEFAULT_MODE 0644 /* configMap, secret, downwardAPI, projected */

static void
default_str (char **field, const char *value)
{
  if (*field == NULL || **field == '\0')
    {
      free (*field);
      *field = xstrdup (value);
    }
}

static void
default_int (struct opt_int *field, int64_t value)
{
  if (!field->set)
    {
      field->set = true;
      field->v = value;
    }
}

/* int32 fields that Go declares without a pointer: zero means unset. */
static void
default_nonzero (struct opt_int *field, int64_t value)
{
  if (!field->set || field->v == 0)
    {
      field->set = true;
      field->v = value;
    }
}

static void
default_bool (struct opt_bool *field, bool value)
{
  if (!field->set)
    {
      field->set = true;
      field->v = value;
    }
}

static void
default_namespace (struct object *o)
{
  if (o->info->namespaced)
    default_str (&object_meta (o)->namespace, "default");
}

/* The tag of an image reference, as docker's reference parser finds it:
 * the part after the last ':' of the last path component; "latest" when
 * there is neither a tag nor a digest. */
static bool
image_is_latest (const char *image)
{
  const char *slash = strrchr (image, '/');
  const char *last = slash ? slash + 1 : image;
  const char *colon;
  if (strchr (image, '@') != NULL)
    {
      /* name:tag@digest keeps its tag; name@digest has none */
      const char *at = strchr (image, '@');
      colon = memchr (last, ':', (size_t)(at > last ? at - last : 0));
      return colon && strncmp (colon + 1, "latest", 6) == 0 && colon + 7 == at;
    }
  colon = strchr (last, ':');
  return colon == NULL || strcmp (colon + 1, "latest") == 0;
}

static void
defaults_probe (struct probe *p)
{
  if (p == NULL)
    return;
  default_nonzero (&p->timeout_seconds, 1);
  default_nonzero (&p->period_seconds, 10);
  default_nonzero (&p->success_threshold, 1);
  default_nonzero (&p->failure_threshold, 3);
  if (p->http_get)
    {
      default_str (&p->http_get->path, "/");
      default_str (&p->http_get->scheme, "HTTP");
    }
}

static void
defaults_handler (struct lifecycle_handler *h)
{
  if (h && h->http_get)
    {
      default_str (&h->http_get->path, "/");
      default_str (&h->http_get->scheme, "HTTP");
    }
}

/* SetDefaults_Pod: requests default to limits where only limits are set. */
static void
defaults_requests_from_limits (struct resource_requirements *r)
{
  for (size_t i = 0; i < r->limits.len; i++)
    if (quantity_map_get (&r->requests, r->limits.keys[i]) == NULL)
      quantity_map_set (&r->requests, r->limits.keys[i], &r->limits.values[i]);
}

static void
defaults_env_source (struct env_var_source *s)
{
  if (s && s->field_ref)
    default_str (&s->field_ref->api_version, "v1");
}

static void
defaults_container (struct container *c, bool host_network)
{
  if (c->image_pull_policy == NULL || *c->image_pull_policy == '\0')
    default_str (&c->image_pull_policy, c->image && image_is_latest (c->image)
                                            ? "Always"
                                            : "IfNotPresent");
  default_str (&c->termination_message_path, "/dev/termination-log");
  default_str (&c->termination_message_policy, "File");
  for (size_t i = 0; i < c->ports.len; i++)
    {
      default_str (&c->ports.items[i].protocol, "TCP");
      if (host_network && !c->ports.items[i].host_port.set)
        c->ports.items[i].host_port = c->ports.items[i].container_port;
    }
  for (size_t i = 0; i < c->env.len; i++)
    defaults_env_source (c->env.items[i].value_from);
  defaults_requests_from_limits (&c->resources);
  defaults_probe (c->liveness_probe);
  defaults_probe (c->readiness_probe);
  defaults_probe (c->startup_probe);
  if (c->lifecycle)
    {
      defaults_handler (c->lifecycle->post_start);
      defaults_handler (c->lifecycle->pre_stop);
    }
}

static void
defaults_downward_items (struct downward_api_file *items, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (items[i].field_ref)
      default_str (&items[i].field_ref->api_version, "v1");
}

static void
defaults_volume (struct volume *v)
{
  if (!v->empty_dir && !v->host_path && !v->config_map && !v->secret
      && !v->downward_api && !v->projected && !v->persistent_volume_claim
      && !v->nfs && !v->csi && !v->ephemeral && !v->image && !v->iscsi)
    v->empty_dir = xcalloc (1, sizeof (*v->empty_dir));
  if (v->host_path && !v->host_path->type_set)
    {
      v->host_path->type = xstrdup ("");
      v->host_path->type_set = true;
    }
  if (v->config_map)
    default_int (&v->config_map->default_mode, DEFAULT_MODE);
  if (v->secret)
    default_int (&v->secret->default_mode, DEFAULT_MODE);
  if (v->downward_api)
    {
      default_int (&v->downward_api->default_mode, DEFAULT_MODE);
      defaults_downward_items (v->downward_api->items.items,
                               v->downward_api->items.len);
    }
  if (v->projected)
    {
      default_int (&v->projected->default_mode, DEFAULT_MODE);
      for (size_t i = 0; i < v->projected->sources.len; i++)
        {
          struct volume_projection *p = &v->projected->sources.items[i];
          if (p->service_account_token)
            default_int (&p->service_account_token->expiration_seconds, 3600);
          if (p->downward_api)
            defaults_downward_items (p->downward_api->items.items,
                                     p->downward_api->items.len);
        }
    }
}

void
defaults_pod_spec (struct pod_spec *s)
{
  bool host_network = s->host_network.set && s->host_network.v;

  default_str (&s->dns_policy, "ClusterFirst");
  default_str (&s->restart_policy, "Always");
  if (s->security_context == NULL)
    s->security_context = xcalloc (1, sizeof (*s->security_context));
  default_int (&s->termination_grace_period_seconds, 30);
  /* pkg/api/pod: a negative grace period is treated as 1 */
  if (s->termination_grace_period_seconds.v < 0)
    s->termination_grace_period_seconds.v = 1;
  default_str (&s->scheduler_name, "default-scheduler");
  default_bool (&s->enable_service_links, true);
  for (size_t i = 0; i < s->init_containers.len; i++)
    defaults_container (&s->init_containers.items[i], host_network);
  for (size_t i = 0; i < s->containers.len; i++)
    defaults_container (&s->containers.items[i], host_network);
  for (size_t i = 0; i < s->volumes.len; i++)
    defaults_volume (&s->volumes.items[i]);
  if (s->resources)
    defaults_requests_from_limits (s->resources);
}

void
defaults_pod (struct object *o)
{
  struct pod *p = o->data;
  default_namespace (o);
  defaults_pod_spec (&p->spec);
}

void
defaults_config_map (struct object *o)
{
  default_namespace (o);
}

/* SetDefaults_Secret, and the conversion that folds stringData into data
 * (stringData wins over data for the same key). */
void
defaults_secret (struct object *o)
{
  struct secret *s = o->data;
  default_namespace (o);
  default_str (&s->type, "Opaque");
  for (size_t i = 0; i < s->string_data.len; i++)
    bytesmap_set (&s->data, s->string_data.keys[i], s->string_data.values[i],
                  strlen (s->string_data.values[i]));
}

void
defaults_namespace (struct object *o)
{
  struct namespace_obj *ns = o->data;
  /* the namespace strategy adds the "kubernetes" finalizer on create */
  if (ns->spec.finalizers.len == 0)
    *(char **)list_append (&ns->spec.finalizers, sizeof (char *))
        = xstrdup ("kubernetes");
}

void
defaults_service (struct object *o)
{
  struct service_spec *s = &((struct service *)o->data)->spec;
  default_namespace (o);
  default_str (&s->session_affinity, "None");
  default_str (&s->type, "ClusterIP");
  for (size_t i = 0; i < s->ports.len; i++)
    {
      struct service_port *p = &s->ports.items[i];
      default_str (&p->protocol, "TCP");
      if (p->target_port.type == IOS_UNSET
          || (p->target_port.type == IOS_INT && p->target_port.i == 0)
          || (p->target_port.type == IOS_STRING && *p->target_port.s == '\0'))
        {
          free (p->target_port.s);
          p->target_port.s = NULL;
          p->target_port.type = IOS_INT;
          p->target_port.i = p->port.v;
        }
    }
  if (strcmp (s->type, "NodePort") == 0
      || strcmp (s->type, "LoadBalancer") == 0)
    default_str (&s->external_traffic_policy, "Cluster");
  if (strcmp (s->type, "ExternalName") != 0)
    default_str (&s->internal_traffic_policy, "Cluster");
  if (strcmp (s->type, "LoadBalancer") == 0)
    default_bool (&s->allocate_load_balancer_node_ports, true);
}

static void
defaults_job_spec (struct job_spec *s, struct object_meta *meta)
{
  if (!s->completions.set && !s->parallelism.set)
    {
      default_int (&s->completions, 1);
      default_int (&s->parallelism, 1);
    }
  default_int (&s->parallelism, 1);
  default_int (&s->backoff_limit,
               s->backoff_limit_per_index.set ? INT32_MAX : 6);
  default_str (&s->completion_mode, "NonIndexed");
  default_bool (&s->suspend, false);
  default_str (&s->pod_replacement_policy,
               s->pod_failure_policy ? "Failed" : "TerminatingOrFailed");
  if (s->pod_failure_policy)
    for (size_t i = 0; i < s->pod_failure_policy->rules.len; i++)
      {
        struct pod_failure_policy_rule *r
            = &s->pod_failure_policy->rules.items[i];
        for (size_t j = 0; j < r->on_pod_conditions.len; j++)
          default_str (&r->on_pod_conditions.items[j].status, "True");
      }
  if (meta && meta->labels.len == 0)
    for (size_t i = 0; i < s->template.metadata.labels.len; i++)
      strmap_set (&meta->labels, s->template.metadata.labels.keys[i],
                  s->template.metadata.labels.values[i]);
  defaults_pod_spec (&s->template.spec);
}

void
defaults_job (struct object *o)
{
  struct job *j = o->data;
  default_namespace (o);
  defaults_job_spec (&j->spec, &j->metadata);
}

void
defaults_cron_job (struct object *o)
{
  struct cron_job_spec *s = &((struct cron_job *)o->data)->spec;
  default_namespace (o);
  default_str (&s->concurrency_policy, "Allow");
  default_bool (&s->suspend, false);
  default_int (&s->successful_jobs_history_limit, 3);
  default_int (&s->failed_jobs_history_limit, 1);
  defaults_pod_spec (&s->job_template.spec.template.spec);
}

static void
defaults_workload (struct object *o)
{
  struct workload *w = o->data;
  default_namespace (o);
  default_int (&w->spec.replicas, 1);
  defaults_pod_spec (&w->spec.template.spec);
}

void
defaults_deployment (struct object *o)
{
  struct workload_spec *s = &((struct workload *)o->data)->spec;
  defaults_workload (o);
  default_int (&s->revision_history_limit, 10);
  default_int (&s->progress_deadline_seconds, 600);
  if (s->strategy == NULL)
    {
      struct node *ru = node_new_map ();
      s->strategy = node_new_map ();
      node_map_set_str (s->strategy, "type", "RollingUpdate");
      node_map_set_str (ru, "maxUnavailable", "25%");
      node_map_set_str (ru, "maxSurge", "25%");
      node_map_set (s->strategy, "rollingUpdate", ru);
    }
}

void
defaults_replica_set (struct object *o)
{
  defaults_workload (o);
}

void
defaults_stateful_set (struct object *o)
{
  struct workload_spec *s = &((struct workload *)o->data)->spec;
  defaults_workload (o);
  default_str (&s->pod_management_policy, "OrderedReady");
  default_int (&s->revision_history_limit, 10);
  if (s->update_strategy == NULL)
    {
      struct node *ru = node_new_map ();
      s->update_strategy = node_new_map ();
      node_map_set_str (s->update_strategy, "type", "RollingUpdate");
      node_map_set_int (ru, "partition", 0);
      node_map_set (s->update_strategy, "rollingUpdate", ru);
    }
  if (s->persistent_volume_claim_retention_policy == NULL)
    {
      s->persistent_volume_claim_retention_policy = node_new_map ();
      node_map_set_str (s->persistent_volume_claim_retention_policy,
                        "whenDeleted", "Retain");
      node_map_set_str (s->persistent_volume_claim_retention_policy,
                        "whenScaled", "Retain");
    }
}
