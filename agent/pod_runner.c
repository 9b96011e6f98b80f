/* pod_runner.c - see pod_runner.h. */
#include "pod_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "codec.h"
#include "command.h"
#include "logrotate.h"
#include "oom_watch.h"
#include "qos.h"
#include "service_env.h"
#include "sysctls.h"
#include "volumes.h"

static void emit (struct pod_runner *r, const char *type, const char *reason,
                  const char *object, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
emit (struct pod_runner *r, const char *type, const char *reason,
      const char *object, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  if (r->cfg->event == NULL)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  r->cfg->event (r->cfg->event_ctx, type, reason, object, msg ? msg : "");
}

static void
set_str (char **field, const char *value)
{
  free (*field);
  *field = value ? xstrdup (value) : NULL;
}

static char *xasprintf (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static char *
xasprintf (const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

/* "2026-11-27T12:00:00.123456789Z" -> milliseconds since the epoch. */
static int64_t
rfc3339_ms (const char *s)
{
  struct tm tm = { 0 };
  const char *rest;
  int64_t ms = 0;
  if (s == NULL || (rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
    return -1;
  if (*rest == '.')
    {
      int digits = 0;
      for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
        if (digits < 3)
          ms = ms * 10 + (*rest - '0');
      for (; digits < 3; digits++)
        ms *= 10;
    }
  return (int64_t)timegm (&tm) * 1000 + ms;
}

/* ---- lookups for env and volumes ---- */

static const struct config_map *
find_config_map (void *ctx, const char *ns, const char *name)
{
  const struct runner_config *cfg = ctx;
  for (size_t i = 0; i < cfg->n_config_maps; i++)
    {
      const struct object_meta *m = &cfg->config_maps[i]->metadata;
      if (m->name && strcmp (m->name, name) == 0
          && strcmp (m->namespace ? m->namespace : "default", ns) == 0)
        return cfg->config_maps[i];
    }
  return NULL;
}

static const struct secret *
find_secret (void *ctx, const char *ns, const char *name)
{
  const struct runner_config *cfg = ctx;
  for (size_t i = 0; i < cfg->n_secrets; i++)
    {
      const struct object_meta *m = &cfg->secrets[i]->metadata;
      if (m->name && strcmp (m->name, name) == 0
          && strcmp (m->namespace ? m->namespace : "default", ns) == 0)
        return cfg->secrets[i];
    }
  return NULL;
}

struct env_ctx
{
  struct pod_runner *r;
  const struct container *c;
};

static const char *
pod_ns (const struct pod *p)
{
  return p->metadata.namespace ? p->metadata.namespace : "default";
}

/* The fieldRefs only the kubelet knows, as its podFieldSelectorRuntimeValue
 * resolves them: the pod's and the node's IPs (the lists are joined with
 * commas; berth has one address of each), spec.nodeName and
 * spec.serviceAccountName.  Sets *V (NULL: empty) and returns true for
 * those; false for the metadata paths the downward API volume shares. */
static bool
pod_field_runtime_value (const struct pod_runner *r, const char *path,
                         const char **v)
{
  const char *pod_ip = r->sandbox ? r->sandbox->ip : NULL;
  if (r->pod->spec.host_network.v)
    pod_ip = r->cfg->host_ip;
  if (strcmp (path, "status.podIP") == 0 || strcmp (path, "status.podIPs") == 0)
    *v = pod_ip;
  else if (strcmp (path, "status.hostIP") == 0
           || strcmp (path, "status.hostIPs") == 0)
    *v = r->cfg->host_ip;
  else if (strcmp (path, "spec.nodeName") == 0)
    *v = r->pod->spec.node_name;
  else if (strcmp (path, "spec.serviceAccountName") == 0)
    *v = r->pod->spec.service_account_name;
  else
    return false;
  return true;
}

static int
resolve_value_from (void *opaque, const struct env_var *var, char **value,
                    berth_error_t *err)
{
  struct env_ctx *e = opaque;
  const struct env_var_source *s = var->value_from;
  const char *ns = pod_ns (e->r->pod);
  *value = NULL;
  if (s->config_map_key_ref)
    {
      const struct key_selector *k = s->config_map_key_ref;
      const struct config_map *cm
          = find_config_map ((void *)e->r->cfg, ns, k->name);
      const char *v = cm ? strmap_get (&cm->data, k->key) : NULL;
      bool optional = k->optional.set && k->optional.v;
      if (cm == NULL && !optional)
        return berth_error_make (err, ENOENT, "configmap \"%s\" not found",
                                 k->name);
      if (cm && v == NULL && !optional)
        return berth_error_make (err, ENOENT,
                                 "couldn't find key %s in ConfigMap %s/%s",
                                 k->key, ns, k->name);
      *value = v ? xstrdup (v) : NULL;
      return 0;
    }
  if (s->secret_key_ref)
    {
      const struct key_selector *k = s->secret_key_ref;
      const struct secret *sec = find_secret ((void *)e->r->cfg, ns, k->name);
      bool optional = k->optional.set && k->optional.v;
      if (sec == NULL && !optional)
        return berth_error_make (err, ENOENT, "secret \"%s\" not found",
                                 k->name);
      for (size_t i = 0; sec && i < sec->data.len; i++)
        if (strcmp (sec->data.keys[i], k->key) == 0)
          {
            *value = xstrdup (sec->data.values[i]);
            return 0;
          }
      if (!optional)
        return berth_error_make (err, ENOENT,
                                 "couldn't find key %s in Secret %s/%s", k->key,
                                 ns, k->name);
      return 0;
    }
  {
    /* fieldRef and resourceFieldRef: the downward API's values */
    struct downward_api_file f
        = { .field_ref = s->field_ref,
            .resource_field_ref = s->resource_field_ref };
    struct resource_field_selector rf;
    if (s->resource_field_ref && s->resource_field_ref->container_name == NULL)
      {
        rf = *s->resource_field_ref;
        rf.container_name = e->c->name;
        f.resource_field_ref = &rf;
      }
    const char *v;
    if (s->field_ref
        && pod_field_runtime_value (e->r, s->field_ref->field_path, &v))
      {
        *value = xstrdup (v ? v : "");
        return 0;
      }
    return volumes_downward_value (e->r->pod, &f, value, err);
  }
}

static int
resolve_env_from (void *opaque, const struct env_from_source *src,
                  struct command_env *out, berth_error_t *err)
{
  struct env_ctx *e = opaque;
  const char *ns = pod_ns (e->r->pod);
  if (src->config_map_ref)
    {
      const struct config_map *cm
          = find_config_map ((void *)e->r->cfg, ns, src->config_map_ref->name);
      if (cm == NULL)
        {
          if (src->config_map_ref->optional.v)
            return 0;
          return berth_error_make (err, ENOENT, "configmap \"%s\" not found",
                                   src->config_map_ref->name);
        }
      for (size_t i = 0; i < cm->data.len; i++)
        command_env_set (out, cm->data.keys[i], cm->data.values[i]);
      return 0;
    }
  if (src->secret_ref)
    {
      const struct secret *s
          = find_secret ((void *)e->r->cfg, ns, src->secret_ref->name);
      if (s == NULL)
        {
          if (src->secret_ref->optional.v)
            return 0;
          return berth_error_make (err, ENOENT, "secret \"%s\" not found",
                                   src->secret_ref->name);
        }
      for (size_t i = 0; i < s->data.len; i++)
        command_env_set (out, s->data.keys[i], s->data.values[i]);
    }
  return 0;
}

/* ---- starting one container ---- */

static void
set_waiting (struct runner_container *c, const char *reason,
             const char *message)
{
  c->now.st.state = CSTATE_WAITING;
  set_str (&c->now.waiting_reason, reason);
  set_str (&c->now.waiting_message, message);
}

/* Pod-level security settings that a container's own override. */
static void
user_spec (const struct pod_spec *ps, const struct container *c,
           const struct image_info *img, struct security_user_spec *u,
           bool *non_root)
{
  const struct pod_security_context *p = ps->security_context;
  const struct security_context *s = c->security_context;
  memset (u, 0, sizeof (*u));
  u->image_user = img->user ? img->user : "";
  if (s && s->run_as_user.set)
    u->run_as_user_set = true, u->run_as_user = s->run_as_user.v;
  else if (p && p->run_as_user.set)
    u->run_as_user_set = true, u->run_as_user = p->run_as_user.v;
  if (s && s->run_as_group.set)
    u->run_as_group_set = true, u->run_as_group = s->run_as_group.v;
  else if (p && p->run_as_group.set)
    u->run_as_group_set = true, u->run_as_group = p->run_as_group.v;
  if (p)
    {
      u->supplemental_groups = p->supplemental_groups.items;
      u->supplemental_groups_len = p->supplemental_groups.len;
    }
  *non_root = (s && s->run_as_non_root.set) ? s->run_as_non_root.v
                                            : (p && p->run_as_non_root.v);
}

static void
seccomp_spec (const struct runner_config *cfg, const struct pod_spec *ps,
              const struct container *c, struct container_spec *spec)
{
  const struct profile *prof
      = c->security_context ? c->security_context->seccomp_profile : NULL;
  if (prof == NULL && ps->security_context)
    prof = ps->security_context->seccomp_profile;
  spec->seccomp = cfg->seccomp_unconfined_default
                      ? CONTAINER_SECCOMP_UNCONFINED
                      : CONTAINER_SECCOMP_RUNTIME_DEFAULT;
  if (prof && prof->type && strcmp (prof->type, "Unconfined") == 0)
    spec->seccomp = CONTAINER_SECCOMP_UNCONFINED;
  else if (prof && prof->type && strcmp (prof->type, "RuntimeDefault") == 0)
    spec->seccomp = CONTAINER_SECCOMP_RUNTIME_DEFAULT;
  else if (prof && prof->type && strcmp (prof->type, "Localhost") == 0)
    {
      spec->seccomp = CONTAINER_SECCOMP_LOCALHOST;
      spec->seccomp_root = "/var/lib/kubelet/seccomp";
      spec->seccomp_profile = prof->localhost_profile;
    }
}

struct mount_set
{
  size_t len;
  struct rootfs_mount items[64];
  char *owned[64];
};

static void
mount_set_free (struct mount_set *m)
{
  for (size_t i = 0; i < m->len; i++)
    free (m->owned[i]);
}

static bool
mounts_destination (const struct container *c, const char *dest)
{
  for (size_t i = 0; i < c->volume_mounts.len; i++)
    if (c->volume_mounts.items[i].mount_path
        && strcmp (c->volume_mounts.items[i].mount_path, dest) == 0)
      return true;
  return false;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* subPathExpr with the container's environment, as the kubelet's
 * ExpandContainerVolumeMounts and makeMounts: every $(VAR) must have a
 * non-empty value, and the result must be relative without "..". */
static int
expand_sub_path (const char *expr, const struct command_env *env, char **out,
                 berth_error_t *err)
{
  char *missing[32];
  size_t n = 0;
  int ret = 0;
  for (const char *p = expr; *p; p++)
    {
      const char *end;
      if (p[0] == '$' && p[1] == '$')
        {
          p++;
          continue;
        }
      if (p[0] != '$' || p[1] != '(' || (end = strchr (p + 2, ')')) == NULL)
        continue;
      {
        char *name = strndup (p + 2, (size_t)(end - p - 2));
        const char *v = command_env_get (env, name);
        bool seen = false;
        if (name == NULL)
          abort ();
        for (size_t i = 0; i < n; i++)
          seen = seen || strcmp (missing[i], name) == 0;
        if ((v == NULL || *v == '\0') && !seen && n < 32)
          missing[n++] = name;
        else
          free (name);
      }
      p = end;
    }
  if (n > 0)
    {
      cleanup_free char *list = NULL;
      size_t len = 0;
      FILE *f = open_memstream (&list, &len);
      if (f == NULL)
        abort ();
      qsort (missing, n, sizeof (char *), cmp_strp);
      for (size_t i = 0; i < n; i++)
        fprintf (f, "%s%s", i ? ", " : "", missing[i]);
      fclose (f);
      for (size_t i = 0; i < n; i++)
        free (missing[i]);
      return berth_error_make (err, EINVAL, "missing value for %s", list);
    }
  *out = command_expand (expr, env);
  if (**out == '/')
    ret = berth_error_make (
        err, EINVAL, "error SubPath `%s` must not be an absolute path", *out);
  else
    for (const char *seg = *out; ret == 0;)
      {
        size_t l = strcspn (seg, "/");
        if (l == 2 && strncmp (seg, "..", 2) == 0)
          ret = berth_error_make (err, EINVAL,
                                  "unable to provision SubPath `%s`: must not "
                                  "contain '..'",
                                  *out);
        if (seg[l] == '\0')
          break;
        seg += l + 1;
      }
  if (ret < 0)
    {
      free (*out);
      *out = NULL;
    }
  return ret;
}

/* The container's volume mounts, then the pod's /etc files (the kubelet
 * mounts /etc/hosts unless the container mounts something there).  ENV
 * expands subPathExpr. */
static int
build_mounts (struct pod_runner *r, const struct container *c,
              const struct volumes_set *vols, const struct command_env *env,
              struct mount_set *m, berth_error_t *err)
{
  for (size_t i = 0; i < c->volume_mounts.len; i++)
    {
      const struct volume_mount *vm = &c->volume_mounts.items[i];
      const char *path = volumes_find (vols, vm->name);
      cleanup_free char *sub = NULL;
      char *src = NULL;
      if (m->len == 64)
        return berth_error_make (err, E2BIG, "too many volume mounts");
      if (path == NULL)
        return berth_error_make (err, ENOENT, "volume \"%s\" not found",
                                 vm->name);
      if (vm->sub_path_expr && *vm->sub_path_expr
          && expand_sub_path (vm->sub_path_expr, env, &sub, err) < 0)
        return -1;
      if (sub == NULL && vm->sub_path && *vm->sub_path)
        sub = xstrdup (vm->sub_path);
      if (sub && *sub)
        {
          if (volumes_resolve_subpath (path, sub, &src, err) < 0)
            return berth_error_wrap (err, "subPath \"%s\"", sub);
        }
      else
        src = xstrdup (path);
      m->owned[m->len] = src;
      m->items[m->len++] = (struct rootfs_mount){
        .source = src,
        .destination = vm->mount_path,
        .readonly = (vm->read_only.set && vm->read_only.v)
                    || volumes_readonly (vols, vm->name),
      };
    }
  if (r->sandbox)
    {
      const char *files[3][2]
          = { { r->sandbox->hosts_path, "/etc/hosts" },
              { r->sandbox->hostname_path, "/etc/hostname" },
              { r->sandbox->resolv_path, "/etc/resolv.conf" } };
      for (int i = 0; i < 3; i++)
        if (files[i][0] && !mounts_destination (c, files[i][1]) && m->len < 64)
          m->items[m->len++]
              = (struct rootfs_mount){ .source = files[i][0],
                                       .destination = files[i][1] };
    }
  return 0;
}

static char *
log_path (struct pod_runner *r, const struct runner_container *c)
{
  return xasprintf ("%s/%s_%s_%s/%s/%d.log", r->cfg->log_dir, pod_ns (r->pod),
                    r->pod->metadata.name, r->uid, c->spec->name,
                    c->restart_count);
}

/* Everything the spec needs that can fail before the start: the image, the
 * env and argv.  Failures become the container's waiting reason, as the
 * kubelet's ErrImageNeverPull and CreateContainerConfigError. */
static int
prepare (struct pod_runner *r, struct runner_container *c,
         struct command_env *env, char ***argv)
{
  berth_error_t err = NULL;
  struct env_ctx ectx = { r, c->spec };
  struct command_resolver res = { &ectx, resolve_value_from, resolve_env_from };

  /* the layers are leased to the pod until it is deleted */
  if (c->image == NULL
      && image_store_lookup_lease (r->cfg->images, c->spec->image, r->uid,
                                   c->spec->name, r->dir, &c->image, &err)
             < 0)
    {
      set_waiting (c, "ErrImageNeverPull", berth_error_msg (&err));
      emit (r, "Warning", "ErrImageNeverPull", c->spec->name, "%s",
            berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  service_env_add (r->pod, r->cfg->services, r->cfg->n_services, env);
  if (command_build_env (c->spec, &res, env, &err) < 0
      || command_build_argv (c->spec, (const char *const *)c->image->entrypoint,
                             (const char *const *)c->image->cmd, env, argv,
                             &err)
             < 0)
    {
      set_waiting (c, "CreateContainerConfigError", berth_error_msg (&err));
      emit (r, "Warning", "Failed", c->spec->name, "Error: %s",
            berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  return 0;
}

static int
ensure_cgroup (struct pod_runner *r, struct runner_container *c,
               berth_error_t *err)
{
  const struct cgroup_values *v = NULL;
  cleanup_free char *rel = NULL;
  if (r->cfg->cgroups == NULL || c->cgroup_dir)
    return 0;
  for (size_t i = 0; i < r->cv.n_containers; i++)
    if (strcmp (r->cv.containers[i].name, c->spec->name) == 0)
      v = &r->cv.containers[i].values;
  if (v == NULL
      || cgroup_fs_container_create (r->cfg->cgroups, r->qos, r->uid,
                                     c->spec->name, v, err)
             < 0)
    return v ? -1 : berth_error_make (err, ENOENT, "no cgroup values");
  rel = cgroup_fs_pod_path (r->qos, r->uid);
  c->cgroup_dir = xasprintf ("%s/%s/%s", cgroup_fs_root (r->cfg->cgroups), rel,
                             c->spec->name);
  if (oom_watch_open (c->cgroup_dir, &c->oom, err) < 0)
    return -1;
  return 0;
}

static void collect (struct pod_runner *r, struct runner_container *c);

static void
start_container (struct pod_runner *r, struct runner_container *c)
{
  const struct pod_spec *ps = &r->pod->spec;
  const struct container *ctr = c->spec;
  struct command_env env = { 0 };
  char **argv = NULL, **envp = NULL;
  struct mount_set mounts = { 0 };
  struct container_spec spec = { 0 };
  cleanup_free char *termlog = NULL, *logp = NULL, *hostname_env = NULL;
  cleanup_free char *seccomp_cache = NULL;
  berth_error_t err = NULL;
  pid_t pid;
  int adj = 0;
  bool non_root = false;

  if (prepare (r, c, &env, &argv) < 0)
    goto out;
  if (r->sandbox && r->sandbox->hostname)
    command_env_set (&env, "HOSTNAME", r->sandbox->hostname);
  envp = command_envp ((const char *const *)c->image->env, &env);
  free (c->instance_dir);
  c->instance_dir
      = xasprintf ("%s/containers/%s/%d", r->dir, ctr->name, c->restart_count);
  termlog = xasprintf ("%s/termination-log", c->instance_dir);
  logp = log_path (r, c);
  /* the kubelet's generateContainerConfig: mounts that cannot be made are
   * the container's configuration error */
  if (build_mounts (r, ctr, &r->vols, &env, &mounts, &err) < 0)
    {
      set_waiting (c, "CreateContainerConfigError", berth_error_msg (&err));
      emit (r, "Warning", "Failed", ctr->name, "Error: %s",
            berth_error_msg (&err));
      goto out;
    }
  if (fs_mkdir_p (c->instance_dir, 0700, &err) < 0
      || ensure_cgroup (r, c, &err) < 0
      || cgroup_oom_score_adj (ps, ctr, r->cfg->node.memory_capacity, &adj,
                               &err)
             < 0)
    {
      set_waiting (c, "CreateContainerError", berth_error_msg (&err));
      emit (r, "Warning", "Failed", ctr->name, "Error: %s",
            berth_error_msg (&err));
      goto out;
    }
  {
    /* world-writable, as the kubelet makes it: the container's user may
     * be anyone (its umask would not allow that through open) */
    int fd = open (termlog, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0)
      {
        if (fchmod (fd, 0666) < 0)
          emit (r, "Warning", "Failed", ctr->name,
                "chmod the termination message file: %s", strerror (errno));
        close (fd);
      }
  }

  spec.id = ctr->name;
  spec.pod = r->ref;
  spec.name = ctr->name;
  spec.instance_dir = c->instance_dir;
  spec.layers = (const char *const *)c->image->layers;
  spec.layers_len = c->image->n_layers;
  spec.readonly_root = ctr->security_context
                       && ctr->security_context->read_only_root_filesystem.v;
  if (r->sandbox)
    {
      spec.net_ns = r->sandbox->net_ns;
      spec.ipc_ns = r->sandbox->ipc_ns;
      spec.uts_ns = r->sandbox->uts_ns;
      spec.pid_ns = r->sandbox->pid_ns;
      spec.shm_source = r->sandbox->shm_dir;
    }
  spec.argv = (const char *const *)argv;
  spec.envp = (const char *const *)envp;
  spec.cwd = ctr->working_dir && *ctr->working_dir ? ctr->working_dir
                                                   : c->image->working_dir;
  user_spec (ps, ctr, c->image, &spec.user, &non_root);
  spec.run_as_non_root = non_root;
  if (ctr->security_context)
    {
      const struct security_context *sc = ctr->security_context;
      spec.privileged = sc->privileged.v;
      spec.no_new_privs = sc->allow_privilege_escalation.set
                          && !sc->allow_privilege_escalation.v;
      if (sc->capabilities)
        {
          spec.cap_add = (const char *const *)sc->capabilities->add.items;
          spec.cap_add_len = sc->capabilities->add.len;
          spec.cap_drop = (const char *const *)sc->capabilities->drop.items;
          spec.cap_drop_len = sc->capabilities->drop.len;
        }
    }
  seccomp_spec (r->cfg, ps, ctr, &spec);
  seccomp_cache = xasprintf ("%s/seccomp", r->cfg->root);
  spec.seccomp_cache_dir = seccomp_cache;
  spec.mounts = mounts.items;
  spec.mounts_len = mounts.len;
  spec.termination_log = termlog;
  spec.termination_path = ctr->termination_message_path;
  spec.termination_fallback_to_logs
      = ctr->termination_message_policy
        && strcmp (ctr->termination_message_policy, "FallbackToLogsOnError")
               == 0;
  spec.cgroup_dir = c->cgroup_dir;
  spec.oom_score_adj_set = r->cfg->cgroups != NULL;
  spec.oom_score_adj = adj;
  spec.log_path = logp;
  spec.log_max_size = r->cfg->container_log_max_size
                          ? r->cfg->container_log_max_size
                          : LOGROTATE_DEFAULT_MAX_SIZE;
  spec.log_max_files = r->cfg->container_log_max_files
                           ? r->cfg->container_log_max_files
                           : LOGROTATE_DEFAULT_MAX_FILES;

  emit (r, "Normal", "Created", ctr->name, "Created container: %s", ctr->name);
  if (container_start (&spec, &pid, &err) < 0)
    {
      /* the status file says StartError, exit 128: collected as an exit */
      emit (r, "Warning", "Failed", ctr->name, "Error: %s",
            berth_error_msg (&err));
      c->now.st.state = CSTATE_RUNNING;
      goto out;
    }
  c->now.st.state = CSTATE_RUNNING;
  c->probe_ready = c->probe_started = false;
  set_str (&c->now.waiting_reason, NULL);
  set_str (&c->now.waiting_message, NULL);
  emit (r, "Normal", "Started", ctr->name, "Started container %s", ctr->name);
  /* its startedAt, as the monitor recorded it (or its exit already) */
  collect (r, c);
  if (r->cfg->post_start_gates && ctr->lifecycle && ctr->lifecycle->post_start)
    r->post_start_wait = c;
out:
  berth_error_release (&err);
  mount_set_free (&mounts);
  command_env_free (&env);
  command_strv_free (argv);
  command_strv_free (envp);
}

/* ---- observing exits ---- */

static void
record_exit (struct pod_runner *r, struct runner_container *c,
             const struct container_status *st)
{
  struct oom_delta d = { 0 };
  berth_error_t err = NULL;
  struct runner_attempt *a;
  bool oom = false;

  if (c->oom && oom_watch_check (c->oom, &d, &err) > 0 && d.oom_kill > 0)
    {
      c->oom_kills += d.oom_kill;
      c->attempt_oom_kills += d.oom_kill;
      emit (r, "Warning", "OOMKilling", c->spec->name,
            "Memory cgroup out of memory: killed a process of container %s "
            "(oom_kill %llu)",
            c->spec->name, (unsigned long long)d.now.oom_kill.v);
    }
  berth_error_release (&err);
  /* as containerd: an OOM kill in the container during this run makes a
   * failed exit OOMKilled */
  oom = c->attempt_oom_kills > 0 && st->exit_code_set && st->exit_code != 0;
  c->attempt_oom_kills = 0;
  c->now.st.state = CSTATE_TERMINATED;
  c->now.st.exit_code = st->exit_code_set ? st->exit_code : 137;
  set_str (&c->now.reason, oom ? "OOMKilled" : st->reason);
  if (c->now.reason == NULL)
    set_str (&c->now.reason, c->now.st.exit_code == 0 ? "Completed" : "Error");
  set_str (&c->now.message, st->message);
  set_str (&c->now.started_at, st->started_at);
  set_str (&c->now.finished_at, st->finished_at);
  c->now.finished_ms = rfc3339_ms (st->finished_at);
  c->attempts
      = reallocarray (c->attempts, c->n_attempts + 1, sizeof (*c->attempts));
  if (c->attempts == NULL)
    abort ();
  a = &c->attempts[c->n_attempts++];
  memset (a, 0, sizeof (*a));
  a->exit_code = c->now.st.exit_code;
  a->backoff_ms = c->last_wait_ms;
  a->reason = xstrdup (c->now.reason);
  a->message = st->message ? xstrdup (st->message) : NULL;
  a->started_at = st->started_at ? xstrdup (st->started_at) : NULL;
  a->finished_at = st->finished_at ? xstrdup (st->finished_at) : NULL;
}

static void
collect (struct pod_runner *r, struct runner_container *c)
{
  struct container_status st = { 0 };
  berth_error_t err = NULL;
  if (c->now.st.state != CSTATE_RUNNING || c->instance_dir == NULL)
    return;
  if (container_status_read (c->instance_dir, &st, &err) < 0)
    {
      berth_error_release (&err);
      return;
    }
  if (st.state == CONTAINER_EXITED)
    record_exit (r, c, &st);
  else if (st.state == CONTAINER_RUNNING)
    set_str (&c->now.started_at, st.started_at);
  container_status_free (&st);
}

/* ---- deciding what runs ---- */

/* A container that exited and must start again: now, or once its back-off
 * is over.  Returns true when it was (re)started. */
static bool
restart_with_backoff (struct pod_runner *r, struct runner_container *c,
                      int64_t now, int64_t *next_ms)
{
  int64_t finished = c->now.finished_ms > 0 ? c->now.finished_ms : now;
  if (backoff_in_backoff_since (&r->backoff, c->backoff_key, finished, now))
    {
      int64_t delay = backoff_get (&r->backoff, c->backoff_key);
      int64_t due = finished + delay;
      if (c->now.waiting_reason == NULL
          || strcmp (c->now.waiting_reason, "CrashLoopBackOff") != 0)
        {
          cleanup_free char *msg
              = xasprintf ("back-off %llds restarting failed container=%s "
                           "pod=%s",
                           (long long)(delay / 1000), c->spec->name, r->ref);
          emit (r, "Warning", "BackOff", c->spec->name,
                "Back-off restarting failed container %s in pod %s",
                c->spec->name, r->ref);
          c->now.st.last_terminated = true;
          c->now.st.last_exit_code = c->now.st.exit_code;
          set_waiting (c, "CrashLoopBackOff", msg);
        }
      c->now.st.state = CSTATE_WAITING;
      if (*next_ms < 0 || due < *next_ms)
        *next_ms = due;
      return false;
    }
  if (r->post_start_wait)
    return false; /* a postStart hook runs: started at the next sync */
  backoff_next (&r->backoff, c->backoff_key, finished, now);
  c->last_wait_ms = now - finished;
  c->now.st.last_terminated = true;
  c->now.st.last_exit_code = c->now.st.exit_code;
  c->restart_count++;
  start_container (r, c);
  return true;
}

static bool
is_done_ok (const struct runner_container *c)
{
  return c->now.st.state == CSTATE_TERMINATED && c->now.st.exit_code == 0;
}

/* Start or restart init containers in order; true when all of them are
 * done (regular ones exited 0, sidecars running). */
static bool
sync_init (struct pod_runner *r, int64_t now, int64_t *next_ms)
{
  const char *policy = r->pod->spec.restart_policy;
  for (size_t i = 0; i < r->n && r->c[i].init; i++)
    {
      struct runner_container *c = &r->c[i];
      if (c->now.st.state == CSTATE_NONE
          || (c->now.st.state == CSTATE_WAITING && !c->now.st.last_terminated))
        {
          if (r->post_start_wait)
            return false;
          start_container (r, c);
          if (!c->sidecar || c->now.st.state != CSTATE_RUNNING
              || r->post_start_wait)
            return false;
          continue;
        }
      if (c->sidecar)
        {
          if (c->now.st.state != CSTATE_RUNNING)
            restart_with_backoff (r, c, now, next_ms);
          continue;
        }
      if (is_done_ok (c))
        continue;
      if (c->now.st.state == CSTATE_RUNNING)
        return false;
      if (strcmp (policy, "Never") != 0)
        restart_with_backoff (r, c, now, next_ms);
      return false;
    }
  return true;
}

static void
stop_sidecars (struct pod_runner *r)
{
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].sidecar && r->c[i].now.st.state == CSTATE_RUNNING)
      {
        berth_error_t err = NULL;
        emit (r, "Normal", "Killing", r->c[i].spec->name,
              "Stopping container %s", r->c[i].spec->name);
        if (container_stop (
                r->c[i].instance_dir,
                (int)r->pod->spec.termination_grace_period_seconds.v, &err)
            < 0)
          berth_error_release (&err);
        collect (r, &r->c[i]);
      }
}

static void
update_phase (struct pod_runner *r)
{
  struct lifecycle_status states[256];
  size_t n = r->n < 256 ? r->n : 256;
  for (size_t i = 0; i < n; i++)
    {
      states[i] = r->c[i].now.st;
      states[i].name = r->c[i].spec->name;
      states[i].started = states[i].state == CSTATE_RUNNING;
      states[i].ready = states[i].started;
    }
  r->phase = lifecycle_pod_phase (&r->pod->spec, states, n, false, false);
}

int
pod_runner_sync (struct pod_runner *r, int64_t now, int64_t *next_ms,
                 berth_error_t *err)
{
  const char *policy = r->pod->spec.restart_policy;
  bool app_active = false;

  *next_ms = -1;
  if (r->terminal)
    return 0;
  for (size_t i = 0; i < r->n; i++)
    collect (r, &r->c[i]);
  if (r->stopping)
    {
      /* being killed: exits are recorded, nothing is restarted */
      update_phase (r);
      return 0;
    }
  if (sync_init (r, now, next_ms))
    for (size_t i = 0; i < r->n; i++)
      {
        struct runner_container *c = &r->c[i];
        struct lifecycle_status *s = &c->now.st;
        if (c->init)
          continue;
        if (s->state == CSTATE_NONE
            || (s->state == CSTATE_WAITING && !s->last_terminated
                && c->instance_dir == NULL))
          {
            if (r->post_start_wait == NULL)
              start_container (r, c);
          }
        else if ((s->state == CSTATE_TERMINATED
                  || (s->state == CSTATE_WAITING && s->last_terminated))
                 && lifecycle_should_restart (policy, s, false))
          {
            if (s->state == CSTATE_WAITING)
              s->state = CSTATE_TERMINATED;
            restart_with_backoff (r, c, now, next_ms);
          }
        if (c->now.st.state != CSTATE_TERMINATED)
          app_active = true;
      }
  else
    app_active = true;
  /* every app container finished for good: the sidecars go too */
  if (!app_active)
    stop_sidecars (r);
  update_phase (r);
  if (r->phase == PHASE_SUCCEEDED || r->phase == PHASE_FAILED)
    r->terminal = true;
  (void)err;
  return 0;
}

void
pod_runner_post_start_done (struct pod_runner *r,
                            const struct runner_container *c)
{
  if (r->post_start_wait == c)
    r->post_start_wait = NULL;
}

/* ---- setting up and tearing down the pod ---- */

/* The kubelet's canAdmitPod and rejectPod: the first admit handler that
 * says no (sysctls, then resources) gives the reason; the event carries
 * its message, the status "Pod was rejected: " and the message. */
static int
admit (struct pod_runner *r)
{
  struct cgroup_admission adm;
  berth_error_t err = NULL;
  cleanup_free char *forbidden = sysctl_admit (r->cfg->sysctls, r->pod);
  cleanup_free char *msg = NULL;
  const char *why;
  if (forbidden)
    {
      set_str (&r->reason, "SysctlForbidden");
      why = forbidden;
    }
  else if (r->cfg->cgroups == NULL)
    return 0;
  else if (cgroup_admit (&r->pod->spec, r->cfg->admitted, r->cfg->n_admitted,
                         &r->cfg->node, &adm, &err)
           < 0)
    {
      set_str (&r->reason, "UnexpectedAdmissionError");
      msg = xstrdup (berth_error_msg (&err));
      berth_error_release (&err);
      why = msg;
    }
  else if (!adm.admit)
    {
      set_str (&r->reason, adm.reason);
      why = adm.message;
    }
  else
    return 0;
  emit (r, "Warning", r->reason, "", "%s", why);
  {
    cleanup_free char *status = xasprintf ("Pod was rejected: %s", why);
    set_str (&r->message, status);
  }
  r->phase = PHASE_FAILED;
  r->terminal = true;
  return -1;
}

/* The kubelet keeps such a pod Pending and retries; berth run gives up. */
static void
fail_setup (struct pod_runner *r, const char *reason, berth_error_t *err)
{
  set_str (&r->reason, reason);
  set_str (&r->message, berth_error_msg (err));
  emit (r, "Warning", reason, "", "%s", berth_error_msg (err));
  berth_error_release (err);
  r->terminal = true;
}

void
pod_runner_init (struct pod_runner *r, const struct runner_config *cfg,
                 const struct pod *pod)
{
  const struct pod_spec *ps = &pod->spec;
  size_t k = 0;

  memset (r, 0, sizeof (*r));
  r->cfg = cfg;
  r->pod = pod;
  r->phase = PHASE_PENDING;
  r->uid = sandbox_pod_uid (pod);
  r->ref = xasprintf ("%s_%s(%s)", pod->metadata.name, pod_ns (pod), r->uid);
  r->dir = xasprintf ("%s/pods/%s", cfg->root, r->uid);
  r->qos = qos_compute (ps);
  backoff_table_init (&r->backoff);
  r->n = ps->init_containers.len + ps->containers.len;
  r->c = xcalloc (r->n, sizeof (*r->c));
  for (size_t i = 0; i < ps->init_containers.len; i++, k++)
    {
      r->c[k].spec = &ps->init_containers.items[i];
      r->c[k].init = true;
      r->c[k].sidecar = lifecycle_is_sidecar (r->c[k].spec);
    }
  for (size_t i = 0; i < ps->containers.len; i++, k++)
    r->c[k].spec = &ps->containers.items[i];
  for (size_t i = 0; i < r->n; i++)
    {
      r->c[i].backoff_key = backoff_key (pod->metadata.name, pod_ns (pod),
                                         r->uid, r->c[i].spec);
      set_str (&r->c[i].now.waiting_reason, ps->init_containers.len
                                                ? "PodInitializing"
                                                : "ContainerCreating");
    }
}

struct volumes_lookup
pod_runner_volumes_lookup (struct pod_runner *r)
{
  struct volumes_lookup lk = { .config_map = find_config_map,
                               .secret = find_secret,
                               .ctx = (void *)r->cfg,
                               .sa_token = pod_runner_sa_token,
                               .sa_token_ctx = r };
  return lk;
}

int
pod_runner_setup (struct pod_runner *r, bool adopt, berth_error_t *err)
{
  const struct runner_config *cfg = r->cfg;
  const struct pod *pod = r->pod;
  const struct pod_spec *ps = &pod->spec;
  struct volumes_lookup lookup = pod_runner_volumes_lookup (r);
  berth_error_t e = NULL;

  if (fs_mkdir_p (r->dir, 0700, err) < 0)
    return -1;
  /* an adopted pod was admitted by the agent that started it */
  if (!adopt && admit (r) < 0)
    return 0;
  if (cfg->cgroups
      && (cgroup_values_for_pod (ps, &cfg->node, &r->cv, &e) < 0
          || cgroup_fs_pod_create (cfg->cgroups, r->qos, r->uid, &r->cv.pod, &e)
                 < 0))
    {
      fail_setup (r, "FailedCreatePodContainer", &e);
      return 0;
    }
  r->pod_cgroup = cfg->cgroups != NULL;
  r->sandbox_adopted
      = adopt && sandbox_open (&cfg->sandbox, pod, &r->sandbox, &e) == 0;
  berth_error_release (&e);
  if (!r->sandbox_adopted)
    {
      if (adopt)
        {
          /* a reboot: the old sandbox's leftovers go before a new one */
          if (sandbox_destroy (&cfg->sandbox, r->uid, &e) < 0)
            berth_error_release (&e);
          pod_runner_mark_lost (r);
        }
      if (sandbox_create (&cfg->sandbox, pod, &r->sandbox, &e) < 0)
        {
          fail_setup (r, "FailedCreatePodSandBox", &e);
          return 0;
        }
      if (r->sandbox->warning)
        emit (r, "Warning", "NetworkNotReady", "", "%s", r->sandbox->warning);
    }
  if (volumes_setup (r->dir, pod, &lookup, &r->vols, &e) < 0)
    {
      fail_setup (r, "FailedMount", &e);
      return 0;
    }
  /* adopted running containers: their cgroup and OOM watch again */
  for (size_t i = 0; adopt && i < r->n; i++)
    if (r->c[i].now.st.state == CSTATE_RUNNING
        && ensure_cgroup (r, &r->c[i], &e) < 0)
      berth_error_release (&e);
  return 0;
}

int
pod_runner_start (struct pod_runner *r, const struct runner_config *cfg,
                  const struct pod *pod, berth_error_t *err)
{
  pod_runner_init (r, cfg, pod);
  return pod_runner_setup (r, false, err);
}

void
pod_runner_mark_lost (struct pod_runner *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      struct runner_container *c = &r->c[i];
      struct container_status st = { 0 };
      cleanup_free char *started = NULL;
      if (c->now.st.state != CSTATE_RUNNING)
        continue;
      started = c->now.started_at ? xstrdup (c->now.started_at) : NULL;
      /* what containerd reports for a container whose shim is gone */
      st.state = CONTAINER_EXITED;
      st.exit_code_set = true;
      st.exit_code = 255;
      st.reason = (char *)"Unknown";
      st.started_at = started;
      record_exit (r, c, &st);
    }
}

void
pod_runner_sample (struct pod_runner *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      struct runner_container *c = &r->c[i];
      struct oom_delta d;
      berth_error_t err = NULL;
      if (c->cgroup_dir == NULL)
        continue;
      if (cgroup_stats_read_path (c->cgroup_dir, &c->stats, &err) < 0)
        {
          berth_error_release (&err);
          continue;
        }
      c->cpu_usec_total = c->stats.cpu.usage_usec.v;
      c->periods_total = c->stats.cpu.nr_periods.v;
      c->throttled_periods_total = c->stats.cpu.nr_throttled.v;
      c->throttled_usec_total = c->stats.cpu.throttled_usec.v;
      if (c->stats.memory_peak.set && c->stats.memory_peak.v > c->memory_peak)
        c->memory_peak = c->stats.memory_peak.v;
      /* OOM kills while it runs: of its main process (it is about to exit)
       * or of another process, which it may survive */
      if (c->oom && c->now.st.state == CSTATE_RUNNING
          && oom_watch_process (c->oom, &d, &err) > 0 && d.oom_kill > 0)
        {
          c->oom_kills += d.oom_kill;
          c->attempt_oom_kills += d.oom_kill;
          emit (r, "Warning", "OOMKilling", c->spec->name,
                "Memory cgroup out of memory: killed a process of container "
                "%s (oom_kill %llu)",
                c->spec->name, (unsigned long long)d.now.oom_kill.v);
        }
      berth_error_release (&err);
    }
}

size_t
pod_runner_poll_fds (const struct pod_runner *r, int *fds, size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < r->n && n < max; i++)
    if (r->c[i].oom)
      fds[n++] = oom_watch_fd (r->c[i].oom);
  return n;
}

int
pod_runner_stop (struct pod_runner *r, berth_error_t *err)
{
  int grace = (int)r->pod->spec.termination_grace_period_seconds.v;
  berth_error_t e = NULL;
  int ret = 0;

  /* app containers first, then sidecars, then regular init containers */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < r->n; i++)
      {
        struct runner_container *c = &r->c[i];
        if ((pass == 0) != !c->init || c->now.st.state != CSTATE_RUNNING)
          continue;
        emit (r, "Normal", "Killing", c->spec->name, "Stopping container %s",
              c->spec->name);
        if (container_stop (c->instance_dir, grace, &e) < 0)
          berth_error_release (&e);
        collect (r, c);
      }
  if (r->pod_cgroup
      && cgroup_fs_pod_remove (r->cfg->cgroups, r->uid, 10000, &e) < 0)
    {
      ret = berth_error_wrap (&e, "remove the pod's cgroup");
      *err = steal_pointer (&e);
    }
  if (volumes_teardown (r->dir, &e) < 0)
    {
      if (ret == 0)
        ret = -1, *err = steal_pointer (&e);
      berth_error_release (&e);
    }
  if (sandbox_destroy (&r->cfg->sandbox, r->uid, &e) < 0)
    {
      if (ret == 0)
        ret = -1, *err = steal_pointer (&e);
      berth_error_release (&e);
    }
  /* no container of the pod uses its image's layers any more */
  if (r->cfg->images
      && image_store_lease_release (r->cfg->images, r->uid, &e) < 0)
    {
      if (ret == 0)
        ret = -1, *err = steal_pointer (&e);
      berth_error_release (&e);
    }
  return ret;
}

void
pod_runner_free (struct pod_runner *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      struct runner_container *c = &r->c[i];
      free (c->instance_dir);
      free (c->cgroup_dir);
      free (c->backoff_key);
      free (c->now.waiting_reason);
      free (c->now.waiting_message);
      free (c->now.reason);
      free (c->now.message);
      free (c->now.started_at);
      free (c->now.finished_at);
      for (size_t k = 0; k < c->n_attempts; k++)
        {
          free (c->attempts[k].reason);
          free (c->attempts[k].message);
          free (c->attempts[k].started_at);
          free (c->attempts[k].finished_at);
        }
      free (c->attempts);
      if (c->oom)
        oom_watch_free (c->oom);
      if (c->image)
        image_info_free (c->image);
    }
  free (r->c);
  if (r->sandbox)
    sandbox_free (r->sandbox);
  volumes_set_clear (&r->vols);
  pod_runner_tokens_free (r);
  if (r->pod_cgroup || r->cv.containers)
    cgroup_pod_values_free (&r->cv);
  backoff_table_free (&r->backoff);
  free (r->uid);
  free (r->ref);
  free (r->dir);
  free (r->reason);
  free (r->message);
  memset (r, 0, sizeof (*r));
}
