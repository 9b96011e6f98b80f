/* test_sa_token.c - runtime/sa_token.c: a token is a JWS whose header and
 * claims are what the API server's TokenRequest puts in a bound token, its
 * ES256 signature verifies with the key it made (and reuses), and the
 * refresh rule is the kubelet token manager's (80% of the lifetime, or
 * 24 hours). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base64.h"
#include "node.h"
#include "sa_token.h"

static char dir[64];

static void
setup (void)
{
  snprintf (dir, sizeof dir, "/tmp/test_sa_token.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (dir));
}

static void
teardown (void)
{
  char p[128];
  snprintf (p, sizeof p, "%s/keys/sa.key", dir);
  unlink (p);
  snprintf (p, sizeof p, "%s/keys", dir);
  rmdir (p);
  rmdir (dir);
}

/* base64url (unpadded) of [S, S+LEN) decoded; *OUT_LEN its length. */
static char *
unb64url (const char *s, size_t len, size_t *out_len)
{
  char *std = calloc (len + 4, 1);
  long bad = -1;
  char *out;
  for (size_t i = 0; i < len; i++)
    std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  while (strlen (std) % 4)
    strcat (std, "=");
  out = base64_decode (std, out_len, &bad);
  free (std);
  ck_assert_ptr_nonnull (out);
  return out;
}

static struct node *
part_json (const char *s, size_t len)
{
  size_t n = 0;
  char *json = unb64url (s, len, &n);
  struct node_stream st;
  berth_error_t err = NULL;
  struct node *doc;
  ck_assert_int_eq (node_stream_read (json, n, &st, &err), 0);
  ck_assert_uint_eq (st.len, 1);
  doc = node_ref (st.docs[0]);
  node_stream_free (&st);
  free (json);
  return doc;
}

static const char *
str_at (const struct node *n, const char *a, const char *b, const char *c)
{
  const struct node *x = node_map_get (n, a);
  if (b)
    x = node_map_get (x, b);
  if (c)
    x = node_map_get (x, c);
  ck_assert_ptr_nonnull (x);
  return x->text;
}

