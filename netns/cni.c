/* cni.c - see cni.h.  Follows SPEC.md of CNI 1.0.0: section 3 (execution
 * protocol, environment), 4 (plugin chaining with prevResult, DEL in
 * reverse order) and 5 (result and error types). */
#include "cni.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "cni_exec.h"

char *
cni_default_conflist (const char *pod_cidr, const char *bridge)
{
  char *s = NULL;
  if (asprintf (&s,
                "{\n"
                "  \"cniVersion\": \"%s\",\n"
                "  \"name\": \"%s\",\n"
                "  \"plugins\": [\n"
                "    {\n"
                "      \"type\": \"bridge\",\n"
                "      \"bridge\": \"%s\",\n"
                "      \"isGateway\": true,\n"
                "      \"ipMasq\": true,\n"
                "      \"hairpinMode\": true,\n"
                "      \"ipam\": {\n"
                "        \"type\": \"host-local\",\n"
                "        \"routes\": [{ \"dst\": \"0.0.0.0/0\" }],\n"
                "        \"ranges\": [[{ \"subnet\": \"%s\" }]]\n"
                "      }\n"
                "    },\n"
                "    {\n"
                "      \"type\": \"portmap\",\n"
                "      \"capabilities\": { \"portMappings\": true }\n"
                "    }\n"
                "  ]\n"
                "}\n",
                CNI_VERSION, CNI_DEFAULT_NETWORK,
                bridge ? bridge : CNI_DEFAULT_BRIDGE,
                pod_cidr ? pod_cidr : CNI_DEFAULT_POD_CIDR)
      < 0)
    return NULL;
  return s;
}

void
cni_network_free (struct cni_network *net)
{
  if (net == NULL)
    return;
  free (net->name);
  free (net->cni_version);
  free (net->file);
  node_unref (net->config);
  free (net->warning);
  free (net);
}

static const char *
str_field (const struct node *map, const char *key)
{
  const struct node *n = map ? node_map_get (map, key) : NULL;
  return n && n->kind == NODE_SCALAR && !node_is_null (n) ? n->text : NULL;
}

static int
read_json (const char *what, const char *text, size_t len, struct node **out,
           berth_error_t *err)
{
  struct node_stream s = { 0 };

  if (node_stream_read (text, len, &s, err) < 0)
    return berth_error_wrap (err, "%s", what);
  if (s.len < 1 || s.docs[0] == NULL)
    {
      node_stream_free (&s);
      return berth_error_make (err, EINVAL, "%s: empty", what);
    }
  *out = node_ref (s.docs[0]);
  node_stream_free (&s);
  return 0;
}

/* A single-plugin .conf becomes a list of one. */
static struct node *
conf_to_list (struct node *conf)
{
  struct node *list = node_new_map (), *plugins = node_new_seq ();
  struct node *plugin = node_new_map ();
  size_t i;

  for (i = 0; i < conf->len; i++)
    {
      const char *k = conf->pairs[i].key->text;
      if (strcmp (k, "name") == 0 || strcmp (k, "cniVersion") == 0)
        node_map_set (list, k, node_ref (conf->pairs[i].value));
      else
        node_map_set (plugin, k, node_ref (conf->pairs[i].value));
    }
  node_seq_append (plugins, plugin);
  node_map_set (list, "plugins", plugins);
  node_unref (conf);
  return list;
}

int
cni_parse_conflist (const char *file, const char *text, size_t len,
                    struct cni_network **out, berth_error_t *err)
{
  struct node *conf = NULL, *plugins;
  struct cni_network *net;
  const char *name, *version;
  size_t i;

