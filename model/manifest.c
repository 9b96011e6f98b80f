/* manifest.c - see manifest.h. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "kinds.h"

/* The largest file read, as the kubelet's static pod source limits it. */
#define MANIFEST_MAX_BYTES (10 * 1024 * 1024)

static const struct kind_info kinds[] = {
  { KIND_POD, "Pod", "", "v1", "pods", true, &pod_desc, defaults_pod,
    validate_pod },
  { KIND_CONFIG_MAP, "ConfigMap", "", "v1", "configmaps", true,
    &config_map_desc, defaults_config_map, validate_config_map },
  { KIND_SECRET, "Secret", "", "v1", "secrets", true, &secret_desc,
    defaults_secret, validate_secret },
  { KIND_NAMESPACE, "Namespace", "", "v1", "namespaces", false, &namespace_desc,
    defaults_namespace, validate_namespace },
  { KIND_SERVICE, "Service", "", "v1", "services", true, &service_desc,
    defaults_service, validate_service },
  { KIND_JOB, "Job", "batch", "v1", "jobs", true, &job_desc, defaults_job,
    validate_job },
  { KIND_CRON_JOB, "CronJob", "batch", "v1", "cronjobs", true, &cron_job_desc,
    defaults_cron_job, validate_cron_job },
  { KIND_DEPLOYMENT, "Deployment", "apps", "v1", "deployments", true,
    &deployment_desc, defaults_deployment, validate_workload },
  { KIND_REPLICA_SET, "ReplicaSet", "apps", "v1", "replicasets", true,
    &replica_set_desc, defaults_replica_set, validate_workload },
  { KIND_STATEFUL_SET, "StatefulSet", "apps", "v1", "statefulsets", true,
    &stateful_set_desc, defaults_stateful_set, validate_workload },
};

const struct kind_info *
kind_lookup (const char *kind)
{
  for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
    if (strcmp (kinds[i].kind, kind) == 0)
      return &kinds[i];
  return NULL;
}

struct object_meta *
object_meta (const struct object *o)
{
  return o->data; /* every kind's struct starts with its metadata */
}

const char *
object_name (const struct object *o)
{
  struct object_meta *m = o->data ? object_meta (o) : NULL;
  if (m && m->name)
    return m->name;
  if (m && m->generate_name)
    return m->generate_name;
  return "";
}

const char *
object_namespace (const struct object *o)
{
  struct object_meta *m = o->data ? object_meta (o) : NULL;
  if (o->info && !o->info->namespaced)
    return NULL;
  return m && m->namespace ? m->namespace : "default";
}

