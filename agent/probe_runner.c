/* probe_runner.c - see probe.h.  Dispatch, the exec and tcpSocket
 * executors, and what every executor shares (ports, the pods' network
 * namespaces, held open between probes, the thread that closes probe
 * sockets, Go's error wording). */
#include "probe_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

const char *
probe_outcome_name (enum probe_outcome o)
{
  static const char *const names[]
      = { "success", "warning", "failure", "unknown" };
  return names[o];
}

char *
probe_join_host_port (const char *host, int port)
{
  char *s;
  if (asprintf (&s, strchr (host, ':') ? "[%s]:%d" : "%s:%d", host, port) < 0)
    abort ();
  return s;
}

void
probe_go_seconds (int64_t s, char *buf, size_t size)
{
  if (s < 60)
    snprintf (buf, size, "%llds", (long long)s);
  else if (s < 3600)
    snprintf (buf, size, "%lldm%llds", (long long)(s / 60),
              (long long)(s % 60));
  else
    snprintf (buf, size, "%lldh%lldm%llds", (long long)(s / 3600),
              (long long)(s % 3600 / 60), (long long)(s % 60));
}

void
probe_go_errno (int e, char *buf, size_t size)
{
  snprintf (buf, size, "%s", strerror (e));
  if (buf[0])
    buf[0] = (char)tolower ((unsigned char)buf[0]);
}

/* pkg/probe/util.go ResolveContainerPort. */
int
probe_resolve_port (const struct int_or_string *port, const struct container *c,
                    berth_error_t *err)
{
  size_t i;

  if (port->type == IOS_INT)
    {
      if (port->i > 0 && port->i < 65536)
        return (int)port->i;
      return berth_error_make (err, EINVAL, "invalid port number: %lld",
                               (long long)port->i);
    }
  if (port->type == IOS_STRING && port->s)
    {
      for (i = 0; c && i < c->ports.len; i++)
        if (c->ports.items[i].name
            && strcmp (c->ports.items[i].name, port->s) == 0)
          return (int)c->ports.items[i].container_port.v;
      /* findPortByName's error */
      return berth_error_make (err, ENOENT, "couldn't find port: %s in %s",
                               port->s, c && c->name ? c->name : "");
    }
  return berth_error_make (err, EINVAL, "intOrString had no kind: %d",
                           (int)port->type);
}

/* pkg/probe's ProbeDialer: SO_LINGER {1, 1}, so that probes leave no
 * TIME_WAIT sockets behind. */
static int
probe_linger (int fd)
{
  struct linger l = { 1, 1 };
  if (fd >= 0)
    setsockopt (fd, SOL_SOCKET, SO_LINGER, &l, sizeof (l));
  return fd;
}

/* ---- closing probe sockets off the loop ---- */

/* With SO_LINGER on, close() waits (up to the 1 s linger time) for the
 * peer to acknowledge the FIN, whatever O_NONBLOCK says: the kubelet's Go
 * runtime blocks a spare thread there, the loop must not.  The sockets go
 * to a thread that only closes them, through a pipe. */
static void *
closer_main (void *arg)
{
  int rfd = (int)(intptr_t)arg, fds[64];
  ssize_t n;

  while ((n = read (rfd, fds, sizeof (fds))) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      /* writes of one int are atomic: N is whole fds */
      for (size_t i = 0; i < (size_t)n / sizeof (int); i++)
        close (fds[i]);
    }
  close (rfd);
  return NULL;
}

static int
closer_start (struct probe_runner *r)
{
  pthread_attr_t attr;
  pthread_t t;
  int p[2], e;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  /* a full pipe: the loop closes the socket itself rather than wait */
  fcntl (p[1], F_SETFL, O_NONBLOCK);
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize (&attr, 64 * 1024);
  e = pthread_create (&t, &attr, closer_main, (void *)(intptr_t)p[0]);
  pthread_attr_destroy (&attr);
  if (e != 0)
    {
      close (p[0]);
      close (p[1]);
      return -1;
    }
  r->closer_fd = p[1];
  return 0;
}

