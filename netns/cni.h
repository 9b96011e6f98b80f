/* cni.h - pod networking through CNI 1.0.0 plugins
 * (containernetworking/cni SPEC.md).
 *
 * Owns: loading the network configuration list (writing berth's default one
 * when the config dir has none), executing the plugins for ADD and DEL with
 * the CNI_* environment and the chained network configs on stdin, parsing
 * their results and errors, and a per-pod cache of the ADD (the config as
 * used and the result) so DEL works after berth restarts and after the
 * config changed.  It does not create the network namespace (sandbox.c).
 */
#ifndef BERTH_CNI_H
#define BERTH_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "node.h"

#define CNI_VERSION "1.0.0"
#define CNI_DEFAULT_CONF_DIR "/etc/berth/net.d"
#define CNI_DEFAULT_PLUGIN_DIR "/usr/lib/cni"
#define CNI_DEFAULT_POD_CIDR "10.88.0.0/16"
#define CNI_DEFAULT_BRIDGE "berth0"
#define CNI_DEFAULT_NETWORK "berth"
#define CNI_DEFAULT_CONFLIST "10-berth.conflist"

struct cni_config
{
  const char *conf_dir;    /* NULL: CNI_DEFAULT_CONF_DIR */
  const char *plugin_path; /* colon-separated dirs; NULL: /usr/lib/cni */
  const char *cache_dir;   /* where ADD results are kept (required) */
  const char *pod_cidr;    /* for the default conflist; NULL: 10.88.0.0/16 */
  const char *bridge;      /* for the default conflist; NULL: berth0 */
};

/* A loaded network configuration list. */
struct cni_network
{
  char *name;
  char *cni_version;
  char *file;          /* where it was read from */
  struct node *config; /* the whole conflist */
  /* No usable configuration or plugins: pods get only loopback.  WARNING
   * says why. */
  bool loopback_only;
  char *warning;
};

struct cni_port_mapping
{
  int host_port;
  int container_port;
  const char *protocol; /* "tcp", "udp", "sctp" */
  const char *host_ip;  /* may be NULL */
};

struct cni_pod_ref
{
  const char *container_id; /* the sandbox id */
  const char *netns;        /* path of the netns file */
  const char *ifname;       /* NULL: eth0 */
  const char *pod_name;
  const char *pod_namespace;
  const char *pod_uid;
};

struct cni_result
{
  char *ip;      /* first address on the pod's interface, no prefix */
  char *prefix;  /* "10.88.0.2/16" */
  char *gateway; /* may be NULL */
  struct node *raw;
};

/* The default conflist (bridge + host-local + portmap) as JSON. */
char *cni_default_conflist (const char *pod_cidr, const char *bridge);

/* Load the first .conflist/.conf/.json of the config dir in lexical order,
 * writing the default one first if there is none.  Missing plugins or an
 * unwritable config dir give a loopback-only network with a warning, not an
 * error; a malformed file is an error naming it. */
int cni_load (const struct cni_config *cfg, struct cni_network **out,
              berth_error_t *err);
void cni_network_free (struct cni_network *net);

/* Parse a conflist text (FILE names it in errors). */
int cni_parse_conflist (const char *file, const char *text, size_t len,
                        struct cni_network **out, berth_error_t *err);

/* Parse a plugin's result; an error object ({code,msg,details}) becomes an
 * error naming PLUGIN. */
int cni_parse_result (const char *plugin, const char *text, size_t len,
                      const char *ifname, struct cni_result *out,
                      berth_error_t *err);
void cni_result_clear (struct cni_result *r);

/* The network config for plugin INDEX of NET as it goes on stdin. */
struct node *cni_plugin_config (const struct cni_network *net, size_t index,
                                const struct node *prev_result,
                                const struct cni_port_mapping *ports,
                                size_t n_ports);

/* ADD the pod to NET.  On failure everything added is deleted again. */
int cni_add (const struct cni_config *cfg, const struct cni_network *net,
             const struct cni_pod_ref *pod,
             const struct cni_port_mapping *ports, size_t n_ports,
             struct cni_result *out, berth_error_t *err);

/* DEL the pod, from the cached ADD when there is one (else from NET, which
 * may be NULL).  Every plugin is called, in reverse order, even after one
 * fails; the errors are joined.  No cache and no NET: nothing to do. */
int cni_del (const struct cni_config *cfg, const struct cni_network *net,
             const struct cni_pod_ref *pod, berth_error_t *err);

#endif
