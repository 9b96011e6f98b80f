/* rootfs.h - the container's file system view.
 *
 * Owns, inside the container's fresh mount namespace: the overlayfs of the
 * image layers with a per-instance upper/work dir, /proc, /sys, a tmpfs /dev
 * with the minimal device set, /dev/pts, /dev/mqueue, /dev/shm, the
 * termination-log bind, the volume mounts, containerd's masked and
 * read-only paths, pivot_root(".", ".") and the read-only root.  Runs in
 * the container's init only; errors name the failing path.
 */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct rootfs_mount
{
  const char *source;      /* host path (bind) */
  const char *destination; /* absolute path in the container */
  bool readonly;
};

struct rootfs_config
{
  const char *const *lower_dirs; /* bottom layer first */
  size_t lower_len;
  const char *upper_dir;
  const char *work_dir;
  const char *merged_dir;
  bool readonly_root;
  bool privileged;              /* rw /sys, nothing masked */
  const char *shm_source;       /* the pod's /dev/shm, or NULL: own tmpfs */
  const char *termination_log;  /* host file for /dev/termination-log */
  const char *termination_path; /* its path in the container */
  const struct rootfs_mount *mounts;
  size_t mounts_len;
};

extern const char *const rootfs_masked_paths[];
extern const char *const rootfs_readonly_paths[];

/* Mount the overlay at merged_dir (the caller then resolves the user
 * against it). */
int rootfs_mount_overlay (const struct rootfs_config *cfg, berth_error_t *err);
/* Everything else, then pivot into merged_dir; the cwd is "/" after. */
int rootfs_setup (const struct rootfs_config *cfg, berth_error_t *err);

#endif
