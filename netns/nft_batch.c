/* nft_batch.c - see nft_batch.h.  The rule forms are compiled into the
 * expressions nft(8) 1.0 generates for them (`nft --debug=netlink`). */
#include "nft_batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

/* nft's datatype numbers (src/datatype.h) for the anonymous map's key
 * type, and its byteorder numbering for the set's user data. */
#define NFT_TYPE_INTEGER 4
#define NFT_BYTEORDER_HOST 1

struct nft_batch
{
  int fd;
  char *table;
  uint32_t seq;
  uint32_t set_id; /* anonymous maps of this socket's batches */
  char *buf;
  size_t len, cap;
};

int
nft_batch_open (struct nft_batch **out, const char *table, berth_error_t *err)
{
  struct nft_batch *b;
  int one = 1;
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

  if (fd < 0)
    return berth_error_sys (err, errno, "netlink socket");
  /* acks without a copy of the request */
  (void)setsockopt (fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof (one));
  b = calloc (1, sizeof (*b));
  if (b == NULL || (b->table = strdup (table)) == NULL)
    abort ();
  b->fd = fd;
  b->seq = 1;
  *out = b;
  return 0;
}

void
nft_batch_close (struct nft_batch *b)
{
  if (b == NULL)
    return;
  close (b->fd);
  free (b->table);
  free (b->buf);
  free (b);
}

/* ---- the message buffer ---- */

/* Room for one more message of up to NEED bytes (libnftnl's builders write
 * without a bound). */
static char *
room (struct nft_batch *b, size_t need)
{
  if (b->len + need > b->cap)
    {
      size_t cap = b->cap ? b->cap : 16384;
      while (cap < b->len + need)
        cap *= 2;
      b->buf = realloc (b->buf, cap);
      if (b->buf == NULL)
        abort ();
      b->cap = cap;
    }
  return b->buf + b->len;
}

static void
advance (struct nft_batch *b, const struct nlmsghdr *nlh)
{
  b->len += NLMSG_ALIGN (nlh->nlmsg_len);
}

static struct nlmsghdr *
msg (struct nft_batch *b, uint16_t type, uint16_t flags, size_t need)
{
  return nftnl_nlmsg_build_hdr (room (b, need + 256), type, NFPROTO_IPV4,
                                flags | NLM_F_ACK, b->seq++);
}

/* ---- values ---- */

static bool
parse_ip (const char *s, uint32_t *out)
{
  struct in_addr a;
  if (inet_pton (AF_INET, s, &a) != 1)
    return false;
  *out = a.s_addr; /* network order */
  return true;
}

static bool
parse_proto (const char *s, uint8_t *out)
{
  static const struct
  {
    const char *name;
    uint8_t num;
  } protos[] = { { "tcp", 6 }, { "udp", 17 }, { "sctp", 132 } };
  for (size_t i = 0; i < sizeof (protos) / sizeof (protos[0]); i++)
    if (strcmp (s, protos[i].name) == 0)
      {
        *out = protos[i].num;
        return true;
      }
  return false;
}

static bool
parse_port (long long v, uint16_t *out)
{
  if (v < 0 || v > 65535)
    return false;
  *out = htons ((uint16_t)v);
  return true;
}

/* ---- expressions ---- */

static struct nftnl_expr *
expr (const char *name)
{
  struct nftnl_expr *e = nftnl_expr_alloc (name);
  if (e == NULL)
    abort ();
  return e;
}

static void
e_payload (struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
  struct nftnl_expr *e = expr ("payload");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_rule_add_expr (r, e);
}

static void
e_cmp (struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
  struct nftnl_expr *e = expr ("cmp");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set (e, NFTNL_EXPR_CMP_DATA, data, len);
  nftnl_rule_add_expr (r, e);
}

static void
e_l4proto (struct nftnl_rule *r, uint8_t proto)
{
  struct nftnl_expr *e = expr ("meta");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  nftnl_rule_add_expr (r, e);
  e_cmp (r, NFT_CMP_EQ, &proto, sizeof (proto));
}

