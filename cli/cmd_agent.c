/* cmd_agent.c - `berth agent`: run the node agent in the foreground. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cli_util.h"
#include "commands.h"

static void
usage (FILE *f)
{
  fprintf (
      f,
      "Usage: berth agent [OPTIONS]\n"
      "\n"
      "Run the berth node agent in the foreground: keep the objects (Pods,\n"
      "ConfigMaps, Secrets, Services, Jobs, CronJobs, Namespaces) of the\n"
      "manifest directory and of the API, persist them under the state\n"
      "directory, and serve a Kubernetes-shaped HTTP/JSON API on a unix\n"
      "socket.  SIGINT or SIGTERM stops it.  Nothing needs root unless the\n"
      "paths do.  Pods run as the kubelet runs them (sandbox, cgroups,\n"
      "restarts, graceful deletion); their containers outlive the agent\n"
      "and a restarted agent adopts them.\n"
      "\n"
      "Options:\n"
      "  --root DIR                  state directory (default %s)\n"
      "  --socket PATH               API unix socket, mode 0600 (default %s)\n"
      "  --manifest-dir DIR          static manifests to keep, as the "
      "kubelet's\n"
      "                              staticPodPath (default: none)\n"
      "  --file-check-frequency D    rescan of the manifest directory besides\n"
      "                              inotify: 20s, 1m, 500ms (default 20s)\n"
      "  --sync-frequency D          every pod is synced at least this "
      "often,\n"
      "                              and its configMap, secret, downwardAPI "
      "and\n"
      "                              projected volumes (tokens included) are\n"
      "                              brought up to date (default 1m)\n"
      "  --allowed-unsafe-sysctls LIST  sysctls (or prefixes ending in *)\n"
      "                              pods may set besides the safe set,\n"
      "                              comma-separated: "
      "'kernel.msg*,net.core.somaxconn'\n"
      "  --manifest-url URL          also keep the objects served at URL (the\n"
      "                              kubelet's --manifest-url; repeatable)\n"
      "  --manifest-url-header 'K:V[,K:V...]'\n"
      "                              HTTP headers for the manifest URLs\n"
      "                              (repeatable; a name may repeat)\n"
      "  --http-check-frequency D    time between the end of one read of a\n"
      "                              manifest URL and the next (default 20s)\n"
      "  --manifest-url-cacert FILE  CA certificates (PEM) to verify https\n"
      "                              manifest URLs with (default: the\n"
      "                              system's)\n"
      "  --manifest-url-cert FILE    client certificate (PEM) for them\n"
      "  --manifest-url-key FILE     its key (default: in the cert file)\n"
      "  --manifest-url-insecure-skip-tls-verify\n"
      "                              do not verify their server certificates\n"
      "  --listen [ADDR:]PORT        also serve on TCP (ADDR default\n"
      "                              127.0.0.1)\n"
      "  --hostname-override NAME    node name instead of the hostname\n"
      "\n"
      "Running pods (as `berth run`):\n"
      "  --run-dir DIR               namespaces and pod files (/run/berth)\n"
      "  --log-dir DIR               container logs (/var/log/pods)\n"
      "  --cgroup-root DIR           berth's cgroup (/sys/fs/cgroup/berth)\n"
      "  --no-resource-enforcement   run without cgroup v2 controllers: no\n"
      "                              limits, no accounting (the agent\n"
      "                              refuses to start without them "
      "otherwise)\n"
      "  --no-cni                    loopback-only pod networking\n"
      "  --cni-conf-dir DIR          CNI configs (/etc/berth/net.d)\n"
      "  --cni-bin-dir DIR           CNI plugins (/usr/lib/cni)\n"
      "  --pod-cidr CIDR             default network (10.88.0.0/16)\n"
      "  --seccomp-default=false     Unconfined without a seccompProfile\n"
      "  --max-pods N                pods admitted at most (110)\n"
      "  --pod-max-pids N            pids.max of each pod (unlimited)\n"
      "  --pod-pids-limit N          the same\n"
      "  --reserved cpu=Q,memory=Q,pid=N  kept from pods: allocatable is\n"
      "                              capacity minus it (--system-reserved)\n"
      "\n"
      "Services (as kube-apiserver and kube-proxy):\n"
      "  --service-cluster-ip-range CIDR\n"
      "                              ClusterIPs (10.96.0.0/12; the first is\n"
      "                              the kubernetes Service's)\n"
      "  --service-node-port-range R NodePorts (30000-32767)\n"
      "  --cluster-cidr CIDR         traffic from outside it to a ClusterIP\n"
      "                              is masqueraded (the --pod-cidr)\n"
      "  --proxy-mode nftables|none  route Services with nftables (table ip\n"
      "                              berth, removed at exit), or only compute\n"
      "                              their endpoints (default nftables)\n"
      "  -h, --help                  show this help\n",
      AGENT_DEFAULT_ROOT, AGENT_DEFAULT_SOCKET);
}

/* A Go-style duration: 20s, 1m30s, 500ms, 1h; a bare number is seconds. */
static int
parse_duration_ms (const char *s, int64_t *out)
{
  int64_t total = 0;
  char *end;
  if (*s == '\0')
    return -1;
  while (*s)
    {
      double v = strtod (s, &end);
      int64_t mult;
      if (end == s || v < 0)
        return -1;
      if (*end == '\0' && total == 0)
        mult = 1000;
      else if (strncmp (end, "ms", 2) == 0)
        mult = 1, end += 2;
      else if (*end == 's')
        mult = 1000, end++;
      else if (*end == 'm')
        mult = 60000, end++;
      else if (*end == 'h')
        mult = 3600000, end++;
      else
        return -1;
      total += (int64_t)(v * (double)mult);
      s = end;
    }
  *out = total;
  return 0;
}

