/* command.h - the process a container runs: argv and environment.
 *
 * Owns the Kubernetes rules that turn a container's command/args/env/envFrom
 * and its image's Entrypoint/Cmd/Env into an argv and an envp: the command and
 * args table of "Define a Command and Arguments for a Container", $(VAR)
 * expansion as k8s.io/kubernetes/third_party/forked/golang/expansion does,
 * and the kubelet's env ordering (makeEnvironmentVariables).  Pure: the
 * values of configMap/secret/fieldRef references come from the caller's
 * callbacks; nothing here touches the file system or the API.
 */
#ifndef BERTH_COMMAND_H
#define BERTH_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "types.h"

/* An ordered list of NAME=VALUE pairs; setting a name that is there
 * replaces its value in place (containerd's replaceOrAppendEnvValues). */
struct command_env
{
  size_t len;
  size_t cap;
  char **names;
  char **values;
  /* envFrom keys skipped as invalid names, "PREFIX+KEY" each (the kubelet
   * reports them in an event). */
  size_t skipped_len;
  char **skipped;
};

void command_env_set (struct command_env *env, const char *name,
                      const char *value);
const char *command_env_get (const struct command_env *env, const char *name);
void command_env_free (struct command_env *env);

/* Expand $(VAR) references in INPUT from ENV (NULL: none defined).  "$$" is
 * an escaped "$"; an undefined reference and a "$(" without ")" stay as
 * they are.  Returns a new string. */
char *command_expand (const char *input, const struct command_env *env);

/* A C identifier-ish env name as validation.IsEnvVarName:
 * [-._a-zA-Z][-._a-zA-Z0-9]*. */
bool command_is_env_var_name (const char *name);

/* Callbacks for references the caller resolves.  VALUE_FROM: the value of
 * one env entry's valueFrom; set *value (malloc'd) or leave it NULL to omit
 * the variable (an optional key that is missing).  ENV_FROM: append the
 * source's keys and values, in the order the caller wants, to OUT with
 * command_env_set (no prefix, no validation: command_build_env does both). */
struct command_resolver
{
  void *opaque;
  int (*value_from) (void *opaque, const struct env_var *var, char **value,
                     berth_error_t *err);
  int (*env_from) (void *opaque, const struct env_from_source *src,
                   struct command_env *out, berth_error_t *err);
};

/* The container's own environment as the kubelet computes it: envFrom
 * sources in order (prefix prepended, invalid names skipped), then env in
 * order, a later entry replacing an earlier one, each value $(VAR)-expanded
 * from what was defined before it.  Image env is not part of it (see
 * command_envp). */
int command_build_env (const struct container *c,
                       const struct command_resolver *resolver,
                       struct command_env *out, berth_error_t *err);

/* The argv: command/args expanded from ENV, combined with the image's
 * ENTRYPOINT and CMD (NULL-terminated lists, NULL for none) by the
 * Kubernetes table.  *ARGV is NULL-terminated; an empty result is an error
 * naming the container. */
int command_build_argv (const struct container *c,
                        const char *const *entrypoint, const char *const *cmd,
                        const struct command_env *env, char ***argv,
                        berth_error_t *err);

/* "NAME=VALUE" strings for execve: IMAGE_ENV ("NAME=VALUE" list, may be
 * NULL) with ENV's entries replacing or appended (what containerd does with
 * the image config's Env and the CRI envs).  NULL-terminated. */
char **command_envp (const char *const *image_env,
                     const struct command_env *env);

void command_strv_free (char **strv);
size_t command_strv_len (const char *const *strv);

#endif