static void
e_verdict (struct nftnl_rule *r, int verdict, const char *chain)
{
  struct nftnl_expr *e = expr ("immediate");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
  nftnl_expr_set_str (e, NFTNL_EXPR_IMM_CHAIN, chain);
  nftnl_rule_add_expr (r, e);
}

static void
e_imm (struct nftnl_rule *r, uint32_t reg, const void *data, uint32_t len)
{
  struct nftnl_expr *e = expr ("immediate");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_IMM_DREG, reg);
  nftnl_expr_set (e, NFTNL_EXPR_IMM_DATA, data, len);
  nftnl_rule_add_expr (r, e);
}

/* "jump CHAIN" or "goto CHAIN" */
static bool
parse_verdict (const char *s, int *verdict, char *chain, size_t size)
{
  int n = 0;
  char kind[8];
  if (sscanf (s, "%7s %n", kind, &n) != 1 || n == 0)
    return false;
  if (strcmp (kind, "jump") == 0)
    *verdict = NFT_JUMP;
  else if (strcmp (kind, "goto") == 0)
    *verdict = NFT_GOTO;
  else
    return false;
  s += n;
  if (*s == '\0' || strchr (s, ' ') || strlen (s) >= size)
    return false;
  strcpy (chain, s);
  return true;
}

/* ip saddr != CIDR: nft loads only the prefix's bytes when the prefix is
 * a whole number of bytes, else the address masked by a bitwise. */
