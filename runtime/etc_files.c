/* etc_files.c - see etc_files.h.  Texts and rules follow the kubelet:
 * pkg/kubelet/kubelet_pods.go (managedHostsHeader, hostsEntriesFromHostAliases)
 * and pkg/kubelet/network/dns/dns.go (GetPodDNS, parseResolvConf,
 * appendDNSConfig, mergeDNSOptions, formDNSConfigFitsLimits). */
#include "etc_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define DEFAULT_CLUSTER_DOMAIN "cluster.local"

char *
etc_files_pod_hostname (const struct pod *pod)
{
  const char *h = pod->spec.hostname;
  size_t n;

  if (h != NULL && *h != '\0')
    return strdup (h);
  h = pod->metadata.name ? pod->metadata.name : "";
  n = strlen (h);
  if (n <= ETC_FILES_HOSTNAME_MAX)
    return strdup (h);
  n = ETC_FILES_HOSTNAME_MAX;
  while (n > 0 && (h[n - 1] == '-' || h[n - 1] == '.'))
    n--;
  return strndup (h, n);
}

char *
etc_files_pod_domain (const struct pod *pod, const char *cluster_domain)
{
  char *s = NULL;
  const char *ns
      = pod->metadata.namespace ? pod->metadata.namespace : "default";

  if (pod->spec.subdomain == NULL || *pod->spec.subdomain == '\0')
    return NULL;
  if (asprintf (&s, "%s.%s.svc.%s", pod->spec.subdomain, ns,
                cluster_domain ? cluster_domain : DEFAULT_CLUSTER_DOMAIN)
      < 0)
    return NULL;
  return s;
}

char *
etc_files_hosts_content (const struct pod *pod, const char *const *ips,
                         size_t n_ips, const char *cluster_domain)
{
  cleanup_free char *host = etc_files_pod_hostname (pod);
  cleanup_free char *domain = etc_files_pod_domain (pod, cluster_domain);
  char *buf = NULL;
  size_t len = 0, i, j;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL || host == NULL)
    {
      if (f)
        fclose (f);
      free (buf);
      return NULL;
    }
  fputs ("# Kubernetes-managed hosts file.\n"
         "127.0.0.1\tlocalhost\n"
         "::1\tlocalhost ip6-localhost ip6-loopback\n"
         "fe00::0\tip6-localnet\n"
         "fe00::0\tip6-mcastprefix\n"
         "fe00::1\tip6-allnodes\n"
         "fe00::2\tip6-allrouters\n",
         f);
  for (i = 0; i < n_ips; i++)
    {
      if (domain)
        fprintf (f, "%s\t%s.%s\t%s\n", ips[i], host, domain, host);
      else
        fprintf (f, "%s\t%s\n", ips[i], host);
    }
  if (pod->spec.host_aliases.len > 0)
    {
      fputs ("\n# Entries added by HostAliases.\n", f);
      for (i = 0; i < pod->spec.host_aliases.len; i++)
        {
          const struct host_alias *a = &pod->spec.host_aliases.items[i];
          fputs (a->ip ? a->ip : "", f);
          for (j = 0; j < a->hostnames.len; j++)
            fprintf (f, "%s%s", j == 0 ? "\t" : "\t", a->hostnames.items[j]);
          fputc ('\n', f);
        }
    }
  if (fclose (f) != 0)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

/* ---- resolv.conf ---- */

struct strlist
{
  char **v;
  size_t n;
};

static void
strlist_free (struct strlist *l)
{
  size_t i;
  for (i = 0; i < l->n; i++)
    free (l->v[i]);
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

static void
strlist_addn (struct strlist *l, const char *s, size_t n)
{
  l->v = realloc (l->v, (l->n + 1) * sizeof (char *));
  if (l->v == NULL)
    abort ();
  l->v[l->n] = strndup (s, n);
  if (l->v[l->n] == NULL)
    abort ();
  l->n++;
}

static ssize_t
strlist_find_key (const struct strlist *l, const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < l->n; i++)
    if (strncmp (l->v[i], s, n) == 0
        && (l->v[i][n] == '\0' || l->v[i][n] == ':'))
      return (ssize_t)i;
  return -1;
}

