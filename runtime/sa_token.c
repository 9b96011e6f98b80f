/* sa_token.c - see sa_token.h.  The signing is libcrypto's (EVP, ECDSA
 * P-256 with SHA-256); only the JWS framing is written here: it is three
 * base64url strings and a dot between them (RFC 7515), and the ECDSA
 * signature goes in as R||S rather than DER (RFC 7518 3.4). */
#include "sa_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "cleanup.h"
#include "fsutil.h"
#include "node.h"

static void
pkey_freep (EVP_PKEY **k)
{
  if (*k)
    EVP_PKEY_free (*k);
}
#define cleanup_pkey __attribute__ ((cleanup (pkey_freep)))

/* Unpadded base64url of LEN bytes at IN. */
static char *
b64url (const void *in, size_t len)
{
  char *s = base64_encode (in, len), *o = s;
  if (s == NULL)
    abort ();
  for (char *p = s; *p && *p != '='; p++)
    *o++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  *o = '\0';
  return s;
}

static EVP_PKEY *
key_generate (berth_error_t *err)
{
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
  EVP_PKEY *k = NULL;
  if (ctx == NULL || EVP_PKEY_keygen_init (ctx) <= 0
      || EVP_PKEY_CTX_set_group_name (ctx, "P-256") <= 0
      || EVP_PKEY_generate (ctx, &k) <= 0)
    k = NULL;
  if (ctx)
    EVP_PKEY_CTX_free (ctx);
  if (k == NULL)
    berth_error_make (err, EIO, "generate the service account signing key");
  return k;
}

/* Write K to PATH (0600) unless another process made PATH first: the key
 * is written whole under a temporary name and linked into place, so a
 * reader never sees half of it and the first key stays. */
static int
key_store (const char *dir, const char *path, EVP_PKEY *k, berth_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_file FILE *f = NULL;
  int fd, ok;
  if (asprintf (&tmp, "%s/.sa.key.%d", dir, (int)getpid ()) < 0)
    abort ();
  unlink (tmp);
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", tmp);
  f = fdopen (fd, "w");
  if (f == NULL)
    {
      close (fd);
      return berth_error_sys (err, errno, "fdopen %s", tmp);
    }
  ok = PEM_write_PrivateKey (f, k, NULL, NULL, 0, NULL, NULL) == 1
       && fflush (f) == 0 && fsync (fileno (f)) == 0;
  if (!ok || (link (tmp, path) < 0 && errno != EEXIST))
    {
      int e = errno ? errno : EIO;
      unlink (tmp);
      return berth_error_sys (err, e, "write %s", path);
    }
  unlink (tmp);
  return 0;
}

static EVP_PKEY *
key_read (const char *path, berth_error_t *err)
{
  cleanup_file FILE *f = fopen (path, "re");
  EVP_PKEY *k;
  if (f == NULL)
    {
      berth_error_sys (err, errno, "open %s", path);
      return NULL;
    }
  k = PEM_read_PrivateKey (f, NULL, NULL, NULL);
  if (k == NULL || EVP_PKEY_get_base_id (k) != EVP_PKEY_EC)
    {
      if (k)
        EVP_PKEY_free (k);
      berth_error_make (err, EINVAL, "%s: not an EC private key in PEM", path);
      return NULL;
    }
  return k;
}

/* The node's signing key, made on first use. */
static EVP_PKEY *
key_load (const char *dir, berth_error_t *err)
{
  cleanup_free char *path = NULL;
  EVP_PKEY *k;
  if (asprintf (&path, "%s/sa.key", dir) < 0)
    abort ();
  if (access (path, F_OK) == 0)
    return key_read (path, err);
  if (fs_mkdir_p (dir, 0700, err) < 0)
    return NULL;
  k = key_generate (err);
  if (k == NULL)
    return NULL;
  if (key_store (dir, path, k, err) < 0)
    {
      EVP_PKEY_free (k);
      return NULL;
    }
  EVP_PKEY_free (k);
  return key_read (path, err); /* the one that won, if two raced */
}

/* SHA-256 of the public key's DER (SubjectPublicKeyInfo) into MD. */
static int
pubkey_digest (EVP_PKEY *k, unsigned char md[32], berth_error_t *err)
{
  int len = i2d_PUBKEY (k, NULL);
  cleanup_free unsigned char *der = NULL;
  unsigned char *p;
  unsigned int mdlen = 0;
  if (len <= 0 || (der = malloc ((size_t)len)) == NULL)
    return berth_error_make (err, EIO, "encode the public key");
  p = der;
  if (i2d_PUBKEY (k, &p) != len
      || EVP_Digest (der, (size_t)len, md, &mdlen, EVP_sha256 (), NULL) != 1
      || mdlen != 32)
    return berth_error_make (err, EIO, "digest the public key");
  return 0;
}

/* "xxxxxxxx-xxxx-Vxxx-yxxx-xxxxxxxxxxxx" of 16 bytes, version V. */
static char *
uuid_format (const unsigned char b[16], int version)
{
  char *s;
  if (asprintf (&s,
                "%02x%02x%02x%02x-%02x%02x-%x%01x%02x-%02x%02x-"
                "%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], version, b[6] & 0x0f, b[7],
                (b[8] & 0x3f) | 0x80, b[9], b[10], b[11], b[12], b[13], b[14],
                b[15])
      < 0)
    abort ();
  return s;
}

/* The service account has no object here: its uid is a name-based UUID of
 * the signing key and namespace/name, stable for the node. */
