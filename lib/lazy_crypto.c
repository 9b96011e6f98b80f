/* lazy_crypto.c - the libcrypto (OpenSSL) functions berth calls, loaded
 * from BERTH_SONAME_CRYPTO on first use (lib/lazylib.h says why and how).
 *
 * Users: the digests of image blobs and layers (sha256), the static pods'
 * UIDs and the URL source's pod names (md5, as the kubelet's), the
 * Services' chain names (sha256).  The EVP functions fail with 0, NULL or
 * nothing as OpenSSL's do.
 */
#include <openssl/evp.h>

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
     (data, count, md, size, type, impl), 0)

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