char *
object_ref (const struct object *o)
{
  cleanup_free char *kind = xstrdup (o->info ? o->info->kind : o->kind);
  const char *ns = object_namespace (o);
  char *ref = NULL;
  for (char *p = kind; *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  if (asprintf (&ref, "%s/%s%s%s", *kind ? kind : "object", ns ? ns : "",
                ns ? "/" : "", object_name (o))
      < 0)
    abort ();
  return ref;
}

bool
object_is_valid (const struct object *o)
{
  return o->info != NULL && diag_count (&o->diags, DIAG_ERROR) == 0;
}

static char *
api_version_of (const struct kind_info *info)
{
  char *s = NULL;
  if (asprintf (&s, "%s%s%s", info->group, *info->group ? "/" : "",
                info->version)
      < 0)
    abort ();
  return s;
}

/* Kinds of the Kubernetes API that berth reads but cannot run yet. */
static bool
kind_is_known_unsupported (const char *kind)
{
  static const char *const names[] = { "PersistentVolume",
                                       "PersistentVolumeClaim",
                                       "StorageClass",
                                       "Ingress",
                                       "IngressClass",
                                       "HorizontalPodAutoscaler",
                                       "DaemonSet",
                                       "ServiceAccount",
                                       "Role",
                                       "RoleBinding",
                                       "ClusterRole",
                                       "ClusterRoleBinding",
                                       "NetworkPolicy",
                                       "PodDisruptionBudget",
                                       "LimitRange",
                                       "ResourceQuota",
                                       "Endpoints",
                                       "EndpointSlice",
                                       "PriorityClass",
                                       "RuntimeClass",
                                       "Node",
                                       "Event",
                                       "ReplicationController",
                                       "PodTemplate",
                                       NULL };
  for (size_t i = 0; names[i]; i++)
    if (strcmp (names[i], kind) == 0)
      return true;
  return false;
}

static char *
scalar_field (struct object *o, const struct node *n, const char *name)
{
  const struct node *v = node_map_get (n, name);
  if (v == NULL || (v->kind == NODE_SCALAR && !v->quoted && node_is_null (v)))
    {
      diag_add (&o->diags, DIAG_ERROR, name, "Required value");
      return NULL;
    }
  if (v->kind != NODE_SCALAR)
    {
      diag_add (&o->diags, DIAG_ERROR, name, "expected a string, got %s",
                codec_node_type_name (v));
      return NULL;
    }
  return xstrdup (v->text);
}

/* Set o->info from apiVersion and kind, or explain why not. */
static void
resolve_kind (struct object *o)
{
  const struct kind_info *info;
  cleanup_free char *want = NULL;

  if (o->kind == NULL)
    return;
  info = kind_lookup (o->kind);
  if (info == NULL)
    {
      diag_add (&o->diags, DIAG_ERROR, "kind", "kind %s is not supported%s",
                o->kind, kind_is_known_unsupported (o->kind) ? " yet" : "");
      return;
    }
  if (o->api_version == NULL)
    return;
  want = api_version_of (info);
  if (strcmp (want, o->api_version) != 0)
    {
      diag_add (&o->diags, DIAG_ERROR, "apiVersion",
                "no kind \"%s\" is registered for version \"%s\" (use "
                "\"%s\")",
                o->kind, o->api_version, want);
      return;
    }
  o->info = info;
}

/* For an object berth cannot decode, keep the metadata to name it. */
static void
decode_metadata_only (struct object *o, const struct node *n)
{
  struct diag_list ignored = { 0 };
  struct decode_ctx ctx = { .diags = &ignored };
  o->data = xcalloc (1, sizeof (struct object_meta));
  codec_decode (&ctx, &object_meta_desc, node_map_get (n, "metadata"), o->data);
  path_free (&ctx.path);
  diag_list_free (&ignored);
}

struct object *
object_from_node (const char *file, const struct node *n,
                  const char *path_prefix)
{
  struct object *o = xcalloc (1, sizeof (*o));
  struct decode_ctx ctx = { .diags = &o->diags };

  o->file = xstrdup (file);
  o->path_prefix = xstrdup (path_prefix);
  o->line = n ? n->line : 0;
  if (n == NULL || n->kind != NODE_MAP)
    {
      o->kind = xstrdup ("");
      diag_add (&o->diags, DIAG_ERROR, "", "expected an object, got %s",
                codec_node_type_name (n));
      return o;
    }
  o->api_version = scalar_field (o, n, "apiVersion");
  o->kind = scalar_field (o, n, "kind");
  resolve_kind (o);
  if (o->info == NULL)
    {
      if (o->kind == NULL)
        o->kind = xstrdup ("");
      decode_metadata_only (o, n);
      return o;
    }
  o->data = xcalloc (1, o->info->desc->size);
  codec_decode (&ctx, o->info->desc, n, o->data);
  path_free (&ctx.path);
  if (diag_count (&o->diags, DIAG_ERROR) > 0)
    return o; /* as the API server: a decode error stops before defaults */
  o->info->set_defaults (o);
  o->info->validate (o);
  return o;
}

void
object_free (struct object *o)
{
  if (o == NULL)
    return;
  if (o->data)
    {
      codec_free (o->info ? o->info->desc : &object_meta_desc, o->data);
      free (o->data);
    }
  free (o->api_version);
  free (o->kind);
  free (o->file);
  free (o->path_prefix);
  diag_list_free (&o->diags);
  free (o);
}

struct node *
object_encode (const struct object *o)
{
  struct node *body, *out = node_new_map ();
  cleanup_free char *api_version = NULL;

  if (o->info == NULL)
    return out;
  api_version = api_version_of (o->info);
  node_map_set_str (out, "apiVersion", api_version);
  node_map_set_str (out, "kind", o->info->kind);
  body = codec_encode (o->info->desc, o->data);
  for (size_t i = 0; i < body->len; i++)
    node_map_set (out, body->pairs[i].key->text,
                  node_ref (body->pairs[i].value));
  node_unref (body);
  return out;
}

static void
manifest_add (struct manifest *m, struct object *o)
{
  struct object **objs
      = reallocarray (m->objects, m->len + 1, sizeof (*m->objects));
  if (objs == NULL)
    abort ();
  m->objects = objs;
  m->objects[m->len++] = o;
}

static bool
is_list_kind (const struct node *doc)
{
  const struct node *kind = node_map_get (doc, "kind");
  size_t len;
  if (kind == NULL || kind->kind != NODE_SCALAR)
    return false;
  len = strlen (kind->text);
  return len >= 4 && strcmp (kind->text + len - 4, "List") == 0
         && node_map_get (doc, "items") != NULL;
}

/* An item of a typed list (PodList, ...) as the API server returns it has
 * no kind or apiVersion: they are the list's, without "List".  Returns a
 * new reference (ITEM itself when nothing is missing). */
static struct node *
typed_list_item (const struct node *doc, struct node *item)
{
  const struct node *kind = node_map_get (doc, "kind");
  const struct node *api = node_map_get (doc, "apiVersion");
  size_t len = strlen (kind->text);
  struct node *copy;
  if (item->kind != NODE_MAP || strcmp (kind->text, "List") == 0
      || node_map_get (item, "kind") != NULL)
    return node_ref (item);
  copy = node_new_map ();
  node_map_set (copy, "kind", node_new_scalarn (kind->text, len - 4, true));
  if (api && api->kind == NODE_SCALAR
      && node_map_get (item, "apiVersion") == NULL)
    node_map_set (copy, "apiVersion", node_ref ((struct node *)api));
  for (size_t i = 0; i < item->len; i++)
    node_map_set (copy, item->pairs[i].key->text,
                  node_ref (item->pairs[i].value));
  return copy;
}

static void
manifest_add_list (struct manifest *m, const char *file, const struct node *doc)
{
  const struct node *items = node_map_get (doc, "items");
  if (items->kind != NODE_SEQ)
    {
      struct object *o = xcalloc (1, sizeof (*o));
      o->file = xstrdup (file);
      o->kind = xstrdup (node_map_get (doc, "kind")->text);
      o->path_prefix = xstrdup ("");
      o->line = doc->line;
      diag_add (&o->diags, DIAG_ERROR, "items", "expected a list, got %s",
                codec_node_type_name (items));
      manifest_add (m, o);
      return;
    }
  for (size_t i = 0; i < items->len; i++)
    {
      char prefix[48];
      struct node *item = typed_list_item (doc, items->items[i]);
      snprintf (prefix, sizeof (prefix), "items[%zu]", i);
      manifest_add (m, object_from_node (file, item, prefix));
      node_unref (item);
    }
}

void
manifest_read_buffer (const char *file, const char *buf, size_t len,
                      struct manifest *out)
{
  struct node_stream stream = { 0 };
  berth_error_t err = NULL;

  memset (out, 0, sizeof (*out));
  if (len > MANIFEST_MAX_BYTES)
    {
      diag_add (&out->diags, DIAG_ERROR, "",
                "file is %zu bytes, larger than the limit of %d bytes", len,
                MANIFEST_MAX_BYTES);
      return;
    }
  if (node_stream_read (buf, len, &stream, &err) < 0)
    {
      diag_add (&out->diags, DIAG_ERROR, "", "%s", berth_error_msg (&err));
      berth_error_release (&err);
      return;
    }
  for (size_t i = 0; i < stream.len; i++)
    {
      const struct node *doc = stream.docs[i];
      if (doc == NULL)
        continue; /* an empty document, as between two "---" */
      if (doc->kind == NODE_MAP && is_list_kind (doc))
        manifest_add_list (out, file, doc);
      else
        manifest_add (out, object_from_node (file, doc, ""));
    }
  node_stream_free (&stream);
}

static int
read_all (int fd, const char *path, char **out, size_t *out_len,
          berth_error_t *err)
{
  size_t cap = 65536, len = 0;
  cleanup_free char *buf = malloc (cap);
  if (buf == NULL)
    return berth_error_sys (err, ENOMEM, "read %s", path);
  for (;;)
    {
      ssize_t n;
      if (len == cap)
        {
          char *nb;
          if (cap > MANIFEST_MAX_BYTES)
            break; /* the caller reports the size */
          nb = realloc (buf, cap * 2);
          if (nb == NULL)
            return berth_error_sys (err, ENOMEM, "read %s", path);
          buf = nb;
          cap *= 2;
        }
      n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error_sys (err, errno, "read %s", path);
      if (n == 0)
        break;
      len += (size_t)n;
    }
  *out = steal_pointer (&buf);
  *out_len = len;
  return 0;
}

int
manifest_read_file (const char *path, struct manifest *out, berth_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  bool is_stdin = strcmp (path, "-") == 0;

  memset (out, 0, sizeof (*out));
  if (!is_stdin)
    {
      struct stat st;
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_error_sys (err, errno, "open %s", path);
      if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
        return berth_error_make (err, EISDIR, "%s is a directory", path);
    }
  if (read_all (is_stdin ? STDIN_FILENO : fd, path, &buf, &len, err) < 0)
    return -1;
  manifest_read_buffer (is_stdin ? "<stdin>" : path, buf, len, out);
  return 0;
}

void
manifest_free (struct manifest *m)
{
  for (size_t i = 0; i < m->len; i++)
    object_free (m->objects[i]);
  free (m->objects);
  diag_list_free (&m->diags);
  memset (m, 0, sizeof (*m));
}