/* omitDuplicates: keep the first of equal strings. */
static void
strlist_add_uniq (struct strlist *l, const char *s)
{
  size_t i;
  for (i = 0; i < l->n; i++)
    if (strcmp (l->v[i], s) == 0)
      return;
  strlist_addn (l, s, strlen (s));
}

/* mergeDNSOptions: an option named again replaces the earlier value (the
 * kubelet goes through a map; berth keeps first-seen order). */
static void
options_set (struct strlist *l, const char *name, size_t name_len,
             const char *value)
{
  ssize_t at = strlist_find_key (l, name, name_len);
  char *s = NULL;

  if (value != NULL && *value != '\0')
    {
      if (asprintf (&s, "%.*s:%s", (int)name_len, name, value) < 0)
        abort ();
    }
  else if ((s = strndup (name, name_len)) == NULL)
    abort ();
  if (at >= 0)
    {
      free (l->v[at]);
      l->v[at] = s;
      return;
    }
  strlist_addn (l, s, strlen (s));
  free (s);
}

struct dns_settings
{
  struct strlist servers, searches, options;
};

static void
dns_settings_free (struct dns_settings *d)
{
  strlist_free (&d->servers);
  strlist_free (&d->searches);
  strlist_free (&d->options);
}

/* parseResolvConf: nameserver, search (without "." and trailing dots),
 * options; '#' and ';' start comments. */
static void
parse_resolv (const char *text, struct dns_settings *d)
{
  const char *p = text;

  while (p != NULL && *p)
    {
      const char *eol = strchrnul (p, '\n');
      cleanup_free char *line = strndup (p, eol - p);
      char *save = NULL, *word, *kw;

      p = *eol ? eol + 1 : eol;
      if (line == NULL)
        abort ();
      line[strcspn (line, "#;")] = '\0';
      kw = strtok_r (line, " \t\r", &save);
      if (kw == NULL)
        continue;
      while ((word = strtok_r (NULL, " \t\r", &save)) != NULL)
        {
          size_t n = strlen (word);
          if (strcmp (kw, "nameserver") == 0)
            {
              strlist_addn (&d->servers, word, n);
              break;
            }
          else if (strcmp (kw, "search") == 0)
            {
              while (n > 0 && word[n - 1] == '.')
                n--;
              if (n > 0)
                strlist_addn (&d->searches, word, n);
            }
          else if (strcmp (kw, "options") == 0)
            {
              char *colon = strchr (word, ':');
              options_set (&d->options, word,
                           colon ? (size_t)(colon - word) : n,
                           colon ? colon + 1 : NULL);
            }
          else
            break;
        }
    }
}

static int
scalar_text (const struct node *n, const char *field, const char **out,
             berth_error_t *err)
{
  if (n == NULL || n->kind != NODE_SCALAR)
    return berth_error_make (err, EINVAL, "spec.dnsConfig.%s: not a string",
                             field);
  *out = n->text;
  return 0;
}

static int
append_dns_config (const struct node *cfg, struct dns_settings *d,
                   berth_error_t *err)
{
  const struct node *ns, *search, *opts;
  const char *s = NULL;
  size_t i;

  if (cfg == NULL || node_is_null (cfg))
    return 0;
  if (cfg->kind != NODE_MAP)
    return berth_error_make (err, EINVAL, "spec.dnsConfig: not an object");
  ns = node_map_get (cfg, "nameservers");
  search = node_map_get (cfg, "searches");
  opts = node_map_get (cfg, "options");
  if (ns && ns->kind == NODE_SEQ)
    for (i = 0; i < ns->len; i++)
      {
        if (scalar_text (ns->items[i], "nameservers", &s, err) < 0)
          return -1;
        strlist_add_uniq (&d->servers, s);
      }
  if (search && search->kind == NODE_SEQ)
    for (i = 0; i < search->len; i++)
      {
        if (scalar_text (search->items[i], "searches", &s, err) < 0)
          return -1;
        strlist_add_uniq (&d->searches, s);
      }
  if (opts && opts->kind == NODE_SEQ)
    for (i = 0; i < opts->len; i++)
      {
        const struct node *o = opts->items[i];
        const char *name = NULL, *value = NULL;
        const struct node *v;
        if (o == NULL || o->kind != NODE_MAP)
          return berth_error_make (
              err, EINVAL, "spec.dnsConfig.options[%zu]: not an object", i);
        if (scalar_text (node_map_get (o, "name"), "options.name", &name, err)
            < 0)
          return -1;
        v = node_map_get (o, "value");
        if (v != NULL && !node_is_null (v)
            && scalar_text (v, "options.value", &value, err) < 0)
          return -1;
        options_set (&d->options, name, strlen (name), value);
      }
  return 0;
}

