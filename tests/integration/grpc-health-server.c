/* grpc-health-server.c - a minimal grpc.health.v1 server for the probe
 * tests: HTTP/2 cleartext (prior knowledge) with nghttp2, one connection
 * at a time.
 *
 *   grpc-health-server PORT SERVING|NOT_SERVING|UNIMPLEMENTED|LISTEN
 *
 * LISTEN only listens (backlog 4096) and never accepts: connections
 * complete in the kernel, for tcpSocket probe load without a server's
 * cost.
 * Every request gets HealthCheckResponse{status} with grpc-status 0, or
 * (UNIMPLEMENTED) a trailers-only response with grpc-status 12.  It
 * prints "listening" once it accepts connections. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn
{
  int fd;
  int status; /* -1: UNIMPLEMENTED */
  uint8_t body[7];
  size_t body_len, body_off;
};

#define NV(n, v)                                                               \
  {                                                                            \
    (uint8_t *)(n), (uint8_t *)(v), sizeof (n) - 1, strlen (v),                \
        NGHTTP2_NV_FLAG_NONE                                                   \
  }

static ssize_t
send_cb (nghttp2_session *s, const uint8_t *data, size_t len, int flags,
         void *user)
{
  struct conn *c = user;
  (void)s;
  (void)flags;
  return write (c->fd, data, len);
}

static ssize_t
read_body (nghttp2_session *s, int32_t stream, uint8_t *buf, size_t len,
           uint32_t *flags, nghttp2_data_source *src, void *user)
{
  struct conn *c = user;
  nghttp2_nv trailers[] = { NV ("grpc-status", "0") };
  size_t n = c->body_len - c->body_off;
  (void)src;

  if (n > len)
    n = len;
  memcpy (buf, c->body + c->body_off, n);
  c->body_off += n;
  if (c->body_off == c->body_len)
    {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      nghttp2_submit_trailer (s, stream, trailers, 1);
    }
  return (ssize_t)n;
}

static int
frame_recv_cb (nghttp2_session *s, const nghttp2_frame *f, void *user)
{
  struct conn *c = user;
  nghttp2_nv ok[]
      = { NV (":status", "200"), NV ("content-type", "application/grpc") };
  nghttp2_nv unimpl[]
      = { NV (":status", "200"), NV ("content-type", "application/grpc"),
          NV ("grpc-status", "12"), NV ("grpc-message", "unknown service") };
  nghttp2_data_provider prov = { .read_callback = read_body };

  if (!(f->hd.flags & NGHTTP2_FLAG_END_STREAM)
      || (f->hd.type != NGHTTP2_DATA && f->hd.type != NGHTTP2_HEADERS))
    return 0;
  if (c->status < 0)
    return nghttp2_submit_response (s, f->hd.stream_id, unimpl, 4, NULL);
  /* framed HealthCheckResponse { status = 1: varint } */
  c->body[0] = 0;
  c->body[1] = c->body[2] = c->body[3] = 0;
  c->body[4] = 2;
  c->body[5] = 0x08;
  c->body[6] = (uint8_t)c->status;
  c->body_len = 7;
  c->body_off = 0;
  return nghttp2_submit_response (s, f->hd.stream_id, ok, 2, &prov);
}

static void
serve (int fd, int status)
{
  nghttp2_session_callbacks *cbs;
  nghttp2_session *s;
  struct conn c = { fd, status, { 0 }, 0, 0 };
  uint8_t buf[16384];
  ssize_t n;

  nghttp2_session_callbacks_new (&cbs);
  nghttp2_session_callbacks_set_send_callback (cbs, send_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback (cbs, frame_recv_cb);
  nghttp2_session_server_new (&s, cbs, &c);
  nghttp2_session_callbacks_del (cbs);
  nghttp2_submit_settings (s, NGHTTP2_FLAG_NONE, NULL, 0);
  nghttp2_session_send (s);
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    {
      if (nghttp2_session_mem_recv (s, buf, n) < 0
          || nghttp2_session_send (s) != 0)
        break;
      if (!nghttp2_session_want_read (s) && !nghttp2_session_want_write (s))
        break;
    }
  nghttp2_session_del (s);
}

int
main (int argc, char **argv)
{
  struct sockaddr_in a = { .sin_family = AF_INET };
  int one = 1, lfd, fd, status;

  if (argc != 3)
    {
      fprintf (stderr, "usage: grpc-health-server PORT "
                       "SERVING|NOT_SERVING|UNIMPLEMENTED|LISTEN\n");
      return 1;
    }
  status = strcmp (argv[2], "SERVING") == 0       ? 1
           : strcmp (argv[2], "NOT_SERVING") == 0 ? 2
                                                  : -1;
  a.sin_port = htons (atoi (argv[1]));
  lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (bind (lfd, (struct sockaddr *)&a, sizeof (a)) < 0
      || listen (lfd, strcmp (argv[2], "LISTEN") == 0 ? 4096 : 16) < 0)
    {
      perror ("grpc-health-server: bind");
      return 1;
    }
  printf ("listening\n");
  fflush (stdout);
  while (strcmp (argv[2], "LISTEN") == 0)
    pause ();
  while ((fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    {
      serve (fd, status);
      close (fd);
    }
  return 0;
}
