/* seccomp_profile.h - the seccomp filters a container can get.
 *
 * Owns: RuntimeDefault, modeled on moby's profiles/seccomp/default.json
 * (default EPERM, an allow-list, syscalls that need a capability allowed
 * only when the container has it, clone with namespace flags and clone3
 * conditional on CAP_SYS_ADMIN, personality and socket argument filters);
 * Localhost profiles read from OCI/docker seccomp JSON through lib/node;
 * turning a profile into a libseccomp filter and loading it.  Unconfined
 * is "no profile".  Does not decide which profile a container gets.
 */
#ifndef BERTH_SECCOMP_PROFILE_H
#define BERTH_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum seccomp_profile_action
{
  SECCOMP_PROFILE_ALLOW,
  SECCOMP_PROFILE_ERRNO, /* with errno_ret */
  SECCOMP_PROFILE_KILL_PROCESS,
  SECCOMP_PROFILE_KILL_THREAD,
  SECCOMP_PROFILE_TRAP,
  SECCOMP_PROFILE_LOG,
  SECCOMP_PROFILE_TRACE,
};

enum seccomp_profile_op
{
  SECCOMP_PROFILE_OP_NE = 1,
  SECCOMP_PROFILE_OP_LT,
  SECCOMP_PROFILE_OP_LE,
  SECCOMP_PROFILE_OP_EQ,
  SECCOMP_PROFILE_OP_GE,
  SECCOMP_PROFILE_OP_GT,
  SECCOMP_PROFILE_OP_MASKED_EQ,
};

struct seccomp_profile_arg
{
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  enum seccomp_profile_op op;
};

#define SECCOMP_PROFILE_MAX_ARGS 6

struct seccomp_profile_rule
{
  char *name;
  enum seccomp_profile_action action;
  int errno_ret;
  size_t nargs;
  struct seccomp_profile_arg args[SECCOMP_PROFILE_MAX_ARGS];
};

struct seccomp_profile
{
  enum seccomp_profile_action default_action;
  int default_errno;
  size_t len;
  size_t cap;
  struct seccomp_profile_rule *rules; /* one syscall each */
};

void seccomp_profile_free (struct seccomp_profile *p);

/* RuntimeDefault for a container with capability mask CAPS (bit = CAP_*),
 * on a kernel of version MAJOR.MINOR (ptrace needs >= 4.8, as in moby). */
void seccomp_profile_runtime_default (uint64_t caps, int kernel_major,
                                      int kernel_minor,
                                      struct seccomp_profile *out);

/* A Localhost profile: JSON text with defaultAction, defaultErrnoRet and
 * syscalls[{names|name, action, errnoRet, args[{index, value, valueTwo,
 * op}]}].  PATH names the file in errors. */
int seccomp_profile_parse (const char *path, const char *text, size_t len,
                           struct seccomp_profile *out, berth_error_t *err);
/* Read ROOT/NAME (NAME may not leave ROOT) and parse it. */
int seccomp_profile_read_localhost (const char *root, const char *name,
                                    struct seccomp_profile *out,
                                    berth_error_t *err);

/* Build the libseccomp filter (native arch) without loading it; returns
 * the number of rules added (names this libseccomp does not know are
 * skipped, as runc does).  CTX_OUT receives a scmp_filter_ctx (void *). */
int seccomp_profile_build (const struct seccomp_profile *p, void **ctx_out,
                           berth_error_t *err);
/* Build and load.  Does not set no_new_privs (the caller decides; without
 * it, loading needs CAP_SYS_ADMIN). */
int seccomp_profile_load (const struct seccomp_profile *p, berth_error_t *err);
void seccomp_profile_ctx_release (void *ctx);

#endif
