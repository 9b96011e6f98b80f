/* pod_hooks.c - see pod_hooks.h. */
#include "pod_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"

struct hook_run
{
  enum hook_kind kind;
  struct probe spec; /* the handler as a probe: exec or httpGet */
  struct probe_call call;
  struct probe_target target;
  struct probe_run *run;
  struct loop_watcher timer; /* sleep */
  hook_done_cb done;
  void *ctx;
  char *command; /* for the exec message */
  const char *container;
};

const char *
hook_name (enum hook_kind k)
{
  return k == HOOK_POST_START ? "PostStartHook" : "PreStopHook";
}

static void
finish (struct hook_run *h, bool ok, const char *message)
{
  hook_done_cb done = h->done;
  void *ctx = h->ctx;
  enum hook_kind kind = h->kind;
  cleanup_free char *msg = message ? xstrdup (message) : NULL;
  loop_watcher_del (&h->timer);
  free (h->command);
  free (h);
  done (ctx, kind, ok, msg);
}

static void
on_probe_done (void *ctx, enum probe_outcome outcome, const char *output,
               const char *error)
{
  struct hook_run *h = ctx;
  cleanup_free char *msg = NULL;
  h->run = NULL;
  if (outcome == PROBE_OUT_SUCCESS || outcome == PROBE_OUT_WARNING)
    {
      finish (h, true, NULL);
      return;
    }
  /* the kubelet's handlers.go messages */
  if (h->spec.exec)
    {
      if (asprintf (&msg,
                    "Exec lifecycle hook (%s) for Container \"%s\" failed - "
                    "error: %s, message: \"%s\"",
                    h->command, h->container,
                    error ? error
                          : "command terminated with a non-zero exit "
                            "code",
                    output ? output : "")
          < 0)
        abort ();
    }
  else if (asprintf (&msg,
                     "HTTP lifecycle hook (%s) for Container \"%s\" "
                     "failed - error: %s",
                     h->spec.http_get->path ? h->spec.http_get->path : "/",
                     h->container,
                     error ? error : (output ? output : "failure"))
           < 0)
    abort ();
  finish (h, false, msg);
}

static void
on_sleep_done (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)l;
  (void)events;
  finish (w->data, true, NULL);
}

static char *
join_command (const struct exec_action *e)
{
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&s, &len);
  if (f == NULL)
    abort ();
  fputc ('[', f);
  for (size_t i = 0; i < e->command.len; i++)
    fprintf (f, "%s%s", i ? " " : "", e->command.items[i]);
  fputc (']', f);
  fclose (f);
  return s;
}

struct hook_run *
hook_start (struct loop *l, struct probe_runner *runner, enum hook_kind kind,
            const struct lifecycle_handler *handler, const struct container *c,
            const struct probe_target *target, int64_t timeout_s,
            hook_done_cb done, void *ctx, berth_error_t *err)
{
  struct hook_run *h;

  if (handler == NULL
      || (!handler->exec && !handler->http_get && !handler->sleep))
    return NULL;
  h = xcalloc (1, sizeof (*h));
  h->kind = kind;
  h->done = done;
  h->ctx = ctx;
  h->container = c->name;
  h->timer.fd = -1;
  h->target = *target;
  if (handler->sleep)
    {
      int64_t s = handler->sleep->seconds.v;
      if (timeout_s > 0 && s > timeout_s)
        s = timeout_s;
      if (loop_timer_add (l, &h->timer, s > 0 ? s * 1000 : 1, 0, on_sleep_done,
                          h, err)
          < 0)
        {
          free (h);
          return NULL;
        }
      return h;
    }
  h->spec.exec = handler->exec;
  h->spec.http_get = handler->http_get;
  h->spec.timeout_seconds.set = true;
  /* postStart has no budget of its own: the kubelet waits for it */
  h->spec.timeout_seconds.v = timeout_s > 0 ? timeout_s : 86400;
  if (handler->exec)
    h->command = join_command (handler->exec);
  h->call = (struct probe_call){ &h->spec, c, &h->target };
  if (probe_run_start (runner, &h->call, on_probe_done, h, &h->run, err) < 0)
    {
      free (h->command);
      free (h);
      return NULL;
    }
  return h;
}

void
hook_cancel (struct hook_run *h)
{
  if (h == NULL)
    return;
  if (h->run)
    probe_run_cancel (h->run);
  loop_watcher_del (&h->timer);
  free (h->command);
  free (h);
}
