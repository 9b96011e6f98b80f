/* cmd_top.c - `berth top pods [-n NS | -A] [--sort-by cpu|memory]`:
 * kubectl top pod's table from the agent's /stats/summary, with berth's
 * THROTTLED and OOM columns from the pods' status.berth (top_pods.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "client.h"
#include "commands.h"
#include "top_pods.h"

static void
usage (FILE *f)
{
  fprintf (f,
           "Usage: berth top pods [-n NS | -A] [--sort-by cpu|memory]\n"
           "\n"
           "CPU and memory of the agent's pods as kubectl top pod shows\n"
           "them (from /stats/summary: CPU over the last two samples, the\n"
           "memory working set), with THROTTLED (throttled of elapsed CPU\n"
           "periods) and OOM (OOM kills) for each pod.\n"
           "\n"
           "Options:\n"
           "  -n, --namespace NS    the namespace (default: default)\n"
           "  -A, --all-namespaces  every namespace (a NAMESPACE column)\n"
           "      --sort-by KEY     cpu or memory, highest first\n"
           "      --socket PATH     the agent's socket (default $%s or %s)\n"
           "  -h, --help            show this help\n",
           CLIENT_ENV_SOCKET, AGENT_DEFAULT_SOCKET);
}

/* GET PATH; 0 with *OUT filled on a 200 JSON reply. */
static int
get (const char *socket, const char *path, struct client_reply *out)
{
  berth_error_t err = NULL;
  if (client_request (socket, "GET", path, NULL, out, &err) < 0)
    {
      fprintf (stderr, "berth top: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  if (out->code != 200 || out->body == NULL)
    {
      client_print_error (out);
      client_reply_free (out);
      return -1;
    }
  return 0;
}

int
cmd_top (int argc, char **argv)
{
  static const struct option options[]
      = { { "namespace", required_argument, NULL, 'n' },
          { "all-namespaces", no_argument, NULL, 'A' },
          { "sort-by", required_argument, NULL, 's' },
          { "socket", required_argument, NULL, 'S' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  const char *ns = "default", *socket = NULL;
  enum top_sort sort = TOP_SORT_NAME;
  struct client_reply summary, pods;
  cleanup_free char *path = NULL;
  bool all_ns = false, events;
  const struct kind_info *k;
  size_t rows;
  int c;

  optind = 1;
  while ((c = getopt_long (argc, argv, "n:Ah", options, NULL)) != -1)
    switch (c)
      {
      case 'n':
        ns = optarg;
        break;
      case 'A':
        all_ns = true;
        break;
      case 's':
        if (strcmp (optarg, "cpu") == 0)
          sort = TOP_SORT_CPU;
        else if (strcmp (optarg, "memory") == 0)
          sort = TOP_SORT_MEMORY;
        else
          {
            fprintf (stderr, "error: --sort-by accepts only cpu or memory\n");
            return 2;
          }
        break;
      case 'S':
        socket = optarg;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (argc - optind != 1
      || (k = client_resource (argv[optind], &events)) == NULL
      || k->id != KIND_POD)
    {
      usage (stderr);
      return 2;
    }
  socket = client_socket (socket);
  if (get (socket, "/stats/summary", &summary) < 0)
    return 1;
  path = client_path (k, false, all_ns ? NULL : ns, NULL);
  if (get (socket, path, &pods) < 0)
    {
      client_reply_free (&summary);
      return 1;
    }
  rows = top_pods_print (stdout, summary.body, pods.body, all_ns ? NULL : ns,
                         sort);
  if (rows == 0 && all_ns)
    fprintf (stderr, "No resources found\n");
  else if (rows == 0)
    fprintf (stderr, "No resources found in %s namespace.\n", ns);
  client_reply_free (&summary);
  client_reply_free (&pods);
  return 0;
}