/* formDNSConfigFitsLimits */
static void
fit_limits (struct dns_settings *d)
{
  size_t i, chars = 0;

  while (d->servers.n > ETC_FILES_MAX_NAMESERVERS)
    free (d->servers.v[--d->servers.n]);
  for (i = 0; i < d->searches.n; i++)
    {
      chars += strlen (d->searches.v[i]) + (i > 0);
      if (i >= ETC_FILES_MAX_SEARCHES || chars > ETC_FILES_MAX_SEARCH_CHARS)
        break;
    }
  while (d->searches.n > i)
    free (d->searches.v[--d->searches.n]);
}

static void
cluster_first (const struct pod *pod, const struct etc_files_dns *dns,
               struct dns_settings *d)
{
  const char *dom = dns && dns->cluster_domain ? dns->cluster_domain
                                               : DEFAULT_CLUSTER_DOMAIN;
  const char *ns
      = pod->metadata.namespace ? pod->metadata.namespace : "default";
  struct strlist searches = { 0 };
  char *s = NULL;
  size_t i;

  strlist_free (&d->servers);
  for (i = 0; i < dns->n_cluster_dns; i++)
    strlist_add_uniq (&d->servers, dns->cluster_dns[i]);
  if (asprintf (&s, "%s.svc.%s", ns, dom) < 0)
    abort ();
  strlist_add_uniq (&searches, s);
  free (s);
  if (asprintf (&s, "svc.%s", dom) < 0)
    abort ();
  strlist_add_uniq (&searches, s);
  free (s);
  strlist_add_uniq (&searches, dom);
  for (i = 0; i < d->searches.n; i++)
    strlist_add_uniq (&searches, d->searches.v[i]);
  strlist_free (&d->searches);
  d->searches = searches;
  strlist_free (&d->options);
  strlist_add_uniq (&d->options, "ndots:5");
}