void
probe_close_socket (struct probe_runner *r, int fd)
{
  if (fd < 0)
    return;
  if (r->closer_fd < 0 && !r->closer_failed && closer_start (r) < 0)
    r->closer_failed = true;
  if (r->closer_fd >= 0
      && write (r->closer_fd, &fd, sizeof (fd)) == (ssize_t)sizeof (fd))
    return;
  close (fd);
}

/* ---- the pods' network namespaces, held open ---- */

/* An entry no probe used for this long is closed (at the next lookup). */
#define NETNS_IDLE_MS 30000

static void
netns_drop (struct probe_runner *r, size_t i)
{
  close (r->ns[i].fd);
  free (r->ns[i].path);
  r->ns[i] = r->ns[--r->n_ns];
}

/* An fd of the netns file PATH for the container instance PID, opened
 * once and held: a probe then costs no open and close.  An entry is for
 * one instance (a new instance, maybe in a sandbox made again at the same
 * path, opens the file again); without a pid the file is checked (stat)
 * on every use. */
static int
netns_fd (struct probe_runner *r, const char *path, pid_t pid, int64_t now,
          berth_error_t *err)
{
  struct probe_netns *e;
  struct stat st;
  size_t i = 0;
  int fd;

  while (i < r->n_ns)
    {
      e = &r->ns[i];
      if (e->pid == pid && strcmp (e->path, path) == 0)
        {
          if (pid <= 0
              && (stat (path, &st) < 0 || st.st_dev != e->dev
                  || st.st_ino != e->ino))
            {
              netns_drop (r, i);
              continue;
            }
          e->used_ms = now;
          return e->fd;
        }
      if (now - e->used_ms >= NETNS_IDLE_MS)
        netns_drop (r, i);
      else
        i++;
    }
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return berth_error_sys (err, errno, "stat %s", path);
    }
  if (r->n_ns == r->cap_ns)
    {
      r->cap_ns = r->cap_ns ? 2 * r->cap_ns : 16;
      r->ns = realloc (r->ns, r->cap_ns * sizeof (*r->ns));
      if (r->ns == NULL)
        abort ();
    }
  r->ns[r->n_ns++] = (struct probe_netns){ strdup (path), pid, st.st_dev,
                                           st.st_ino,     fd,  now };
  if (r->ns[r->n_ns - 1].path == NULL)
    abort ();
  return fd;
}

static void
netns_close_all (struct probe_runner *r)
{
  while (r->n_ns > 0)
    netns_drop (r, r->n_ns - 1);
  free (r->ns);
  r->ns = NULL;
  r->cap_ns = 0;
}

int
probe_socket_in_netns (struct probe_run *run, int domain, int type,
                       berth_error_t *err)
{
  int ns, fd, e;

  if (run->net_ns == NULL)
    {
      fd = probe_linger (socket (domain, type | SOCK_CLOEXEC, 0));
      return fd < 0 ? berth_error_sys (err, errno, "socket") : fd;
    }
  ns = netns_fd (run->r, run->net_ns, run->pid,
                 run->deadline_ms - run->timeout_ms, err);
  if (ns < 0)
    return -1;
  if (setns (ns, CLONE_NEWNET) < 0)
    return berth_error_sys (err, errno, "enter %s", run->net_ns);
  fd = socket (domain, type | SOCK_CLOEXEC, 0);
  e = errno;
  /* Staying in a pod's namespace would send everything the agent does
   * from then on to the pod: there is no safe way to go on. */
  if (setns (run->r->host_ns, CLONE_NEWNET) < 0)
    abort ();
  return fd < 0 ? berth_error_sys (err, e, "socket in %s", run->net_ns)
                : probe_linger (fd);
}

const char *
probe_default_host (const struct probe_target *t)
{
  return t->pod_ip && *t->pod_ip ? t->pod_ip : "127.0.0.1";
}

/* ---- the tcpSocket timeouts: one timer for all runs ---- */

static void
dl_arm (struct probe_runner *r)
{
  berth_error_t err = NULL;
  int64_t d;

  if (r->dl_head == NULL || r->loop == NULL)
    return;
  d = r->dl_head->deadline_ms;
  /* set already for this deadline or an earlier one: it fires, and is
   * set again for what is then the earliest */
  if (r->dl_armed && r->dl_armed <= d)
    return;
  d -= loop_now_ms ();
  if (loop_timer_set (&r->dl_timer, d > 0 ? d : 1, 0, &err) < 0)
    {
      berth_error_release (&err);
      return;
    }
  r->dl_armed = r->dl_head->deadline_ms;
}

