/* ctr-run.c - test driver for the container launcher (runtime/container.h).
 *
 *   ctr-run start --instance DIR --layer DIR --log FILE [options] -- ARGV...
 *   ctr-run wait DIR [TIMEOUT_MS]     wait for the exit, print the status
 *   ctr-run stop DIR GRACE_SECONDS    stop, print the status
 *   ctr-run status DIR                print the status
 *
 * start prints "pid N" and "start_us N" (container_start to exec); with
 * --wait it then waits and prints the status.  With --repeat N it starts
 * the container N times in this process, each time stopping it (grace 0)
 * unless it exits first, checks that an exit was recorded, and prints
 * "start_us median=M min=A max=B" and the last status.  The status is printed
 * as key=value lines: state, exitCode, signal, reason, message, startedAt,
 * finishedAt, pid, monitorPid.  Exit status: 0, or 1 with the error on
 * stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container.h"

#define MAX_LIST 64

struct opts
{
  struct container_spec spec;
  const char *layers[MAX_LIST];
  const char *cap_add[MAX_LIST];
  const char *cap_drop[MAX_LIST];
  const char *envp[MAX_LIST + 1];
  struct rootfs_mount mounts[MAX_LIST];
  int64_t groups[MAX_LIST];
  size_t envp_len;
  bool wait;
  int repeat;
};

static void
print_status (const struct container_status *s)
{
  printf ("state=%s\n", container_state_name (s->state));
  if (s->exit_code_set)
    printf ("exitCode=%d\n", s->exit_code);
  printf ("signal=%d\npid=%d\nmonitorPid=%d\n", s->signal, (int)s->pid,
          (int)s->monitor_pid);
  printf ("reason=%s\nstartedAt=%s\nfinishedAt=%s\n",
          s->reason ? s->reason : "", s->started_at ? s->started_at : "",
          s->finished_at ? s->finished_at : "");
  printf ("message=%s\n", s->message ? s->message : "");
}

static int
die (berth_error_t *err)
{
  fprintf (stderr, "ctr-run: %s\n", berth_error_msg (err));
  berth_error_release (err);
  return 1;
}

static void
add_mount (struct opts *o, char *arg)
{
  struct rootfs_mount *m = &o->mounts[o->spec.mounts_len++];
  char *c1 = strchr (arg, ':'), *c2;

  if (c1 == NULL)
    exit (2);
  *c1 = '\0';
  c2 = strchr (c1 + 1, ':');
  if (c2 != NULL)
    *c2 = '\0';
  m->source = arg;
  m->destination = c1 + 1;
  m->readonly = c2 != NULL && strcmp (c2 + 1, "ro") == 0;
}

static void
set_seccomp (struct opts *o, char *arg)
{
  if (strcmp (arg, "unconfined") == 0)
    o->spec.seccomp = CONTAINER_SECCOMP_UNCONFINED;
  else if (strncmp (arg, "localhost:", 10) == 0)
    {
      char *c = strchr (arg + 10, ':');
      if (c == NULL)
        exit (2);
      *c = '\0';
      o->spec.seccomp = CONTAINER_SECCOMP_LOCALHOST;
      o->spec.seccomp_root = arg + 10;
      o->spec.seccomp_profile = c + 1;
    }
}

static void
parse_start (struct opts *o, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "instance", 1, 0, 'i' },    { "layer", 1, 0, 'l' },
    { "log", 1, 0, 'L' },         { "ro", 0, 0, 'r' },
    { "netns", 1, 0, 'n' },       { "ipcns", 1, 0, 'I' },
    { "utsns", 1, 0, 'u' },       { "pidns", 1, 0, 'P' },
    { "hostname", 1, 0, 'h' },    { "user", 1, 0, 'U' },
    { "group", 1, 0, 'G' },       { "supplemental-group", 1, 0, 'S' },
    { "image-user", 1, 0, 'Y' },  { "non-root", 0, 0, 'N' },
    { "privileged", 0, 0, 'p' },  { "cap-add", 1, 0, 'a' },
    { "cap-drop", 1, 0, 'd' },    { "no-new-privs", 0, 0, 'x' },
    { "seccomp", 1, 0, 's' },     { "mount", 1, 0, 'm' },
    { "termlog", 1, 0, 't' },     { "fallback", 0, 0, 'f' },
    { "stop-signal", 1, 0, 'k' }, { "cwd", 1, 0, 'c' },
    { "env", 1, 0, 'e' },         { "wait", 0, 0, 'w' },
    { "cgroup", 1, 0, 'C' },      { "oom-score-adj", 1, 0, 'o' },
    { "pod", 1, 0, 'O' },         { "repeat", 1, 0, 'R' },
    { "name", 1, 0, 'M' },        { 0, 0, 0, 0 },
  };
  struct container_spec *s = &o->spec;
  int c;

  s->id = "ctr";
  s->pod = "pod_default(uid)";
  s->name = "ctr";
  while ((c = getopt_long (argc, argv, "+", longopts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        s->instance_dir = optarg;
        break;
      case 'l':
        o->layers[s->layers_len++] = optarg;
        break;
      case 'L':
        s->log_path = optarg;
        break;
      case 'r':
        s->readonly_root = true;
        break;
      case 'n':
        s->net_ns = optarg;
        break;
      case 'I':
        s->ipc_ns = optarg;
        break;
      case 'u':
        s->uts_ns = optarg;
        break;
      case 'P':
        s->pid_ns = optarg;
        break;
      case 'h':
        s->hostname = optarg;
        break;
      case 'U':
        s->user.run_as_user_set = true;
        s->user.run_as_user = atoll (optarg);
        break;
      case 'G':
        s->user.run_as_group_set = true;
        s->user.run_as_group = atoll (optarg);
        break;
      case 'S':
        o->groups[s->user.supplemental_groups_len++] = atoll (optarg);
        break;
      case 'Y':
        s->user.image_user = optarg;
        break;
      case 'N':
        s->run_as_non_root = true;
        break;
      case 'p':
        s->privileged = true;
        break;
      case 'a':
        o->cap_add[s->cap_add_len++] = optarg;
        break;
      case 'd':
        o->cap_drop[s->cap_drop_len++] = optarg;
        break;
      case 'x':
        s->no_new_privs = true;
        break;
      case 's':
        set_seccomp (o, optarg);
        break;
      case 'm':
        add_mount (o, optarg);
        break;
      case 't':
        s->termination_log = optarg;
        break;
      case 'f':
        s->termination_fallback_to_logs = true;
        break;
      case 'k':
        s->stop_signal = atoi (optarg);
        break;
      case 'c':
        s->cwd = optarg;
        break;
      case 'e':
        o->envp[o->envp_len++] = optarg;
        break;
      case 'w':
        o->wait = true;
        break;
      case 'C':
        s->cgroup_dir = optarg;
        break;
      case 'o':
        s->oom_score_adj_set = true;
        s->oom_score_adj = atoi (optarg);
        break;
      case 'O':
        s->pod = optarg;
        break;
      case 'R':
        o->repeat = atoi (optarg);
        break;
      case 'M':
        s->name = optarg;
        break;
      default:
        exit (2);
      }
  if (o->envp_len == 0)
    o->envp[o->envp_len++]
        = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  s->layers = o->layers;
  s->cap_add = o->cap_add;
  s->cap_drop = o->cap_drop;
  s->envp = o->envp;
  s->mounts = o->mounts;
  s->user.supplemental_groups = o->groups;
  s->argv = (const char *const *)argv + optind;
}

static long
elapsed_us (const struct timespec *a, const struct timespec *b)
{
  return (long)((b->tv_sec - a->tv_sec) * 1000000
                + (b->tv_nsec - a->tv_nsec) / 1000);
}

static int
cmp_long (const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

static int
start_repeat (struct opts *o)
{
  struct container_status st = { 0 };
  berth_error_t err = NULL;
  struct timespec a, b;
  long *us = calloc (o->repeat, sizeof (long));
  pid_t pid;
  int i;

  for (i = 0; i < o->repeat; i++)
    {
      clock_gettime (CLOCK_MONOTONIC, &a);
      if (container_start (&o->spec, &pid, &err) < 0)
        return die (&err);
      clock_gettime (CLOCK_MONOTONIC, &b);
      us[i] = elapsed_us (&a, &b);
      container_status_free (&st);
      if (container_stop (o->spec.instance_dir, 0, &err) < 0
          || container_status_read (o->spec.instance_dir, &st, &err) < 0)
        return die (&err);
      if (st.state != CONTAINER_EXITED || !st.exit_code_set)
        {
          fprintf (stderr, "ctr-run: start %d: no exit recorded\n", i + 1);
          return 1;
        }
    }
  qsort (us, o->repeat, sizeof (long), cmp_long);
  printf ("start_us median=%ld min=%ld max=%ld\n", us[o->repeat / 2], us[0],
          us[o->repeat - 1]);
  print_status (&st);
  container_status_free (&st);
  free (us);
  return 0;
}

static int
cmd_start (int argc, char **argv)
{
  static struct opts o;
  struct container_status st = { 0 };
  berth_error_t err = NULL;
  struct timespec a, b;
  pid_t pid;

  parse_start (&o, argc, argv);
  if (o.repeat > 0)
    return start_repeat (&o);
  clock_gettime (CLOCK_MONOTONIC, &a);
  if (container_start (&o.spec, &pid, &err) < 0)
    return die (&err);
  clock_gettime (CLOCK_MONOTONIC, &b);
  printf (
      "pid %d\nstart_us %ld\n", (int)pid,
      (long)((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000));
  fflush (stdout);
  if (!o.wait)
    return 0;
  if (container_wait (o.spec.instance_dir, -1, &st, &err) < 0)
    return die (&err);
  print_status (&st);
  container_status_free (&st);
  return 0;
}

int
main (int argc, char **argv)
{
  struct container_status st = { 0 };
  berth_error_t err = NULL;

  signal (SIGPIPE, SIG_IGN);
  if (argc >= 2 && strcmp (argv[1], "start") == 0)
    return cmd_start (argc - 1, argv + 1);
  if (argc >= 3 && strcmp (argv[1], "wait") == 0)
    {
      if (container_wait (argv[2], argc > 3 ? atoi (argv[3]) : -1, &st, &err)
          < 0)
        return die (&err);
    }
  else if (argc >= 4 && strcmp (argv[1], "stop") == 0)
    {
      if (container_stop (argv[2], atoi (argv[3]), &err) < 0
          || container_status_read (argv[2], &st, &err) < 0)
        return die (&err);
    }
  else if (argc >= 3 && strcmp (argv[1], "status") == 0)
    {
      if (container_status_read (argv[2], &st, &err) < 0)
        return die (&err);
    }
  else
    {
      fprintf (stderr, "usage: ctr-run start|wait|stop|status ...\n");
      return 2;
    }
  print_status (&st);
  container_status_free (&st);
  return 0;
}
