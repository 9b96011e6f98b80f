/* cmd_exec.c - `berth exec POD [-c C] [-n NS] [-i] [-t] -- CMD...`: run a
 * command in a running container, joining its namespaces and cgroup
 * (container_exec.h), as kubectl exec does.
 *
 * Finding the container: the agent's API gives the pod's uid (and its
 * first container when -c is not given); the instance is the newest
 * running one under ROOT/pods/<uid>/containers/<name>/<restartCount>/,
 * read from its status.json (the monitor's record: the init's pid) and
 * process.json (its env, user, capabilities, seccomp, cgroup).  The state
 * dir is the truth about what runs, whatever the agent's status says. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"
#include "commands.h"
#include "container_exec.h"

#define DEFAULT_ROOT "/var/lib/berth"

static int
usage (FILE *f, int status)
{
  fprintf (f,
           "Usage: berth exec POD [-c CONTAINER] [-n NS] [-i] [-t] -- CMD "
           "[ARG...]\n\n"
           "Run CMD in a running container of POD, in its namespaces and "
           "cgroup,\nas its user, with its capabilities and seccomp "
           "profile.\n\n"
           "  -c, --container C   the container (default: the first)\n"
           "  -n, --namespace NS  the pod's namespace (default: default)\n"
           "  -i, --stdin         pass standard input to CMD\n"
           "  -t, --tty           give CMD a terminal\n"
           "      --root DIR      the agent's state dir (default %s)\n"
           "      --socket PATH   the agent's socket\n\n"
           "The exit status is CMD's.\n",
           DEFAULT_ROOT);
  return status;
}

/* The pod's uid and (when *CONTAINER is NULL) its first container. */
static int
lookup_pod (const char *socket, const char *ns, const char *pod, char **uid,
            char **container, berth_error_t *err)
{
  struct client_reply rep = { 0 };
  cleanup_free char *path = NULL;
  const struct node *meta, *v, *spec, *ctrs;
  int ret = 0;

  if (asprintf (&path, "/api/v1/namespaces/%s/pods/%s", ns, pod) < 0)
    abort ();
  if (client_request (socket, "GET", path, NULL, &rep, err) < 0)
    return -1;
  if (rep.code != 200 || rep.body == NULL)
    {
      client_print_error (&rep);
      client_reply_free (&rep);
      return berth_error_make (err, ENOENT, "pod %s/%s not found", ns, pod);
    }
  meta = node_map_get (rep.body, "metadata");
  v = meta ? node_map_get (meta, "uid") : NULL;
  spec = node_map_get (rep.body, "spec");
  ctrs = spec ? node_map_get (spec, "containers") : NULL;
  if (v == NULL || v->kind != NODE_SCALAR)
    ret = berth_error_make (err, EINVAL, "pod %s/%s has no uid", ns, pod);
  else
    *uid = strdup (v->text);
  if (ret == 0 && *container == NULL && ctrs && ctrs->kind == NODE_SEQ
      && ctrs->len > 0 && (v = node_map_get (ctrs->items[0], "name")) != NULL)
    *container = strdup (v->text);
  client_reply_free (&rep);
  return ret;
}

/* The newest running instance of CONTAINER. */
static int
find_instance (const char *root, const char *uid, const char *container,
               char **dir, pid_t *pid, berth_error_t *err)
{
  cleanup_free char *base = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  long best = -1;

  if (asprintf (&base, "%s/pods/%s/containers/%s", root, uid, container) < 0)
    abort ();
  d = opendir (base);
  if (d == NULL)
    return berth_error_sys (err, errno, "container %s not found (%s)",
                            container, base);
  while ((de = readdir (d)) != NULL)
    {
      struct container_status st = { 0 };
      berth_error_t e = NULL;
      cleanup_free char *p = NULL;
      char *end;
      long n = strtol (de->d_name, &end, 10);

      if (*de->d_name == '\0' || *end != '\0' || n <= best)
        continue;
      if (asprintf (&p, "%s/%s", base, de->d_name) < 0)
        abort ();
      if (container_status_read (p, &st, &e) < 0)
        {
          berth_error_release (&e);
          continue;
        }
      if (st.state == CONTAINER_RUNNING && st.pid > 0)
        {
          best = n;
          *pid = st.pid;
          free (*dir);
          *dir = steal_pointer (&p);
        }
      container_status_free (&st);
    }
  if (best < 0)
    return berth_error_make (err, ESRCH,
                             "container %s is not running (no running "
                             "instance under %s)",
                             container, base);
  return 0;
}

