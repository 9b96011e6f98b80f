/* cgroup_host.c - see cgroup_host.h.  /proc/cgroups says, per controller,
 * whether it is bound to a cgroup v1 hierarchy (hierarchy id != 0) or
 * disabled (enabled 0, cgroup_disable=), which tells a hybrid host from a
 * cgroup v2 one that merely does not delegate the controllers. */
#include "cgroup_host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup_fs.h"
#include "cleanup.h"

static const char *const required[] = { "cpu", "memory", "pids" };
#define N_REQUIRED (sizeof (required) / sizeof (required[0]))

#define FIX_DELEGATE                                                           \
  "or run berth under a systemd unit with Delegate=yes "                       \
  "(contrib/systemd/berth.service)"
#define FIX_BOOT                                                               \
  "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2 only), or point "   \
  "the cgroup root into a cgroup2 mount"

int
cgroup_host_missing (const char *avail, char *buf, size_t size)
{
  int n = 0;
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < N_REQUIRED; i++)
    {
      if (avail != NULL && cgroup_fs_list_has (avail, required[i]))
        continue;
      int w = snprintf (buf + used, size - used, "%s%s", n ? ", " : "",
                        required[i]);
      if (w > 0 && (size_t)w < size - used)
        used += (size_t)w;
      n++;
    }
  return n;
}

/* From /proc/cgroups: the required controllers bound to cgroup v1 and those
 * disabled, as comma-separated lists. */
static void
v1_state (char *bound, size_t bsize, char *disabled, size_t dsize)
{
  cleanup_file FILE *f = fopen ("/proc/cgroups", "re");
  char line[256];
  bound[0] = disabled[0] = '\0';
  if (f == NULL)
    return;
  while (fgets (line, sizeof (line), f) != NULL)
    {
      char name[64];
      int hier, num, enabled;
      if (sscanf (line, "%63s %d %d %d", name, &hier, &num, &enabled) != 4)
        continue;
      for (size_t i = 0; i < N_REQUIRED; i++)
        {
          if (strcmp (name, required[i]) != 0)
            continue;
          char *buf = enabled == 0 ? disabled : hier != 0 ? bound : NULL;
          size_t size = enabled == 0 ? dsize : bsize;
          if (buf == NULL)
            continue;
          size_t used = strlen (buf);
          snprintf (buf + used, size - used, "%s%s", used ? ", " : "", name);
        }
    }
}

static const char *
fs_name (long type)
{
  switch (type)
    {
    case TMPFS_MAGIC:
      return "tmpfs";
    case CGROUP_SUPER_MAGIC:
      return "cgroup v1";
    case SYSFS_MAGIC:
      return "sysfs";
    default:
      return "a file system that is not cgroup2";
    }
}

/* ROOT is not on cgroup2: A, its nearest existing ancestor, is on TYPE. */
static int
not_v2 (const char *root, const char *a, long type, berth_error_t *err)
{
  char bound[64], disabled[64];
  v1_state (bound, sizeof (bound), disabled, sizeof (disabled));
  if (bound[0])
    return berth_error_make (
        err, ENOTSUP,
        "cgroup root %s: %s is on %s, not cgroup v2, and this host mounts "
        "cgroups in legacy or hybrid mode: controllers %s are bound to "
        "cgroup v1 hierarchies, so cpu, memory, pids are missing from "
        "cgroup v2; " FIX_BOOT,
        root, a, fs_name (type), bound);
  return berth_error_make (
      err, ENOTSUP,
      "cgroup root %s: %s is on %s, not cgroup v2: "
      "controllers cpu, memory, pids are missing; " FIX_BOOT,
      root, a, fs_name (type));
}

/* The nearest existing ancestor of PATH (or PATH), malloc'ed. */
static char *
existing_ancestor (const char *path)
{
  struct stat st;
  char *p = strdup (path);
  if (p == NULL)
    return NULL;
  while (stat (p, &st) < 0)
    {
      char *slash = strrchr (p, '/');
      if (slash == NULL)
        break;
      if (slash == p)
        {
          p[1] = '\0';
          break;
        }
      *slash = '\0';
    }
  return p;
}

