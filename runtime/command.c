/* command.c - see command.h. */
#include "command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static char *
xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

static void *
xrealloc (void *p, size_t n)
{
  void *r = realloc (p, n);
  if (r == NULL)
    abort ();
  return r;
}

void
command_env_set (struct command_env *env, const char *name, const char *value)
{
  size_t i;

  for (i = 0; i < env->len; i++)
    if (strcmp (env->names[i], name) == 0)
      {
        free (env->values[i]);
        env->values[i] = xstrdup (value);
        return;
      }
  if (env->len == env->cap)
    {
      env->cap = env->cap ? env->cap * 2 : 8;
      env->names = xrealloc (env->names, env->cap * sizeof (char *));
      env->values = xrealloc (env->values, env->cap * sizeof (char *));
    }
  env->names[env->len] = xstrdup (name);
  env->values[env->len] = xstrdup (value);
  env->len++;
}

const char *
command_env_get (const struct command_env *env, const char *name)
{
  size_t i;

  if (env == NULL)
    return NULL;
  for (i = 0; i < env->len; i++)
    if (strcmp (env->names[i], name) == 0)
      return env->values[i];
  return NULL;
}

void
command_env_free (struct command_env *env)
{
  size_t i;

  for (i = 0; i < env->len; i++)
    {
      free (env->names[i]);
      free (env->values[i]);
    }
  for (i = 0; i < env->skipped_len; i++)
    free (env->skipped[i]);
  free (env->names);
  free (env->values);
  free (env->skipped);
  memset (env, 0, sizeof (*env));
}

/* Growable string. */
struct sbuf
{
  char *buf;
  size_t len;
  size_t cap;
};

static void
sbuf_add (struct sbuf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      b->cap = (b->len + n + 1) * 2;
      b->buf = xrealloc (b->buf, b->cap);
    }
  memcpy (b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = '\0';
}

/* The expansion of one "$..." at INPUT (INPUT[0] == '$', INPUT[1] != 0),
 * as tryReadVariableName and Expand do; returns the bytes consumed. */
static size_t
expand_one (const char *input, const struct command_env *env, struct sbuf *b)
{
  const char *close, *value;
  cleanup_free char *name = NULL;

  if (input[1] == '$')
    {
      sbuf_add (b, "$", 1);
      return 2;
    }
  if (input[1] != '(')
    {
      sbuf_add (b, input, 2);
      return 2;
    }
  close = strchr (input + 2, ')');
  if (close == NULL)
    {
      /* Incomplete reference: "$(" is kept and scanning goes on. */
      sbuf_add (b, "$(", 2);
      return 2;
    }
  name = strndup (input + 2, close - input - 2);
  if (name == NULL)
    abort ();
  value = command_env_get (env, name);
  if (value != NULL)
    sbuf_add (b, value, strlen (value));
  else
    sbuf_add (b, input, close - input + 1);
  return close - input + 1;
}

char *
command_expand (const char *input, const struct command_env *env)
{
  struct sbuf b = { NULL, 0, 0 };
  size_t i = 0, checkpoint = 0;

  sbuf_add (&b, "", 0);
  while (input[i] != '\0')
    {
      if (input[i] == '$' && input[i + 1] != '\0')
        {
          sbuf_add (&b, input + checkpoint, i - checkpoint);
          i += expand_one (input + i, env, &b);
          checkpoint = i;
          continue;
        }
      i++;
    }
  sbuf_add (&b, input + checkpoint, i - checkpoint);
  return b.buf;
}

static bool
env_name_char (char c, bool first)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.'
      || c == '_')
    return true;
  return !first && c >= '0' && c <= '9';
}

bool
command_is_env_var_name (const char *name)
{
  size_t i;

  if (name == NULL || name[0] == '\0')
    return false;
  for (i = 0; name[i]; i++)
    if (!env_name_char (name[i], i == 0))
      return false;
  return true;
}

static void
env_add_skipped (struct command_env *env, const char *name)
{
  env->skipped
      = xrealloc (env->skipped, (env->skipped_len + 1) * sizeof (char *));
  env->skipped[env->skipped_len++] = xstrdup (name);
}

static int
build_env_from (const struct container *c,
                const struct command_resolver *resolver,
                struct command_env *out, berth_error_t *err)
{
  size_t i, j;
  int ret;

