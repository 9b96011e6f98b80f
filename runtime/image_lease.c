/* image_lease.c - leases on unpacked layers (see image_store.h).
 *
 * A lease is leases/GROUP/NAME in the store: {"owner": DIR, "layers":
 * [diff_id...]}, written when a container's image is looked up for a
 * start, under the same lock as the lookup, so an `image rm` either comes
 * before (the lookup fails) or sees the lease.  As containerd's leases on
 * snapshots: removing an image removes its name and its blobs, and the
 * layers stay while a lease names them.  A lease whose OWNER directory is
 * gone (its pod was deleted without releasing it, say after a crash) is
 * stale: the collection drops it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image_store_internal.h"
#include "node.h"
#include "oci_image.h"

#define LEASES "leases"

/* GROUP and NAME become file names: one path component each. */
static int
check_component (const char *what, const char *s, berth_error_t *err)
{
  if (s == NULL || *s == '\0' || *s == '.' || strchr (s, '/') != NULL)
    return berth_error_make (err, EINVAL, "lease %s \"%s\": not a file name",
                             what, s ? s : "");
  return 0;
}

static int
lease_write (struct image_store *s, const char *group, const char *name,
             const char *owner, const struct image_info *info,
             berth_error_t *err)
{
  cleanup_free char *rel = NULL, *json = NULL;
  struct node *root = node_new_map (), *layers = node_new_seq ();
  size_t len;
  int ret;

  for (size_t i = 0; i < info->n_layers; i++)
    {
      cleanup_free char *d = NULL;
      const char *hex = strrchr (info->layers[i], '/');
      if (asprintf (&d, "sha256:%s", hex ? hex + 1 : info->layers[i]) < 0)
        abort ();
      node_seq_append (layers, node_new_scalar (d, true));
    }
  node_map_set_str (root, "owner", owner);
  node_map_set (root, "layers", layers);
  ret = node_write_json (root, true, &json, &len, err);
  node_unref (root);
  if (ret < 0)
    return ret;
  if (asprintf (&rel, LEASES "/%s", group) < 0)
    abort ();
  if ((mkdirat (s->dirfd, LEASES, 0700) < 0 && errno != EEXIST)
      || (mkdirat (s->dirfd, rel, 0700) < 0 && errno != EEXIST))
    return berth_error_sys (err, errno, "mkdir %s/%s", s->dir, rel);
  free (rel);
  if (asprintf (&rel, LEASES "/%s/%s", group, name) < 0)
    abort ();
  return image_store_write_atomic (s, rel, json, len, err);
}

int
image_store_lookup_lease (struct image_store *s, const char *ref,
                          const char *group, const char *name,
                          const char *owner, struct image_info **out,
                          berth_error_t *err)
{
  cleanup_free char *abs = NULL;
  int ret;

  if (check_component ("group", group, err) < 0
      || check_component ("name", name, err) < 0)
    return -1;
  /* the collection tests the owner from wherever it runs */
  abs = realpath (owner, NULL);
  if (abs == NULL)
    return berth_error_sys (err, errno, "lease owner %s", owner);
  owner = abs;
  ret = image_store_lock (s, false, err);
  if (ret < 0)
    return ret;
  ret = image_store_lookup_locked (s, ref, out, err);
  if (ret == 0)
    {
      ret = lease_write (s, group, name, owner, *out, err);
      if (ret < 0)
        {
          image_info_free (*out);
          *out = NULL;
          berth_error_wrap (err, "lease the layers of \"%s\"", ref);
        }
    }
  image_store_unlock (s);
  return ret;
}

static void
rm_group (struct image_store *s, const char *group)
{
  cleanup_free char *path = NULL;
  berth_error_t e = NULL;

  if (asprintf (&path, "%s/" LEASES "/%s", s->dir, group) < 0)
    abort ();
  if (image_store_rm_rf (path, &e) < 0)
    berth_error_release (&e);
}

int
image_store_lease_release (struct image_store *s, const char *group,
                           berth_error_t *err)
{
  int ret;

  if (check_component ("group", group, err) < 0)
    return -1;
  ret = image_store_lock (s, true, err);
  if (ret < 0)
    return ret;
  rm_group (s, group);
  ret = image_store_gc_locked (s, err);
  image_store_unlock (s);
  return ret;
}

/* One lease file: its layers to FN, or unlinked when its owner is gone or
 * it cannot be read (a lease half-written is never seen: it is renamed
 * into place). */
static void
lease_scan_file (struct image_store *s, int gfd, const char *rel,
                 void (*fn) (void *, const char *), void *data)
{
  cleanup_free char *buf = NULL;
  cleanup_close int fd = openat (gfd, rel, O_RDONLY | O_CLOEXEC);
  struct node_stream st = { 0 };
  berth_error_t e = NULL;
  const struct node *owner = NULL, *layers = NULL;
  struct stat sb;
  size_t len;

  if (fd >= 0 && oci_read_fd (fd, rel, &buf, &len, &e) == 0
      && node_stream_read (buf, len, &st, &e) == 0 && st.len == 1 && st.docs[0]
      && st.docs[0]->kind == NODE_MAP)
    {
      owner = node_map_get (st.docs[0], "owner");
      layers = node_map_get (st.docs[0], "layers");
    }
  berth_error_release (&e);
  if (owner && owner->kind == NODE_SCALAR && stat (owner->text, &sb) == 0
      && layers && layers->kind == NODE_SEQ)
    {
      for (size_t i = 0; i < layers->len; i++)
        if (layers->items[i]->kind == NODE_SCALAR)
          fn (data, layers->items[i]->text);
    }
  else if (fd >= 0)
    unlinkat (gfd, rel, 0);
  node_stream_free (&st);
  (void)s;
}

int
image_store_leased_layers (struct image_store *s,
                           void (*fn) (void *, const char *), void *data,
                           berth_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = openat (s->dirfd, LEASES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return errno == ENOENT
               ? 0
               : berth_error_sys (err, errno, "open %s/" LEASES, s->dir);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return berth_error_sys (err, errno, "open %s/" LEASES, s->dir);
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_dir DIR *g = NULL;
      struct dirent *le;
      int gfd;
      if (de->d_name[0] == '.')
        continue;
      gfd = openat (fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (gfd < 0 || (g = fdopendir (gfd)) == NULL)
        {
          if (gfd >= 0)
            close (gfd);
          continue;
        }
      while ((le = readdir (g)) != NULL)
        if (le->d_name[0] != '.')
          lease_scan_file (s, gfd, le->d_name, fn, data);
      /* a group with no lease left goes (rmdir fails while one is there) */
      unlinkat (fd, de->d_name, AT_REMOVEDIR);
    }
  return 0;
}
