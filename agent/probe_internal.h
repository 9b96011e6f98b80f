/* probe_internal.h - what probe_runner.c (dispatch, exec, tcpSocket) and
 * probe_http.c (httpGet, grpc over libcurl) share.  Not for other modules. */
#ifndef BERTH_PROBE_INTERNAL_H
#define BERTH_PROBE_INTERNAL_H

#include <curl/curl.h>

#include "container_exec.h"
#include "probe.h"

/* A pod's network namespace, held open from one probe to the next. */
struct probe_netns
{
  char *path;
  pid_t pid; /* the container instance it was opened for (0: none) */
  dev_t dev; /* the file, checked when there is no pid */
  ino_t ino;
  int fd;
  int64_t used_ms;
};

struct probe_runner
{
  struct loop *loop;
  int host_ns; /* the agent's own network namespace */
  CURLM *multi;
  struct loop_watcher curl_timer;
  int still_running;
  struct probe_netns *ns;
  size_t n_ns, cap_ns;
  /* the tcpSocket runs' timeouts, earliest first, on one timer */
  struct probe_run *dl_head, *dl_tail;
  struct loop_watcher dl_timer;
  int64_t dl_armed; /* the deadline the timer is set for; 0: none */
  int closer_fd;    /* the closing thread's pipe (-1: not started) */
  bool closer_failed;
};

enum probe_run_type
{
  RUN_EXEC,
  RUN_TCP,
  RUN_HTTP,
  RUN_GRPC,
};

struct probe_run
{
  struct probe_runner *r;
  enum probe_run_type type;
  probe_done_cb done;
  void *ctx;
  char *net_ns;
  pid_t pid; /* the container's init: keys the held netns fd */
  int timeout_ms;
  int64_t deadline_ms;
  struct loop_watcher timer; /* timeout backstop, or a deferred finish */
  bool starting;             /* inside probe_run_start: finish later */
  bool finished;
  enum probe_outcome outcome;
  char *output, *error;

  /* exec */
  struct container_exec x;
  bool exec_started;
  char *cmdline;
  int pipe_fd[2]; /* stdout, stderr read ends */
  struct loop_watcher pipe_w[2], status_w;
  char *buf[2];
  size_t buf_len[2];

  /* tcp */
  int sock;
  char *addr; /* host:port as Go's JoinHostPort */
  struct loop_watcher sock_w;
  struct probe_run *dl_prev, *dl_next; /* in the runner's deadlines */
  bool dl_queued;

  /* http, grpc */
  CURL *easy;
  struct curl_slist *headers;
  char *url, *orig_host, *grpc_message;
  int n_requests, grpc_status;
  bool truncated, connect_failed;
  char *body;
  size_t body_len;
};

/* Finish RUN: DONE is called (later, from a timer, while starting), the
 * run is freed. */
void probe_run_finish (struct probe_run *run, enum probe_outcome outcome,
                       const char *output, const char *error);
/* Finish after DELAY_MS (grpc-go waits out its deadline). */
void probe_run_finish_at (struct probe_run *run, int64_t delay_ms,
                          enum probe_outcome outcome, const char *output,
                          const char *error);

int probe_http_init (struct probe_runner *r, berth_error_t *err);
void probe_http_cleanup (struct probe_runner *r);
int probe_http_start (struct probe_run *run, const struct probe_call *call,
                      berth_error_t *err);
int probe_grpc_start (struct probe_run *run, const struct probe_call *call,
                      berth_error_t *err);
void probe_http_release (struct probe_run *run);

/* Open a socket of DOMAIN/TYPE in RUN's pod network namespace (the
 * agent's own when it has none).  setns is per thread: the loop's thread
 * enters the pod's for the socket() call only and returns to the agent's.
 * The namespace's fd is held by the runner for the next probes. */
int probe_socket_in_netns (struct probe_run *run, int domain, int type,
                           berth_error_t *err);

/* Close a probe socket (SO_LINGER: close() may wait up to 1 s) on the
 * runner's closing thread, not on the loop. */
void probe_close_socket (struct probe_runner *r, int fd);

/* Go's net.JoinHostPort. */
char *probe_join_host_port (const char *host, int port);
/* Go's time.Duration String() of whole seconds: 1s, 1m0s, 1h0m0s. */
void probe_go_seconds (int64_t s, char *buf, size_t size);
/* strerror, lowercased as Go's syscall errors read. */
void probe_go_errno (int e, char *buf, size_t size);

#endif
