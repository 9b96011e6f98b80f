/* rootfs.c - see rootfs.h. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"

/* The kubelet's defaults (pkg/securitycontext/util.go, in sync with moby's
 * oci/defaults.go), sent to the runtime for the Default procMount. */
const char *const rootfs_masked_paths[] = {
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  NULL,
};
const char *const rootfs_readonly_paths[] = {
  "/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
  "/proc/sysrq-trigger", NULL,
};

/* PATH in the merged root, resolved as the container would (links stay
 * inside it: RESOLVE_IN_ROOT), made as a directory (or an empty file when
 * FILE) where missing.  *FD is an O_PATH fd on it, NAME its
 * "/proc/self/fd/N" for mount() and the *at-less calls. */
struct target
{
  int fd;
  char name[64];
};

static void
target_close (struct target *t)
{
  if (t->fd >= 0)
    close (t->fd);
  t->fd = -1;
}

#define cleanup_target __attribute__ ((cleanup (target_close)))

static int
open_in_root (int root, const char *path, int flags)
{
  struct open_how how
      = { .flags = O_PATH | O_CLOEXEC | flags, .resolve = RESOLVE_IN_ROOT };
  return syscall (SYS_openat2, root, path, &how, sizeof (how));
}

static int
make_component (int root, char *path, char *slash, bool file)
{
  const char *name;
  int parent, ret;

  if (slash != NULL)
    *slash = '\0';
  name = strrchr (path, '/');
  if (name == NULL)
    {
      parent = open_in_root (root, ".", O_DIRECTORY);
      name = path;
    }
  else
    {
      *(char *)name = '\0';
      parent = open_in_root (root, path, O_DIRECTORY);
      *(char *)name++ = '/';
    }
  if (parent < 0)
    ret = -1;
  else if (file)
    {
      ret = openat (parent, name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (ret >= 0)
        close (ret);
      ret = ret < 0 && errno != EEXIST ? -1 : 0;
    }
  else
    ret = mkdirat (parent, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  if (parent >= 0)
    close (parent);
  if (slash != NULL)
    *slash = '/';
  return ret;
}

static int
target_open (const struct rootfs_config *cfg, const char *path, bool file,
             struct target *t, berth_error_t *err)
{
  cleanup_close int root = -1;
  cleanup_free char *rel = NULL;
  char *s;

  t->fd = -1;
  while (*path == '/')
    path++;
  rel = strdup (*path ? path : ".");
  if (rel == NULL)
    abort ();
  root = open (cfg->merged_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berth_error_sys (err, errno, "open %s", cfg->merged_dir);
  t->fd = open_in_root (root, rel, 0);
  if (t->fd < 0 && errno == ENOENT)
    {
      for (s = strchr (rel, '/'); s; s = strchr (s + 1, '/'))
        if (make_component (root, rel, s, false) < 0)
          return berth_error_sys (err, errno, "mkdir /%.*s in the rootfs",
                                  (int)(s - rel), rel);
      if (make_component (root, rel, NULL, file) < 0)
        return berth_error_sys (err, errno, "create /%s in the rootfs", rel);
      t->fd = open_in_root (root, rel, 0);
    }
  if (t->fd < 0)
    return berth_error_sys (err, errno, "open /%s in the rootfs", rel);
  snprintf (t->name, sizeof (t->name), "/proc/self/fd/%d", t->fd);
  return 0;
}

static int
bind_mount (const char *src, const char *dst, bool readonly,
            const struct rootfs_config *cfg, berth_error_t *err)
{
  cleanup_target struct target t = { -1, "" };
  struct stat st;
  int ret;

  if (stat (src, &st) < 0)
    return berth_error_sys (err, errno, "stat %s", src);
  if (target_open (cfg, dst, !S_ISDIR (st.st_mode), &t, err) < 0)
    return -1;
  if (mount (src, t.name, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_error_sys (err, errno, "bind %s on %s", src, dst);
  if (!readonly)
    return 0;
  /* The new mount is on top: resolve the path again. */
  target_close (&t);
  ret = target_open (cfg, dst, false, &t, err);
  if (ret == 0
      && mount (NULL, t.name, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC,
                NULL)
             < 0)
    ret = berth_error_sys (err, errno, "remount %s read-only", dst);
  return ret;
}

int
rootfs_mount_overlay (const struct rootfs_config *cfg, berth_error_t *err)
{
  cleanup_free char *opts = NULL;
  size_t i, len = 64;
  char *p;

  if (cfg->lower_len == 0)
    return berth_error_make (err, EINVAL, "no image layers");
  for (i = 0; i < cfg->lower_len; i++)
    len += strlen (cfg->lower_dirs[i]) + 1;
  len += strlen (cfg->upper_dir) + strlen (cfg->work_dir);
  opts = malloc (len);
  if (opts == NULL)
    abort ();
  p = opts + sprintf (opts, "lowerdir=");
  /* overlayfs wants the top layer first. */
  for (i = cfg->lower_len; i-- > 0;)
    p += sprintf (p, "%s%s", cfg->lower_dirs[i], i ? ":" : "");
  sprintf (p, ",upperdir=%s,workdir=%s", cfg->upper_dir, cfg->work_dir);
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return berth_error_sys (err, errno, "make / private");
  if (mount ("overlay", cfg->merged_dir, "overlay", 0, opts) < 0)
    return berth_error_sys (err, errno, "mount overlay on %s (%s)",
                            cfg->merged_dir, opts);
  return 0;
}

/* Mount on PATH in the root (made if missing); T is the mount, opened. */
static int
mount_at (const struct rootfs_config *cfg, const char *path, const char *src,
          const char *type, unsigned long flags, const char *data,
          struct target *t, berth_error_t *err)
{
  if (target_open (cfg, path, false, t, err) < 0)
    return -1;
  if (mount (src, t->name, type, flags, data) < 0)
    return berth_error_sys (err, errno, "mount %s on %s", type ? type : src,
                            path);
  target_close (t);
  return target_open (cfg, path, false, t, err);
}

static int
setup_dev (const struct rootfs_config *cfg, berth_error_t *err)
{
  static const struct
  {
    const char *name;
    int major, minor;
  } devs[] = { { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
               { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 } };
  static const char *const links[][2] = { { "/proc/self/fd", "fd" },
                                          { "/proc/self/fd/0", "stdin" },
                                          { "/proc/self/fd/1", "stdout" },
                                          { "/proc/self/fd/2", "stderr" },
                                          { "pts/ptmx", "ptmx" } };
  cleanup_target struct target dev = { -1, "" };
  cleanup_target struct target t = { -1, "" };
  size_t i;

  if (mount_at (cfg, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                "mode=755,size=65536k", &dev, err)
      < 0)
    return -1;
  /* Everything below is in the fresh tmpfs, reached through its fd. */
  for (i = 0; i < sizeof (devs) / sizeof (devs[0]); i++)
    {
      if (mknodat (dev.fd, devs[i].name, S_IFCHR | 0666,
                   makedev (devs[i].major, devs[i].minor))
          < 0)
        return berth_error_sys (err, errno, "mknod /dev/%s", devs[i].name);
    }
  for (i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    if (symlinkat (links[i][0], dev.fd, links[i][1]) < 0)
      return berth_error_sys (err, errno, "symlink /dev/%s", links[i][1]);
  if (mount_at (cfg, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620,gid=5", &t, err)
      < 0)
    return -1;
  target_close (&t);
  if (mount_at (cfg, "/dev/mqueue", "mqueue", "mqueue",
                MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, &t, err)
      < 0)
    return -1;
  target_close (&t);
  if (cfg->shm_source != NULL)
    return bind_mount (cfg->shm_source, "/dev/shm", false, cfg, err);
  return mount_at (cfg, "/dev/shm", "shm", "tmpfs",
                   MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k",
                   &t, err);
}

/* PATH in the root when it exists (no creation); false when it does not. */
static bool
target_find (const struct rootfs_config *cfg, const char *path,
             struct target *t)
{
  cleanup_close int root
      = open (cfg->merged_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

  t->fd = root < 0 ? -1 : open_in_root (root, path + 1, 0);
  snprintf (t->name, sizeof (t->name), "/proc/self/fd/%d", t->fd);
  return t->fd >= 0;
}

static int
setup_proc_sys (const struct rootfs_config *cfg, berth_error_t *err)
{
  cleanup_target struct target t = { -1, "" };
  unsigned long ro = cfg->privileged ? 0 : MS_RDONLY;
  const unsigned long safe = MS_NOSUID | MS_NOEXEC | MS_NODEV;

  if (mount_at (cfg, "/proc", "proc", "proc", safe, NULL, &t, err) < 0)
    return -1;
  target_close (&t);
  if (target_open (cfg, "/sys", false, &t, err) < 0)
    return -1;
  /* sysfs of the container's network namespace, and the cgroup2 of its
   * cgroup namespace (the container's cgroup is its root). */
  if (mount ("sysfs", t.name, "sysfs", safe | ro, NULL) == 0)
    {
      target_close (&t);
      if (!target_find (cfg, "/sys/fs/cgroup", &t))
        return 0;
      if (mount ("cgroup2", t.name, "cgroup2", safe | ro, NULL) < 0)
        return berth_error_sys (err, errno,
                                "mount cgroup2 on "
                                "/sys/fs/cgroup");
      return 0;
    }
  /* Without a network namespace of its own: the host's, bound. */
  if (mount ("/sys", t.name, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_error_sys (err, errno, "bind /sys");
  target_close (&t);
  if (!ro || target_open (cfg, "/sys", false, &t, err) < 0)
    return ro ? -1 : 0;
  if (mount (NULL, t.name, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | safe, NULL)
      < 0)
    return berth_error_sys (err, errno, "remount /sys read-only");
  return 0;
}

static int
mask_paths (const struct rootfs_config *cfg, berth_error_t *err)
{
  struct stat st;
  size_t i;

  for (i = 0; rootfs_masked_paths[i]; i++)
    {
      cleanup_target struct target t = { -1, "" };
      const char *p = rootfs_masked_paths[i];
      if (!target_find (cfg, p, &t) || fstat (t.fd, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode)
              ? mount ("tmpfs", t.name, "tmpfs", MS_RDONLY, "size=0") < 0
              : mount ("/dev/null", t.name, NULL, MS_BIND, NULL) < 0)
        return berth_error_sys (err, errno, "mask %s", p);
    }
  for (i = 0; rootfs_readonly_paths[i]; i++)
    {
      cleanup_target struct target t = { -1, "" };
      const char *p = rootfs_readonly_paths[i];
      if (!target_find (cfg, p, &t))
        continue;
      if (mount (t.name, t.name, NULL, MS_BIND | MS_REC, NULL) < 0)
        return berth_error_sys (err, errno, "bind %s", p);
      target_close (&t);
      if (!target_find (cfg, p, &t)
          || mount (NULL, t.name, NULL,
                    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC
                        | MS_NODEV,
                    NULL)
                 < 0)
        return berth_error_sys (err, errno, "remount %s read-only", p);
    }
  return 0;
}

static int
extra_mounts (const struct rootfs_config *cfg, berth_error_t *err)
{
  size_t i;

  if (cfg->termination_log != NULL
      && bind_mount (cfg->termination_log,
                     cfg->termination_path ? cfg->termination_path
                                           : "/dev/termination-log",
                     false, cfg, err)
             < 0)
    return -1;
  for (i = 0; i < cfg->mounts_len; i++)
    {
      const struct rootfs_mount *m = &cfg->mounts[i];

      if (m->destination[0] != '/')
        return berth_error_make (err, EINVAL,
                                 "mount destination %s: not an absolute path",
                                 m->destination);
      if (bind_mount (m->source, m->destination, m->readonly, cfg, err) < 0)
        return -1;
    }
  return 0;
}

int
rootfs_setup (const struct rootfs_config *cfg, berth_error_t *err)
{
  if (setup_proc_sys (cfg, err) < 0 || setup_dev (cfg, err) < 0
      || extra_mounts (cfg, err) < 0)
    return -1;
  if (!cfg->privileged && mask_paths (cfg, err) < 0)
    return -1;
  if (chdir (cfg->merged_dir) < 0)
    return berth_error_sys (err, errno, "chdir %s", cfg->merged_dir);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return berth_error_sys (err, errno, "pivot_root %s", cfg->merged_dir);
  if (umount2 (".", MNT_DETACH) < 0)
    return berth_error_sys (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return berth_error_sys (err, errno, "chdir /");
  if (cfg->readonly_root
      && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    return berth_error_sys (err, errno, "remount / read-only");
  return 0;
}