static int
missing_in (const char *root, const char *a, int afd, const char *avail,
            berth_error_t *err)
{
  char missing[64], bound[64], disabled[64];
  cleanup_free char *parent = strdup (a);
  int n = cgroup_host_missing (avail, missing, sizeof (missing));
  if (n == 0)
    return 0;
  if (parent == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup root %s", root);
  char *slash = strrchr (parent, '/');
  if (slash != NULL && slash != parent)
    *slash = '\0';
  char shown[128];
  snprintf (shown, sizeof (shown), "%s", avail ? avail : "");
  shown[strcspn (shown, "\n")] = '\0';

  /* The top of the cgroup2 mount has no cgroup.type: nothing above it can
   * delegate, the kernel itself lacks the controllers. */
  if (faccessat (afd, "cgroup.type", F_OK, 0) < 0 && errno == ENOENT)
    {
      char why[192] = "";
      v1_state (bound, sizeof (bound), disabled, sizeof (disabled));
      if (bound[0])
        snprintf (why, sizeof (why),
                  "; %s bound to cgroup v1 hierarchies (hybrid mode)", bound);
      if (disabled[0])
        snprintf (why + strlen (why), sizeof (why) - strlen (why),
                  "; %s disabled (cgroup_disable= on the kernel command "
                  "line)",
                  disabled);
      return berth_error_make (
          err, ENOTSUP,
          "cgroup root %s: controller%s %s not available in cgroup v2 "
          "(%s/cgroup.controllers lists \"%s\")%s; " FIX_BOOT,
          root, n > 1 ? "s" : "", missing, a, shown, why);
    }
  return berth_error_make (
      err, ENOTSUP,
      "cgroup root %s: controller%s %s not available in %s "
      "(cgroup.controllers lists \"%s\"): enable %s in "
      "%s/cgroup.subtree_control "
      "(echo '+cpu +memory +pids' > %s/cgroup.subtree_control), " FIX_DELEGATE,
      root, n > 1 ? "s" : "", missing, a, shown, n > 1 ? "them" : "it", parent,
      parent);
}

int
cgroup_fs_check_host (const char *root, berth_error_t *err)
{
  struct statfs sfs;
  if (root[0] != '/')
    return berth_error_make (err, EINVAL,
                             "cgroup root %s: must be an absolute path", root);
  cleanup_free char *a = existing_ancestor (root);
  if (a == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup root %s", root);
  if (statfs (a, &sfs) < 0)
    return berth_error_sys (err, errno, "cgroup root %s: statfs %s", root, a);
  if (sfs.f_type != CGROUP2_SUPER_MAGIC)
    return not_v2 (root, a, (long)sfs.f_type, err);

  cleanup_close int fd = open (a, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "cgroup root %s: open %s", root, a);
  cleanup_free char *avail = NULL;
  if (cgroup_fs_read (fd, a, "cgroup.controllers", &avail, err) < 0)
    return berth_error_wrap (err, "cgroup root %s", root);
  return missing_in (root, a, fd, avail, err);
}

int
cgroup_host_explain_enable (int dirfd, const char *dir, const char *ctrls,
                            berth_error_t *err)
{
  int status = *err ? (*err)->status : 0;
  cleanup_free char *avail = NULL, *procs = NULL;
  berth_error_t ignored = NULL;
  char missing[64];

  if (cgroup_fs_read (dirfd, dir, "cgroup.controllers", &avail, &ignored) < 0
      || cgroup_fs_read (dirfd, dir, "cgroup.procs", &procs, &ignored) < 0)
    {
      berth_error_release (&ignored);
      return -1;
    }
  if (cgroup_host_missing (avail, missing, sizeof (missing)) > 0)
    return missing_in (dir, dir, dirfd, avail, err);
  /* EBUSY, or EOPNOTSUPP once a threaded controller made it a thread
   * root: a cgroup with processes cannot delegate domain controllers. */
  if ((status == EBUSY || status == EOPNOTSUPP) && procs[0] != '\0')
    return berth_error_make (
        err, status,
        "cannot write \"%s\" to %s/cgroup.subtree_control: %s has "
        "processes of its own (cgroup.procs), and cgroup v2 delegates "
        "controllers only from cgroups without processes (the \"no internal "
        "processes\" rule): move them into a leaf cgroup, " FIX_DELEGATE,
        ctrls, dir, dir);
  if (status == EACCES || status == EPERM || status == EROFS)
    return berth_error_make (err, status,
                             "cannot write \"%s\" to "
                             "%s/cgroup.subtree_control: permission denied; "
                             "run berth as root, " FIX_DELEGATE,
                             ctrls, dir);
  return -1;
}
