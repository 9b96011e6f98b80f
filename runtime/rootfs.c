/* rootfs.c - see rootfs.h. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
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

static char *
in_root (const struct rootfs_config *cfg, const char *path)
{
  char *r;

  if (asprintf (&r, "%s%s%s", cfg->merged_dir, path[0] == '/' ? "" : "/", path)
      < 0)
    abort ();
  return r;
}

static int
do_mount (const char *src, const char *dst, const char *type,
          unsigned long flags, const char *data, berth_error_t *err)
{
  if (mount (src, dst, type, flags, data) < 0)
    return berth_error_sys (err, errno, "mount %s on %s",
                            type ? type : (src ? src : "none"), dst);
  return 0;
}

/* mkdir -p PATH (under the merged root, which the caller already joined). */
static int
mkdir_p (const char *path, mode_t mode, berth_error_t *err)
{
  cleanup_free char *p = strdup (path);
  char *s;

  if (p == NULL)
    abort ();
  for (s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, mode) < 0 && errno != EEXIST)
          return berth_error_sys (err, errno, "mkdir %s", p);
        *s = '/';
      }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return berth_error_sys (err, errno, "mkdir %s", p);
  return 0;
}

/* Create DST as a directory or an empty file, like SRC. */
static int
make_target (const char *src, const char *dst, berth_error_t *err)
{
  struct stat st;
  cleanup_free char *parent = strdup (dst);
  char *slash;
  int fd;

  if (parent == NULL)
    abort ();
  if (stat (src, &st) < 0)
    return berth_error_sys (err, errno, "stat %s", src);
  if (S_ISDIR (st.st_mode))
    return mkdir_p (dst, 0755, err);
  slash = strrchr (parent, '/');
  if (slash != NULL && slash != parent)
    {
      *slash = '\0';
      if (mkdir_p (parent, 0755, err) < 0)
        return -1;
    }
  fd = open (dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EEXIST && errno != EISDIR)
    return berth_error_sys (err, errno, "create %s", dst);
  if (fd >= 0)
    close (fd);
  return 0;
}

static int
bind_mount (const char *src, const char *dst, bool readonly, berth_error_t *err)
{
  int ret = make_target (src, dst, err);
  if (ret < 0)
    return ret;
  ret = do_mount (src, dst, NULL, MS_BIND | MS_REC, NULL, err);
  if (ret == 0 && readonly)
    ret = do_mount (NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC,
                    NULL, err);
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
  cleanup_free char *dev = in_root (cfg, "/dev");
  char path[4096];
  size_t i;

  if (mkdir_p (dev, 0755, err) < 0
      || do_mount ("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME,
                   "mode=755,size=65536k", err)
             < 0)
    return -1;
  for (i = 0; i < sizeof (devs) / sizeof (devs[0]); i++)
    {
      snprintf (path, sizeof (path), "%s/%s", dev, devs[i].name);
      if (mknod (path, S_IFCHR | 0666, makedev (devs[i].major, devs[i].minor))
          < 0)
        return berth_error_sys (err, errno, "mknod %s", path);
      chmod (path, 0666);
    }
  for (i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    {
      snprintf (path, sizeof (path), "%s/%s", dev, links[i][1]);
      if (symlink (links[i][0], path) < 0)
        return berth_error_sys (err, errno, "symlink %s", path);
    }
  snprintf (path, sizeof (path), "%s/pts", dev);
  if (mkdir_p (path, 0755, err) < 0
      || do_mount ("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
                   "newinstance,ptmxmode=0666,mode=0620,gid=5", err)
             < 0)
    return -1;
  snprintf (path, sizeof (path), "%s/mqueue", dev);
  if (mkdir_p (path, 0755, err) < 0
      || do_mount ("mqueue", path, "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                   NULL, err)
             < 0)
    return -1;
  snprintf (path, sizeof (path), "%s/shm", dev);
  if (cfg->shm_source != NULL)
    return bind_mount (cfg->shm_source, path, false, err);
  if (mkdir_p (path, 01777, err) < 0)
    return -1;
  return do_mount ("shm", path, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                   "mode=1777,size=65536k", err);
}

static int
setup_proc_sys (const struct rootfs_config *cfg, berth_error_t *err)
{
  cleanup_free char *proc = in_root (cfg, "/proc");
  cleanup_free char *sys = in_root (cfg, "/sys");
  unsigned long ro = cfg->privileged ? 0 : MS_RDONLY;

  if (mkdir_p (proc, 0555, err) < 0
      || do_mount ("proc", proc, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL,
                   err)
             < 0)
    return -1;
  if (mkdir_p (sys, 0555, err) < 0)
    return -1;
  /* sysfs of the container's network namespace. */
  if (mount ("sysfs", sys, "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | ro, NULL)
      == 0)
    return 0;
  /* Without a network namespace of its own: the host's, bound. */
  if (do_mount ("/sys", sys, NULL, MS_BIND | MS_REC, NULL, err) < 0)
    return -1;
  return ro ? do_mount (NULL, sys, NULL,
                        MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC
                            | MS_NODEV,
                        NULL, err)
            : 0;
}

static int
mask_paths (const struct rootfs_config *cfg, berth_error_t *err)
{
  struct stat st;
  size_t i;

  for (i = 0; rootfs_masked_paths[i]; i++)
    {
      cleanup_free char *p = in_root (cfg, rootfs_masked_paths[i]);
      if (lstat (p, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (do_mount ("tmpfs", p, "tmpfs", MS_RDONLY, "size=0", err) < 0)
            return -1;
        }
      else if (do_mount ("/dev/null", p, NULL, MS_BIND, NULL, err) < 0)
        return -1;
    }
  for (i = 0; rootfs_readonly_paths[i]; i++)
    {
      cleanup_free char *p = in_root (cfg, rootfs_readonly_paths[i]);
      if (lstat (p, &st) < 0)
        continue;
      if (do_mount (p, p, NULL, MS_BIND | MS_REC, NULL, err) < 0
          || do_mount (NULL, p, NULL,
                       MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC
                           | MS_NODEV,
                       NULL, err)
                 < 0)
        return -1;
    }
  return 0;
}

static int
extra_mounts (const struct rootfs_config *cfg, berth_error_t *err)
{
  size_t i;

  if (cfg->termination_log != NULL)
    {
      cleanup_free char *p
          = in_root (cfg, cfg->termination_path ? cfg->termination_path
                                                : "/dev/termination-log");
      if (bind_mount (cfg->termination_log, p, false, err) < 0)
        return -1;
    }
  for (i = 0; i < cfg->mounts_len; i++)
    {
      const struct rootfs_mount *m = &cfg->mounts[i];
      cleanup_free char *p = NULL;

      if (m->destination[0] != '/' || strstr (m->destination, "/../")
          || (strlen (m->destination) >= 3
              && strcmp (m->destination + strlen (m->destination) - 3, "/..")
                     == 0))
        return berth_error_make (err, EINVAL,
                                 "mount destination %s: not a clean "
                                 "absolute path",
                                 m->destination);
      p = in_root (cfg, m->destination);
      if (bind_mount (m->source, p, m->readonly, err) < 0)
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