static void
dl_remove (struct probe_run *run)
{
  struct probe_runner *r = run->r;

  if (!run->dl_queued)
    return;
  *(run->dl_prev ? &run->dl_prev->dl_next : &r->dl_head) = run->dl_next;
  *(run->dl_next ? &run->dl_next->dl_prev : &r->dl_tail) = run->dl_prev;
  run->dl_prev = run->dl_next = NULL;
  run->dl_queued = false;
}

/* Runs start in deadline order but for their timeouts: from the tail. */
static void
dl_add (struct probe_run *run)
{
  struct probe_runner *r = run->r;
  struct probe_run *at = r->dl_tail;

  while (at && at->deadline_ms > run->deadline_ms)
    at = at->dl_prev;
  run->dl_prev = at;
  run->dl_next = at ? at->dl_next : r->dl_head;
  *(run->dl_next ? &run->dl_next->dl_prev : &r->dl_tail) = run;
  *(at ? &at->dl_next : &r->dl_head) = run;
  run->dl_queued = true;
  dl_arm (r);
}

static void tcp_fail (struct probe_run *run, const char *why);

static void
dl_timer_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct probe_runner *r = w->data;
  int64_t now = loop_now_ms ();
  (void)l;
  (void)events;

  r->dl_armed = 0;
  while (r->dl_head && r->dl_head->deadline_ms <= now)
    tcp_fail (r->dl_head, "i/o timeout"); /* dequeues it */
  dl_arm (r);
}

/* ---- runs ---- */

static void
run_release (struct probe_run *run)
{
  int i;

  loop_watcher_del (&run->timer);
  if (run->type == RUN_EXEC)
    {
      for (i = 0; i < 2; i++)
        {
          loop_watcher_del (&run->pipe_w[i]);
          if (run->pipe_fd[i] >= 0)
            close (run->pipe_fd[i]);
          run->pipe_fd[i] = -1;
          free (run->buf[i]);
          run->buf[i] = NULL;
        }
      loop_watcher_del (&run->status_w);
      if (run->exec_started)
        container_exec_free (&run->x);
      run->exec_started = false;
    }
  if (run->type == RUN_TCP)
    {
      dl_remove (run);
      loop_watcher_del (&run->sock_w);
      probe_close_socket (run->r, run->sock);
      run->sock = -1;
    }
  if (run->type == RUN_HTTP || run->type == RUN_GRPC)
    probe_http_release (run);
}

static void
run_free (struct probe_run *run)
{
  run_release (run);
  free (run->net_ns);
  free (run->output);
  free (run->error);
  free (run->cmdline);
  free (run->addr);
  free (run);
}

static void
deliver (struct probe_run *run)
{
  probe_done_cb done = run->done;
  void *ctx = run->ctx;
  enum probe_outcome o = run->outcome;
  cleanup_free char *out = steal_pointer (&run->output);
  cleanup_free char *e = steal_pointer (&run->error);

  run_free (run);
  done (ctx, o, out ? out : "", e);
}

static void
deferred_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)l;
  (void)events;
  deliver (w->data);
}

void
probe_run_finish_at (struct probe_run *run, int64_t delay_ms,
                     enum probe_outcome outcome, const char *output,
                     const char *error)
{
  berth_error_t err = NULL;

  if (run->finished)
    return;
  run->finished = true;
  run->outcome = outcome;
  run->output = strdup (output ? output : "");
  run->error = error ? strdup (error) : NULL;
  run_release (run);
  if (delay_ms <= 0 && !run->starting)
    {
      deliver (run);
      return;
    }
  if (loop_timer_add (run->r->loop, &run->timer, delay_ms > 0 ? delay_ms : 1, 0,
                      deferred_cb, run, &err)
      < 0)
    {
      berth_error_release (&err);
      deliver (run); /* no timerfd left: late is better than never */
    }
}

void
probe_run_finish (struct probe_run *run, enum probe_outcome outcome,
                  const char *output, const char *error)
{
  probe_run_finish_at (run, 0, outcome, output, error);
}