/* -t: a pty whose master is relayed to our terminal in raw mode. */
static int
relay_tty (struct container_exec *x, int master)
{
  struct termios saved, raw;
  bool is_tty = tcgetattr (0, &saved) == 0;
  struct winsize ws;
  char buf[4096];
  bool in_open = true;
  berth_error_t err = NULL;
  int r = 0;

  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
  if (is_tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (0, TCSANOW, &raw);
    }
  for (;;)
    {
      struct pollfd p[3] = { { master, POLLIN, 0 },
                             { in_open ? 0 : -1, POLLIN, 0 },
                             { x->status_fd, POLLIN, 0 } };
      ssize_t n;
      if (poll (p, 3, -1) < 0 && errno != EINTR)
        break;
      if (p[0].revents)
        {
          n = read (master, buf, sizeof (buf));
          if (n <= 0)
            break; /* EIO: the command and its children are gone */
          if (write (1, buf, n) < 0)
            break;
        }
      if (p[1].revents)
        {
          n = read (0, buf, sizeof (buf));
          if (n <= 0)
            in_open = false;
          else if (write (master, buf, n) < 0)
            break;
        }
      if (p[2].revents && (r = container_exec_poll (x, &err)) != 0)
        break;
    }
  if (is_tty)
    tcsetattr (0, TCSANOW, &saved);
  berth_error_release (&err);
  return r < 0 ? -1 : 0;
}

static int
run_exec (struct container_exec_target *t, struct container_exec_opts *o,
          struct container_exec *x, berth_error_t *err)
{
  cleanup_close int master = -1;
  int slave = -1;

  if (!o->tty)
    return container_exec_run (t, o, x, err);
  if (openpty (&master, &slave, NULL, NULL, NULL) < 0)
    return berth_error_sys (err, errno, "openpty");
  o->stdin_fd = o->stdout_fd = o->stderr_fd = slave;
  if (container_exec_start (t, o, x, err) < 0)
    {
      close (slave);
      return -1;
    }
  close (slave);
  relay_tty (x, master);
  return container_exec_wait (x, err);
}

static int
report (struct container_exec *x)
{
  switch (x->state)
    {
    case CONTAINER_EXEC_EXITED:
      if (x->exit_code != 0)
        fprintf (stderr, "command terminated with exit code %d\n",
                 x->exit_code);
      return x->exit_code;
    case CONTAINER_EXEC_FAILED:
      fprintf (stderr, "berth exec: %s\n", x->message ? x->message : "failed");
      return 126;
    default:
      fprintf (stderr, "berth exec: the command was killed\n");
      return 137;
    }
}

int
cmd_exec (int argc, char **argv)
{
  static const struct option longopts[]
      = { { "container", required_argument, NULL, 'c' },
          { "namespace", required_argument, NULL, 'n' },
          { "stdin", no_argument, NULL, 'i' },
          { "tty", no_argument, NULL, 't' },
          { "root", required_argument, NULL, 'R' },
          { "socket", required_argument, NULL, 'S' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  const char *ns = "default", *root = DEFAULT_ROOT, *sock = NULL;
  cleanup_free char *container = NULL, *uid = NULL, *dir = NULL;
  struct container_exec_target t = { 0 };
  struct container_exec_opts o = { 0 };
  struct container_exec x = { 0 };
  berth_error_t err = NULL;
  bool in = false;
  int c, ret;

  /* GNU getopt permutes: options may follow POD; "--" ends them, and
   * POD comes first in what is left, then CMD. */
  while ((c = getopt_long (argc, argv, "c:n:ith", longopts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        free (container);
        container = strdup (optarg);
        break;
      case 'n':
        ns = optarg;
        break;
      case 'i':
        in = true;
        break;
      case 't':
        o.tty = true;
        break;
      case 'R':
        root = optarg;
        break;
      case 'S':
        sock = optarg;
        break;
      case 'h':
        return usage (stdout, 0);
      default:
        return usage (stderr, 2);
      }
  if (argc - optind < 2)
    return usage (stderr, 2);
  if (lookup_pod (client_socket (sock), ns, argv[optind], &uid, &container,
                  &err)
          < 0
      || find_instance (root, uid, container, &dir, &t.pid, &err) < 0)
    {
      fprintf (stderr, "berth exec: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return 1;
    }
  optind++;
  t.instance_dir = dir;
  o.argv = (const char *const *)argv + optind;
  o.stdin_fd = in ? 0 : -1;
  o.stdout_fd = 1;
  o.stderr_fd = 2;
  if (run_exec (&t, &o, &x, &err) < 0)
    {
      fprintf (stderr, "berth exec: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      container_exec_free (&x);
      return 1;
    }
  ret = report (&x);
  container_exec_free (&x);
  return ret;
}