static char *
sa_uid (const unsigned char key_md[32], const char *ns, const char *name)
{
  size_t nl = strlen (ns), ml = strlen (name);
  cleanup_free unsigned char *in = malloc (32 + nl + 1 + ml);
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (in == NULL)
    abort ();
  memcpy (in, key_md, 32);
  memcpy (in + 32, ns, nl);
  in[32 + nl] = '/';
  memcpy (in + 33 + nl, name, ml);
  if (EVP_Digest (in, 33 + nl + ml, md, &mdlen, EVP_sha256 (), NULL) != 1)
    memset (md, 0, sizeof md);
  return uuid_format (md, 5);
}

static char *
jti (void)
{
  unsigned char b[16] = { 0 };
  if (getrandom (b, sizeof b, 0) != sizeof b)
    abort ();
  return uuid_format (b, 4);
}

static struct node *
object_ref (const char *name, const char *uid)
{
  struct node *m = node_new_map ();
  node_map_set_str (m, "name", name ? name : "");
  node_map_set_str (m, "uid", uid ? uid : "");
  return m;
}

static struct node *
claims (const struct sa_token_request *rq, const unsigned char key_md[32])
{
  const char *ns = rq->namespace && *rq->namespace ? rq->namespace : "default";
  const char *sa = rq->service_account && *rq->service_account
                       ? rq->service_account
                       : "default";
  int64_t ttl = rq->expiration_seconds > 0 ? rq->expiration_seconds
                                           : SA_TOKEN_DEFAULT_EXPIRATION;
  struct node *c = node_new_map (), *aud = node_new_seq (), *k8s;
  cleanup_free char *sub = NULL, *id = jti (), *said = sa_uid (key_md, ns, sa);
  if (asprintf (&sub, "system:serviceaccount:%s:%s", ns, sa) < 0)
    abort ();
  node_seq_append (aud, node_new_scalar (rq->audience && *rq->audience
                                             ? rq->audience
                                             : SA_TOKEN_ISSUER,
                                         true));
  node_map_set (c, "aud", aud);
  node_map_set_int (c, "exp", rq->now + ttl);
  node_map_set_int (c, "iat", rq->now);
  node_map_set_str (c, "iss", SA_TOKEN_ISSUER);
  node_map_set_str (c, "jti", id);
  k8s = node_new_map ();
  node_map_set_str (k8s, "namespace", ns);
  node_map_set (k8s, "pod", object_ref (rq->pod_name, rq->pod_uid));
  node_map_set (k8s, "serviceaccount", object_ref (sa, said));
  node_map_set (c, "kubernetes.io", k8s);
  node_map_set_int (c, "nbf", rq->now);
  node_map_set_str (c, "sub", sub);
  return c;
}

/* ES256 of DATA: the DER signature libcrypto makes, as R||S. */
static int
sign_es256 (EVP_PKEY *k, const char *data, unsigned char out[64],
            berth_error_t *err)
{
  EVP_MD_CTX *mctx = EVP_MD_CTX_new ();
  unsigned char der[128];
  const unsigned char *p = der;
  size_t len = sizeof der;
  ECDSA_SIG *sig = NULL;
  const BIGNUM *r = NULL, *s = NULL;
  int ok = mctx != NULL
           && EVP_DigestSignInit (mctx, NULL, EVP_sha256 (), NULL, k) == 1
           && EVP_DigestSign (mctx, der, &len, (const unsigned char *)data,
                              strlen (data))
                  == 1
           && (sig = d2i_ECDSA_SIG (NULL, &p, (long)len)) != NULL;
  if (ok)
    {
      ECDSA_SIG_get0 (sig, &r, &s);
      ok = BN_bn2binpad (r, out, 32) == 32
           && BN_bn2binpad (s, out + 32, 32) == 32;
    }
  if (sig)
    ECDSA_SIG_free (sig);
  if (mctx)
    EVP_MD_CTX_free (mctx);
  return ok ? 0 : berth_error_make (err, EIO, "sign the token (ES256)");
}

int
sa_token_issue (const char *key_dir, const struct sa_token_request *rq,
                char **token, berth_error_t *err)
{
  cleanup_pkey EVP_PKEY *k = key_load (key_dir, err);
  unsigned char md[32], sig[64];
  cleanup_free char *kid = NULL, *hjson = NULL, *cjson = NULL, *h64 = NULL,
                    *c64 = NULL, *input = NULL, *s64 = NULL;
  struct node *h, *c;
  size_t hlen = 0, clen = 0;
  int ret;

  *token = NULL;
  if (k == NULL || pubkey_digest (k, md, err) < 0)
    return berth_error_wrap (err, "service account token");
  kid = b64url (md, sizeof md);
  h = node_new_map ();
  node_map_set_str (h, "alg", "ES256");
  node_map_set_str (h, "kid", kid);
  c = claims (rq, md);
  ret = node_write_json (h, false, &hjson, &hlen, err);
  if (ret == 0)
    ret = node_write_json (c, false, &cjson, &clen, err);
  node_unref (h);
  node_unref (c);
  if (ret < 0)
    return -1;
  h64 = b64url (hjson, hlen);
  c64 = b64url (cjson, clen);
  if (asprintf (&input, "%s.%s", h64, c64) < 0)
    abort ();
  if (sign_es256 (k, input, sig, err) < 0)
    return -1;
  s64 = b64url (sig, sizeof sig);
  if (asprintf (token, "%s.%s", input, s64) < 0)
    abort ();
  return 0;
}

bool
sa_token_needs_refresh (int64_t iat, int64_t exp, int64_t now)
{
  return now >= iat + (exp - iat) * 8 / 10 || now >= iat + 24 * 3600;
}