  if (read_json (file, text, len, &conf, err) < 0)
    return -1;
  if (conf->kind != NODE_MAP)
    {
      node_unref (conf);
      return berth_error_make (err, EINVAL, "%s: not a JSON object", file);
    }
  if (node_map_get (conf, "plugins") == NULL && str_field (conf, "type"))
    conf = conf_to_list (conf);
  name = str_field (conf, "name");
  version = str_field (conf, "cniVersion");
  plugins = node_map_get (conf, "plugins");
  if (name == NULL || plugins == NULL || plugins->kind != NODE_SEQ
      || plugins->len == 0)
    {
      node_unref (conf);
      return berth_error_make (err, EINVAL, "%s: %s", file,
                               name == NULL ? "no network name (name)"
                                            : "no plugins (plugins)");
    }
  for (i = 0; i < plugins->len; i++)
    if (plugins->items[i]->kind != NODE_MAP
        || str_field (plugins->items[i], "type") == NULL)
      {
        node_unref (conf);
        return berth_error_make (err, EINVAL, "%s: plugins[%zu].type: missing",
                                 file, i);
      }
  net = calloc (1, sizeof *net);
  if (net == NULL)
    abort ();
  net->name = strdup (name);
  net->cni_version = strdup (version ? version : CNI_VERSION);
  net->file = strdup (file);
  net->config = conf;
  *out = net;
  return 0;
}

static int
filter_conf (const struct dirent *d)
{
  const char *dot = strrchr (d->d_name, '.');
  return d->d_name[0] != '.' && dot != NULL
         && (strcmp (dot, ".conflist") == 0 || strcmp (dot, ".conf") == 0
             || strcmp (dot, ".json") == 0);
}

static char *
read_file_text (const char *path, size_t *len)
{
  cleanup_file FILE *f = fopen (path, "re");
  char *buf = NULL, chunk[4096];
  FILE *m;
  size_t n;

  if (f == NULL)
    return NULL;
  m = open_memstream (&buf, len);
  if (m == NULL)
    return NULL;
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    fwrite (chunk, 1, n, m);
  fclose (m);
  return buf;
}

static int
write_default (const struct cni_config *cfg, const char *dir, char **path,
               berth_error_t *err)
{
  cleanup_free char *text = cni_default_conflist (cfg->pod_cidr, cfg->bridge);
  cleanup_free char *tmp = NULL;
  cleanup_file FILE *f = NULL;

  if (text == NULL || asprintf (path, "%s/%s", dir, CNI_DEFAULT_CONFLIST) < 0
      || asprintf (&tmp, "%s.tmp", *path) < 0)
    return berth_error_sys (err, ENOMEM, "default conflist");
  if (fs_mkdir_p (dir, 0755, err) < 0)
    return -1;
  f = fopen (tmp, "we");
  if (f == NULL)
    return berth_error_sys (err, errno, "write %s", tmp);
  fputs (text, f);
  if (fclose (steal_pointer (&f)) != 0 || rename (tmp, *path) < 0)
    return berth_error_sys (err, errno, "write %s", *path);
  return 0;
}

static struct cni_network *
loopback_only (char *warning)
{
  struct cni_network *net = calloc (1, sizeof *net);
  if (net == NULL)
    abort ();
  net->loopback_only = true;
  net->warning = warning;
  return net;
}

int
cni_load (const struct cni_config *cfg, struct cni_network **out,
          berth_error_t *err)
{
  const char *dir = cfg->conf_dir ? cfg->conf_dir : CNI_DEFAULT_CONF_DIR;
  const char *ppath
      = cfg->plugin_path ? cfg->plugin_path : CNI_DEFAULT_PLUGIN_DIR;
  struct dirent **ents = NULL;
  cleanup_free char *path = NULL, *text = NULL;
  struct cni_network *net = NULL;
  const struct node *plugins;
  char *warn = NULL;
  size_t len = 0, i;
  int n;

  n = scandir (dir, &ents, filter_conf, alphasort);
  if (n > 0 && asprintf (&path, "%s/%s", dir, ents[0]->d_name) < 0)
    path = NULL;
  for (i = 0; n > 0 && i < (size_t)n; i++)
    free (ents[i]);
  free (ents);
  if (path == NULL)
    {
      berth_error_t werr = NULL;
      if (write_default (cfg, dir, &path, &werr) < 0)
        {
          if (asprintf (&warn,
                        "no CNI configuration in %s and none could be "
                        "written (%s): pods get loopback only",
                        dir, berth_error_msg (&werr))
              < 0)
            warn = NULL;
          berth_error_release (&werr);
          *out = loopback_only (warn);
          return 0;
        }
    }
  text = read_file_text (path, &len);
  if (text == NULL)
    return berth_error_sys (err, errno, "read %s", path);
  if (cni_parse_conflist (path, text, len, &net, err) < 0)
    return -1;
  plugins = node_map_get (net->config, "plugins");
  for (i = 0; i < plugins->len; i++)
    {
      const char *type = str_field (plugins->items[i], "type");
      cleanup_free char *bin = cni_exec_find (ppath, type);
      if (bin == NULL)
        {
          if (asprintf (&warn,
                        "CNI plugin \"%s\" of %s not found in %s "
                        "(install containernetworking-plugins): pods get "
                        "loopback only",
                        type, path, ppath)
              < 0)
            warn = NULL;
          net->loopback_only = true;
          net->warning = warn;
          break;
        }
    }
  *out = net;
  return 0;
}