/* The options of the manifest URL source. */
enum
{
  OPT_MANIFEST_URL = 512,
  OPT_URL_HEADER,
  OPT_HTTP_CHECK,
  OPT_URL_CACERT,
  OPT_URL_CERT,
  OPT_URL_KEY,
  OPT_URL_INSECURE,
};

/* What the repeated URL options gathered; opt->url points into it. */
struct url_flags
{
  const char **urls;
  size_t nurls;
  char **headers;
  size_t nheaders;
};

static void
url_flags_free (struct url_flags *f)
{
  for (size_t i = 0; i < f->nheaders; i++)
    free (f->headers[i]);
  free (f->headers);
  free (f->urls);
}

static int
url_option (int c, const char *arg, struct source_url_options *o,
            struct url_flags *f)
{
  berth_error_t err = NULL;
  switch (c)
    {
    case OPT_MANIFEST_URL:
      if (strncmp (arg, "http://", 7) != 0 && strncmp (arg, "https://", 8) != 0)
        {
          fprintf (stderr,
                   "berth agent: --manifest-url %s: not an http:// or "
                   "https:// URL\n",
                   arg);
          return -1;
        }
      f->urls = reallocarray (f->urls, f->nurls + 1, sizeof (*f->urls));
      if (f->urls == NULL)
        abort ();
      f->urls[f->nurls++] = arg;
      break;
    case OPT_URL_HEADER:
      if (source_url_headers (arg, &f->headers, &f->nheaders, &err) < 0)
        {
          fprintf (stderr, "berth agent: --manifest-url-header %s\n",
                   berth_error_msg (&err));
          berth_error_release (&err);
          return -1;
        }
      break;
    case OPT_HTTP_CHECK:
      if (parse_duration_ms (arg, &o->period_ms) < 0 || o->period_ms <= 0)
        {
          fprintf (stderr,
                   "berth agent: --http-check-frequency %s: not a positive "
                   "duration (20s, 1m, 500ms)\n",
                   arg);
          return -1;
        }
      break;
    case OPT_URL_CACERT:
      o->cacert = arg;
      break;
    case OPT_URL_CERT:
      o->cert = arg;
      break;
    case OPT_URL_KEY:
      o->key = arg;
      break;
    case OPT_URL_INSECURE:
      o->insecure = true;
      break;
    }
  o->urls = f->urls;
  o->nurls = f->nurls;
  o->headers = (const char *const *)f->headers;
  o->nheaders = f->nheaders;
  return 0;
}

