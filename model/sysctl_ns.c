/* sysctl_ns.c - see sysctl_ns.h. */
#include "sysctl_ns.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *
sysctl_dots (const char *name)
{
  char *s = strdup (name);
  size_t first = strcspn (name, "./");
  if (s == NULL)
    abort ();
  if (name[first] == '/')
    for (char *p = s; *p; p++)
      *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
  return s;
}

static bool
starts (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

enum sysctl_ns
sysctl_namespace (const char *name)
{
  char *d = sysctl_dots (name);
  enum sysctl_ns ns = SYSCTL_NS_UNKNOWN;
  if (strcmp (d, "kernel.sem") == 0 || starts (d, "kernel.shm")
      || starts (d, "kernel.msg") || starts (d, "fs.mqueue."))
    ns = SYSCTL_NS_IPC;
  else if (starts (d, "net."))
    ns = SYSCTL_NS_NET;
  free (d);
  return ns;
}
