/* security.c - see security.h. */
#include "security.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

void
security_user_free (struct security_user *u)
{
  free (u->groups);
  u->groups = NULL;
  u->groups_len = 0;
}

static bool
parse_id (const char *s, size_t len, int64_t *out)
{
  int64_t v = 0;
  size_t i;

  if (len == 0 || len > 10)
    return false;
  for (i = 0; i < len; i++)
    {
      if (!isdigit ((unsigned char)s[i]))
        return false;
      v = v * 10 + (s[i] - '0');
    }
  if (v > UINT32_MAX - 1)
    return false;
  *out = v;
  return true;
}

/* Field F (0-based) of a ':'-separated LINE of LEN bytes. */
static bool
field (const char *line, size_t len, int f, const char **start, size_t *flen)
{
  const char *p = line, *end = line + len;

  while (f-- > 0)
    {
      p = memchr (p, ':', end - p);
      if (p == NULL)
        return false;
      p++;
    }
  *start = p;
  const char *c = memchr (p, ':', end - p);
  *flen = (c ? c : end) - p;
  return true;
}

typedef bool (*line_fn) (void *ctx, const char *line, size_t len);

static void
each_line (const char *text, line_fn fn, void *ctx)
{
  while (text != NULL && *text)
    {
      const char *nl = strchr (text, '\n');
      size_t len = nl ? (size_t)(nl - text) : strlen (text);
      if (len > 0 && text[0] != '#' && !fn (ctx, text, len))
        return;
      text = nl ? nl + 1 : text + len;
    }
}

/* Looking up a passwd or group entry by name (KEY) or id (ID >= 0). */
struct lookup
{
  const char *key;
  size_t key_len;
  int64_t id;
  bool found;
  int64_t out_id, out_gid;
  char name[256];
};

static bool
lookup_line (void *ctx, const char *line, size_t len)
{
  struct lookup *l = ctx;
  const char *n, *f;
  size_t nlen, flen;
  int64_t id, gid = 0;

  if (!field (line, len, 0, &n, &nlen) || !field (line, len, 2, &f, &flen)
      || !parse_id (f, flen, &id))
    return true;
  if (field (line, len, 3, &f, &flen))
    parse_id (f, flen, &gid);
  if (l->id >= 0 ? id != l->id
                 : (nlen != l->key_len || memcmp (n, l->key, nlen) != 0))
    return true;
  l->found = true;
  l->out_id = id;
  l->out_gid = gid;
  snprintf (l->name, sizeof (l->name), "%.*s", (int)nlen, n);
  return false;
}

static void
lookup_run (struct lookup *l, const char *text, const char *key, size_t key_len,
            int64_t id)
{
  memset (l, 0, sizeof (*l));
  l->key = key;
  l->key_len = key_len;
  l->id = id;
  each_line (text, lookup_line, l);
}

struct members
{
  const char *user;
  struct security_user *out;
};

static void
add_group (struct security_user *u, gid_t g)
{
  size_t i;

  for (i = 0; i < u->groups_len; i++)
    if (u->groups[i] == g)
      return;
  u->groups = realloc (u->groups, (u->groups_len + 1) * sizeof (gid_t));
  if (u->groups == NULL)
    abort ();
  u->groups[u->groups_len++] = g;
}

static bool
members_line (void *ctx, const char *line, size_t len)
{
  struct members *m = ctx;
  const char *f, *list;
  size_t flen, llen, ulen = strlen (m->user);
  int64_t gid;

  if (!field (line, len, 2, &f, &flen) || !parse_id (f, flen, &gid)
      || !field (line, len, 3, &list, &llen))
    return true;
  while (llen > 0)
    {
      const char *comma = memchr (list, ',', llen);
      size_t n = comma ? (size_t)(comma - list) : llen;
      if (n == ulen && memcmp (list, m->user, n) == 0)
        add_group (m->out, (gid_t)gid);
      if (comma == NULL)
        break;
      llen -= n + 1;
      list = comma + 1;
    }
  return true;
}

/* The user part U (name or uid) of containerd's user string. */
static int
resolve_user_part (const char *u, size_t ulen, const char *passwd,
                   struct security_user *out, char *name, size_t name_size,
                   berth_error_t *err)
{
  struct lookup l;
  int64_t id;

  if (parse_id (u, ulen, &id))
    {
      out->uid = id;
      lookup_run (&l, passwd, NULL, 0, id);
      out->gid = l.found ? l.out_gid : 0;
      if (l.found)
        snprintf (name, name_size, "%s", l.name);
      return 0;
    }
  lookup_run (&l, passwd, u, ulen, -1);
  if (!l.found)
    return berth_error_make (err, ENOENT,
                             "unable to find user %.*s: no matching entries "
                             "in passwd file",
                             (int)ulen, u);
  out->uid = l.out_id;
  out->gid = l.out_gid;
  snprintf (name, name_size, "%s", l.name);
  return 0;
}

