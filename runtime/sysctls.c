/* sysctls.c - see sysctls.h. */
#include "sysctls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* The kubelet's safe set (pkg/kubelet/sysctl/safe_sysctls.go); Debian's
 * kernel is newer than any of their minimum versions. */
static const char *const safe_sysctls[] = {
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
  NULL,
};

void
sysctl_allowlist_free (struct sysctl_allowlist *w)
{
  for (size_t i = 0; i < w->len; i++)
    free (w->patterns[i]);
  free (w->patterns);
  w->patterns = NULL;
  w->len = 0;
}

int
sysctl_allowlist_parse (const char *csv, struct sysctl_allowlist *out,
                        berth_error_t *err)
{
  cleanup_free char *copy = csv ? strdup (csv) : NULL;
  char *save = NULL;
  memset (out, 0, sizeof (*out));
  for (char *t = copy ? strtok_r (copy, ",", &save) : NULL; t;
       t = strtok_r (NULL, ",", &save))
    {
      char *p = sysctl_dots (t);
      size_t l = strlen (p);
      bool prefix = l > 0 && p[l - 1] == '*';
      if (prefix)
        p[l - 1] = '\0';
      if (l == 0 || sysctl_namespace (p) == SYSCTL_NS_UNKNOWN)
        {
          int r = berth_error_make (err, EINVAL,
                                    "the sysctl%s \"%s\" are not known to be "
                                    "namespaced",
                                    prefix ? "s" : "", t);
          free (p);
          sysctl_allowlist_free (out);
          return r;
        }
      if (prefix)
        p[l - 1] = '*';
      out->patterns
          = reallocarray (out->patterns, out->len + 1, sizeof (char *));
      if (out->patterns == NULL)
        abort ();
      out->patterns[out->len++] = p;
    }
  return 0;
}

static bool
allowlisted (const struct sysctl_allowlist *w, const char *d)
{
  for (size_t i = 0; safe_sysctls[i]; i++)
    if (strcmp (safe_sysctls[i], d) == 0)
      return true;
  for (size_t i = 0; w && i < w->len; i++)
    {
      const char *p = w->patterns[i];
      size_t l = strlen (p);
      if (l && p[l - 1] == '*' ? strncmp (d, p, l - 1) == 0
                               : strcmp (d, p) == 0)
        return true;
    }
  return false;
}

char *
sysctl_admit (const struct sysctl_allowlist *w, const struct pod *pod)
{
  const struct pod_security_context *sc = pod->spec.security_context;
  bool host_net = pod->spec.host_network.v, host_ipc = pod->spec.host_ipc.v;
  for (size_t i = 0; sc && i < sc->sysctls.len; i++)
    {
      const char *name
          = sc->sysctls.items[i].name ? sc->sysctls.items[i].name : "";
      cleanup_free char *d = sysctl_dots (name);
      enum sysctl_ns ns = sysctl_namespace (d);
      char *msg = NULL;
      int n;
      if (!allowlisted (w, d))
        n = asprintf (&msg, "forbidden sysctl: \"%s\" not allowlisted", d);
      else if ((ns == SYSCTL_NS_IPC && host_ipc)
               || (ns == SYSCTL_NS_NET && host_net))
        n = asprintf (&msg,
                      "forbidden sysctl: \"%s\" not allowed with host %s "
                      "enabled",
                      d, ns == SYSCTL_NS_IPC ? "ipc" : "net");
      else
        continue;
      if (n < 0)
        abort ();
      return msg;
    }
  return NULL;
}

int
sysctl_apply (const struct pod *pod, size_t *failed)
{
  const struct pod_security_context *sc = pod->spec.security_context;
  for (size_t i = 0; sc && i < sc->sysctls.len; i++)
    {
      const struct sysctl *s = &sc->sysctls.items[i];
      cleanup_free char *d = sysctl_dots (s->name ? s->name : "");
      cleanup_free char *path = NULL;
      cleanup_close int fd = -1;
      const char *v = s->value ? s->value : "";
      size_t len = strlen (v);
      /* /proc/sys/<the dot form, dots as slashes and slashes as dots> */
      for (char *p = d; *p; p++)
        *p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
      if (strstr (d, "..") || asprintf (&path, "/proc/sys/%s", d) < 0)
        {
          *failed = i;
          return -EINVAL;
        }
      fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || write (fd, v, len) != (ssize_t)len)
        {
          *failed = i;
          return -errno;
        }
    }
  return 0;
}
