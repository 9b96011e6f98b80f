/* agent.c - see agent.h. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"

void
agent_log (const char *fmt, ...)
{
  cleanup_free char *ts = k8s_rfc3339 (loop_wall_ms ());
  va_list ap;
  fprintf (stderr, "%s berth agent: ", ts);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

char *
agent_node_name (const char *override, berth_error_t *err)
{
  char host[256] = "";
  char *name;
  if (override && *override)
    snprintf (host, sizeof (host), "%s", override);
  else if (gethostname (host, sizeof (host) - 1) < 0)
    {
      berth_error_sys (err, errno, "gethostname");
      return NULL;
    }
  name = xstrdup (host);
  for (char *p = name; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return name;
}

static void
on_signal (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)events;
  if (w->signo == SIGINT || w->signo == SIGTERM)
    {
      agent_log ("%s: stopping", strsignal (w->signo));
      loop_stop (l, 0);
    }
  /* SIGCHLD: reaped by the pod workers once they exist */
}

static void
load_warning (void *data, const char *msg)
{
  (void)data;
  agent_log ("skipping a stored object: %s", msg);
}

/* The API server always has the "default" namespace. */
static int
ensure_default_namespace (struct agent *a, berth_error_t *err)
{
  const struct kind_info *k = kind_lookup ("Namespace");
  struct node *n;
  struct object *o;
  enum store_result res;
  if (store_get (&a->store, k, NULL, "default"))
    return 0;
  n = node_new_map ();
  node_map_set_str (n, "apiVersion", "v1");
  node_map_set_str (n, "kind", "Namespace");
  node_map_set (n, "metadata", node_new_map ());
  node_map_set_str (node_map_get (n, "metadata"), "name", "default");
  o = object_from_node ("<agent>", n, "");
  node_unref (n);
  return store_apply (&a->store, o, "api", STORE_CREATE_ONLY, NULL, &res, NULL,
                      err);
}

int
agent_init (struct agent *a, const struct agent_options *opt,
            berth_error_t *err)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD };

  memset (a, 0, sizeof (*a));
  a->opt = *opt;
  a->persist.root_fd = a->persist.objects_fd = -1;
  a->signals.fd = -1;
  a->loop.epfd = -1;
  store_init (&a->store);
  a->node_name = agent_node_name (opt->hostname_override, err);
  if (a->node_name == NULL)
    return -1;
  if (loop_init (&a->loop, err) < 0)
    return -1;
  signal (SIGPIPE, SIG_IGN);
  if (loop_signal_add (&a->loop, &a->signals, sigs, 3, on_signal, a, err) < 0)
    return -1;
  if (persist_open (&a->persist, opt->root, err) < 0)
    return -1;
  if (persist_load (&a->persist, &a->store, load_warning, a, err) < 0)
    return berth_error_wrap (err, "load the state in %s", opt->root);
  a->store.node_name = a->node_name;
  a->store.on_change = persist_on_change;
  a->store.change_data = &a->persist;
  if (ensure_default_namespace (a, err) < 0)
    return berth_error_wrap (err, "state dir %s", opt->root);
  if (api_start (&a->api, &a->loop, &a->store, opt->socket, opt->listen, err)
      < 0)
    return -1;
  if (opt->manifest_dir && *opt->manifest_dir)
    {
      if (source_dir_start (&a->source, &a->loop, &a->store, opt->manifest_dir,
                            a->node_name, opt->file_check_ms, err)
          < 0)
        return -1;
      a->have_source = true;
    }
  agent_log ("node %s: %zu objects from %s, serving on %s%s%s", a->node_name,
             a->store.len, opt->root, opt->socket, opt->listen ? " and " : "",
             opt->listen ? opt->listen : "");
  return 0;
}

int
agent_run (struct agent *a, berth_error_t *err)
{
  return loop_run (&a->loop, err);
}

void
agent_free (struct agent *a)
{
  if (a->have_source)
    source_dir_stop (&a->source);
  api_stop (&a->api);
  loop_watcher_del (&a->signals);
  persist_close (&a->persist);
  store_free (&a->store);
  loop_close (&a->loop);
  free (a->node_name);
  a->node_name = NULL;
}