void
probe_run_cancel (struct probe_run *run)
{
  if (run == NULL)
    return;
  if (run->type == RUN_EXEC && run->exec_started)
    container_exec_kill (&run->x);
  run_free (run);
}

/* ---- exec ---- */

/* third_party/forked/golang/expansion: $(VAR) from the container's static
 * env, $$ is a literal $, anything else stays as written. */
static char *
expand_static (const char *in, const struct container *c)
{
  char *out = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream (&out, &len);

  if (f == NULL)
    abort ();
  while (*in)
    {
      const char *close;
      if (in[0] != '$' || in[1] == '\0')
        {
          fputc (*in++, f);
          continue;
        }
      if (in[1] == '$')
        {
          fputc ('$', f);
          in += 2;
          continue;
        }
      if (in[1] != '(' || (close = strchr (in + 2, ')')) == NULL)
        {
          fputc (*in++, f);
          continue;
        }
      for (i = 0; c && i < c->env.len; i++)
        {
          const struct env_var *e = &c->env.items[i];
          if (e->value_from == NULL
              && strlen (e->name) == (size_t)(close - in - 2)
              && strncmp (e->name, in + 2, close - in - 2) == 0)
            break;
        }
      if (c && i < c->env.len)
        fputs (c->env.items[i].value ? c->env.items[i].value : "", f);
      else
        fwrite (in, 1, close - in + 1, f);
      in = close + 1;
    }
  fclose (f);
  return out;
}

static void
exec_drain (struct probe_run *run, int i)
{
  char tmp[4096];
  ssize_t n;

  while (run->pipe_fd[i] >= 0
         && (n = read (run->pipe_fd[i], tmp, sizeof (tmp))) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            return;
          break;
        }
      if (run->buf_len[i] < PROBE_MAX_OUTPUT)
        {
          size_t keep = PROBE_MAX_OUTPUT - run->buf_len[i];
          if ((size_t)n < keep)
            keep = n;
          memcpy (run->buf[i] + run->buf_len[i], tmp, keep);
          run->buf_len[i] += keep;
        }
    }
  loop_watcher_del (&run->pipe_w[i]);
  close (run->pipe_fd[i]);
  run->pipe_fd[i] = -1;
}

static void
pipe_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct probe_run *run = w->data;
  (void)l;
  (void)events;
  exec_drain (run, w == &run->pipe_w[0] ? 0 : 1);
}

/* exec.Probe: stdout then stderr (ExecSync's order), at most 10 KiB. */
static void
exec_done (struct probe_run *run)
{
  cleanup_free char *out = NULL, *msg = NULL;
  size_t n0, n1;

  exec_drain (run, 0);
  exec_drain (run, 1);
  n0 = run->buf_len[0];
  n1 = run->buf_len[1];
  if (n0 + n1 > PROBE_MAX_OUTPUT)
    n1 = PROBE_MAX_OUTPUT - n0;
  out = malloc (n0 + n1 + 1);
  memcpy (out, run->buf[0], n0);
  memcpy (out + n0, run->buf[1], n1);
  out[n0 + n1] = '\0';
  switch (run->x.state)
    {
    case CONTAINER_EXEC_EXITED:
      probe_run_finish (
          run, run->x.exit_code == 0 ? PROBE_OUT_SUCCESS : PROBE_OUT_FAILURE,
          out, NULL);
      break;
    case CONTAINER_EXEC_TIMED_OUT:
    case CONTAINER_EXEC_KILLED:
      /* ExecProbeTimeout: a Failure whose output is the TimeoutError */
      if (asprintf (&msg, "command \"%s\" timed out", run->cmdline) < 0)
        abort ();
      probe_run_finish (run, PROBE_OUT_FAILURE, msg, NULL);
      break;
    default:
      probe_run_finish (run, PROBE_OUT_UNKNOWN, "",
                        run->x.message ? run->x.message : "exec failed");
    }
}

static void
status_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct probe_run *run = w->data;
  berth_error_t err = NULL;
  int r;
  (void)l;
  (void)events;

  r = container_exec_poll (&run->x, &err);
  if (r < 0)
    {
      cleanup_free char *m = strdup (berth_error_msg (&err));
      berth_error_release (&err);
      probe_run_finish (run, PROBE_OUT_UNKNOWN, "", m);
      return;
    }
  if (r == 1)
    exec_done (run);
}