void
cni_result_clear (struct cni_result *r)
{
  free (r->ip);
  free (r->prefix);
  free (r->gateway);
  node_unref (r->raw);
  memset (r, 0, sizeof *r);
}

/* A plugin error object: "plugin X failed: msg (code N): details". */
static int
plugin_error (const char *plugin, const struct node *res, const char *errout,
              int status, berth_error_t *err)
{
  const char *msg = str_field (res, "msg"),
             *details = str_field (res, "details");
  const char *code = str_field (res, "code");

  if (msg != NULL || code != NULL)
    return berth_error_make (err, EIO, "CNI plugin %s failed: %s (code %s)%s%s",
                             plugin, msg ? msg : "", code ? code : "?",
                             details && *details ? ": " : "",
                             details ? details : "");
  return berth_error_make (
      err, EIO, "CNI plugin %s failed with exit status %d%s%s", plugin, status,
      errout && *errout ? ": " : "", errout ? errout : "");
}

int
cni_parse_result (const char *plugin, const char *text, size_t len,
                  const char *ifname, struct cni_result *out,
                  berth_error_t *err)
{
  struct node *res = NULL;
  const struct node *ips, *ifs;
  size_t i;

  memset (out, 0, sizeof *out);
  if (read_json (plugin, text, len, &res, err) < 0)
    return -1;
  if (res->kind != NODE_MAP)
    {
      node_unref (res);
      return berth_error_make (
          err, EINVAL, "CNI plugin %s: result is not an object", plugin);
    }
  if (node_map_get (res, "code") != NULL)
    {
      plugin_error (plugin, res, NULL, 0, err);
      node_unref (res);
      return -1;
    }
  ips = node_map_get (res, "ips");
  ifs = node_map_get (res, "interfaces");
  for (i = 0; ips && ips->kind == NODE_SEQ && i < ips->len; i++)
    {
      const struct node *ip = ips->items[i], *idx;
      const char *addr = str_field (ip, "address");
      int64_t k;
      if (addr == NULL)
        continue;
      idx = node_map_get (ip, "interface");
      if (idx && ifs && ifs->kind == NODE_SEQ && node_as_int64 (idx, &k, NULL)
          && k >= 0 && (size_t)k < ifs->len)
        {
          const char *name = str_field (ifs->items[k], "name");
          const char *sandbox = str_field (ifs->items[k], "sandbox");
          if ((sandbox == NULL || *sandbox == '\0')
              || (name && ifname && strcmp (name, ifname) != 0))
            continue;
        }
      out->prefix = strdup (addr);
      out->ip = strndup (addr, strcspn (addr, "/"));
      if (str_field (ip, "gateway"))
        out->gateway = strdup (str_field (ip, "gateway"));
      break;
    }
  out->raw = res;
  return 0;
}

static void
set_runtime_config (struct node *conf, const struct node *caps,
                    const struct cni_port_mapping *ports, size_t n_ports)
{
  struct node *rc, *list;
  bool want = false;
  size_t i;

  if (caps == NULL || n_ports == 0
      || !node_as_bool (node_map_get (caps, "portMappings"), &want) || !want)
    return;
  rc = node_new_map ();
  list = node_new_seq ();
  for (i = 0; i < n_ports; i++)
    {
      struct node *m = node_new_map ();
      node_map_set_int (m, "hostPort", ports[i].host_port);
      node_map_set_int (m, "containerPort", ports[i].container_port);
      node_map_set_str (m, "protocol",
                        ports[i].protocol ? ports[i].protocol : "tcp");
      if (ports[i].host_ip && *ports[i].host_ip)
        node_map_set_str (m, "hostIP", ports[i].host_ip);
      node_seq_append (list, m);
    }
  node_map_set (rc, "portMappings", list);
  node_map_set (conf, "runtimeConfig", rc);
}

