/* test_api_stream.c - streamed replies of the agent's API (api.h): a
 * source with nothing ready suspends its reply without polling, a wake
 * resumes it, the end closes it, and a client that leaves mid-stream
 * frees the source.  A real libmicrohttpd daemon on a unix socket, driven
 * by the loop; the client is libcurl in a thread. */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "manifest.h"
#include "store.h"

/* The source: what the test writes into a pipe. */
struct pipe_src
{
  int rd;
  struct loop_watcher w;
  struct api_stream *s;
  int reads_empty; /* read found nothing yet */
  bool freed;
};

static ssize_t
src_read (void *ctx, char *buf, size_t max)
{
  struct pipe_src *p = ctx;
  ssize_t n = read (p->rd, buf, max);
  if (n > 0)
    return n;
  if (n < 0 && errno == EAGAIN)
    {
      p->reads_empty++;
      return 0;
    }
  return -1;
}

static void
src_free (void *ctx)
{
  struct pipe_src *p = ctx;
  loop_watcher_del (&p->w);
  p->freed = true;
}

static void
on_pipe (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct pipe_src *p = w->data;
  (void)l;
  (void)events;
  api_stream_wake (p->s);
}

struct fixture
{
  struct api api;
  struct pipe_src src;
  int wr;
};

static int
extra (void *ctx, const char *method, const char *path,
       const char *(*arg) (void *actx, const char *key), void *actx, char **out,
       size_t *out_len, const char **ctype)
{
  struct fixture *f = ctx;
  struct api_stream_source src = { src_read, src_free, &f->src };
  berth_error_t err = NULL;
  (void)method;
  (void)arg;
  (void)out;
  (void)out_len;
  (void)ctype;
  if (strcmp (path, "/stream") != 0)
    return 0;
  ck_assert_int_eq (
      api_stream_reply (&f->api, actx, &src, "text/plain", &f->src.s, &err), 0);
  return API_REPLY_QUEUED;
}

/* The client thread: GET /stream, stamps of what arrives. */
struct client
{
  const char *socket;
  char body[8192];
  size_t len;
  long max_bytes;    /* leave after this many bytes (0: read to the end) */
  const char *url;   /* default: /stream */
  int max_lines;     /* leave after this many lines (0: no limit) */
  _Atomic int lines; /* received so far (read by the loop's thread) */
  CURLcode rc;
  int done_fd;
};

static size_t
on_body (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct client *c = userdata;
  size_t n = size * nmemb;
  if (c->len + n < sizeof c->body)
    {
      memcpy (c->body + c->len, ptr, n);
      c->len += n;
    }
  if (c->max_bytes > 0 && (long)c->len >= c->max_bytes)
    return 0; /* the client goes away */
  for (size_t i = 0; i < n; i++)
    if (ptr[i] == '\n')
      c->lines++;
  if (c->max_lines > 0 && c->lines >= c->max_lines)
    return 0;
  return n;
}

static void *
client_main (void *arg)
{
  struct client *c = arg;
  CURL *h = curl_easy_init ();
  uint64_t one = 1;
  curl_easy_setopt (h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
  curl_easy_setopt (h, CURLOPT_URL,
                    c->url ? c->url : "http://localhost/stream");
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt (h, CURLOPT_TIMEOUT, 20L);
  c->rc = curl_easy_perform (h);
  curl_easy_cleanup (h);
  if (write (c->done_fd, &one, sizeof one) < 0)
    abort ();
  return NULL;
}

/* Timers of the test: write a line, then more, then close the pipe. */
struct script
{
  struct fixture *f;
  struct loop_watcher timer;
  int step, last_step;
};

static void
on_step (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct script *sc = w->data;
  (void)l;
  (void)events;
  sc->step++;
  if (sc->step <= 2)
    ck_assert_int_eq (write (sc->f->wr, sc->step == 1 ? "a\n" : "b\n", 2), 2);
  else if (sc->step == sc->last_step && sc->f->wr >= 0)
    {
      close (sc->f->wr);
      sc->f->wr = -1;
    }
}

static void
on_client_done (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)w;
  (void)events;
  loop_stop (l, 0);
}

