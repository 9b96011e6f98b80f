/* pod_volumes.c - what the kubelet's volume manager keeps doing for a
 * running pod: its token manager (the tokens of serviceAccountToken
 * projections, reused until 80% of their lifetime has passed) and the
 * periodic remount that brings configMap, secret, downwardAPI and projected
 * volumes up to date.  See pod_runner.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "codec.h"
#include "pod_runner.h"
#include "sa_token.h"

struct runner_token
{
  char *audience;
  int64_t expiration;
  char *token;
  int64_t iat, exp;
};

static struct runner_token *
token_find (struct pod_runner *r, const char *aud, int64_t expiration)
{
  for (size_t i = 0; i < r->n_tokens; i++)
    if (strcmp (r->tokens[i].audience, aud) == 0
        && r->tokens[i].expiration == expiration)
      return &r->tokens[i];
  return NULL;
}

int
pod_runner_sa_token (void *ctx, const struct pod *pod,
                     const struct service_account_token_projection *p,
                     char **token, berth_error_t *err)
{
  struct pod_runner *r = ctx;
  const char *aud = p->audience ? p->audience : "";
  int64_t expiration = p->expiration_seconds.set ? p->expiration_seconds.v
                                                 : SA_TOKEN_DEFAULT_EXPIRATION;
  int64_t now = (int64_t)time (NULL);
  struct runner_token *t = token_find (r, aud, expiration);
  struct sa_token_request rq
      = { .namespace = pod->metadata.namespace,
          .service_account = pod->spec.service_account_name,
          .pod_name = pod->metadata.name,
          .pod_uid = pod->metadata.uid,
          .audience = aud,
          .expiration_seconds = expiration,
          .now = now };
  cleanup_free char *key_dir = NULL, *fresh = NULL;

  if (t && !sa_token_needs_refresh (t->iat, t->exp, now))
    {
      *token = xstrdup (t->token);
      return 0;
    }
  if (asprintf (&key_dir, "%s/serviceaccount", r->cfg->root) < 0)
    abort ();
  if (sa_token_issue (key_dir, &rq, &fresh, err) < 0)
    return -1;
  if (t == NULL)
    {
      r->tokens
          = reallocarray (r->tokens, r->n_tokens + 1, sizeof (*r->tokens));
      if (r->tokens == NULL)
        abort ();
      t = &r->tokens[r->n_tokens++];
      memset (t, 0, sizeof (*t));
      t->audience = xstrdup (aud);
      t->expiration = expiration;
    }
  free (t->token);
  t->token = xstrdup (fresh);
  t->iat = now;
  t->exp = now + expiration;
  *token = xstrdup (fresh);
  return 0;
}

void
pod_runner_tokens_free (struct pod_runner *r)
{
  for (size_t i = 0; i < r->n_tokens; i++)
    {
      free (r->tokens[i].audience);
      free (r->tokens[i].token);
    }
  free (r->tokens);
  r->tokens = NULL;
  r->n_tokens = 0;
}

static bool
has_file_volumes (const struct pod *pod)
{
  for (size_t i = 0; i < pod->spec.volumes.len; i++)
    {
      const struct volume *v = &pod->spec.volumes.items[i];
      if (v->config_map || v->secret || v->downward_api || v->projected)
        return true;
    }
  return false;
}

void
pod_runner_refresh_volumes (struct pod_runner *r)
{
  struct volumes_lookup lk = pod_runner_volumes_lookup (r);
  struct volumes_set set = { 0 };
  berth_error_t e = NULL;

  if (r->terminal || r->stopping || r->vols.items == NULL
      || !has_file_volumes (r->pod))
    return;
  if (volumes_setup (r->dir, r->pod, &lk, &set, &e) < 0)
    {
      if (r->cfg->event)
        r->cfg->event (r->cfg->event_ctx, "Warning", "FailedMount", "",
                       berth_error_msg (&e));
      berth_error_release (&e);
      volumes_set_clear (&set);
      return;
    }
  volumes_set_clear (&r->vols);
  r->vols = set;
}
