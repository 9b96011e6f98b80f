/* seccomp_cache.h - compiled seccomp filters, kept on disk.
 *
 * Owns: turning a seccomp_profile into its BPF program once (libseccomp's
 * compile is the dearest step of a container start) and keeping it in a
 * cache directory, keyed by the profile's exact text, libseccomp's version
 * and the machine; loading such a program with seccomp(2).  The program is
 * what seccomp_profile_build + seccomp_load would install: same filter,
 * no filter flags, no_new_privs left to the caller.  Does not decide which
 * profile a container gets (container.c does).
 */
#ifndef BERTH_SECCOMP_CACHE_H
#define BERTH_SECCOMP_CACHE_H

#include <stddef.h>

#include "error.h"
#include "seccomp_profile.h"

struct seccomp_bpf
{
  void *insns; /* struct sock_filter[len] */
  size_t len;
};

/* The program of P: from DIR when an entry for exactly P is there, else
 * compiled and stored there (DIR is created; a failure to store is not an
 * error).  DIR may be NULL: compile only. */
int seccomp_cache_get (const char *dir, const struct seccomp_profile *p,
                       struct seccomp_bpf *out, berth_error_t *err);

/* Install the program on the calling thread (SECCOMP_SET_MODE_FILTER). */
int seccomp_bpf_load (const struct seccomp_bpf *b, berth_error_t *err);

void seccomp_bpf_free (struct seccomp_bpf *b);

#endif
