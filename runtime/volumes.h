/* volumes.h - a pod's volumes on the host side, ready to be bind-mounted
 * into its containers: emptyDir (tmpfs with medium Memory), hostPath with
 * the kubelet's type checks, configMap, secret (always on tmpfs, never on
 * disk), downwardAPI and projected volumes written with the kubelet's atomic
 * writer layout (<dir>/..data -> ..<timestamp>/, a symlink per top-level
 * entry), and safe subPath resolution.
 *
 * Layout: <pod dir>/volumes/kubernetes.io~<plugin>/<volume name>; hostPath
 * volumes are used in place.  ConfigMaps and Secrets come from the caller
 * through a lookup callback.  Owns nothing outside the pod dir except the
 * hostPath dirs and files that DirectoryOrCreate/FileOrCreate create.
 */
#ifndef BERTH_VOLUMES_H
#define BERTH_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "types.h"

struct volumes_lookup
{
  /* NULL when there is no such object. */
  const struct config_map *(*config_map) (void *ctx, const char *ns,
                                          const char *name);
  const struct secret *(*secret) (void *ctx, const char *ns, const char *name);
  void *ctx;
  /* The token of a serviceAccountToken projection (the kubelet's token
   * manager: see sa_token.h); NULL: such projections fail. */
  int (*sa_token) (void *ctx, const struct pod *pod,
                   const struct service_account_token_projection *p,
                   char **token, berth_error_t *err);
  void *sa_token_ctx;
};

struct volumes_volume
{
  char *name;
  char *path;    /* on the host */
  bool readonly; /* configMap, secret, downwardAPI, projected: mounted
                    read-only whatever the volumeMount says (the kubelet's
                    Mounter.GetAttributes().ReadOnly) */
};

struct volumes_set
{
  size_t len;
  struct volumes_volume *items;
};

/* Materialize every volume of POD under POD_DIR.  The first failing volume
 * is named in the error ("volume \"cfg\": configmap \"x\" not found").
 * Calling it again for the same pod updates the configMap, secret,
 * downwardAPI and projected files atomically (a new ..data); emptyDirs keep
 * their content. */
int volumes_setup (const char *pod_dir, const struct pod *pod,
                   const struct volumes_lookup *lookup, struct volumes_set *out,
                   berth_error_t *err);
/* The host path of volume NAME, or NULL. */
const char *volumes_find (const struct volumes_set *set, const char *name);
/* Whether volume NAME must be mounted read-only (see volumes_volume). */
bool volumes_readonly (const struct volumes_set *set, const char *name);
void volumes_set_clear (struct volumes_set *set);

/* Unmount the tmpfs volumes and delete <pod dir>/volumes.  Idempotent. */
int volumes_teardown (const char *pod_dir, berth_error_t *err);

/* One file of a configMap/secret/downwardAPI/projected volume. */
struct volumes_file
{
  char *path; /* relative, validated */
  char *data;
  size_t len;
  int mode;
};

/* Write FILES into DIR the way the kubelet's AtomicWriter does: a new
 * ..<timestamp> dir, ..data swapped to it by rename, symlinks for the
 * top-level names, the old data dir and stale symlinks removed. */
int volumes_atomic_write (const char *dir, const struct volumes_file *files,
                          size_t n, berth_error_t *err);

/* The content of a downwardAPI file (fieldRef or resourceFieldRef). */
int volumes_downward_value (const struct pod *pod,
                            const struct downward_api_file *f, char **out,
                            berth_error_t *err);

/* "k1=\"v1\"\nk2=\"v2\"" sorted by key, as fieldpath.FormatMap. */
char *volumes_format_map (const struct strmap *m);

/* Resolve SUB_PATH inside VOLUME_PATH, creating it as a directory when it
 * does not exist; the result never leaves the volume (symlinks included:
 * openat2 RESOLVE_BENEATH, or a walk refusing symlinks on old kernels). */
int volumes_resolve_subpath (const char *volume_path, const char *sub_path,
                             char **out, berth_error_t *err);

/* Unmount (lazily) every mount at or below DIR, deepest first. */
int volumes_unmount_under (const char *dir, berth_error_t *err);
/* rm -rf DIR without crossing mount points; a missing DIR is fine. */
int volumes_remove_tree (const char *dir, berth_error_t *err);

#endif