static bool
e_saddr_not_in (struct nftnl_rule *r, const char *cidr)
{
  char ip[32];
  unsigned plen;
  int n = 0;
  uint32_t net, mask, zero = 0;
  struct nftnl_expr *e;
  if (sscanf (cidr, "%31[0-9.]/%u%n", ip, &plen, &n) != 2 || cidr[n] != '\0'
      || !parse_ip (ip, &net) || plen == 0 || plen > 32)
    return false;
  if (plen % 8 == 0)
    {
      e_payload (r, NFT_PAYLOAD_NETWORK_HEADER, 12, plen / 8);
      e_cmp (r, NFT_CMP_NEQ, &net, plen / 8);
      return true;
    }
  mask = htonl (~0u << (32 - plen));
  net &= mask;
  e_payload (r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
  e = expr ("bitwise");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_BITWISE_LEN, 4);
  nftnl_expr_set (e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
  nftnl_expr_set (e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
  nftnl_rule_add_expr (r, e);
  e_cmp (r, NFT_CMP_NEQ, &net, 4);
  return true;
}

/* ---- rules ---- */

/* ip daddr A PROTO dport N ip saddr != CIDR jump CHAIN */
static bool
rule_masq_outside (struct nftnl_rule *r, const char *s)
{
  char ip[32], proto[8], cidr[48], verdict[300], chain[256];
  long long port;
  int n = 0, v;
  uint32_t a;
  uint8_t p;
  uint16_t pn;
  if (sscanf (s,
              "ip daddr %31s %7s dport %lld ip saddr != %47s "
              "%299[^\n]%n",
              ip, proto, &port, cidr, verdict, &n)
          != 5
      || s[n] != '\0' || !parse_ip (ip, &a) || !parse_proto (proto, &p)
      || !parse_port (port, &pn)
      || !parse_verdict (verdict, &v, chain, sizeof (chain)))
    return false;
  e_payload (r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
  e_cmp (r, NFT_CMP_EQ, &a, 4);
  e_l4proto (r, p);
  e_payload (r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  e_cmp (r, NFT_CMP_EQ, &pn, 2);
  if (!e_saddr_not_in (r, cidr))
    return false;
  e_verdict (r, v, chain);
  return true;
}

/* ip saddr A jump CHAIN */
static bool
rule_saddr (struct nftnl_rule *r, const char *s)
{
  char ip[32], verdict[300], chain[256];
  int n = 0, v;
  uint32_t a;
  if (sscanf (s, "ip saddr %31s %299[^\n]%n", ip, verdict, &n) != 2
      || s[n] != '\0' || !parse_ip (ip, &a)
      || !parse_verdict (verdict, &v, chain, sizeof (chain)))
    return false;
  e_payload (r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
  e_cmp (r, NFT_CMP_EQ, &a, 4);
  e_verdict (r, v, chain);
  return true;
}

/* meta l4proto PROTO dnat to A:N */
static bool
rule_dnat (struct nftnl_rule *r, const char *s)
{
  char proto[8], ip[32];
  long long port;
  int n = 0;
  uint32_t a;
  uint8_t p;
  uint16_t pn;
  struct nftnl_expr *e;
  if (sscanf (s, "meta l4proto %7s dnat to %31[0-9.]:%lld%n", proto, ip, &port,
              &n)
          != 3
      || s[n] != '\0' || !parse_proto (proto, &p) || !parse_ip (ip, &a)
      || !parse_port (port, &pn))
    return false;
  e_l4proto (r, p);
  e_imm (r, NFT_REG_1, &a, 4);
  e_imm (r, NFT_REG_2, &pn, 2);
  e = expr ("nat");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
  nftnl_rule_add_expr (r, e);
  return true;
}

static struct nftnl_set *
set_new (const struct nft_batch *b, const char *name, uint32_t id)
{
  struct nftnl_set *s = nftnl_set_alloc ();
  if (s == NULL)
    abort ();
  nftnl_set_set_str (s, NFTNL_SET_TABLE, b->table);
  nftnl_set_set_str (s, NFTNL_SET_NAME, name);
  if (id)
    nftnl_set_set_u32 (s, NFTNL_SET_ID, id);
  return s;
}

static struct nftnl_set_elem *
elem_new (const void *key, uint32_t key_len, int verdict, const char *chain)
{
  struct nftnl_set_elem *e = nftnl_set_elem_alloc ();
  if (e == NULL)
    abort ();
  nftnl_set_elem_set (e, NFTNL_SET_ELEM_KEY, key, key_len);
  if (chain)
    {
      nftnl_set_elem_set_u32 (e, NFTNL_SET_ELEM_VERDICT, (uint32_t)verdict);
      nftnl_set_elem_set_str (e, NFTNL_SET_ELEM_CHAIN, chain);
    }
  return e;
}

/* The anonymous constant map of "numgen random mod N vmap { ... }": its
 * NEWSET and NEWSETELEM messages, as nft sends them before the rule. */
static void
put_anon_map (struct nft_batch *b, uint32_t id, char **chains, size_t n)
{
  struct nftnl_set *s = set_new (b, "__map%d", id);
  struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc (64);
  struct nlmsghdr *nlh;

  if (ud == NULL)
    abort ();
  nftnl_set_set_u32 (s, NFTNL_SET_FLAGS,
                     NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_MAP);
  nftnl_set_set_u32 (s, NFTNL_SET_KEY_TYPE, NFT_TYPE_INTEGER);
  nftnl_set_set_u32 (s, NFTNL_SET_KEY_LEN, sizeof (uint32_t));
  nftnl_set_set_u32 (s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
  nftnl_set_set_u32 (s, NFTNL_SET_DATA_LEN, 0);
  nftnl_set_set_u32 (s, NFTNL_SET_DESC_SIZE, (uint32_t)n);
  nftnl_udata_put_u32 (ud, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_HOST);
  nftnl_set_set_data (s, NFTNL_SET_USERDATA, nftnl_udata_buf_data (ud),
                      nftnl_udata_buf_len (ud));
  nftnl_udata_buf_free (ud);
  nlh = msg (b, NFT_MSG_NEWSET, NLM_F_CREATE, 512);
  nftnl_set_nlmsg_build_payload (nlh, s);
  advance (b, nlh);
  nftnl_set_free (s);

  s = set_new (b, "__map%d", id);
  for (size_t i = 0; i < n; i++)
    {
      uint32_t key = (uint32_t)i; /* numgen's result: host order */
      nftnl_set_elem_add (s,
                          elem_new (&key, sizeof (key), NFT_GOTO, chains[i]));
    }
  nlh = msg (b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, 512 + n * 320);
  nftnl_set_elems_nlmsg_build_payload (nlh, s);
  advance (b, nlh);
  nftnl_set_free (s);
}

static void
free_chains (char **chains, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (chains[i]);
  free (chains);
}

/* numgen random mod N vmap { 0 : goto CHAIN, ... }: the map first. */
static bool
rule_numgen (struct nft_batch *b, struct nftnl_rule *r, const char *s)
{
  unsigned long long mod;
  int n = 0;
  char **chains = NULL;
  size_t nchains = 0;
  uint32_t id;
  struct nftnl_expr *e;

  if (sscanf (s, "numgen random mod %llu vmap { %n", &mod, &n) != 1 || n == 0
      || mod == 0 || mod > 65536)
    return false;
  chains = calloc (mod, sizeof (char *));
  if (chains == NULL)
    abort ();
  for (s += n; nchains < mod; nchains++)
    {
      unsigned long long i;
      char chain[256];
      int m = 0;
      if (sscanf (s, "%llu : goto %255[^, }]%n", &i, chain, &m) != 2
          || i != nchains)
        break;
      chains[nchains] = strdup (chain);
      if (chains[nchains] == NULL)
        abort ();
      s += m;
      if (strncmp (s, ", ", 2) == 0)
        s += 2;
    }
  if (nchains != mod || strcmp (s, " }") != 0)
    {
      free_chains (chains, nchains);
      return false;
    }
  id = ++b->set_id ? b->set_id : ++b->set_id;
  put_anon_map (b, id, chains, nchains);
  free_chains (chains, nchains);
  e = expr ("numgen");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NG_DREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_NG_MODULUS, (uint32_t)mod);
  nftnl_rule_add_expr (r, e);
  e = expr ("lookup");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_u32 (e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_str (e, NFTNL_EXPR_LOOKUP_SET, "__map%d");
  nftnl_expr_set_u32 (e, NFTNL_EXPR_LOOKUP_SET_ID, id);
  nftnl_rule_add_expr (r, e);
  return true;
}

static bool
put_rule (struct nft_batch *b, const struct nft_op *op)
{
  cleanup_free char *s = strndup (op->rule, op->rule_len);
  struct nftnl_rule *r = nftnl_rule_alloc ();
  struct nlmsghdr *nlh;
  char chain[256];
  int v;
  bool ok;

  if (s == NULL || r == NULL)
    abort ();
  nftnl_rule_set_str (r, NFTNL_RULE_TABLE, b->table);
  nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, op->chain);
  if (strncmp (s, "ip daddr ", 9) == 0)
    ok = rule_masq_outside (r, s);
  else if (strncmp (s, "ip saddr ", 9) == 0)
    ok = rule_saddr (r, s);
  else if (strncmp (s, "meta l4proto ", 13) == 0)
    ok = rule_dnat (r, s);
  else if (strncmp (s, "numgen ", 7) == 0)
    ok = rule_numgen (b, r, s);
  else if ((ok = parse_verdict (s, &v, chain, sizeof (chain))))
    e_verdict (r, v, chain);
  if (ok)
    {
      nlh = msg (b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, 4096);
      nftnl_rule_nlmsg_build_payload (nlh, r);
      advance (b, nlh);
    }
  nftnl_rule_free (r);
  return ok;
}

/* "A . PROTO . N", "PROTO . N" or "A": the concatenation's fields, each
 * padded to 4 bytes, as the kernel stores them. */
static bool
parse_key (const char *s, unsigned char key[12], uint32_t *len)
{
  char a[32], b[32];
  long long port;
  int n = 0;
  uint32_t ip;
  uint8_t p;
  uint16_t pn;

  memset (key, 0, 12);
  if (sscanf (s, "%31s . %31s . %lld%n", a, b, &port, &n) == 3 && s[n] == '\0')
    {
      if (!parse_ip (a, &ip) || !parse_proto (b, &p) || !parse_port (port, &pn))
        return false;
      memcpy (key, &ip, 4);
      key[4] = p;
      memcpy (key + 8, &pn, 2);
      *len = 12;
      return true;
    }
  n = 0;
  if (sscanf (s, "%31s . %lld%n", b, &port, &n) == 2 && s[n] == '\0')
    {
      if (!parse_proto (b, &p) || !parse_port (port, &pn))
        return false;
      key[0] = p;
      memcpy (key + 4, &pn, 2);
      *len = 8;
      return true;
    }
  if (!parse_ip (s, &ip))
    return false;
  memcpy (key, &ip, 4);
  *len = 4;
  return true;
}

/* One element added to or deleted from a set or map. */
static bool
put_elem (struct nft_batch *b, const struct nft_op *op)
{
  bool add = op->kind == NFT_OP_ADD_ELEM;
  unsigned char key[12];
  uint32_t len;
  int v = 0;
  char chain[256];
  struct nftnl_set *s;
  struct nlmsghdr *nlh;

  if (!parse_key (op->key, key, &len)
      || (add && op->verdict
          && !parse_verdict (op->verdict, &v, chain, sizeof (chain))))
    return false;
  s = set_new (b, op->set, 0);
  nftnl_set_elem_add (
      s, elem_new (key, len, v, add && op->verdict ? chain : NULL));
  nlh = msg (b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
             add ? NLM_F_CREATE : 0, 1024);
  nftnl_set_elems_nlmsg_build_payload (nlh, s);
  advance (b, nlh);
  nftnl_set_free (s);
  return true;
}

static void
put_chain (struct nft_batch *b, const struct nft_op *op)
{
  struct nlmsghdr *nlh;

  if (op->kind == NFT_OP_FLUSH_CHAIN)
    {
      struct nftnl_rule *r = nftnl_rule_alloc ();
      if (r == NULL)
        abort ();
      nftnl_rule_set_str (r, NFTNL_RULE_TABLE, b->table);
      nftnl_rule_set_str (r, NFTNL_RULE_CHAIN, op->chain);
      nlh = msg (b, NFT_MSG_DELRULE, 0, 512);
      nftnl_rule_nlmsg_build_payload (nlh, r);
      nftnl_rule_free (r);
    }
  else
    {
      struct nftnl_chain *c = nftnl_chain_alloc ();
      if (c == NULL)
        abort ();
      nftnl_chain_set_str (c, NFTNL_CHAIN_TABLE, b->table);
      nftnl_chain_set_str (c, NFTNL_CHAIN_NAME, op->chain);
      nlh = msg (
          b, op->kind == NFT_OP_ADD_CHAIN ? NFT_MSG_NEWCHAIN : NFT_MSG_DELCHAIN,
          op->kind == NFT_OP_ADD_CHAIN ? NLM_F_CREATE : 0, 512);
      nftnl_chain_nlmsg_build_payload (nlh, c);
      nftnl_chain_free (c);
    }
  advance (b, nlh);
}

/* Append OP's messages; false when it is not a form this module knows. */
static bool
put_op (struct nft_batch *b, const struct nft_op *op)
{
  switch (op->kind)
    {
    case NFT_OP_ADD_CHAIN:
    case NFT_OP_FLUSH_CHAIN:
    case NFT_OP_DELETE_CHAIN:
      put_chain (b, op);
      return true;
    case NFT_OP_ADD_RULE:
      return put_rule (b, op);
    case NFT_OP_ADD_ELEM:
    case NFT_OP_DELETE_ELEM:
      return put_elem (b, op);
    }
  return false;
}

/* ---- the exchange ---- */

/* Read the kernel's answers to the batch's messages FIRST..LAST (all
 * carry NLM_F_ACK): the first error, or 0 once LAST is acknowledged. */
static int
read_acks (struct nft_batch *b, uint32_t first, uint32_t last,
           uint32_t *bad_seq, berth_error_t *err)
{
  char buf[8192] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  int error = 0;

  for (;;)
    {
      ssize_t got = recv (b->fd, buf, sizeof (buf), MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd p = { .fd = b->fd, .events = POLLIN };
          int r = poll (&p, 1, 5000);
          if (r == 0)
            return berth_error_make (err, ETIMEDOUT,
                                     "netlink: no answer to the batch");
          if (r < 0 && errno != EINTR)
            return berth_error_sys (err, errno, "netlink: poll");
          continue;
        }
      if (got < 0)
        return berth_error_sys (err, errno, "netlink: recv");
      for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
           NLMSG_OK (h, (size_t)got); h = NLMSG_NEXT (h, got))
        {
          const struct nlmsgerr *e = NLMSG_DATA (h);
          if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first
              || h->nlmsg_seq > last)
            continue; /* not an answer to this batch */
          if (e->error != 0 && error == 0)
            {
              error = -e->error;
              *bad_seq = h->nlmsg_seq;
            }
          /* a failed commit is answered once, for the batch's begin */
          if (h->nlmsg_seq == last || (e->error != 0 && h->nlmsg_seq == first))
            return error ? -error : 0;
        }
    }
}

const char *
nft_op_verb (enum nft_op_kind k)
{
  static const char *const verbs[]
      = { [NFT_OP_ADD_CHAIN] = "add chain",
          [NFT_OP_FLUSH_CHAIN] = "flush chain",
          [NFT_OP_DELETE_CHAIN] = "delete chain",
          [NFT_OP_ADD_RULE] = "add rule",
          [NFT_OP_ADD_ELEM] = "add element",
          [NFT_OP_DELETE_ELEM] = "delete element" };
  return (size_t)k < sizeof (verbs) / sizeof (verbs[0]) ? verbs[k] : "?";
}

/* Which op the message SEQ was (ops may take several messages). */
static const struct nft_op *
op_of_seq (const struct nft_op *ops, size_t n, const uint32_t *seqs,
           uint32_t seq)
{
  const struct nft_op *found = NULL;
  for (size_t i = 0; i < n; i++)
    if (seqs[i] && seqs[i] <= seq)
      found = &ops[i];
  return found;
}

/* "nftables batch: WHAT add rule CHAIN RULE[: strerror]", or "delete
 * element SET KEY"... */
static int
op_error (berth_error_t *err, int status, const char *what,
          const struct nft_op *op, bool sys)
{
  const char *cause = sys ? strerror (status) : NULL;
  int rl = op->rule ? (int)op->rule_len : 0;
  if (op->kind == NFT_OP_ADD_ELEM || op->kind == NFT_OP_DELETE_ELEM)
    return berth_error_make (err, status, "nftables batch: %s%s %s %s%s%s",
                             what, nft_op_verb (op->kind), op->set, op->key,
                             cause ? ": " : "", cause ? cause : "");
  return berth_error_make (err, status, "nftables batch: %s%s %s%s%.*s%s%s",
                           what, nft_op_verb (op->kind), op->chain,
                           rl ? " " : "", rl, op->rule ? op->rule : "",
                           cause ? ": " : "", cause ? cause : "");
}

int
nft_batch_commit (struct nft_batch *b, const struct nft_op *ops, size_t n,
                  berth_error_t *err)
{
  /* the first message of each op (an op may take several) */
  cleanup_free uint32_t *seqs = calloc (n ? n : 1, sizeof (*seqs));
  uint32_t first, last, bad = 0;
  struct nlmsghdr *nlh;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  int ret;

  if (seqs == NULL)
    abort ();
  if (n == 0)
    return 0;
  b->len = 0;
  first = b->seq;
  nlh = nftnl_batch_begin (room (b, 256), b->seq++);
  advance (b, nlh);
  for (size_t i = 0; i < n; i++)
    {
      seqs[i] = b->seq;
      if (!put_op (b, &ops[i]))
        return op_error (err, ENOTSUP, "cannot encode ", &ops[i], false);
    }
  last = b->seq - 1;
  nlh = nftnl_batch_end (room (b, 256), b->seq++);
  advance (b, nlh);
  if (sendto (b->fd, b->buf, b->len, 0, (struct sockaddr *)&kernel,
              sizeof (kernel))
      < 0)
    return berth_error_sys (err, errno, "netlink: send the batch");
  ret = read_acks (b, first, last, &bad, err);
  if (ret < 0 && bad)
    {
      const struct nft_op *op = op_of_seq (ops, n, seqs, bad);
      if (op == NULL)
        return berth_error_sys (err, -ret, "nftables batch: commit");
      return op_error (err, -ret, "", op, true);
    }
  return ret;
}