struct node *
cni_plugin_config (const struct cni_network *net, size_t index,
                   const struct node *prev_result,
                   const struct cni_port_mapping *ports, size_t n_ports)
{
  const struct node *plugin
      = node_map_get (net->config, "plugins")->items[index];
  struct node *conf = node_new_map ();
  size_t i;

  node_map_set_str (conf, "cniVersion", net->cni_version);
  node_map_set_str (conf, "name", net->name);
  for (i = 0; i < plugin->len; i++)
    {
      const char *k = plugin->pairs[i].key->text;
      if (strcmp (k, "runtimeConfig") == 0 || strcmp (k, "prevResult") == 0
          || strcmp (k, "name") == 0 || strcmp (k, "cniVersion") == 0)
        continue;
      node_map_set (conf, k, node_ref (plugin->pairs[i].value));
    }
  set_runtime_config (conf, node_map_get (plugin, "capabilities"), ports,
                      n_ports);
  if (prev_result != NULL)
    node_map_set (conf, "prevResult", node_ref ((struct node *)prev_result));
  return conf;
}

/* ---- invocation ---- */

static char **
plugin_env (const struct cni_config *cfg, const char *command,
            const struct cni_pod_ref *pod)
{
  const char *path = getenv ("PATH");
  char **env = calloc (9, sizeof (char *));
  int n = 0;

  if (env == NULL)
    abort ();
  if (asprintf (&env[n++], "CNI_COMMAND=%s", command) < 0
      || asprintf (&env[n++], "CNI_CONTAINERID=%s", pod->container_id) < 0
      || asprintf (&env[n++], "CNI_NETNS=%s", pod->netns ? pod->netns : "") < 0
      || asprintf (&env[n++], "CNI_IFNAME=%s",
                   pod->ifname ? pod->ifname : "eth0")
             < 0
      || asprintf (&env[n++], "CNI_PATH=%s",
                   cfg->plugin_path ? cfg->plugin_path : CNI_DEFAULT_PLUGIN_DIR)
             < 0
      || asprintf (&env[n++],
                   "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;"
                   "K8S_POD_NAME=%s;K8S_POD_INFRA_CONTAINER_ID=%s;"
                   "K8S_POD_UID=%s",
                   pod->pod_namespace ? pod->pod_namespace : "",
                   pod->pod_name ? pod->pod_name : "", pod->container_id,
                   pod->pod_uid ? pod->pod_uid : "")
             < 0
      || asprintf (&env[n++], "PATH=%s",
                   path ? path
                        : "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                          "/usr/bin:/sbin:/bin")
             < 0)
    abort ();
  return env;
}

static void
env_free (char **env)
{
  size_t i;
  for (i = 0; env && env[i]; i++)
    free (env[i]);
  free (env);
}

/* Run plugin INDEX; on ADD the result goes to *RESULT (replacing it). */
static int
invoke (const struct cni_config *cfg, const struct cni_network *net,
        size_t index, const char *command, const struct cni_pod_ref *pod,
        const struct cni_port_mapping *ports, size_t n_ports,
        struct node **result, berth_error_t *err)
{
  const struct node *plugin
      = node_map_get (net->config, "plugins")->items[index];
  const char *type = str_field (plugin, "type");
  const char *ppath
      = cfg->plugin_path ? cfg->plugin_path : CNI_DEFAULT_PLUGIN_DIR;
  cleanup_free char *bin = cni_exec_find (ppath, type);
  cleanup_free char *in = NULL;
  struct node *conf;
  struct cni_exec_output o;
  size_t in_len = 0;
  char **env;
  int ret;

  if (bin == NULL)
    return berth_error_make (err, ENOENT, "CNI plugin \"%s\" not found in %s",
                             type, ppath);
  conf = cni_plugin_config (net, index, *result, ports, n_ports);
  ret = node_write_json (conf, false, &in, &in_len, err);
  node_unref (conf);
  if (ret < 0)
    return ret;
  env = plugin_env (cfg, command, pod);
  ret = cni_exec_run (bin, env, in, in_len, &o, err);
  env_free (env);
  if (ret < 0)
    return berth_error_wrap (err, "CNI %s %s", command, type);
  if (o.status != 0)
    {
      struct node *e = NULL;
      berth_error_t perr = NULL;
      if (o.out_len > 0 && read_json (type, o.out, o.out_len, &e, &perr) < 0)
        berth_error_release (&perr);
      plugin_error (type, e, o.errout, o.status, err);
      node_unref (e);
      cni_exec_output_clear (&o);
      return berth_error_wrap (err, "CNI %s", command);
    }
  if (strcmp (command, "ADD") == 0)
    {
      struct cni_result r;
      ret = cni_parse_result (type, o.out, o.out_len, pod->ifname, &r, err);
      if (ret == 0)
        {
          node_unref (*result);
          *result = steal_pointer (&r.raw);
          cni_result_clear (&r);
        }
    }
  cni_exec_output_clear (&o);
  return ret;
}

static char *
cache_path (const struct cni_config *cfg, const char *id)
{
  char *p = NULL;
  if (asprintf (&p, "%s/%s.json", cfg->cache_dir, id) < 0)
    abort ();
  return p;
}

static struct node *
ports_node (const struct cni_port_mapping *ports, size_t n_ports)
{
  struct node *l = node_new_seq ();
  size_t i;
  for (i = 0; i < n_ports; i++)
    {
      struct node *m = node_new_map ();
      node_map_set_int (m, "hostPort", ports[i].host_port);
      node_map_set_int (m, "containerPort", ports[i].container_port);
      node_map_set_str (m, "protocol",
                        ports[i].protocol ? ports[i].protocol : "tcp");
      node_map_set_str (m, "hostIP", ports[i].host_ip ? ports[i].host_ip : "");
      node_seq_append (l, m);
    }
  return l;
}

/* The cache: the config as used, the ports, the last result. */
static int
cache_write (const struct cni_config *cfg, const struct cni_network *net,
             const struct cni_pod_ref *pod,
             const struct cni_port_mapping *ports, size_t n_ports,
             const struct node *result, berth_error_t *err)
{
  cleanup_free char *path = cache_path (cfg, pod->container_id);
  cleanup_free char *tmp = NULL, *text = NULL;
  cleanup_close int fd = -1;
  struct node *c = node_new_map ();
  size_t len = 0;
  int ret;

  node_map_set_str (c, "kind", "berth-cni-cache");
  node_map_set_str (c, "netns", pod->netns ? pod->netns : "");
  node_map_set_str (c, "ifname", pod->ifname ? pod->ifname : "eth0");
  node_map_set (c, "config", node_ref (net->config));
  node_map_set (c, "portMappings", ports_node (ports, n_ports));
  if (result)
    node_map_set (c, "result", node_ref ((struct node *)result));
  ret = node_write_json (c, true, &text, &len, err);
  node_unref (c);
  if (ret < 0)
    return ret;
  if (mkdir (cfg->cache_dir, 0700) < 0 && errno != EEXIST)
    return berth_error_sys (err, errno, "mkdir %s", cfg->cache_dir);
  if (asprintf (&tmp, "%s.tmp", path) < 0)
    abort ();
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, text, len) != (ssize_t)len)
    return berth_error_sys (err, errno, "write %s", tmp);
  if (rename (tmp, path) < 0)
    return berth_error_sys (err, errno, "rename %s", path);
  return 0;
}