int
security_user_resolve_text (const struct security_user_spec *spec,
                            const char *passwd, const char *group,
                            struct security_user *out, berth_error_t *err)
{
  char ustr[64], name[256] = "";
  const char *user = spec->image_user ? spec->image_user : "";
  const char *colon, *g = NULL;
  size_t ulen, i;
  struct members m;
  int ret;

  memset (out, 0, sizeof (*out));
  if (spec->run_as_user_set)
    {
      snprintf (ustr, sizeof (ustr), "%lld", (long long)spec->run_as_user);
      user = ustr;
    }
  if (user[0] == '\0')
    user = "0";
  colon = strchr (user, ':');
  ulen = colon ? (size_t)(colon - user) : strlen (user);
  if (colon != NULL && !spec->run_as_user_set)
    g = colon + 1;
  ret = resolve_user_part (user, ulen, passwd, out, name, sizeof (name), err);
  if (ret < 0)
    return ret;
  if (spec->run_as_group_set)
    out->gid = spec->run_as_group;
  else if (g != NULL && *g)
    {
      struct lookup l;
      int64_t id;

      if (parse_id (g, strlen (g), &id))
        out->gid = id;
      else
        {
          lookup_run (&l, group, g, strlen (g), -1);
          if (!l.found)
            return berth_error_make (err, ENOENT,
                                     "unable to find group %s: no matching "
                                     "entries in group file",
                                     g);
          out->gid = l.out_id;
        }
    }
  add_group (out, out->gid);
  if (name[0] != '\0')
    {
      m.user = name;
      m.out = out;
      each_line (group, members_line, &m);
    }
  for (i = 0; i < spec->supplemental_groups_len; i++)
    add_group (out, (gid_t)spec->supplemental_groups[i]);
  return 0;
}

