/* client.c - see client.h. */
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"

const char *
client_socket (const char *flag)
{
  const char *env = getenv (CLIENT_ENV_SOCKET);
  if (flag && *flag)
    return flag;
  if (env && *env)
    return env;
  return AGENT_DEFAULT_SOCKET;
}

struct buf
{
  char *data;
  size_t len;
};

static size_t
on_data (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct buf *b = userdata;
  size_t n = size * nmemb;
  char *p = realloc (b->data, b->len + n + 1);
  if (p == NULL)
    return 0;
  memcpy (p + b->len, ptr, n);
  b->data = p;
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

/* Where a reply's body goes: buffered, or (STREAM) written to SINK as it
 * comes once the status is 200. */
struct sink
{
  CURL *c;
  FILE *stream;
  struct buf b;
};

static size_t
on_sink (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct sink *s = userdata;
  long code = 0;
  if (s->stream
      && curl_easy_getinfo (s->c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK
      && code == 200)
    {
      size_t n = fwrite (ptr, size, nmemb, s->stream) * size;
      fflush (s->stream);
      return n;
    }
  return on_data (ptr, size, nmemb, &s->b);
}

static int
perform (const char *socket, const char *method, const char *path,
         const char *body, FILE *stream, struct client_reply *out,
         berth_error_t *err)
{
  struct sink s = { curl_easy_init (), stream, { NULL, 0 } };
  struct curl_slist *hdrs = NULL;
  cleanup_free char *url = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  CURLcode rc;

  memset (out, 0, sizeof (*out));
  if (s.c == NULL)
    return berth_error_make (err, ENOMEM, "curl_easy_init failed");
  if (asprintf (&url, "http://localhost%s", path) < 0)
    abort ();
  curl_easy_setopt (s.c, CURLOPT_UNIX_SOCKET_PATH, socket);
  curl_easy_setopt (s.c, CURLOPT_URL, url);
  curl_easy_setopt (s.c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (s.c, CURLOPT_WRITEFUNCTION, on_sink);
  curl_easy_setopt (s.c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt (s.c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (s.c, CURLOPT_NOSIGNAL, 1L);
  /* a streamed reply lasts as long as what it follows */
  curl_easy_setopt (s.c, CURLOPT_TIMEOUT, stream ? 0L : 60L);
  if (body)
    {
      hdrs = curl_slist_append (hdrs, "Content-Type: application/json");
      curl_easy_setopt (s.c, CURLOPT_HTTPHEADER, hdrs);
      curl_easy_setopt (s.c, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt (s.c, CURLOPT_POSTFIELDSIZE, (long)strlen (body));
    }
  rc = curl_easy_perform (s.c);
  if (rc == CURLE_OK)
    curl_easy_getinfo (s.c, CURLINFO_RESPONSE_CODE, &out->code);
  curl_slist_free_all (hdrs);
  curl_easy_cleanup (s.c);
  if (rc != CURLE_OK)
    {
      free (s.b.data);
      return berth_error_make (err, ECONNREFUSED,
                               "cannot reach the agent at %s: %s (is `berth "
                               "agent` running? --socket or $%s)",
                               socket,
                               *errbuf ? errbuf : curl_easy_strerror (rc),
                               CLIENT_ENV_SOCKET);
    }
  out->text = s.b.data ? s.b.data : xstrdup ("");
  if (s.b.len > 0 && (s.b.data[0] == '{' || s.b.data[0] == '['))
    {
      struct node_stream st = { 0 };
      berth_error_t e = NULL;
      if (node_stream_read (s.b.data, s.b.len, &st, &e) == 0 && st.len == 1)
        out->body = node_ref (st.docs[0]);
      berth_error_release (&e);
      node_stream_free (&st);
    }
  return 0;
}

int
client_request (const char *socket, const char *method, const char *path,
                const char *body, struct client_reply *out, berth_error_t *err)
{
  return perform (socket, method, path, body, NULL, out, err);
}

int
client_stream (const char *socket, const char *path, FILE *sink,
               const char *cmd)
{
  struct client_reply rep = { 0 };
  berth_error_t err = NULL;
  int status = 0;
  if (perform (socket, "GET", path, NULL, sink, &rep, &err) < 0)
    {
      fprintf (stderr, "berth %s: %s\n", cmd, berth_error_msg (&err));
      berth_error_release (&err);
      return 1;
    }
  if (rep.code != 200)
    {
      client_print_error (&rep);
      status = 1;
    }
  client_reply_free (&rep);
  return status;
}

void
client_reply_free (struct client_reply *r)
{
  node_unref (r->body);
  free (r->text);
  memset (r, 0, sizeof (*r));
}

const struct kind_info *
client_resource (const char *name, bool *events)
{
  static const struct
  {
    const char *names[4];
    const char *kind;
  } table[] = {
    { { "pod", "pods", "po", NULL }, "Pod" },
    { { "configmap", "configmaps", "cm", NULL }, "ConfigMap" },
    { { "secret", "secrets", NULL, NULL }, "Secret" },
    { { "service", "services", "svc", NULL }, "Service" },
    { { "namespace", "namespaces", "ns", NULL }, "Namespace" },
    { { "job", "jobs", NULL, NULL }, "Job" },
    { { "cronjob", "cronjobs", "cj", NULL }, "CronJob" },
    { { "deployment", "deployments", "deploy", NULL }, "Deployment" },
    { { "replicaset", "replicasets", "rs", NULL }, "ReplicaSet" },
    { { "statefulset", "statefulsets", "sts", NULL }, "StatefulSet" },
  };
  *events = false;
  if (strcmp (name, "event") == 0 || strcmp (name, "events") == 0
      || strcmp (name, "ev") == 0)
    {
      *events = true;
      return NULL;
    }
  for (size_t i = 0; i < sizeof (table) / sizeof (table[0]); i++)
    for (size_t j = 0; j < 4 && table[i].names[j]; j++)
      if (strcasecmp (name, table[i].names[j]) == 0
          || strcasecmp (name, table[i].kind) == 0)
        return kind_lookup (table[i].kind);
  return NULL;
}

char *
client_path (const struct kind_info *k, bool events, const char *ns,
             const char *name)
{
  char *s = NULL;
  const char *group = events ? "" : k->group;
  const char *version = events ? "v1" : k->version;
  const char *res = events ? "events" : k->resource;
  bool namespaced = events || k->namespaced;
  if (asprintf (&s, "/%s%s%s/%s%s%s%s/%s%s%s", *group ? "apis/" : "api", group,
                *group ? "" : "", version,
                namespaced && ns ? "/namespaces/" : "",
                namespaced && ns ? ns : "", "", res, name ? "/" : "",
                name ? name : "")
      < 0)
    abort ();
  return s;
}

void
client_print_error (const struct client_reply *r)
{
  const char *reason = k8s_get_str (r->body, "reason");
  const char *msg = k8s_get_str (r->body, "message");
  if (msg)
    fprintf (stderr, "Error from server (%s): %s\n",
             reason ? reason : "Unknown", msg);
  else
    fprintf (stderr, "Error from server: HTTP %ld: %s\n", r->code, r->text);
}

char *
client_kind_lower (const char *kind)
{
  char *s = xstrdup (kind);
  for (char *p = s; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return s;
}
