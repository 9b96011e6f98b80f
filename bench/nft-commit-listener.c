/* nft-commit-listener.c - bench/readiness-propagation.sh's end point: the
 * moment an nftables transaction is committed, without nft monitor's
 * parsing and cache fetches per event (which delay its output).
 *
 * It listens on NETLINK_NETFILTER, group NFNLGRP_NFTABLES (libmnl), and
 * prints one line per transaction when its NFT_MSG_NEWGEN arrives (the
 * kernel sends it after the transaction's object notifications, once the
 * commit is done):
 *
 *   REALTIME_SECONDS gen GENID: CHANGE...
 *
 * CHANGE: each notification of the transaction before it as
 * "newchain|delchain|newrule|delrule|newsetelem|delsetelem|... TABLE/NAME"
 * (NAME: the chain, set or object), so the bench can tell which
 * transaction took an endpoint chain out or put it back.  The time is
 * CLOCK_REALTIME read right after recv() returned the NEWGEN message.
 * Prints "ready" once subscribed; runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct pending
{
  char *buf;
  size_t len;
  FILE *f;
};

static const char *
type_name (int t)
{
  switch (t)
    {
    case NFT_MSG_NEWTABLE:
      return "newtable";
    case NFT_MSG_DELTABLE:
      return "deltable";
    case NFT_MSG_NEWCHAIN:
      return "newchain";
    case NFT_MSG_DELCHAIN:
      return "delchain";
    case NFT_MSG_NEWRULE:
      return "newrule";
    case NFT_MSG_DELRULE:
      return "delrule";
    case NFT_MSG_NEWSET:
      return "newset";
    case NFT_MSG_DELSET:
      return "delset";
    case NFT_MSG_NEWSETELEM:
      return "newsetelem";
    case NFT_MSG_DELSETELEM:
      return "delsetelem";
    default:
      return "other";
    }
}

/* The table (NFTA_*_TABLE: 1) and the chain or set name: NFTA_CHAIN_NAME
 * (3) in a chain message, NFTA_RULE_CHAIN, NFTA_SET_NAME and
 * NFTA_SET_ELEM_LIST_SET (2) in the others. */
struct names
{
  int name_attr;
  const char *table, *name;
};

static int
attr_cb (const struct nlattr *a, void *data)
{
  struct names *n = data;
  int type = mnl_attr_get_type (a);
  if (mnl_attr_validate (a, MNL_TYPE_NUL_STRING) < 0)
    return MNL_CB_OK;
  if (type == 1 && n->table == NULL)
    n->table = mnl_attr_get_str (a);
  else if (type == n->name_attr && n->name == NULL)
    n->name = mnl_attr_get_str (a);
  return MNL_CB_OK;
}

static int
msg_cb (const struct nlmsghdr *nlh, void *data)
{
  struct pending *p = data;
  int type = NFNL_MSG_TYPE (nlh->nlmsg_type);
  struct names n = { 2, NULL, NULL };
  struct timespec ts;

  if (type == NFT_MSG_NEWGEN)
    {
      const struct nlattr *a;
      uint32_t gen = 0;
      clock_gettime (CLOCK_REALTIME, &ts);
      mnl_attr_for_each (a, nlh, sizeof (struct nfgenmsg))
      {
        if (mnl_attr_get_type (a) == NFTA_GEN_ID
            && mnl_attr_validate (a, MNL_TYPE_U32) == 0)
          gen = ntohl (mnl_attr_get_u32 (a));
      }
      fflush (p->f);
      printf ("%lld.%06ld gen %u:%s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000,
              gen, p->len ? p->buf : "");
      fflush (stdout);
      fclose (p->f);
      free (p->buf);
      p->buf = NULL;
      p->len = 0;
      p->f = open_memstream (&p->buf, &p->len);
      if (p->f == NULL)
        abort ();
      return MNL_CB_OK;
    }
  if (type == NFT_MSG_NEWCHAIN || type == NFT_MSG_DELCHAIN)
    n.name_attr = NFTA_CHAIN_NAME;
  mnl_attr_parse (nlh, sizeof (struct nfgenmsg), attr_cb, &n);
  fprintf (p->f, " %s %s/%s", type_name (type), n.table ? n.table : "-",
           n.name ? n.name : "-");
  return MNL_CB_OK;
}

int
main (void)
{
  char buf[MNL_SOCKET_BUFFER_SIZE * 4];
  struct mnl_socket *nl = mnl_socket_open2 (NETLINK_NETFILTER, SOCK_CLOEXEC);
  struct pending p = { NULL, 0, NULL };
  int group = NFNLGRP_NFTABLES, rcvbuf = 4 << 20;

  if (nl == NULL || mnl_socket_bind (nl, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      perror ("nft-commit-listener: netlink");
      return 1;
    }
  if (mnl_socket_setsockopt (nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof (group))
      < 0)
    {
      perror ("nft-commit-listener: join NFNLGRP_NFTABLES");
      return 1;
    }
  /* a big transaction (the full table) must not overrun the socket */
  setsockopt (mnl_socket_get_fd (nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
              sizeof (rcvbuf));
  p.f = open_memstream (&p.buf, &p.len);
  if (p.f == NULL)
    abort ();
  printf ("ready\n");
  fflush (stdout);
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom (nl, buf, sizeof (buf));
      if (n < 0)
        {
          if (errno == ENOBUFS)
            {
              printf ("overrun\n");
              fflush (stdout);
              continue;
            }
          perror ("nft-commit-listener: recv");
          return 1;
        }
      if (mnl_cb_run (buf, (size_t)n, 0, 0, msg_cb, &p) < 0)
        {
          perror ("nft-commit-listener: parse");
          return 1;
        }
    }
}
