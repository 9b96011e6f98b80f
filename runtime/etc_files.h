/* etc_files.h - the /etc/hosts, /etc/hostname and /etc/resolv.conf that a
 * pod's containers see, generated as the kubelet generates them
 * (pkg/kubelet/kubelet_pods.go managedHostsFileContent, pkg/kubelet/network/
 * dns/dns.go GetPodDNS).
 *
 * Owns the text of those files and writing them into a pod's run dir; it
 * does not mount them (the container launcher bind-mounts them).
 *
 * DNS: berth runs no cluster DNS.  With cluster DNS servers configured
 * (struct etc_files_dns.cluster_dns), dnsPolicy ClusterFirst gets them, the
 * cluster search domains and "options ndots:5", as the kubelet does.  With
 * none configured, ClusterFirst falls back to the host's resolvers exactly as
 * the kubelet does when it has no --cluster-dns ("Falling back to Default
 * policy"), so pods resolve names the way the host does.
 */
#ifndef BERTH_ETC_FILES_H
#define BERTH_ETC_FILES_H

#include <stddef.h>

#include "error.h"
#include "types.h"

#define ETC_FILES_HOSTNAME_MAX 63
#define ETC_FILES_MAX_NAMESERVERS 3
#define ETC_FILES_MAX_SEARCHES 32
#define ETC_FILES_MAX_SEARCH_CHARS 2048

struct etc_files_dns
{
  const char *host_resolv_conf;   /* NULL: /etc/resolv.conf */
  const char *const *cluster_dns; /* may be NULL */
  size_t n_cluster_dns;
  const char *cluster_domain; /* NULL: cluster.local */
};

/* The pod's hostname: spec.hostname, else metadata.name truncated to 63
 * characters with trailing '-' and '.' removed (kubelet
 * truncatePodHostnameIfNeeded). */
char *etc_files_pod_hostname (const struct pod *pod);

/* "<subdomain>.<namespace>.svc.<cluster domain>", or NULL without
 * spec.subdomain. */
char *etc_files_pod_domain (const struct pod *pod, const char *cluster_domain);

/* The kubelet's managed hosts file for a pod with IPS[0..N_IPS). */
char *etc_files_hosts_content (const struct pod *pod, const char *const *ips,
                               size_t n_ips, const char *cluster_domain);

/* A resolv.conf: the pod's DNS settings computed from HOST_RESOLV (the text
 * of the host's resolv.conf, may be NULL) and the pod's dnsPolicy and
 * dnsConfig.  Fails on a malformed dnsConfig, naming the field. */
int etc_files_resolv_content (const struct pod *pod,
                              const struct etc_files_dns *dns,
                              const char *host_resolv, char **out,
                              berth_error_t *err);

/* Write DIR/hosts, DIR/hostname and DIR/resolv.conf (mode 0644), each
 * atomically (temporary file, rename).  IP may be NULL (no pod IP line). */
int etc_files_write (const struct pod *pod, const char *dir, const char *ip,
                     const struct etc_files_dns *dns, berth_error_t *err);

/* Remove the three files (missing ones are fine). */
int etc_files_remove (const char *dir, berth_error_t *err);

#endif
