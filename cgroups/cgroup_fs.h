/* cgroup_fs.h - berth's cgroup v2 hierarchy on disk.  Owns everything
 * under the berth root (default /sys/fs/cgroup/berth), laid out as the
 * kubelet lays out /kubepods with the cgroupfs driver:
 *
 *   ROOT/                         node allocatable ("kubepods")
 *   ROOT/pod<uid>/<container>     Guaranteed pods
 *   ROOT/burstable/pod<uid>/<container>
 *   ROOT/besteffort/pod<uid>/<container>
 *
 * Processes live only in the container leaves (cgroup v2's "no internal
 * processes" rule); every other level only delegates the cpu, memory and
 * pids controllers to its children through cgroup.subtree_control.  Writes
 * go through O_PATH directory fds (openat, O_CLOEXEC), crun-style, and a
 * failed write is diagnosed by reading cgroup.controllers.  The only file
 * outside the root that is ever written is the root's parent's
 * cgroup.subtree_control (to delegate the controllers to the root).
 */
#ifndef BERTH_CGROUP_FS_H
#define BERTH_CGROUP_FS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup_values.h"
#include "error.h"
#include "qos.h"

#define CGROUP_FS_DEFAULT_ROOT "/sys/fs/cgroup/berth"

/* The controllers berth needs, as written to cgroup.subtree_control. */
#define CGROUP_FS_CONTROLLERS "cpu memory pids"

struct cgroup_fs;

/* Whether ROOT can hold berth's hierarchy, without changing anything: the
 * nearest existing ancestor of ROOT (or ROOT) must be on a cgroup v2 file
 * system and have cpu, memory and pids in its cgroup.controllers.  On
 * failure the message names the missing controllers and how to get them
 * (boot with systemd.unified_cgroup_hierarchy=1, enable them in the
 * parent's cgroup.subtree_control, or run under a systemd unit with
 * Delegate=yes). */
int cgroup_fs_check_host (const char *root, berth_error_t *err);

/* Check the host, create ROOT (and missing parents) and its burstable/ and
 * besteffort/ children, delegating the controllers along the path. */
int cgroup_fs_open (const char *root, struct cgroup_fs **out,
                    berth_error_t *err);
void cgroup_fs_free (struct cgroup_fs *fs);

const char *cgroup_fs_root (const struct cgroup_fs *fs);

/* "pod<uid>", "burstable/pod<uid>" or "besteffort/pod<uid>" (malloc'ed).
 * NULL when UID could not be a directory name. */
char *cgroup_fs_pod_path (enum qos_class qos, const char *uid);

/* Write V into the root and the QoS cgroups. */
int cgroup_fs_apply_qos (struct cgroup_fs *fs,
                         const struct cgroup_qos_values *v, berth_error_t *err);

/* Create (or reuse) the pod's cgroup with values V and delegate the
 * controllers to its containers. */
int cgroup_fs_pod_create (struct cgroup_fs *fs, enum qos_class qos,
                          const char *uid, const struct cgroup_values *v,
                          berth_error_t *err);

/* Create (or reuse) a container's leaf cgroup under its pod, with V. */
int cgroup_fs_container_create (struct cgroup_fs *fs, enum qos_class qos,
                                const char *uid, const char *name,
                                const struct cgroup_values *v,
                                berth_error_t *err);

/* Write V into the existing cgroup REL (relative to the root). */
int cgroup_fs_apply (struct cgroup_fs *fs, const char *rel,
                     const struct cgroup_values *v, berth_error_t *err);

/* Move PID into the cgroup REL (a container leaf). */
int cgroup_fs_move (struct cgroup_fs *fs, const char *rel, pid_t pid,
                    berth_error_t *err);

/* Where the pod UID's cgroup is (under any QoS class): 1 and *REL
 * (malloc'ed) when found, 0 when there is none. */
int cgroup_fs_pod_find (struct cgroup_fs *fs, const char *uid, char **rel,
                        berth_error_t *err);

/* Remove the cgroup REL and everything below it: write 1 to cgroup.kill
 * (or SIGKILL the processes listed in cgroup.procs on kernels without it),
 * wait up to TIMEOUT_MS for cgroup.events to say "populated 0", then rmdir
 * the children and REL.  A missing REL is not an error. */
int cgroup_fs_remove (struct cgroup_fs *fs, const char *rel, int timeout_ms,
                      berth_error_t *err);

/* cgroup_fs_pod_find + cgroup_fs_remove: 1 when the pod's cgroup was
 * removed, 0 when there was none. */
int cgroup_fs_pod_remove (struct cgroup_fs *fs, const char *uid, int timeout_ms,
                          berth_error_t *err);

/* An O_PATH directory fd on REL ("" is the root). */
int cgroup_fs_open_dir (struct cgroup_fs *fs, const char *rel, int *fd,
                        berth_error_t *err);

/* Under systemd with Delegate=yes the agent's own cgroup (OWN, from
 * /proc/self/cgroup, below the cgroup2 mount MOUNT) is berth's to manage.
 * The no-internal-processes rule forbids delegating controllers from OWN
 * while it holds processes, so move every process of OWN into OWN/LEAF
 * (e.g. "agent") and return OWN/pods (malloc'ed) as the berth root.  When
 * the process already sits in a cgroup named LEAF (a second call, or
 * systemd's DelegateSubgroup=), OWN is its parent and nothing moves.
 * Fails when the process is in the root cgroup (nothing delegated). */
int cgroup_fs_delegated_root (const char *mount, const char *leaf, char **root,
                              berth_error_t *err);

/* ---- interface files, for the other cgroup modules ---- */

/* Write VALUE to FILE in the cgroup directory DIRFD (named DIR in
 * messages).  When the write fails and FILE belongs to a controller that
 * DIR's cgroup.controllers does not list, the error says so. */
int cgroup_fs_write (int dirfd, const char *dir, const char *file,
                     const char *value, berth_error_t *err);

/* Read FILE in DIRFD whole (NUL-terminated, malloc'ed).  cgroup_fs_read_opt
 * returns 0 with *OUT = NULL when the file does not exist (older kernels,
 * controllers not enabled). */
int cgroup_fs_read (int dirfd, const char *dir, const char *file, char **out,
                    berth_error_t *err);
int cgroup_fs_read_opt (int dirfd, const char *dir, const char *file,
                        char **out, berth_error_t *err);

/* Whether the space-separated LIST (cgroup.controllers) holds WORD. */
bool cgroup_fs_list_has (const char *list, const char *word);

#endif
