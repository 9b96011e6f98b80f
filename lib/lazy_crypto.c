/* lazy_crypto.c - the libcrypto (OpenSSL) functions berth calls, loaded
 * from BERTH_SONAME_CRYPTO on first use (lib/lazylib.h says why and how).
 *
 * Users: the digests of image blobs and layers (sha256), the static pods'
 * UIDs and the URL source's pod names (md5, as the kubelet's), the
 * Services' chain names (sha256); the service account tokens (sa_token.c:
 * a P-256 key, ES256 signatures).  The functions fail with 0, NULL, -1 or
 * nothing as OpenSSL's do.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  F (EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)                           \
  V (EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))                               \
  F (const EVP_MD *, EVP_md5, (void), (), NULL)                                \
  F (const EVP_MD *, EVP_sha256, (void), (), NULL)                             \
  F (int, EVP_DigestInit_ex,                                                   \
     (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl), (ctx, type, impl),  \
     0)                                                                        \
  F (int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t cnt),     \
     (ctx, d, cnt), 0)                                                         \
  F (int, EVP_DigestFinal_ex,                                                  \
     (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s), (ctx, md, s), 0)  \
  F (int, EVP_Digest,                                                          \
     (const void *data, size_t count, unsigned char *md, unsigned int *size,   \
      const EVP_MD *type, ENGINE *impl),                                       \
     (data, count, md, size, type, impl), 0)                                   \
  /* the service account tokens' key and ES256 signatures (sa_token.c) */      \
  F (EVP_PKEY_CTX *, EVP_PKEY_CTX_new_from_name,                               \
     (OSSL_LIB_CTX * libctx, const char *name, const char *propquery),         \
     (libctx, name, propquery), NULL)                                          \
  F (int, EVP_PKEY_keygen_init, (EVP_PKEY_CTX * ctx), (ctx), 0)                \
  F (int, EVP_PKEY_CTX_set_group_name, (EVP_PKEY_CTX * ctx, const char *name), \
     (ctx, name), 0)                                                           \
  F (int, EVP_PKEY_generate, (EVP_PKEY_CTX * ctx, EVP_PKEY * *ppkey),          \
     (ctx, ppkey), 0)                                                          \
  V (EVP_PKEY_CTX_free, (EVP_PKEY_CTX * ctx), (ctx))                           \
  F (int, PEM_write_PrivateKey,                                                \
     (FILE * out, const EVP_PKEY *x, const EVP_CIPHER *enc,                    \
      const unsigned char *kstr, int klen, pem_password_cb *cb, void *u),      \
     (out, x, enc, kstr, klen, cb, u), 0)                                      \
  F (EVP_PKEY *, PEM_read_PrivateKey,                                          \
     (FILE * out, EVP_PKEY * *x, pem_password_cb * cb, void *u),               \
     (out, x, cb, u), NULL)                                                    \
  V (EVP_PKEY_free, (EVP_PKEY * pkey), (pkey))                                 \
  F (int, EVP_PKEY_get_base_id, (const EVP_PKEY *pkey), (pkey), 0)             \
  F (int, i2d_PUBKEY, (const EVP_PKEY *a, unsigned char **pp), (a, pp), -1)    \
  F (int, EVP_DigestSignInit,                                                  \
     (EVP_MD_CTX * ctx, EVP_PKEY_CTX * *pctx, const EVP_MD *type, ENGINE *e,   \
      EVP_PKEY *pkey),                                                         \
     (ctx, pctx, type, e, pkey), 0)                                            \
  F (int, EVP_DigestSign,                                                      \
     (EVP_MD_CTX * ctx, unsigned char *sigret, size_t *siglen,                 \
      const unsigned char *tbs, size_t tbslen),                                \
     (ctx, sigret, siglen, tbs, tbslen), 0)                                    \
  F (ECDSA_SIG *, d2i_ECDSA_SIG,                                               \
     (ECDSA_SIG * *sig, const unsigned char **pp, long len), (sig, pp, len),   \
     NULL)                                                                     \
  V (ECDSA_SIG_get0,                                                           \
     (const ECDSA_SIG *sig, const BIGNUM **pr, const BIGNUM **ps),             \
     (sig, pr, ps))                                                            \
  F (int, BN_bn2binpad, (const BIGNUM *a, unsigned char *to, int tolen),       \
     (a, to, tolen), -1)                                                       \
  V (ECDSA_SIG_free, (ECDSA_SIG * sig), (sig))

struct crypto_table
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
};
#define LAZYLIB_TABLE struct crypto_table
#define LAZYLIB_LIB crypto_lib

static const struct lazylib_sym crypto_syms[]
    = { LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM) };
static struct crypto_table crypto_table;
static void crypto_open (void);
static struct lazylib crypto_lib = LAZYLIB_INIT (
    BERTH_SONAME_CRYPTO, crypto_syms, &crypto_table, crypto_open);

static void
crypto_open (void)
{
  lazylib_open (&crypto_lib);
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)