  for (i = 0; i < c->env_from.len; i++)
    {
      const struct env_from_source *src = &c->env_from.items[i];
      struct command_env kv = { 0 };

      if (resolver == NULL || resolver->env_from == NULL)
        return berth_error_make (err, 0,
                                 "envFrom[%zu]: no resolver for references", i);
      ret = resolver->env_from (resolver->opaque, src, &kv, err);
      if (ret < 0)
        {
          command_env_free (&kv);
          return berth_error_wrap (err, "envFrom[%zu]", i);
        }
      for (j = 0; j < kv.len; j++)
        {
          cleanup_free char *name = NULL;

          if (asprintf (&name, "%s%s", src->prefix ? src->prefix : "",
                        kv.names[j])
              < 0)
            abort ();
          if (!command_is_env_var_name (name))
            env_add_skipped (out, name);
          else
            command_env_set (out, name, kv.values[j]);
        }
      command_env_free (&kv);
    }
  return 0;
}

int
command_build_env (const struct container *c,
                   const struct command_resolver *resolver,
                   struct command_env *out, berth_error_t *err)
{
  size_t i;
  int ret;

  ret = build_env_from (c, resolver, out, err);
  if (ret < 0)
    return ret;
  for (i = 0; i < c->env.len; i++)
    {
      const struct env_var *v = &c->env.items[i];
      cleanup_free char *value = NULL;

      if (v->value != NULL && v->value[0] != '\0')
        value = command_expand (v->value, out);
      else if (v->value_from != NULL)
        {
          if (resolver == NULL || resolver->value_from == NULL)
            return berth_error_make (err, 0,
                                     "env[%zu] (%s): no resolver for "
                                     "valueFrom",
                                     i, v->name);
          ret = resolver->value_from (resolver->opaque, v, &value, err);
          if (ret < 0)
            return berth_error_wrap (err, "env[%zu] (%s)", i, v->name);
          if (value == NULL)
            continue;
        }
      else
        value = xstrdup ("");
      command_env_set (out, v->name, value);
    }
  return 0;
}

size_t
command_strv_len (const char *const *strv)
{
  size_t n = 0;

  while (strv != NULL && strv[n] != NULL)
    n++;
  return n;
}

void
command_strv_free (char **strv)
{
  size_t i;

  for (i = 0; strv != NULL && strv[i] != NULL; i++)
    free (strv[i]);
  free (strv);
}

struct strv_builder
{
  char **v;
  size_t len;
};

static void
strv_push (struct strv_builder *b, char *owned)
{
  b->v = xrealloc (b->v, (b->len + 2) * sizeof (char *));
  b->v[b->len++] = owned;
  b->v[b->len] = NULL;
}

int
command_build_argv (const struct container *c, const char *const *entrypoint,
                    const char *const *cmd, const struct command_env *env,
                    char ***argv, berth_error_t *err)
{
  struct strv_builder b = { NULL, 0 };
  size_t i;

  /* Kubernetes' table: command replaces ENTRYPOINT and drops CMD; args
   * replace CMD; image values are not expanded. */
  if (c->command.len > 0)
    for (i = 0; i < c->command.len; i++)
      strv_push (&b, command_expand (c->command.items[i], env));
  else
    for (i = 0; i < command_strv_len (entrypoint); i++)
      strv_push (&b, xstrdup (entrypoint[i]));
  if (c->args.len > 0)
    for (i = 0; i < c->args.len; i++)
      strv_push (&b, command_expand (c->args.items[i], env));
  else if (c->command.len == 0)
    for (i = 0; i < command_strv_len (cmd); i++)
      strv_push (&b, xstrdup (cmd[i]));
  if (b.len == 0)
    return berth_error_make (err, 0,
                             "container %s: no command specified (neither "
                             "command/args nor the image's Entrypoint/Cmd)",
                             c->name ? c->name : "");
  *argv = b.v;
  return 0;
}

char **
command_envp (const char *const *image_env, const struct command_env *env)
{
  struct command_env merged = { 0 };
  struct strv_builder b = { NULL, 0 };
  size_t i;

  for (i = 0; i < command_strv_len (image_env); i++)
    {
      const char *eq = strchr (image_env[i], '=');
      cleanup_free char *name = NULL;

      if (eq == NULL)
        continue;
      name = strndup (image_env[i], eq - image_env[i]);
      if (name == NULL)
        abort ();
      command_env_set (&merged, name, eq + 1);
    }
  for (i = 0; env != NULL && i < env->len; i++)
    command_env_set (&merged, env->names[i], env->values[i]);
  strv_push (&b, NULL);
  b.len = 0;
  for (i = 0; i < merged.len; i++)
    {
      char *kv;
      if (asprintf (&kv, "%s=%s", merged.names[i], merged.values[i]) < 0)
        abort ();
      strv_push (&b, kv);
    }
  command_env_free (&merged);
  return b.v;
}