/* A file of the rootfs, resolved inside it; NULL when absent. */
static int
read_in_root (const char *rootfs, const char *path, char **out,
              berth_error_t *err)
{
  struct open_how how
      = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  cleanup_close int root = -1, fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;
  ssize_t r;

  *out = NULL;
  root = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berth_error_sys (err, errno, "open rootfs %s", rootfs);
  fd = syscall (SYS_openat2, root, path, &how, sizeof (how));
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s/%s", rootfs, path);
  do
    {
      if (len + 4096 + 1 > cap)
        {
          cap = (len + 4096 + 1) * 2;
          buf = realloc (buf, cap);
          if (buf == NULL)
            abort ();
        }
      r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno != EINTR)
        return berth_error_sys (err, errno, "read %s/%s", rootfs, path);
      if (r > 0)
        len += r;
    }
  while (r != 0);
  buf[len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

int
security_user_resolve (const char *rootfs,
                       const struct security_user_spec *spec,
                       struct security_user *out, berth_error_t *err)
{
  cleanup_free char *passwd = NULL;
  cleanup_free char *group = NULL;
  int ret;

  ret = read_in_root (rootfs, "etc/passwd", &passwd, err);
  if (ret == 0)
    ret = read_in_root (rootfs, "etc/group", &group, err);
  if (ret < 0)
    return ret;
  return security_user_resolve_text (spec, passwd, group, out, err);
}

int
security_verify_run_as_non_root (const struct security_user_spec *spec,
                                 const char *pod, const char *container,
                                 berth_error_t *err)
{
  const char *user = spec->image_user ? spec->image_user : "";
  size_t ulen = strcspn (user, ":");
  int64_t uid;

  if (spec->run_as_user_set)
    {
      if (spec->run_as_user == 0)
        return berth_error_make (err, 0,
                                 "container's runAsUser breaks non-root "
                                 "policy (pod: \"%s\", container: %s)",
                                 pod, container);
      return 0;
    }
  /* The image's user as the CRI reports it: none means root. */
  if (ulen == 0 || (parse_id (user, ulen, &uid) && uid == 0))
    return berth_error_make (err, 0,
                             "container has runAsNonRoot and image will run "
                             "as root (pod: \"%s\", container: %s)",
                             pod, container);
  if (!parse_id (user, ulen, &uid))
    return berth_error_make (err, 0,
                             "container has runAsNonRoot and image has "
                             "non-numeric user (%.*s), cannot verify user is "
                             "non-root (pod: \"%s\", container: %s)",
                             (int)ulen, user, pod, container);
  return 0;
}

uint64_t
security_default_caps (void)
{
  static const int caps[]
      = { CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
          CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
          CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
          CAP_KILL,    CAP_AUDIT_WRITE };
  uint64_t mask = 0;
  size_t i;

  for (i = 0; i < sizeof (caps) / sizeof (caps[0]); i++)
    mask |= UINT64_C (1) << caps[i];
  return mask;
}

uint64_t
security_all_caps (void)
{
  int last = (int)cap_max_bits () - 1;

  if (last < 0 || last > 63)
    last = CAP_LAST_CAP;
  return last == 63 ? UINT64_MAX : (UINT64_C (1) << (last + 1)) - 1;
}

static int
cap_by_name (const char *name, int *out, berth_error_t *err)
{
  cleanup_free char *full = NULL;
  cap_value_t v;
  size_t i;

  if (asprintf (&full, "%s%s", strncasecmp (name, "CAP_", 4) ? "cap_" : "",
                name)
      < 0)
    abort ();
  for (i = 0; full[i]; i++)
    full[i] = tolower ((unsigned char)full[i]);
  if (cap_from_name (full, &v) < 0 || v < 0 || v > 63)
    return berth_error_make (err, EINVAL, "unknown capability \"%s\"", name);
  *out = v;
  return 0;
}

int
security_caps_compute (bool privileged, const char *const *add, size_t add_len,
                       const char *const *drop, size_t drop_len, uint64_t *mask,
                       berth_error_t *err)
{
  uint64_t m = security_default_caps ();
  size_t i;
  int c;

  if (privileged)
    {
      *mask = security_all_caps ();
      return 0;
    }
  for (i = 0; i < add_len; i++)
    if (strcasecmp (add[i], "ALL") == 0)
      m = security_all_caps ();
  for (i = 0; i < drop_len; i++)
    if (strcasecmp (drop[i], "ALL") == 0)
      m = 0;
  for (i = 0; i < add_len; i++)
    if (strcasecmp (add[i], "ALL") != 0)
      {
        if (cap_by_name (add[i], &c, err) < 0)
          return berth_error_wrap (err, "capabilities.add[%zu]", i);
        m |= UINT64_C (1) << c;
      }
  for (i = 0; i < drop_len; i++)
    if (strcasecmp (drop[i], "ALL") != 0)
      {
        if (cap_by_name (drop[i], &c, err) < 0)
          return berth_error_wrap (err, "capabilities.drop[%zu]", i);
        m &= ~(UINT64_C (1) << c);
      }
  *mask = m & security_all_caps ();
  return 0;
}

static int
set_caps (uint64_t caps, berth_error_t *err)
{
  cap_t c = cap_init ();
  int i, last = (int)cap_max_bits () - 1, ret = 0;

  if (c == NULL)
    return berth_error_sys (err, errno, "cap_init");
  for (i = 0; i <= last && i < 64; i++)
    if (caps & (UINT64_C (1) << i))
      {
        cap_value_t v = i;
        if (cap_set_flag (c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0
            || cap_set_flag (c, CAP_PERMITTED, 1, &v, CAP_SET) < 0)
          ret = berth_error_sys (err, errno, "cap_set_flag %d", i);
      }
  if (ret == 0 && cap_set_proc (c) < 0)
    ret = berth_error_sys (err, errno, "set capabilities");
  cap_free (c);
  return ret;
}

int
security_apply_identity (const struct security_user *u, uint64_t caps,
                         berth_error_t *err)
{
  int i, last = (int)cap_max_bits () - 1;

  for (i = 0; i <= last && i < 64; i++)
    if (!(caps & (UINT64_C (1) << i)) && cap_drop_bound (i) < 0
        && errno != EINVAL)
      return berth_error_sys (err, errno,
                              "drop capability %d from the "
                              "bounding set",
                              i);
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_error_sys (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setgroups (u->groups_len, u->groups) < 0)
    return berth_error_sys (err, errno, "setgroups");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return berth_error_sys (err, errno, "setgid %u", (unsigned)u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return berth_error_sys (err, errno, "setuid %u", (unsigned)u->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_error_sys (err, errno, "prctl PR_SET_KEEPCAPS");
  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return berth_error_sys (err, errno, "clear ambient capabilities");
  return set_caps (caps, err);
}

int
security_set_no_new_privs (berth_error_t *err)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_error_sys (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

int
security_apply_rlimits (const struct security_rlimit *r, size_t n,
                        berth_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      struct rlimit rl = { r[i].soft, r[i].hard };
      if (setrlimit (r[i].resource, &rl) < 0)
        return berth_error_sys (err, errno, "setrlimit %d", r[i].resource);
    }
  return 0;
}
