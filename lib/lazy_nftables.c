/* lazy_nftables.c - the libnftables functions berth calls, loaded from
 * BERTH_SONAME_NFT on first use (lib/lazylib.h says why and how).
 *
 * User: the Service routing (netns/nft_service.c); an agent without
 * Services never loads libnftables and its nftnl, mnl, xtables, jansson
 * and gmp.
 */
#include <nftables/libnftables.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  F (struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags), NULL)           \
  V (nft_ctx_free, (struct nft_ctx * ctx), (ctx))                              \
  F (int, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx), -1)            \
  F (int, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx), -1)             \
  F (const char *, nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx),    \
     NULL)                                                                     \
  F (const char *, nft_ctx_get_output_buffer, (struct nft_ctx * ctx), (ctx),   \
     NULL)                                                                     \
  F (int, nft_run_cmd_from_buffer, (struct nft_ctx * ctx, const char *buf),    \
     (ctx, buf), -1)

struct nft_table
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
};
#define LAZYLIB_TABLE struct nft_table
#define LAZYLIB_LIB nft_lib

static const struct lazylib_sym nft_syms[]
    = { LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM) };
static struct nft_table nft_table;
static void nft_open (void);
static struct lazylib nft_lib
    = LAZYLIB_INIT (BERTH_SONAME_NFT, nft_syms, &nft_table, nft_open);

static void
nft_open (void)
{
  lazylib_open (&nft_lib);
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)