int
cni_add (const struct cni_config *cfg, const struct cni_network *net,
         const struct cni_pod_ref *pod, const struct cni_port_mapping *ports,
         size_t n_ports, struct cni_result *out, berth_error_t *err)
{
  const struct node *plugins;
  struct node *result = NULL;
  size_t i;

  memset (out, 0, sizeof *out);
  if (net == NULL || net->loopback_only)
    return 0;
  /* Cached before the first plugin runs: a crash half-way still gets a
   * DEL of everything. */
  if (cache_write (cfg, net, pod, ports, n_ports, NULL, err) < 0)
    return -1;
  plugins = node_map_get (net->config, "plugins");
  for (i = 0; i < plugins->len; i++)
    if (invoke (cfg, net, i, "ADD", pod, ports, n_ports, &result, err) < 0)
      {
        berth_error_t derr = NULL;
        node_unref (result);
        if (cni_del (cfg, net, pod, &derr) < 0)
          {
            cleanup_free char *m = strdup (berth_error_msg (err));
            berth_error_make (err, EIO, "%s (and the DEL after it: %s)", m,
                              berth_error_msg (&derr));
            berth_error_release (&derr);
          }
        return -1;
      }
  if (cache_write (cfg, net, pod, ports, n_ports, result, err) < 0)
    {
      node_unref (result);
      return -1;
    }
  {
    cleanup_free char *text = NULL;
    size_t len = 0;
    int ret = node_write_json (result, false, &text, &len, err);
    node_unref (result);
    if (ret < 0)
      return ret;
    return cni_parse_result (net->name, text, len, pod->ifname, out, err);
  }
}