int
cmd_agent (int argc, char **argv)
{
  enum
  {
    OPT_ROOT = 256,
    OPT_SOCKET,
    OPT_MANIFEST_DIR,
    OPT_FILE_CHECK,
    OPT_SYNC_FREQUENCY,
    OPT_UNSAFE_SYSCTLS,
    OPT_LISTEN,
    OPT_HOSTNAME,
    OPT_RUN_DIR,
    OPT_LOG_DIR,
    OPT_CGROUP_ROOT,
    OPT_NO_ENFORCE,
    OPT_NO_CNI,
    OPT_CNI_CONF,
    OPT_CNI_BIN,
    OPT_POD_CIDR,
    OPT_SECCOMP_DEFAULT,
    OPT_MAX_PODS,
    OPT_POD_MAX_PIDS,
    OPT_RESERVED,
    OPT_SERVICE_CIDR,
    OPT_NODE_PORTS,
    OPT_CLUSTER_CIDR,
    OPT_PROXY_MODE,
  };
  static const struct option options[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "socket", required_argument, NULL, OPT_SOCKET },
    { "manifest-dir", required_argument, NULL, OPT_MANIFEST_DIR },
    { "file-check-frequency", required_argument, NULL, OPT_FILE_CHECK },
    { "sync-frequency", required_argument, NULL, OPT_SYNC_FREQUENCY },
    { "allowed-unsafe-sysctls", required_argument, NULL, OPT_UNSAFE_SYSCTLS },
    { "manifest-url", required_argument, NULL, OPT_MANIFEST_URL },
    { "manifest-url-header", required_argument, NULL, OPT_URL_HEADER },
    { "http-check-frequency", required_argument, NULL, OPT_HTTP_CHECK },
    { "manifest-url-cacert", required_argument, NULL, OPT_URL_CACERT },
    { "manifest-url-cert", required_argument, NULL, OPT_URL_CERT },
    { "manifest-url-key", required_argument, NULL, OPT_URL_KEY },
    { "manifest-url-insecure-skip-tls-verify", no_argument, NULL,
      OPT_URL_INSECURE },
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "hostname-override", required_argument, NULL, OPT_HOSTNAME },
    { "run-dir", required_argument, NULL, OPT_RUN_DIR },
    { "log-dir", required_argument, NULL, OPT_LOG_DIR },
    { "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
    { "no-resource-enforcement", no_argument, NULL, OPT_NO_ENFORCE },
    { "no-cni", no_argument, NULL, OPT_NO_CNI },
    { "cni-conf-dir", required_argument, NULL, OPT_CNI_CONF },
    { "cni-bin-dir", required_argument, NULL, OPT_CNI_BIN },
    { "pod-cidr", required_argument, NULL, OPT_POD_CIDR },
    { "seccomp-default", required_argument, NULL, OPT_SECCOMP_DEFAULT },
    { "max-pods", required_argument, NULL, OPT_MAX_PODS },
    { "pod-max-pids", required_argument, NULL, OPT_POD_MAX_PIDS },
    { "pod-pids-limit", required_argument, NULL, OPT_POD_MAX_PIDS },
    { "reserved", required_argument, NULL, OPT_RESERVED },
    { "service-cluster-ip-range", required_argument, NULL, OPT_SERVICE_CIDR },
    { "service-node-port-range", required_argument, NULL, OPT_NODE_PORTS },
    { "cluster-cidr", required_argument, NULL, OPT_CLUSTER_CIDR },
    { "proxy-mode", required_argument, NULL, OPT_PROXY_MODE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  struct agent_options opt = { .root = AGENT_DEFAULT_ROOT,
                               .socket = AGENT_DEFAULT_SOCKET,
                               .file_check_ms = AGENT_DEFAULT_FILE_CHECK_MS };
  struct agent a;
  struct url_flags urlf __attribute__ ((cleanup (url_flags_free))) = { 0 };
  berth_error_t err = NULL;
  int c, ret;

  optind = 1;
  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        opt.root = optarg;
        break;
      case OPT_SOCKET:
        opt.socket = optarg;
        break;
      case OPT_MANIFEST_DIR:
        opt.manifest_dir = optarg;
        break;
      case OPT_FILE_CHECK:
        if (parse_duration_ms (optarg, &opt.file_check_ms) < 0
            || opt.file_check_ms <= 0)
          {
            fprintf (stderr,
                     "berth agent: --file-check-frequency %s: not a positive "
                     "duration (20s, 1m, 500ms)\n",
                     optarg);
            return 2;
          }
        break;
      case OPT_UNSAFE_SYSCTLS:
        opt.allowed_unsafe_sysctls = optarg;
        break;
      case OPT_SYNC_FREQUENCY:
        if (parse_duration_ms (optarg, &opt.sync_ms) < 0 || opt.sync_ms <= 0)
          {
            fprintf (stderr,
                     "berth agent: --sync-frequency %s: not a positive "
                     "duration (1m, 10s)\n",
                     optarg);
            return 2;
          }
        break;
      case OPT_MANIFEST_URL:
      case OPT_URL_HEADER:
      case OPT_HTTP_CHECK:
      case OPT_URL_CACERT:
      case OPT_URL_CERT:
      case OPT_URL_KEY:
      case OPT_URL_INSECURE:
        if (url_option (c, optarg, &opt.url, &urlf) < 0)
          return 2;
        break;
      case OPT_LISTEN:
        opt.listen = optarg;
        break;
      case OPT_HOSTNAME:
        opt.hostname_override = optarg;
        break;
      case OPT_RUN_DIR:
        opt.run_dir = optarg;
        break;
      case OPT_LOG_DIR:
        opt.log_dir = optarg;
        break;
      case OPT_CGROUP_ROOT:
        opt.cgroup_root = optarg;
        break;
      case OPT_NO_ENFORCE:
        opt.no_enforcement = true;
        break;
      case OPT_NO_CNI:
        opt.sandbox.no_cni = true;
        break;
      case OPT_CNI_CONF:
        opt.sandbox.cni_conf_dir = optarg;
        break;
      case OPT_CNI_BIN:
        opt.sandbox.cni_plugin_path = optarg;
        break;
      case OPT_POD_CIDR:
        opt.sandbox.pod_cidr = optarg;
        break;
      case OPT_SECCOMP_DEFAULT:
        opt.seccomp_unconfined_default = strcmp (optarg, "false") == 0;
        break;
      case OPT_RESERVED:
        opt.reserved = optarg;
        break;
      case OPT_MAX_PODS:
        if (cli_parse_positive ("agent", "--max-pods", optarg, &opt.max_pods)
            < 0)
          return 2;
        break;
      case OPT_POD_MAX_PIDS:
        if (cli_parse_positive ("agent", "--pod-max-pids", optarg,
                                &opt.pod_max_pids)
            < 0)
          return 2;
        break;
      case OPT_SERVICE_CIDR:
        opt.service_cidr = optarg;
        break;
      case OPT_NODE_PORTS:
        opt.node_port_range = optarg;
        break;
      case OPT_CLUSTER_CIDR:
        opt.cluster_cidr = optarg;
        break;
      case OPT_PROXY_MODE:
        if (strcmp (optarg, "nftables") != 0 && strcmp (optarg, "none") != 0)
          {
            fprintf (stderr, "berth agent: --proxy-mode %s: nftables or none\n",
                     optarg);
            return 2;
          }
        opt.no_service_routing = strcmp (optarg, "none") == 0;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (opt.cluster_cidr == NULL)
    opt.cluster_cidr = opt.sandbox.pod_cidr;
  if (optind < argc)
    {
      fprintf (stderr, "berth agent: unexpected argument '%s'\n", argv[optind]);
      return 2;
    }
  if (agent_init (&a, &opt, &err) < 0 || (ret = agent_run (&a, &err)) < 0)
    {
      fprintf (stderr, "berth agent: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      agent_free (&a);
      return 1;
    }
  agent_free (&a);
  return ret;
}
