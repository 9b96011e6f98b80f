/* sysctls.h - a pod's namespaced sysctls (spec.securityContext.sysctls):
 * the kubelet's allowlist admission (the safe set plus
 * --allowed-unsafe-sysctls patterns), and writing them under /proc/sys from
 * inside the pod's new namespaces.  Which namespace a sysctl belongs to:
 * model/sysctl_ns.h.
 */
#ifndef BERTH_SYSCTLS_H
#define BERTH_SYSCTLS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "sysctl_ns.h"
#include "types.h"

/* The kubelet's allowlist: the safe sysctls (pkg/kubelet/sysctl) and the
 * PATTERNS of --allowed-unsafe-sysctls (a name, or a prefix ending in *),
 * each of which must be namespaced. */
struct sysctl_allowlist
{
  char **patterns;
  size_t len;
};

/* Parse the comma-separated --allowed-unsafe-sysctls value (NULL: none). */
int sysctl_allowlist_parse (const char *csv, struct sysctl_allowlist *out,
                            berth_error_t *err);
void sysctl_allowlist_free (struct sysctl_allowlist *w);

/* The kubelet's sysctl admission of POD: NULL when admitted, else the
 * message of the SysctlForbidden rejection ("forbidden sysctl: \"x\" not
 * allowlisted"), to free.  W may be NULL (the safe set only). */
char *sysctl_admit (const struct sysctl_allowlist *w, const struct pod *pod);

/* Write POD's sysctls under /proc/sys, in the calling process's
 * namespaces (the sandbox's namespace child).  Returns 0 or -errno, with
 * *FAILED the index of the sysctl that failed. */
int sysctl_apply (const struct pod *pod, size_t *failed);

#endif