static struct cni_port_mapping *
ports_from_node (const struct node *l, size_t *n)
{
  struct cni_port_mapping *p;
  size_t i;

  *n = 0;
  if (l == NULL || l->kind != NODE_SEQ || l->len == 0)
    return NULL;
  p = calloc (l->len, sizeof *p);
  if (p == NULL)
    abort ();
  for (i = 0; i < l->len; i++)
    {
      int64_t v = 0;
      if (node_as_int64 (node_map_get (l->items[i], "hostPort"), &v, NULL))
        p[i].host_port = (int)v;
      if (node_as_int64 (node_map_get (l->items[i], "containerPort"), &v, NULL))
        p[i].container_port = (int)v;
      p[i].protocol = str_field (l->items[i], "protocol");
      p[i].host_ip = str_field (l->items[i], "hostIP");
    }
  *n = l->len;
  return p;
}

static int
del_all (const struct cni_config *cfg, const struct cni_network *net,
         const struct cni_pod_ref *pod, const struct node *prev,
         const struct cni_port_mapping *ports, size_t n_ports,
         berth_error_t *err)
{
  size_t i = node_map_get (net->config, "plugins")->len;
  char *msgs = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&msgs, &len);
  int failed = 0;

  if (m == NULL)
    return berth_error_sys (err, errno, "open_memstream");
  while (i-- > 0)
    {
      berth_error_t e = NULL;
      struct node *r = prev ? node_ref ((struct node *)prev) : NULL;
      if (invoke (cfg, net, i, "DEL", pod, ports, n_ports, &r, &e) < 0)
        {
          fprintf (m, "%s%s", failed++ ? "; " : "", berth_error_msg (&e));
          berth_error_release (&e);
        }
      node_unref (r);
    }
  fclose (m);
  if (failed)
    berth_error_make (err, EIO, "%s", msgs);
  free (msgs);
  return failed ? -1 : 0;
}

int
cni_del (const struct cni_config *cfg, const struct cni_network *net,
         const struct cni_pod_ref *pod, berth_error_t *err)
{
  cleanup_free char *path = cache_path (cfg, pod->container_id);
  cleanup_free char *text = NULL;
  cleanup_free struct cni_port_mapping *ports = NULL;
  struct cni_network *cached = NULL;
  struct node *cache = NULL;
  size_t len = 0, n_ports = 0;
  int ret;

  text = read_file_text (path, &len);
  if (text != NULL && read_json (path, text, len, &cache, err) == 0)
    {
      struct node *conf = node_map_get (cache, "config");
      cleanup_free char *ctext = NULL;
      size_t clen = 0;
      if (conf != NULL && node_write_json (conf, false, &ctext, &clen, err) == 0
          && cni_parse_conflist (path, ctext, clen, &cached, err) == 0)
        {
          net = cached;
          ports = ports_from_node (node_map_get (cache, "portMappings"),
                                   &n_ports);
        }
    }
  berth_error_release (err);
  if (net == NULL || net->loopback_only || net->config == NULL)
    {
      node_unref (cache);
      return 0;
    }
  ret = del_all (cfg, net, pod, cached ? node_map_get (cache, "result") : NULL,
                 ports, n_ports, err);
  if (ret == 0 && unlink (path) < 0 && errno != ENOENT)
    ret = berth_error_sys (err, errno, "remove %s", path);
  cni_network_free (cached);
  node_unref (cache);
  return ret;
}
