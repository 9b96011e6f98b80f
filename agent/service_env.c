/* service_env.c - see service_env.h. */
#include "service_env.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"

static const char *
ns_of (const struct object_meta *m)
{
  return m->namespace && *m->namespace ? m->namespace : "default";
}

/* makeEnvVariableName: upper case, '-' as '_'. */
static char *
env_name (const char *s)
{
  char *n = xstrdup (s);
  for (char *p = n; *p; p++)
    *p = *p == '-' ? '_' : (char)toupper ((unsigned char)*p);
  return n;
}

static bool
ip_set (const struct service *s)
{
  const char *ip = s->spec.cluster_ip;
  return ip && *ip && strcmp (ip, "None") != 0;
}

static void set_fmt (struct command_env *out, const char *value,
                     const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
set_fmt (struct command_env *out, const char *value, const char *fmt, ...)
{
  cleanup_free char *name = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&name, fmt, ap) < 0)
    abort ();
  va_end (ap);
  command_env_set (out, name, value);
}

static void
add_service (const struct service *s, struct command_env *out)
{
  cleanup_free char *prefix = env_name (s->metadata.name);
  const char *ip = s->spec.cluster_ip;
  char num[32];
  set_fmt (out, ip, "%s_SERVICE_HOST", prefix);
  if (s->spec.ports.len == 0)
    return;
  snprintf (num, sizeof num, "%lld", (long long)s->spec.ports.items[0].port.v);
  set_fmt (out, num, "%s_SERVICE_PORT", prefix);
  for (size_t i = 0; i < s->spec.ports.len; i++)
    {
      const struct service_port *sp = &s->spec.ports.items[i];
      if (sp->name && *sp->name)
        {
          cleanup_free char *pn = env_name (sp->name);
          snprintf (num, sizeof num, "%lld", (long long)sp->port.v);
          set_fmt (out, num, "%s_SERVICE_PORT_%s", prefix, pn);
        }
    }
  /* the Docker-compatible link variables */
  for (size_t i = 0; i < s->spec.ports.len; i++)
    {
      const struct service_port *sp = &s->spec.ports.items[i];
      const char *proto = sp->protocol && *sp->protocol ? sp->protocol : "TCP";
      cleanup_free char *lower = xstrdup (proto), *upper = xstrdup (proto);
      cleanup_free char *url = NULL;
      for (char *p = lower; *p; p++)
        *p = (char)tolower ((unsigned char)*p);
      for (char *p = upper; *p; p++)
        *p = (char)toupper ((unsigned char)*p);
      if (asprintf (&url, "%s://%s:%lld", lower, ip, (long long)sp->port.v) < 0)
        abort ();
      snprintf (num, sizeof num, "%lld", (long long)sp->port.v);
      if (i == 0)
        set_fmt (out, url, "%s_PORT", prefix);
      set_fmt (out, url, "%s_PORT_%s_%s", prefix, num, upper);
      set_fmt (out, lower, "%s_PORT_%s_%s_PROTO", prefix, num, upper);
      set_fmt (out, num, "%s_PORT_%s_%s_PORT", prefix, num, upper);
      set_fmt (out, ip, "%s_PORT_%s_%s_ADDR", prefix, num, upper);
    }
}

static int
cmp_by_name (const void *a, const void *b)
{
  const struct service *x = *(const struct service *const *)a;
  const struct service *y = *(const struct service *const *)b;
  return strcmp (x->metadata.name, y->metadata.name);
}

void
service_env_add (const struct pod *pod, const struct service *const *services,
                 size_t n, struct command_env *out)
{
  const char *ns = ns_of (&pod->metadata);
  bool links
      = !pod->spec.enable_service_links.set || pod->spec.enable_service_links.v;
  cleanup_free const struct service **chosen
      = n ? calloc (n, sizeof (*chosen)) : NULL;
  size_t k = 0;

  if (n && chosen == NULL)
    abort ();
  /* the pod's namespace first: its Services win over the default
   * namespace's "kubernetes" of the same name */
  for (size_t i = 0; links && i < n; i++)
    if (services[i]->metadata.name && ip_set (services[i])
        && strcmp (ns_of (&services[i]->metadata), ns) == 0)
      chosen[k++] = services[i];
  for (size_t i = 0; i < n; i++)
    {
      const struct service *s = services[i];
      bool taken = false;
      if (s->metadata.name == NULL || !ip_set (s)
          || strcmp (ns_of (&s->metadata), "default") != 0
          || strcmp (s->metadata.name, "kubernetes") != 0)
        continue;
      for (size_t j = 0; j < k; j++)
        taken = taken || strcmp (chosen[j]->metadata.name, "kubernetes") == 0;
      if (!taken)
        chosen[k++] = s;
    }
  qsort (chosen, k, sizeof (*chosen), cmp_by_name);
  for (size_t i = 0; i < k; i++)
    add_service (chosen[i], out);
}
