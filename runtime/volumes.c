/* volumes.c - see volumes.h.  Follows the kubelet's volume plugins
 * (pkg/volume/emptydir, hostpath, configmap, secret, downwardapi,
 * projected). */
#include "volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

#define DEFAULT_MODE 0644

struct file_list
{
  struct volumes_file *v;
  size_t n;
};

static void
file_list_clear (struct file_list *l)
{
  size_t i;
  for (i = 0; i < l->n; i++)
    {
      free (l->v[i].path);
      free (l->v[i].data);
    }
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

static void
file_list_add (struct file_list *l, const char *path, const char *data,
               size_t len, int mode)
{
  l->v = realloc (l->v, (l->n + 1) * sizeof *l->v);
  if (l->v == NULL)
    abort ();
  l->v[l->n].path = strdup (path);
  l->v[l->n].data = malloc (len + 1);
  if (l->v[l->n].path == NULL || l->v[l->n].data == NULL)
    abort ();
  memcpy (l->v[l->n].data, data, len);
  l->v[l->n].data[len] = '\0';
  l->v[l->n].len = len;
  l->v[l->n].mode = mode;
  l->n++;
}

static char *
join (const char *a, const char *b)
{
  char *s = NULL;
  if (asprintf (&s, "%s/%s", a, b) < 0)
    abort ();
  return s;
}

/* A tmpfs mounted already (by an earlier setup of the same pod) has its
 * own device number. */
static bool
is_mount_point (const char *dir)
{
  cleanup_free char *up = NULL;
  struct stat a, b;

  if (asprintf (&up, "%s/..", dir) < 0)
    abort ();
  return stat (dir, &a) == 0 && stat (up, &b) == 0 && a.st_dev != b.st_dev;
}

static int
mount_tmpfs (const char *dir, int64_t size, berth_error_t *err)
{
  char opts[64];

  if (is_mount_point (dir))
    return 0;
  if (size > 0)
    snprintf (opts, sizeof opts, "mode=0777,size=%lld", (long long)size);
  else
    snprintf (opts, sizeof opts, "mode=0777");
  if (mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
    return berth_error_sys (err, errno, "mount tmpfs on %s", dir);
  return 0;
}

static int
setup_empty_dir (const char *dir, const struct empty_dir_source *e,
                 berth_error_t *err)
{
  int64_t size = 0;

  if (fs_mkdir_p (dir, 0777, err) < 0)
    return -1;
  if (chmod (dir, 0777) < 0)
    return berth_error_sys (err, errno, "chmod %s", dir);
  if (e->medium && strcmp (e->medium, "Memory") == 0)
    {
      if (e->size_limit && quantity_value (e->size_limit, &size, err) < 0)
        return -1;
      return mount_tmpfs (dir, size, err);
    }
  if (e->medium && *e->medium)
    return berth_error_make (err, EINVAL,
                             "emptyDir medium \"%s\" is not "
                             "supported",
                             e->medium);
  return 0;
}

static int
check_host_path (const struct host_path_source *h, berth_error_t *err)
{
  const char *t = h->type ? h->type : "";
  const char *p = h->path ? h->path : "";
  struct stat st;
  int r;

  if (strcmp (t, "DirectoryOrCreate") == 0 && fs_mkdir_p (p, 0755, err) < 0)
    return -1;
  if (strcmp (t, "FileOrCreate") == 0)
    {
      int fd = open (p, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0 && errno != ELOOP && errno != EISDIR)
        return berth_error_sys (err, errno,
                                "hostPath type check failed: "
                                "create %s",
                                p);
      if (fd >= 0)
        close (fd);
    }
  r = stat (p, &st);
  if (*t == '\0')
    return 0;
  if (r < 0)
    return berth_error_make (
        err, ENOENT, "hostPath type check failed: %s does not exist", p);
#define CHECK(name, test, what)                                                \
  if (strcmp (t, name) == 0 && !(test))                                        \
  return berth_error_make (err, EINVAL,                                        \
                           "hostPath type check failed: %s is not a " what, p)
  CHECK ("DirectoryOrCreate", S_ISDIR (st.st_mode), "directory");
  CHECK ("Directory", S_ISDIR (st.st_mode), "directory");
  CHECK ("FileOrCreate", S_ISREG (st.st_mode), "file");
  CHECK ("File", S_ISREG (st.st_mode), "file");
  CHECK ("Socket", S_ISSOCK (st.st_mode), "socket file");
  CHECK ("CharDevice", S_ISCHR (st.st_mode), "character device");
  CHECK ("BlockDevice", S_ISBLK (st.st_mode), "block device");
#undef CHECK
  return 0;
}

/* key -> bytes of a ConfigMap (data and binaryData) or Secret (data and
 * stringData). */
struct kv
{
  const char *key;
  const char *val;
  size_t len;
};

static size_t
config_map_kvs (const struct config_map *cm, struct kv **out)
{
  size_t i, n = 0;
  struct kv *v = calloc (cm->data.len + cm->binary_data.len + 1, sizeof *v);
  if (v == NULL)
    abort ();
  for (i = 0; i < cm->data.len; i++)
    v[n++] = (struct kv){ cm->data.keys[i], cm->data.values[i],
                          strlen (cm->data.values[i]) };
  for (i = 0; i < cm->binary_data.len; i++)
    v[n++] = (struct kv){ cm->binary_data.keys[i], cm->binary_data.values[i],
                          cm->binary_data.lens[i] };
  *out = v;
  return n;
}

static size_t
secret_kvs (const struct secret *s, struct kv **out)
{
  size_t i, j, n = 0;
  struct kv *v = calloc (s->data.len + s->string_data.len + 1, sizeof *v);
  if (v == NULL)
    abort ();
  for (i = 0; i < s->data.len; i++)
    v[n++] = (struct kv){ s->data.keys[i], s->data.values[i], s->data.lens[i] };
  for (i = 0; i < s->string_data.len; i++)
    {
      struct kv e = { s->string_data.keys[i], s->string_data.values[i],
                      strlen (s->string_data.values[i]) };
      for (j = 0; j < n && strcmp (v[j].key, e.key) != 0; j++)
        ;
      v[j] = e;
      if (j == n)
        n++;
    }
  *out = v;
  return n;
}

/* Files for KVS: all keys, or ITEMS (key -> path, mode). */
static int
kv_files (const char *what, const char *obj, const struct kv *kvs, size_t n,
          const struct key_to_path *items, size_t n_items, int mode,
          bool optional, struct file_list *out, berth_error_t *err)
{
  size_t i, j;

  if (n_items == 0)
    for (i = 0; i < n; i++)
      file_list_add (out, kvs[i].key, kvs[i].val, kvs[i].len, mode);
  for (i = 0; i < n_items; i++)
    {
      for (j = 0; j < n && strcmp (kvs[j].key, items[i].key) != 0; j++)
        ;
      if (j == n)
        {
          if (optional)
            continue;
          return berth_error_make (
              err, ENOENT,
              "%s \"%s\" references non-existent %s key: "
              "%s",
              what, obj, strcmp (what, "secret") == 0 ? "secret" : "config",
              items[i].key);
        }
      file_list_add (out, items[i].path, kvs[j].val, kvs[j].len,
                     items[i].mode.set ? (int)items[i].mode.v : mode);
    }
  return 0;
}

static int
config_map_files (const struct pod *pod, const struct volumes_lookup *lk,
                  const char *name, const struct key_to_path *items,
                  size_t n_items, int mode, bool optional,
                  struct file_list *out, berth_error_t *err)
{
  const struct config_map *cm
      = lk && lk->config_map
            ? lk->config_map (lk->ctx, pod->metadata.namespace, name)
            : NULL;
  cleanup_free struct kv *kvs = NULL;
  size_t n;

  if (cm == NULL)
    return optional ? 0
                    : berth_error_make (err, ENOENT,
                                        "configmap \"%s\" not found", name);
  n = config_map_kvs (cm, &kvs);
  return kv_files ("configmap", name, kvs, n, items, n_items, mode, optional,
                   out, err);
}

static int
secret_files (const struct pod *pod, const struct volumes_lookup *lk,
              const char *name, const struct key_to_path *items, size_t n_items,
              int mode, bool optional, struct file_list *out,
              berth_error_t *err)
{
  const struct secret *s
      = lk && lk->secret ? lk->secret (lk->ctx, pod->metadata.namespace, name)
                         : NULL;
  cleanup_free struct kv *kvs = NULL;
  size_t n;

  if (s == NULL)
    return optional ? 0
                    : berth_error_make (err, ENOENT, "secret \"%s\" not found",
                                        name);
  n = secret_kvs (s, &kvs);
  return kv_files ("secret", name, kvs, n, items, n_items, mode, optional, out,
                   err);
}

static int
downward_files (const struct pod *pod, const struct downward_api_file *items,
                size_t n, int mode, struct file_list *out, berth_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      cleanup_free char *v = NULL;
      if (volumes_downward_value (pod, &items[i], &v, err) < 0)
        return berth_error_wrap (err, "items[%zu] (%s)", i,
                                 items[i].path ? items[i].path : "");
      file_list_add (out, items[i].path ? items[i].path : "", v, strlen (v),
                     items[i].mode.set ? (int)items[i].mode.v : mode);
    }
  return 0;
}

static bool
opt (struct opt_bool o)
{
  return o.set && o.v;
}

/* A serviceAccountToken projection: the token the caller's token manager
 * gives, at its path, with the volume's mode. */
static int
token_file (const struct pod *pod, const struct volumes_lookup *lk,
            const struct service_account_token_projection *t, int mode,
            size_t i, struct file_list *out, berth_error_t *err)
{
  cleanup_free char *token = NULL;
  if (lk == NULL || lk->sa_token == NULL)
    return berth_error_make (err, ENOTSUP,
                             "sources[%zu]: serviceAccountToken: no token "
                             "issuer",
                             i);
  if (lk->sa_token (lk->sa_token_ctx, pod, t, &token, err) < 0)
    return berth_error_wrap (err, "sources[%zu]: serviceAccountToken", i);
  file_list_add (out, t->path, token, strlen (token), mode);
  return 0;
}

static int
projected_files (const struct pod *pod, const struct volumes_lookup *lk,
                 const struct projected_source *p, struct file_list *out,
                 berth_error_t *err)
{
  int mode = p->default_mode.set ? (int)p->default_mode.v : DEFAULT_MODE;
  size_t i;

  for (i = 0; i < p->sources.len; i++)
    {
      const struct volume_projection *s = &p->sources.items[i];
      int r = 0;
      if (s->config_map)
        r = config_map_files (pod, lk, s->config_map->name,
                              s->config_map->items.items,
                              s->config_map->items.len, mode,
                              opt (s->config_map->optional), out, err);
      else if (s->secret)
        r = secret_files (pod, lk, s->secret->name, s->secret->items.items,
                          s->secret->items.len, mode, opt (s->secret->optional),
                          out, err);
      else if (s->downward_api)
        r = downward_files (pod, s->downward_api->items.items,
                            s->downward_api->items.len, mode, out, err);
      else if (s->service_account_token)
        r = token_file (pod, lk, s->service_account_token, mode, i, out, err);
      else
        r = berth_error_make (
            err, ENOTSUP, "sources[%zu]: this projection is not supported", i);
      if (r < 0)
        return -1;
    }
  return 0;
}

/* The plugin dir and the files of a file-backed volume; *TMPFS when it
 * must live in memory. */
static int
volume_files (const struct pod *pod, const struct volume *v,
              const struct volumes_lookup *lk, const char **plugin, bool *tmpfs,
              struct file_list *fl, berth_error_t *err)
{
  if (v->config_map)
    {
      const struct config_map_source *c = v->config_map;
      *plugin = "kubernetes.io~configmap";
      return config_map_files (
          pod, lk, c->name ? c->name : "", c->items.items, c->items.len,
          c->default_mode.set ? (int)c->default_mode.v : DEFAULT_MODE,
          opt (c->optional), fl, err);
    }
  *tmpfs = true; /* secrets, and what may hold them, never touch a disk */
  if (v->secret)
    {
      const struct secret_source *s = v->secret;
      *plugin = "kubernetes.io~secret";
      return secret_files (pod, lk, s->secret_name ? s->secret_name : "",
                           s->items.items, s->items.len,
                           s->default_mode.set ? (int)s->default_mode.v
                                               : DEFAULT_MODE,
                           opt (s->optional), fl, err);
    }
  if (v->downward_api)
    {
      const struct downward_api_source *d = v->downward_api;
      *plugin = "kubernetes.io~downward-api";
      return downward_files (
          pod, d->items.items, d->items.len,
          d->default_mode.set ? (int)d->default_mode.v : DEFAULT_MODE, fl, err);
    }
  *plugin = "kubernetes.io~projected";
  return projected_files (pod, lk, v->projected, fl, err);
}

static int
setup_one (const char *vols, const struct pod *pod, const struct volume *v,
           const struct volumes_lookup *lk, char **path, berth_error_t *err)
{
  struct file_list fl = { 0 };
  const char *plugin = NULL;
  cleanup_free char *pdir = NULL;
  bool tmpfs = false;
  int r;

  if (v->host_path)
    {
      if (check_host_path (v->host_path, err) < 0)
        return -1;
      *path = strdup (v->host_path->path);
      return 0;
    }
  if (v->empty_dir)
    {
      pdir = join (vols, "kubernetes.io~empty-dir");
      *path = join (pdir, v->name);
      return setup_empty_dir (*path, v->empty_dir, err);
    }
  if (!v->config_map && !v->secret && !v->downward_api && !v->projected)
    return berth_error_make (err, ENOTSUP,
                             "this volume type is not supported by berth");
  r = volume_files (pod, v, lk, &plugin, &tmpfs, &fl, err);
  if (r == 0)
    {
      pdir = join (vols, plugin);
      *path = join (pdir, v->name);
      r = fs_mkdir_p (*path, 0755, err);
      if (r == 0 && tmpfs)
        r = mount_tmpfs (*path, 0, err);
      if (r == 0 && chmod (*path, 0755) < 0)
        r = berth_error_sys (err, errno, "chmod %s", *path);
      if (r == 0)
        r = volumes_atomic_write (*path, fl.v, fl.n, err);
    }
  file_list_clear (&fl);
  return r;
}

int
volumes_setup (const char *pod_dir, const struct pod *pod,
               const struct volumes_lookup *lookup, struct volumes_set *out,
               berth_error_t *err)
{
  cleanup_free char *vols = join (pod_dir, "volumes");
  size_t i;

  memset (out, 0, sizeof *out);
  out->items = calloc (pod->spec.volumes.len + 1, sizeof *out->items);
  if (out->items == NULL)
    abort ();
  for (i = 0; i < pod->spec.volumes.len; i++)
    {
      const struct volume *v = &pod->spec.volumes.items[i];
      char *path = NULL;
      if (v->name == NULL || strchr (v->name, '/') || *v->name == '.'
          || setup_one (vols, pod, v, lookup, &path, err) < 0)
        {
          free (path);
          if (*err == NULL)
            berth_error_make (err, EINVAL, "invalid volume name");
          return berth_error_wrap (err, "volume \"%s\"",
                                   v->name ? v->name : "");
        }
      out->items[out->len].name = strdup (v->name);
      out->items[out->len].path = path;
      out->items[out->len].readonly
          = v->config_map || v->secret || v->downward_api || v->projected;
      out->len++;
    }
  return 0;
}

const char *
volumes_find (const struct volumes_set *set, const char *name)
{
  size_t i;
  for (i = 0; i < set->len; i++)
    if (strcmp (set->items[i].name, name) == 0)
      return set->items[i].path;
  return NULL;
}

bool
volumes_readonly (const struct volumes_set *set, const char *name)
{
  size_t i;
  for (i = 0; i < set->len; i++)
    if (strcmp (set->items[i].name, name) == 0)
      return set->items[i].readonly;
  return false;
}

void
volumes_set_clear (struct volumes_set *set)
{
  size_t i;
  for (i = 0; i < set->len; i++)
    {
      free (set->items[i].name);
      free (set->items[i].path);
    }
  free (set->items);
  memset (set, 0, sizeof *set);
}

int
volumes_teardown (const char *pod_dir, berth_error_t *err)
{
  cleanup_free char *vols = join (pod_dir, "volumes");
  if (volumes_unmount_under (vols, err) < 0)
    return -1;
  return volumes_remove_tree (vols, err);
}