/* The helper enforces the timeout; this catches a helper that hangs. */
static void
exec_backstop_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct probe_run *run = w->data;
  (void)l;
  (void)events;
  container_exec_kill (&run->x);
}

static int
exec_start (struct probe_run *run, const struct probe_call *call,
            berth_error_t *err)
{
  const struct exec_action *a = call->spec->exec;
  struct container_exec_target t
      = { call->target->pid, call->target->instance_dir };
  struct container_exec_opts o = { 0 };
  cleanup_free char **argv = NULL;
  int out[2], errp[2], i, ret;
  FILE *f;
  size_t len;

  argv = calloc (a->command.len + 1, sizeof (char *));
  f = open_memstream (&run->cmdline, &len);
  for (size_t k = 0; k < a->command.len; k++)
    {
      argv[k] = expand_static (a->command.items[k], call->container);
      fprintf (f, "%s%s", k ? " " : "", argv[k]);
    }
  fclose (f);
  if (pipe2 (out, O_CLOEXEC | O_NONBLOCK) < 0)
    return berth_error_sys (err, errno, "pipe");
  if (pipe2 (errp, O_CLOEXEC | O_NONBLOCK) < 0)
    {
      close (out[0]);
      close (out[1]);
      return berth_error_sys (err, errno, "pipe");
    }
  o.argv = (const char *const *)argv;
  o.stdin_fd = -1;
  o.stdout_fd = out[1];
  o.stderr_fd = errp[1];
  o.timeout_ms = run->timeout_ms;
  ret = container_exec_start (&t, &o, &run->x, err);
  close (out[1]);
  close (errp[1]);
  for (size_t k = 0; k < a->command.len; k++)
    free (argv[k]);
  run->pipe_fd[0] = out[0];
  run->pipe_fd[1] = errp[0];
  if (ret < 0)
    return ret;
  run->exec_started = true;
  for (i = 0; i < 2; i++)
    {
      run->buf[i] = malloc (PROBE_MAX_OUTPUT);
      if (loop_io_add (run->r->loop, &run->pipe_w[i], run->pipe_fd[i], EPOLLIN,
                       pipe_cb, run, err)
          < 0)
        return -1;
    }
  if (loop_io_add (run->r->loop, &run->status_w, run->x.status_fd, EPOLLIN,
                   status_cb, run, err)
          < 0
      || loop_timer_add (run->r->loop, &run->timer, run->timeout_ms + 5000, 0,
                         exec_backstop_cb, run, err)
             < 0)
    return -1;
  return 0;
}

/* ---- tcpSocket: DoTCPProbe ---- */

static void
tcp_fail (struct probe_run *run, const char *why)
{
  cleanup_free char *msg = NULL;
  if (asprintf (&msg, "dial tcp %s: %s", run->addr, why) < 0)
    abort ();
  probe_run_finish (run, PROBE_OUT_FAILURE, msg, NULL);
}