static void
run_stream (long max_bytes, struct client *c, struct fixture *f)
{
  char dir[] = "/tmp/berth-stream-XXXXXX", sock[64];
  struct loop l;
  struct store st;
  struct script sc = { .f = f, .last_step = 4 };
  struct loop_watcher done_w = { .fd = -1 };
  berth_error_t err = NULL;
  pthread_t t;
  int p[2];

  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (sock, sizeof sock, "%s/s", dir);
  ck_assert_int_eq (loop_init (&l, &err), 0);
  store_init (&st);
  memset (f, 0, sizeof (*f));
  ck_assert_int_eq (api_start (&f->api, &l, &st, sock, NULL, &err), 0);
  f->api.extra = extra;
  f->api.extra_ctx = f;
  ck_assert_int_eq (pipe2 (p, O_CLOEXEC | O_NONBLOCK), 0);
  f->src.rd = p[0];
  f->wr = p[1];
  f->src.w.fd = -1;
  ck_assert_int_eq (
      loop_io_add (&l, &f->src.w, p[0], EPOLLIN, on_pipe, &f->src, &err), 0);
  sc.timer.fd = -1;
  ck_assert_int_eq (
      loop_timer_add (&l, &sc.timer, 200, 200, on_step, &sc, &err), 0);
  memset (c, 0, sizeof (*c));
  c->socket = sock;
  c->max_bytes = max_bytes;
  c->done_fd = eventfd (0, EFD_CLOEXEC);
  ck_assert_int_eq (loop_io_add (&l, &done_w, c->done_fd, EPOLLIN,
                                 on_client_done, NULL, &err),
                    0);
  ck_assert_int_eq (pthread_create (&t, NULL, client_main, c), 0);
  ck_assert_int_eq (loop_run (&l, &err), 0);
  pthread_join (t, NULL);
  /* api_stop ends what is still streaming: every source is freed */
  loop_watcher_del (&sc.timer);
  loop_watcher_del (&done_w);
  api_stop (&f->api);
  ck_assert (f->src.freed);
  close (c->done_fd);
  if (f->wr >= 0)
    close (f->wr);
  close (p[0]);
  store_free (&st);
  loop_close (&l);
  rmdir (dir);
}

START_TEST (test_stream_waits_and_ends)
{
  struct fixture f;
  struct client c;
  run_stream (0, &c, &f);
  ck_assert_int_eq (c.rc, CURLE_OK);
  ck_assert_uint_eq (c.len, 4);
  ck_assert (memcmp (c.body, "a\nb\n", 4) == 0);
  /* nothing was ready at first and between the writes: suspended, not
   * asked again and again */
  ck_assert_int_ge (f.src.reads_empty, 1);
  ck_assert_int_le (f.src.reads_empty, 6);
}
END_TEST

START_TEST (test_stream_client_leaves)
{
  struct fixture f;
  struct client c;
  run_stream (2, &c, &f);
  ck_assert_int_eq (c.rc, CURLE_WRITE_ERROR);
  ck_assert (memcmp (c.body, "a\n", 2) == 0);
}
END_TEST

/* The watch tests: a pod changes, then goes (or events are recorded);
 * the store's change rounds wake the streams as the agent's do.  Each
 * step waits until the client has the events of the one before, so that
 * no two changes fold into one event. */
struct watch_script
{
  struct store *st;
  struct api *api;
  struct client *c;
  struct loop_watcher timer;
  int step;
  bool events; /* record events instead of changing the pod */
};

static struct object *
pod_obj (const char *yaml)
{
  struct manifest m;
  struct object *o;
  manifest_read_buffer ("t.yaml", yaml, strlen (yaml), &m);
  ck_assert_uint_eq (m.len, 1);
  o = m.objects[0];
  m.objects[0] = NULL;
  manifest_free (&m);
  return o;
}

static void
on_watch_step (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct watch_script *sc = w->data;
  struct store_entry *e;
  berth_error_t err = NULL;
  (void)l;
  (void)events;
  if (sc->c->lines <= sc->step || sc->step >= 2)
    return;
  sc->step++;
  if (sc->events)
    store_event (sc->st, "Warning", "BackOff", "Pod", "default", "web", NULL,
                 "Back-off restarting failed container");
  else if (sc->step == 1)
    {
      e = store_get (sc->st, kind_lookup ("Pod"), "default", "web");
      ck_assert_int_eq (
          store_set_status (sc->st, e, node_new_scalar ("x", true), &err), 0);
    }
  else
    ck_assert_int_eq (store_remove (sc->st, kind_lookup ("Pod"), "default",
                                    "web", NULL, &err),
                      0);
  api_streams_wake (sc->api);
}