static void
verify (const char *token, size_t signed_len, const char *sig64)
{
  char p[128];
  FILE *f;
  EVP_PKEY *k;
  size_t n = 0;
  char *sig = unb64url (sig64, strlen (sig64), &n);
  ECDSA_SIG *es = ECDSA_SIG_new ();
  unsigned char *der = NULL;
  int der_len;
  EVP_MD_CTX *m = EVP_MD_CTX_new ();
  struct stat st;

  ck_assert_uint_eq (n, 64);
  snprintf (p, sizeof p, "%s/keys/sa.key", dir);
  ck_assert_int_eq (stat (p, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0600);
  f = fopen (p, "re");
  ck_assert_ptr_nonnull (f);
  k = PEM_read_PrivateKey (f, NULL, NULL, NULL);
  fclose (f);
  ck_assert_ptr_nonnull (k);
  ECDSA_SIG_set0 (es, BN_bin2bn ((unsigned char *)sig, 32, NULL),
                  BN_bin2bn ((unsigned char *)sig + 32, 32, NULL));
  der_len = i2d_ECDSA_SIG (es, &der);
  ck_assert_int_gt (der_len, 0);
  ck_assert_int_eq (EVP_DigestVerifyInit (m, NULL, EVP_sha256 (), NULL, k), 1);
  ck_assert_int_eq (EVP_DigestVerify (m, der, (size_t)der_len,
                                      (const unsigned char *)token, signed_len),
                    1);
  /* a changed byte does not verify */
  ck_assert_int_eq (EVP_DigestVerifyInit (m, NULL, EVP_sha256 (), NULL, k), 1);
  ck_assert_int_ne (EVP_DigestVerify (m, der, (size_t)der_len,
                                      (const unsigned char *)token,
                                      signed_len - 1),
                    1);
  EVP_MD_CTX_free (m);
  OPENSSL_free (der);
  ECDSA_SIG_free (es);
  EVP_PKEY_free (k);
  free (sig);
}

START_TEST (token_claims_and_signature)
{
  char kd[128];
  struct sa_token_request rq
      = { .namespace = "team",
          .service_account = "build-robot",
          .pod_name = "nginx",
          .pod_uid = "0b6a4b3e-1c4a-4c3b-9a53-1f2e3d4c5b6a",
          .audience = "vault",
          .expiration_seconds = 7200,
          .now = 1700000000 };
  char *tok = NULL, *tok2 = NULL;
  berth_error_t err = NULL;
  const char *d1, *d2;
  struct node *h, *c, *aud;

  snprintf (kd, sizeof kd, "%s/keys", dir);
  ck_assert_int_eq (sa_token_issue (kd, &rq, &tok, &err), 0);
  d1 = strchr (tok, '.');
  ck_assert_ptr_nonnull (d1);
  d2 = strchr (d1 + 1, '.');
  ck_assert_ptr_nonnull (d2);
  ck_assert_ptr_null (strchr (tok, '='));
  h = part_json (tok, (size_t)(d1 - tok));
  ck_assert_str_eq (str_at (h, "alg", NULL, NULL), "ES256");
  ck_assert_uint_eq (strlen (str_at (h, "kid", NULL, NULL)), 43);
  c = part_json (d1 + 1, (size_t)(d2 - d1 - 1));
  aud = node_map_get (c, "aud");
  ck_assert_int_eq (aud->kind, NODE_SEQ);
  ck_assert_uint_eq (aud->len, 1);
  ck_assert_str_eq (aud->items[0]->text, "vault");
  ck_assert_str_eq (str_at (c, "iss", NULL, NULL), SA_TOKEN_ISSUER);
  ck_assert_str_eq (str_at (c, "sub", NULL, NULL),
                    "system:serviceaccount:team:build-robot");
  ck_assert_str_eq (str_at (c, "iat", NULL, NULL), "1700000000");
  ck_assert_str_eq (str_at (c, "nbf", NULL, NULL), "1700000000");
  ck_assert_str_eq (str_at (c, "exp", NULL, NULL), "1700007200");
  ck_assert_str_eq (str_at (c, "kubernetes.io", "namespace", NULL), "team");
  ck_assert_str_eq (str_at (c, "kubernetes.io", "pod", "name"), "nginx");
  ck_assert_str_eq (str_at (c, "kubernetes.io", "pod", "uid"), rq.pod_uid);
  ck_assert_str_eq (str_at (c, "kubernetes.io", "serviceaccount", "name"),
                    "build-robot");
  ck_assert_uint_eq (
      strlen (str_at (c, "kubernetes.io", "serviceaccount", "uid")), 36);
  ck_assert_uint_eq (strlen (str_at (c, "jti", NULL, NULL)), 36);
  verify (tok, (size_t)(d2 - tok), d2 + 1);
  node_unref (h);
  node_unref (c);

  /* the key is reused: same kid, and the defaults of an empty request */
  rq.audience = NULL;
  rq.expiration_seconds = 0;
  rq.service_account = NULL;
  ck_assert_int_eq (sa_token_issue (kd, &rq, &tok2, &err), 0);
  ck_assert_int_eq (strncmp (tok, tok2, (size_t)(d1 - tok)), 0);
  d1 = strchr (tok2, '.');
  d2 = strchr (d1 + 1, '.');
  c = part_json (d1 + 1, (size_t)(d2 - d1 - 1));
  ck_assert_str_eq (node_map_get (c, "aud")->items[0]->text, SA_TOKEN_ISSUER);
  ck_assert_str_eq (str_at (c, "exp", NULL, NULL), "1700003600");
  ck_assert_str_eq (str_at (c, "sub", NULL, NULL),
                    "system:serviceaccount:team:default");
  verify (tok2, (size_t)(d2 - tok2), d2 + 1);
  node_unref (c);
  free (tok);
  free (tok2);
}
END_TEST

START_TEST (refresh_rule)
{
  ck_assert (!sa_token_needs_refresh (0, 3600, 2879));
  ck_assert (sa_token_needs_refresh (0, 3600, 2880));
  ck_assert (!sa_token_needs_refresh (0, 7 * 86400, 86399));
  ck_assert (sa_token_needs_refresh (0, 7 * 86400, 86400));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("sa_token");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, token_claims_and_signature);
  tcase_add_test (tc, refresh_rule);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
