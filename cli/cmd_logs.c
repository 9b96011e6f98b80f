/* cmd_logs.c - `berth logs POD [-c C] [-p] [-f] [--tail N] [-n NS]`: a
 * container's log through the agent's API
 * (/api/v1/namespaces/NS/pods/POD/log), as kubectl logs prints it.  With
 * -f the agent streams it (?follow=true) and it is printed as it comes,
 * until the container stops, or Ctrl-C. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"
#include "commands.h"

static void
usage (FILE *f)
{
  fprintf (f,
           "Usage: berth logs POD [-c CONTAINER] [-p] [-f] [--tail N] "
           "[-n NS]\n"
           "\n"
           "Print the log of a container of POD (the only one, or -c).\n"
           "\n"
           "Options:\n"
           "  -c, --container NAME  the container\n"
           "  -p, --previous        the previous instance (before the last "
           "restart)\n"
           "  -f, --follow          keep printing what the container writes\n"
           "      --tail N          the last N lines only\n"
           "  -n, --namespace NS    the pod's namespace (default)\n"
           "      --socket PATH     the agent's socket ($%s)\n"
           "  -h, --help            this help\n",
           CLIENT_ENV_SOCKET);
}

/* The log's text, or NULL after printing the error. */
static char *
fetch (const char *socket, const char *path)
{
  struct client_reply rep = { 0 };
  berth_error_t err = NULL;
  char *text;
  if (client_request (socket, "GET", path, NULL, &rep, &err) < 0)
    {
      fprintf (stderr, "berth logs: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return NULL;
    }
  if (rep.code != 200)
    {
      client_print_error (&rep);
      client_reply_free (&rep);
      return NULL;
    }
  text = rep.text ? rep.text : strdup ("");
  rep.text = NULL;
  client_reply_free (&rep);
  return text;
}

int
cmd_logs (int argc, char **argv)
{
  enum
  {
    OPT_TAIL = 256,
    OPT_SOCKET,
  };
  static const struct option options[]
      = { { "container", required_argument, NULL, 'c' },
          { "previous", no_argument, NULL, 'p' },
          { "follow", no_argument, NULL, 'f' },
          { "tail", required_argument, NULL, OPT_TAIL },
          { "namespace", required_argument, NULL, 'n' },
          { "socket", required_argument, NULL, OPT_SOCKET },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  const char *ns = "default", *container = NULL, *tail = NULL, *sock = NULL;
  bool previous = false, follow = false;
  cleanup_free char *path = NULL, *text = NULL;
  int c;

  optind = 1;
  while ((c = getopt_long (argc, argv, "c:pfn:h", options, NULL)) != -1)
    switch (c)
      {
      case 'c':
        container = optarg;
        break;
      case 'p':
        previous = true;
        break;
      case 'f':
        follow = true;
        break;
      case OPT_TAIL:
        tail = optarg;
        break;
      case 'n':
        ns = optarg;
        break;
      case OPT_SOCKET:
        sock = optarg;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (optind + 1 != argc)
    {
      usage (stderr);
      return 2;
    }
  sock = client_socket (sock);
  if (asprintf (&path,
                "/api/v1/namespaces/%s/pods/%s/log?previous=%s%s%s%s%s%s", ns,
                argv[optind], previous ? "true" : "false",
                container ? "&container=" : "", container ? container : "",
                tail ? "&tailLines=" : "", tail ? tail : "",
                follow ? "&follow=true" : "")
      < 0)
    abort ();
  if (!follow)
    {
      text = fetch (sock, path);
      if (text == NULL)
        return 1;
      fputs (text, stdout);
      fflush (stdout);
      return 0;
    }
  /* the agent streams the log until the container stops */
  return client_stream (sock, path, stdout, "logs");
}
