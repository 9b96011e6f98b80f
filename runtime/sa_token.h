/* sa_token.h - the service account tokens of projected serviceAccountToken
 * volumes.
 *
 * In a cluster the kubelet asks the API server (TokenRequest) for a token
 * bound to the pod.  berth has no API server, so the node issues the token
 * itself, with the claims the API server puts in a bound token (iss, sub,
 * aud, exp, iat, nbf, jti and the kubernetes.io namespace / pod /
 * serviceaccount object references), as a JWS signed with ES256 (one of the
 * API server's service-account key types) by a P-256 key made on first use
 * at <key dir>/sa.key (mode 0600).  Its "kid" is what the API server puts
 * there: the unpadded base64url of the SHA-256 of the public key's DER.
 *
 * No kubelet-side caching here: the caller keeps a token until
 * sa_token_needs_refresh says otherwise (the kubelet's token manager).
 */
#ifndef BERTH_SA_TOKEN_H
#define BERTH_SA_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* The API server's default issuer and, with no --api-audiences, its one
 * audience: the audience of a projection that names none. */
#define SA_TOKEN_ISSUER "https://kubernetes.default.svc.cluster.local"
/* expirationSeconds when the projection sets none (the API's default). */
#define SA_TOKEN_DEFAULT_EXPIRATION 3600

struct sa_token_request
{
  const char *namespace;
  const char *service_account; /* "default" when NULL or empty */
  const char *pod_name;
  const char *pod_uid;
  const char *audience;       /* SA_TOKEN_ISSUER when NULL or empty */
  int64_t expiration_seconds; /* SA_TOKEN_DEFAULT_EXPIRATION when <= 0 */
  int64_t now;                /* unix seconds: iat and nbf */
};

/* Sign a token for RQ with the key under KEY_DIR (created, with the key,
 * when missing).  *TOKEN is "header.claims.signature". */
int sa_token_issue (const char *key_dir, const struct sa_token_request *rq,
                    char **token, berth_error_t *err);

/* The kubelet's token manager: a token issued at IAT that expires at EXP
 * is replaced once 80% of its lifetime has passed, or after 24 hours. */
bool sa_token_needs_refresh (int64_t iat, int64_t exp, int64_t now);

#endif