static void
run_watch (const char *url, bool events, struct client *c)
{
  char dir[] = "/tmp/berth-watch-XXXXXX", sock[64];
  struct loop l;
  struct store st;
  struct api api;
  struct watch_script sc = { .st = &st, .api = &api, .c = c, .events = events };
  struct loop_watcher done_w = { .fd = -1 };
  enum store_result res;
  struct store_entry *e = NULL;
  berth_error_t err = NULL;
  pthread_t t;

  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (sock, sizeof sock, "%s/s", dir);
  ck_assert_int_eq (loop_init (&l, &err), 0);
  store_init (&st);
  ck_assert_int_eq (
      store_apply (&st,
                   pod_obj ("apiVersion: v1\nkind: Pod\nmetadata: {name: "
                            "web}\nspec:\n  containers: [{name: c, image: "
                            "a}]\n"),
                   "api", STORE_CREATE_ONLY, NULL, &res, &e, &err),
      0);
  if (events)
    store_event (&st, "Normal", "Scheduled", "Pod", "default", "web", NULL,
                 "Successfully assigned default/web to node1");
  ck_assert_int_eq (api_start (&api, &l, &st, sock, NULL, &err), 0);
  sc.timer.fd = -1;
  ck_assert_int_eq (
      loop_timer_add (&l, &sc.timer, 50, 50, on_watch_step, &sc, &err), 0);
  c->socket = sock;
  c->url = url;
  c->max_lines = 3;
  c->done_fd = eventfd (0, EFD_CLOEXEC);
  ck_assert_int_eq (loop_io_add (&l, &done_w, c->done_fd, EPOLLIN,
                                 on_client_done, NULL, &err),
                    0);
  ck_assert_int_eq (pthread_create (&t, NULL, client_main, c), 0);
  ck_assert_int_eq (loop_run (&l, &err), 0);
  pthread_join (t, NULL);
  c->body[c->len] = '\0';
  loop_watcher_del (&sc.timer);
  loop_watcher_del (&done_w);
  api_stop (&api);
  close (c->done_fd);
  store_free (&st);
  loop_close (&l);
  rmdir (dir);
}

START_TEST (test_watch_events)
{
  struct client c = { 0 };
  run_watch ("http://localhost/api/v1/namespaces/default/pods?watch=true",
             false, &c);
  ck_assert_msg (c.rc == CURLE_WRITE_ERROR, "rc %d: %s", c.rc, c.body);
  ck_assert_msg (strncmp (c.body, "{\"type\":\"ADDED\",\"object\":{", 26) == 0,
                 "%s", c.body);
  ck_assert_ptr_nonnull (strstr (c.body, "\n{\"type\":\"MODIFIED\""));
  ck_assert_ptr_nonnull (strstr (c.body, "\"status\":\"x\""));
  ck_assert_ptr_nonnull (strstr (c.body, "\n{\"type\":\"DELETED\""));
}
END_TEST

/* kubectl get events -w: a new event, then the same again (its count) */
START_TEST (test_watch_kube_events)
{
  struct client c = { 0 };
  const char *second, *third;
  run_watch ("http://localhost/api/v1/namespaces/default/events?watch=true",
             true, &c);
  ck_assert_msg (c.rc == CURLE_WRITE_ERROR, "rc %d: %s", c.rc, c.body);
  ck_assert_msg (strncmp (c.body, "{\"type\":\"ADDED\"", 15) == 0, "%s",
                 c.body);
  ck_assert_ptr_nonnull (strstr (c.body, "\"reason\":\"Scheduled\""));
  second = strstr (c.body, "\n{\"type\":\"ADDED\"");
  ck_assert_ptr_nonnull (second);
  ck_assert_ptr_nonnull (strstr (second, "\"reason\":\"BackOff\""));
  third = strstr (second + 1, "\n{\"type\":\"MODIFIED\"");
  ck_assert_msg (third != NULL, "%s", c.body);
  ck_assert_ptr_nonnull (strstr (third, "\"count\":2"));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("api_stream");
  TCase *tc = tcase_create ("stream");
  SRunner *sr;
  int failed;
  curl_global_init (CURL_GLOBAL_DEFAULT);
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_stream_waits_and_ends);
  tcase_add_test (tc, test_stream_client_leaves);
  tcase_add_test (tc, test_watch_events);
  tcase_add_test (tc, test_watch_kube_events);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  curl_global_cleanup ();
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