static char *
format_resolv (const struct dns_settings *d)
{
  char *buf = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return NULL;
  if (d->searches.n > 0)
    {
      fputs ("search", f);
      for (i = 0; i < d->searches.n; i++)
        fprintf (f, " %s", d->searches.v[i]);
      fputc ('\n', f);
    }
  for (i = 0; i < d->servers.n; i++)
    fprintf (f, "nameserver %s\n", d->servers.v[i]);
  if (d->options.n > 0)
    {
      fputs ("options", f);
      for (i = 0; i < d->options.n; i++)
        fprintf (f, " %s", d->options.v[i]);
      fputc ('\n', f);
    }
  if (fclose (f) != 0)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

int
etc_files_resolv_content (const struct pod *pod,
                          const struct etc_files_dns *dns,
                          const char *host_resolv, char **out,
                          berth_error_t *err)
{
  const char *policy
      = pod->spec.dns_policy ? pod->spec.dns_policy : "ClusterFirst";
  bool host_net = pod->spec.host_network.set && pod->spec.host_network.v;
  struct dns_settings d = { 0 };
  int ret = 0;

  if (strcmp (policy, "None") != 0)
    parse_resolv (host_resolv, &d);
  if (strcmp (policy, "ClusterFirstWithHostNet") == 0
      || (strcmp (policy, "ClusterFirst") == 0 && !host_net))
    {
      if (dns != NULL && dns->n_cluster_dns > 0)
        cluster_first (pod, dns, &d);
      /* else: no cluster DNS, the kubelet falls back to Default. */
    }
  ret = append_dns_config (pod->spec.dns_config, &d, err);
  if (ret == 0)
    {
      fit_limits (&d);
      *out = format_resolv (&d);
      if (*out == NULL)
        ret = berth_error_sys (err, ENOMEM, "format resolv.conf");
    }
  dns_settings_free (&d);
  return ret;
}

/* ---- files ---- */

static int
write_file_atomic (const char *dir, const char *name, const char *text,
                   berth_error_t *err)
{
  cleanup_free char *tmp = NULL, *path = NULL;
  cleanup_close int fd = -1;
  size_t len = strlen (text), off = 0;

  if (asprintf (&tmp, "%s/.%s.tmp", dir, name) < 0
      || asprintf (&path, "%s/%s", dir, name) < 0)
    return berth_error_sys (err, ENOMEM, "write %s/%s", dir, name);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", tmp);
  if (fchmod (fd, 0644) < 0)
    return berth_error_sys (err, errno, "chmod %s", tmp);
  while (off < len)
    {
      ssize_t w = write (fd, text + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int e = errno;
          unlink (tmp);
          return berth_error_sys (err, e, "write %s", tmp);
        }
      off += (size_t)w;
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return berth_error_sys (err, e, "rename %s to %s", tmp, path);
    }
  return 0;
}

static char *
read_text (const char *path)
{
  cleanup_file FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t len = 0;
  FILE *m;
  char chunk[4096];
  size_t n;

  if (f == NULL)
    return NULL;
  m = open_memstream (&buf, &len);
  if (m == NULL)
    return NULL;
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    fwrite (chunk, 1, n, m);
  fclose (m);
  return buf;
}

/* hostNetwork: the node's /etc/hosts plus the hostAliases (kubelet
 * nodeHostsFileContent). */
static char *
host_network_hosts (const struct pod *pod)
{
  cleanup_free char *node = read_text ("/etc/hosts");
  cleanup_free char *managed = etc_files_hosts_content (pod, NULL, 0, NULL);
  const char *aliases = managed ? strstr (managed, "\n# Entries added") : NULL;
  char *out = NULL;

  if (asprintf (&out, "%s%s", node ? node : "", aliases ? aliases : "") < 0)
    return NULL;
  return out;
}

int
etc_files_write (const struct pod *pod, const char *dir, const char *ip,
                 const struct etc_files_dns *dns, berth_error_t *err)
{
  const char *rc = dns && dns->host_resolv_conf ? dns->host_resolv_conf
                                                : "/etc/resolv.conf";
  cleanup_free char *hosts = NULL, *host = NULL, *hostname = NULL;
  cleanup_free char *resolv = NULL, *host_resolv = NULL;

  if (pod->spec.host_network.set && pod->spec.host_network.v)
    hosts = host_network_hosts (pod);
  else
    hosts = etc_files_hosts_content (pod, ip ? &ip : NULL, ip ? 1 : 0,
                                     dns ? dns->cluster_domain : NULL);
  host = etc_files_pod_hostname (pod);
  if (hosts == NULL || host == NULL || asprintf (&hostname, "%s\n", host) < 0)
    return berth_error_sys (err, ENOMEM, "generate %s/hosts", dir);
  host_resolv = read_text (rc); /* a host without one: no resolvers */
  if (etc_files_resolv_content (pod, dns, host_resolv, &resolv, err) < 0)
    return -1;
  if (write_file_atomic (dir, "hosts", hosts, err) < 0
      || write_file_atomic (dir, "hostname", hostname, err) < 0
      || write_file_atomic (dir, "resolv.conf", resolv, err) < 0)
    return -1;
  return 0;
}

int
etc_files_remove (const char *dir, berth_error_t *err)
{
  static const char *const names[] = { "hosts", "hostname", "resolv.conf" };
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      cleanup_free char *p = NULL;
      if (asprintf (&p, "%s/%s", dir, names[i]) < 0)
        return berth_error_sys (err, ENOMEM, "remove %s", dir);
      if (unlink (p) < 0 && errno != ENOENT)
        return berth_error_sys (err, errno, "remove %s", p);
    }
  return 0;
}