static void
tcp_cb (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct probe_run *run = w->data;
  socklen_t sl = sizeof (int);
  char buf[128], why[160];
  int e = 0;
  (void)l;
  (void)events;

  if (getsockopt (run->sock, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
    e = errno;
  if (e == 0)
    {
      probe_run_finish (run, PROBE_OUT_SUCCESS, "", NULL);
      return;
    }
  probe_go_errno (e, buf, sizeof (buf));
  snprintf (why, sizeof (why), "connect: %s", buf);
  tcp_fail (run, why);
}

static int
tcp_start (struct probe_run *run, const struct probe_call *call,
           berth_error_t *err)
{
  const struct tcp_socket_action *a = call->spec->tcp_socket;
  const char *host
      = a->host && *a->host ? a->host : probe_default_host (call->target);
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
  char port_s[16], buf[128], why[160];
  int port, gai;

  port = probe_resolve_port (&a->port, call->container, err);
  if (port < 0)
    return -1;
  run->addr = probe_join_host_port (host, port);
  snprintf (port_s, sizeof (port_s), "%d", port);
  /* an IP (the usual case) needs no resolver */
  hints.ai_flags = AI_NUMERICHOST;
  gai = getaddrinfo (host, port_s, &hints, &ai);
  if (gai == EAI_NONAME)
    {
      hints.ai_flags = 0;
      gai = getaddrinfo (host, port_s, &hints, &ai);
    }
  if (gai != 0)
    return berth_error_make (err, EINVAL, "dial tcp %s: lookup %s: %s",
                             run->addr, host, gai_strerror (gai));
  run->sock = probe_socket_in_netns (run, ai->ai_family,
                                     SOCK_STREAM | SOCK_NONBLOCK, err);
  if (run->sock < 0)
    {
      freeaddrinfo (ai);
      return -1;
    }
  if (connect (run->sock, ai->ai_addr, ai->ai_addrlen) < 0
      && errno != EINPROGRESS)
    {
      probe_go_errno (errno, buf, sizeof (buf));
      freeaddrinfo (ai);
      snprintf (why, sizeof (why), "connect: %s", buf);
      tcp_fail (run, why);
      return 0;
    }
  freeaddrinfo (ai);
  if (loop_io_add (run->r->loop, &run->sock_w, run->sock, EPOLLOUT, tcp_cb, run,
                   err)
      < 0)
    return -1;
  dl_add (run);
  return 0;
}

/* ---- the runner ---- */

int
probe_runner_new (struct loop *l, struct probe_runner **out, berth_error_t *err)
{
  struct probe_runner *r = calloc (1, sizeof (*r));

  if (r == NULL)
    abort ();
  r->loop = l;
  r->curl_timer.fd = -1;
  r->dl_timer.fd = -1;
  r->closer_fd = -1;
  r->host_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (r->host_ns < 0)
    {
      free (r);
      return berth_error_sys (err, errno, "open /proc/self/ns/net");
    }
  if (l && loop_timer_add (l, &r->dl_timer, 0, 0, dl_timer_cb, r, err) < 0)
    {
      close (r->host_ns);
      free (r);
      return -1;
    }
  if (probe_http_init (r, err) < 0)
    {
      loop_watcher_del (&r->dl_timer);
      close (r->host_ns);
      free (r);
      return -1;
    }
  *out = r;
  return 0;
}

void
probe_runner_free (struct probe_runner *r)
{
  if (r == NULL)
    return;
  probe_http_cleanup (r);
  loop_watcher_del (&r->dl_timer);
  netns_close_all (r);
  if (r->closer_fd >= 0)
    close (r->closer_fd); /* the thread closes what is left, and ends */
  close (r->host_ns);
  free (r);
}

int
probe_run_start (struct probe_runner *r, const struct probe_call *call,
                 probe_done_cb done, void *ctx, struct probe_run **out,
                 berth_error_t *err)
{
  const struct probe *p = call->spec;
  struct probe_run *run = calloc (1, sizeof (*run));
  int ret;

  if (run == NULL)
    abort ();
  run->r = r;
  run->done = done;
  run->ctx = ctx;
  run->sock = run->pipe_fd[0] = run->pipe_fd[1] = -1;
  run->timer.fd = run->pipe_w[0].fd = run->pipe_w[1].fd = -1;
  run->status_w.fd = run->sock_w.fd = -1;
  run->net_ns = call->target->net_ns ? strdup (call->target->net_ns) : NULL;
  run->pid = call->target->pid;
  run->timeout_ms = (int)((p->timeout_seconds.set && p->timeout_seconds.v > 0
                               ? p->timeout_seconds.v
                               : 1)
                          * 1000);
  run->deadline_ms = loop_now_ms () + run->timeout_ms;
  run->type = p->exec         ? RUN_EXEC
              : p->http_get   ? RUN_HTTP
              : p->tcp_socket ? RUN_TCP
                              : RUN_GRPC;
  run->starting = true;
  if (p->exec)
    ret = exec_start (run, call, err);
  else if (p->http_get)
    ret = probe_http_start (run, call, err);
  else if (p->tcp_socket)
    ret = tcp_start (run, call, err);
  else if (p->grpc)
    ret = probe_grpc_start (run, call, err);
  else
    ret = berth_error_make (err, EINVAL, "missing probe handler");
  run->starting = false;
  if (ret < 0)
    {
      if (run->finished)
        loop_watcher_del (&run->timer);
      run_free (run);
      return -1;
    }
  *out = run;
  return 0;
}
