/* security.h - who a container runs as and what it may do.
 *
 * Owns: resolving the user (runAsUser/runAsGroup/supplementalGroups, or the
 * image's User against the rootfs's /etc/passwd and /etc/group, as
 * containerd's WithUser/WithAdditionalGIDs do), the kubelet's runAsNonRoot
 * check and its messages, the capability set (containerd's default 14,
 * add/drop with "ALL", privileged) and applying identity and capabilities
 * in the container's init (bounding set, keepcaps across setuid, effective
 * and permitted sets via libcap), no_new_privs and rlimits.  Does not load
 * seccomp (seccomp_profile.h) or mount anything (rootfs.h).
 */
#ifndef BERTH_SECURITY_H
#define BERTH_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* What the pod and the image say about the user. */
struct security_user_spec
{
  const char *image_user; /* image config User: "", name, uid, x:y */
  bool run_as_user_set;
  int64_t run_as_user;
  bool run_as_group_set;
  int64_t run_as_group;
  const int64_t *supplemental_groups;
  size_t supplemental_groups_len;
};

struct security_user
{
  uid_t uid;
  gid_t gid;
  gid_t *groups; /* setgroups() list: gid, /etc/group memberships, extra */
  size_t groups_len;
};

void security_user_free (struct security_user *u);

/* Pure: resolve SPEC with the texts of /etc/passwd and /etc/group (either
 * may be NULL: the file does not exist). */
int security_user_resolve_text (const struct security_user_spec *spec,
                                const char *passwd, const char *group,
                                struct security_user *out, berth_error_t *err);

/* Resolve against ROOTFS (its etc/passwd and etc/group, opened with
 * RESOLVE_IN_ROOT so links cannot leave it). */
int security_user_resolve (const char *rootfs,
                           const struct security_user_spec *spec,
                           struct security_user *out, berth_error_t *err);

/* The kubelet's verifyRunAsNonRoot.  POD is format.Pod's "name_ns(uid)". */
int security_verify_run_as_non_root (const struct security_user_spec *spec,
                                     const char *pod, const char *container,
                                     berth_error_t *err);

/* containerd's default capabilities as a mask (bit = CAP_ number). */
uint64_t security_default_caps (void);
/* All capabilities this kernel knows. */
uint64_t security_all_caps (void);

/* The capability set of a container: privileged → all; else the default,
 * then add ALL, drop ALL, each added name, each dropped name (containerd's
 * WithCapabilities order: drop wins).  Names with or without "CAP_", any
 * case; an unknown name is an error naming it. */
int security_caps_compute (bool privileged, const char *const *add,
                           size_t add_len, const char *const *drop,
                           size_t drop_len, uint64_t *mask, berth_error_t *err);

/* In the container's init, after the mounts and before exec: drop the
 * bounding set to CAPS, switch to U (keeping capabilities across setuid),
 * then set permitted and effective to CAPS and clear inheritable and
 * ambient, as runc does. */
int security_apply_identity (const struct security_user *u, uint64_t caps,
                             berth_error_t *err);

int security_set_no_new_privs (berth_error_t *err);

struct security_rlimit
{
  int resource; /* RLIMIT_* */
  uint64_t soft;
  uint64_t hard;
};
int security_apply_rlimits (const struct security_rlimit *r, size_t n,
                            berth_error_t *err);

#endif
