/* lazy_nftnl.c - the libnftnl functions berth calls, loaded from
 * BERTH_SONAME_NFTNL on first use (lib/lazylib.h says why and how).
 *
 * User: the Service table's partial updates (netns/nft_batch.c).  libnftnl
 * is libnftables' own netlink layer, so an agent that routes Services has
 * it mapped already; one without Services never loads it.
 */
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  F (struct nlmsghdr *, nftnl_batch_begin, (char *buf, uint32_t seq),          \
     (buf, seq), NULL)                                                         \
  F (struct nlmsghdr *, nftnl_batch_end, (char *buf, uint32_t seq),            \
     (buf, seq), NULL)                                                         \
  F (struct nlmsghdr *, nftnl_nlmsg_build_hdr,                                 \
     (char *buf, uint16_t type, uint16_t family, uint16_t flags,               \
      uint32_t seq),                                                           \
     (buf, type, family, flags, seq), NULL)                                    \
  F (struct nftnl_chain *, nftnl_chain_alloc, (void), (), NULL)                \
  V (nftnl_chain_free, (const struct nftnl_chain *c), (c))                     \
  F (int, nftnl_chain_set_str,                                                 \
     (struct nftnl_chain * c, uint16_t attr, const char *str), (c, attr, str), \
     -1)                                                                       \
  V (nftnl_chain_nlmsg_build_payload,                                          \
     (struct nlmsghdr * nlh, const struct nftnl_chain *c), (nlh, c))           \
  F (struct nftnl_rule *, nftnl_rule_alloc, (void), (), NULL)                  \
  V (nftnl_rule_free, (const struct nftnl_rule *r), (r))                       \
  F (int, nftnl_rule_set_str,                                                  \
     (struct nftnl_rule * r, uint16_t attr, const char *str), (r, attr, str),  \
     -1)                                                                       \
  V (nftnl_rule_add_expr, (struct nftnl_rule * r, struct nftnl_expr * e),      \
     (r, e))                                                                   \
  V (nftnl_rule_nlmsg_build_payload,                                           \
     (struct nlmsghdr * nlh, struct nftnl_rule * r), (nlh, r))                 \
  F (struct nftnl_expr *, nftnl_expr_alloc, (const char *name), (name), NULL)  \
  F (int, nftnl_expr_set,                                                      \
     (struct nftnl_expr * e, uint16_t type, const void *data,                  \
      uint32_t data_len),                                                      \
     (e, type, data, data_len), -1)                                            \
  V (nftnl_expr_set_u32, (struct nftnl_expr * e, uint16_t type, uint32_t v),   \
     (e, type, v))                                                             \
  F (int, nftnl_expr_set_str,                                                  \
     (struct nftnl_expr * e, uint16_t type, const char *str), (e, type, str),  \
     -1)                                                                       \
  F (struct nftnl_set *, nftnl_set_alloc, (void), (), NULL)                    \
  V (nftnl_set_free, (const struct nftnl_set *s), (s))                         \
  F (int, nftnl_set_set_data,                                                  \
     (struct nftnl_set * s, uint16_t attr, const void *data, uint32_t len),    \
     (s, attr, data, len), -1)                                                 \
  V (nftnl_set_set_u32, (struct nftnl_set * s, uint16_t attr, uint32_t v),     \
     (s, attr, v))                                                             \
  F (int, nftnl_set_set_str,                                                   \
     (struct nftnl_set * s, uint16_t attr, const char *str), (s, attr, str),   \
     -1)                                                                       \
  V (nftnl_set_nlmsg_build_payload,                                            \
     (struct nlmsghdr * nlh, struct nftnl_set * s), (nlh, s))                  \
  F (struct nftnl_set_elem *, nftnl_set_elem_alloc, (void), (), NULL)          \
  V (nftnl_set_elem_add, (struct nftnl_set * s, struct nftnl_set_elem * e),    \
     (s, e))                                                                   \
  F (int, nftnl_set_elem_set,                                                  \
     (struct nftnl_set_elem * e, uint16_t attr, const void *data,              \
      uint32_t len),                                                           \
     (e, attr, data, len), -1)                                                 \
  V (nftnl_set_elem_set_u32,                                                   \
     (struct nftnl_set_elem * e, uint16_t attr, uint32_t v), (e, attr, v))     \
  F (int, nftnl_set_elem_set_str,                                              \
     (struct nftnl_set_elem * e, uint16_t attr, const char *str),              \
     (e, attr, str), -1)                                                       \
  V (nftnl_set_elems_nlmsg_build_payload,                                      \
     (struct nlmsghdr * nlh, struct nftnl_set * s), (nlh, s))                  \
  F (struct nftnl_udata_buf *, nftnl_udata_buf_alloc, (uint32_t size), (size), \
     NULL)                                                                     \
  V (nftnl_udata_buf_free, (const struct nftnl_udata_buf *buf), (buf))         \
  F (uint32_t, nftnl_udata_buf_len, (const struct nftnl_udata_buf *buf),       \
     (buf), 0)                                                                 \
  F (void *, nftnl_udata_buf_data, (const struct nftnl_udata_buf *buf), (buf), \
     NULL)                                                                     \
  F (bool, nftnl_udata_put_u32,                                                \
     (struct nftnl_udata_buf * buf, uint8_t type, uint32_t data),              \
     (buf, type, data), false)

struct nftnl_table_
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
};
#define LAZYLIB_TABLE struct nftnl_table_
#define LAZYLIB_LIB nftnl_lib

static const struct lazylib_sym nftnl_syms[]
    = { LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM) };
static struct nftnl_table_ nftnl_table;
static void nftnl_open (void);
static struct lazylib nftnl_lib
    = LAZYLIB_INIT (BERTH_SONAME_NFTNL, nftnl_syms, &nftnl_table, nftnl_open);

static void
nftnl_open (void)
{
  lazylib_open (&nftnl_lib);
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)
