/* image_store.c - see image_store.h: the store's directories, lock, refs,
 * blobs, image infos, lookup, list, remove and garbage collection.  The
 * importers are in image_import.c. */
#include "image_store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "image_store_internal.h"
#include "node.h"
#include "oci_image.h"

#define REFS_FILE "refs.json"

/* --- files ------------------------------------------------------------- */

static int
rm_chmod_cb (const char *p, const struct stat *st, int type, struct FTW *f)
{
  (void)f;
  if (type == FTW_D && (st->st_mode & 0700) != 0700)
    chmod (p, (st->st_mode & 07777) | 0700);
  return 0;
}

static int
rm_cb (const char *p, const struct stat *st, int type, struct FTW *f)
{
  (void)st;
  (void)f;
  if (type == FTW_DP)
    return rmdir (p) < 0 ? -1 : 0;
  return unlink (p) < 0 ? -1 : 0;
}

int
image_store_rm_rf (const char *path, berth_error_t *err)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : berth_error_sys (err, errno, "%s", path);
  if (!S_ISDIR (st.st_mode))
    return unlink (path) < 0 ? berth_error_sys (err, errno, "unlink %s", path)
                             : 0;
  if (geteuid () != 0)
    nftw (path, rm_chmod_cb, 16, FTW_PHYS);
  if (nftw (path, rm_cb, 16, FTW_PHYS | FTW_DEPTH) < 0)
    return berth_error_sys (err, errno, "remove %s", path);
  return 0;
}

int
image_store_mktemp (struct image_store *s, const char *prefix, char **out,
                    berth_error_t *err)
{
  char *p = NULL;

  if (asprintf (&p, "%s/tmp/%s-XXXXXX", s->dir, prefix) < 0)
    return berth_error_sys (err, ENOMEM, "mkdtemp");
  if (mkdtemp (p) == NULL)
    {
      int e = errno;
      free (p);
      return berth_error_sys (err, e, "mkdtemp in %s/tmp", s->dir);
    }
  *out = p;
  return 0;
}

int
image_store_write_atomic (struct image_store *s, const char *rel,
                          const char *buf, size_t len, berth_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  size_t done = 0;

  if (asprintf (&tmp, "tmp/.%s.%d",
                strrchr (rel, '/') ? strrchr (rel, '/') + 1 : rel, getpid ())
      < 0)
    return berth_error_sys (err, ENOMEM, "write %s", rel);
  fd = openat (s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s/%s", s->dir, tmp);
  while (done < len)
    {
      ssize_t n = write (fd, buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error_sys (err, errno, "write %s/%s", s->dir, tmp);
      done += n;
    }
  if (fsync (fd) < 0)
    return berth_error_sys (err, errno, "fsync %s/%s", s->dir, tmp);
  if (renameat (s->dirfd, tmp, s->dirfd, rel) < 0)
    return berth_error_sys (err, errno, "rename to %s/%s", s->dir, rel);
  return 0;
}

/* --- open, lock -------------------------------------------------------- */

int
image_store_open (const char *root, struct image_store **out,
                  berth_error_t *err)
{
  static const char *const subdirs[]
      = { "blobs", "blobs/sha256", "layers", "tmp" };
  cleanup_free char *dir = NULL;
  struct image_store *s;
  int ret;

  if (asprintf (&dir, "%s/images", root ? root : IMAGE_STORE_DEFAULT_ROOT) < 0)
    return berth_error_sys (err, ENOMEM, "open image store");
  ret = fs_mkdir_p (dir, 0711, err);
  if (ret < 0)
    return berth_error_wrap (err, "open image store");
  s = calloc (1, sizeof (*s));
  if (s == NULL)
    return berth_error_sys (err, ENOMEM, "open image store");
  s->dirfd = s->lockfd = -1;
  s->dir = realpath (dir, NULL);
  if (s->dir == NULL)
    {
      ret = berth_error_sys (err, errno, "open image store: %s", dir);
      goto fail;
    }
  s->dirfd = open (s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0)
    {
      ret = berth_error_sys (err, errno, "open image store: %s", s->dir);
      goto fail;
    }
  for (size_t i = 0; i < sizeof (subdirs) / sizeof (subdirs[0]); i++)
    if (mkdirat (s->dirfd, subdirs[i], 0700) < 0 && errno != EEXIST)
      {
        ret = berth_error_sys (err, errno, "open image store: mkdir %s/%s",
                               s->dir, subdirs[i]);
        goto fail;
      }
  s->lockfd = openat (s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lockfd < 0)
    {
      ret = berth_error_sys (err, errno, "open image store: %s/lock", s->dir);
      goto fail;
    }
  *out = s;
  return 0;
fail:
  image_store_close (s);
  return ret;
}

void
image_store_close (struct image_store *s)
{
  if (s == NULL)
    return;
  if (s->dirfd >= 0)
    close (s->dirfd);
  if (s->lockfd >= 0)
    close (s->lockfd);
  free (s->dir);
  free (s);
}

const char *
image_store_dir (const struct image_store *s)
{
  return s->dir;
}

static int
clear_tmp (struct image_store *s, berth_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = openat (s->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return berth_error_sys (err, errno, "open %s/tmp", s->dir);
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      int ret;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&p, "%s/tmp/%s", s->dir, de->d_name) < 0)
        return berth_error_sys (err, ENOMEM, "clear tmp");
      ret = image_store_rm_rf (p, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
image_store_lock (struct image_store *s, bool exclusive, berth_error_t *err)
{
  int ret;

  while (flock (s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return berth_error_sys (err, errno, "lock %s/lock", s->dir);
  if (!exclusive)
    return 0;
  ret = clear_tmp (s, err);
  if (ret < 0)
    image_store_unlock (s);
  return ret;
}

void
image_store_unlock (struct image_store *s)
{
  flock (s->lockfd, LOCK_UN);
}

/* --- refs -------------------------------------------------------------- */

struct refs
{
  size_t n;
  char **names;
  char **digests;
};

static void
refs_clear (struct refs *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      free (r->names[i]);
      free (r->digests[i]);
    }
  free (r->names);
  free (r->digests);
  memset (r, 0, sizeof (*r));
}

static int
refs_add (struct refs *r, const char *name, const char *digest)
{
  char **nn = realloc (r->names, (r->n + 1) * sizeof (char *));
  char **nd;

  if (nn == NULL)
    return -1;
  r->names = nn;
  nd = realloc (r->digests, (r->n + 1) * sizeof (char *));
  if (nd == NULL)
    return -1;
  r->digests = nd;
  r->names[r->n] = strdup (name);
  r->digests[r->n] = strdup (digest);
  r->n++;
  return 0;
}

static int
refs_read (struct image_store *s, struct refs *out, berth_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  struct node_stream st = { 0 };
  struct node *map;
  size_t len;
  int ret;

  memset (out, 0, sizeof (*out));
  fd = openat (s->dirfd, REFS_FILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT
               ? 0
               : berth_error_sys (err, errno, "open %s/" REFS_FILE, s->dir);
  ret = oci_read_fd (fd, REFS_FILE, &buf, &len, err);
  if (ret == 0)
    ret = node_stream_read (buf, len, &st, err);
  if (ret < 0)
    return berth_error_wrap (err, "%s/" REFS_FILE, s->dir);
  map = st.len == 1 && st.docs[0] && st.docs[0]->kind == NODE_MAP
            ? node_map_get (st.docs[0], "refs")
            : NULL;
  for (size_t i = 0; map && map->kind == NODE_MAP && i < map->len; i++)
    {
      struct node *v = map->pairs[i].value;
      if (v->kind == NODE_SCALAR && image_ref_digest_problem (v->text) == NULL)
        refs_add (out, map->pairs[i].key->text, v->text);
    }
  node_stream_free (&st);
  return 0;
}

static int
refs_write (struct image_store *s, const struct refs *r, berth_error_t *err)
{
  struct node *root = node_new_map (), *map = node_new_map ();
  cleanup_free char *json = NULL;
  size_t len;
  int ret;

  for (size_t i = 0; i < r->n; i++)
    node_map_set_str (map, r->names[i], r->digests[i]);
  node_map_set (root, "refs", map);
  ret = node_write_json (root, true, &json, &len, err);
  node_unref (root);
  if (ret < 0)
    return ret;
  return image_store_write_atomic (s, REFS_FILE, json, len, err);
}

static ssize_t
refs_find (const struct refs *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->names[i], name) == 0)
      return i;
  return -1;
}

int
image_store_set_ref (struct image_store *s, const char *ref,
                     const char *manifest_digest, berth_error_t *err)
{
  struct refs r;
  ssize_t i;
  int ret = refs_read (s, &r, err);

  if (ret < 0)
    return ret;
  i = refs_find (&r, ref);
  if (i >= 0)
    {
      free (r.digests[i]);
      r.digests[i] = strdup (manifest_digest);
    }
  else
    refs_add (&r, ref, manifest_digest);
  ret = refs_write (s, &r, err);
  refs_clear (&r);
  return ret;
}

/* --- blobs and infos --------------------------------------------------- */

static int
blob_rel (const char *digest, char **out, berth_error_t *err)
{
  const char *why = image_ref_digest_problem (digest);

  if (why != NULL)
    return berth_error_make (err, EINVAL, "digest \"%s\": %s", digest, why);
  if (strncmp (digest, "sha256:", 7) != 0)
    return berth_error_make (err, ENOTSUP,
                             "digest \"%s\": only sha256 is "
                             "supported",
                             digest);
  if (asprintf (out, "blobs/sha256/%s", digest + 7) < 0)
    return berth_error_sys (err, ENOMEM, "blob %s", digest);
  return 0;
}

int
image_store_put_blob (struct image_store *s, const char *digest,
                      const char *buf, size_t len, berth_error_t *err)
{
  cleanup_free char *rel = NULL;
  int ret = blob_rel (digest, &rel, err);

  if (ret < 0)
    return ret;
  if (faccessat (s->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  return image_store_write_atomic (s, rel, buf, len, err);
}

/* Read the blob DIGEST; with VERIFY, check it still has that digest.  A
 * container start trusts the store, as containerd's does (blobs are
 * verified when they come in, and by `image ls` and the GC): hashing
 * there would cost the start libcrypto's initialization. */
static int
read_blob (struct image_store *s, const char *digest, bool verify, char **out,
           size_t *len, berth_error_t *err)
{
  cleanup_free char *rel = NULL, *buf = NULL;
  cleanup_close int fd = -1;
  char got[OCI_DIGEST_LEN];
  int ret = blob_rel (digest, &rel, err);

  if (ret < 0)
    return ret;
  fd = openat (s->dirfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "blob %s: %s/%s", digest, s->dir, rel);
  ret = oci_read_fd (fd, rel, &buf, len, err);
  if (ret == 0 && verify)
    ret = oci_digest_buf (buf, *len, got, err);
  if (ret < 0)
    return ret;
  if (verify && strcmp (got, digest) != 0)
    return berth_error_make (err, EIO, "blob %s: %s/%s is damaged (%s)", digest,
                             s->dir, rel, got);
  *out = steal_pointer (&buf);
  return 0;
}

/* The manifest and config of an image in the store. */
static int
read_image (struct image_store *s, const char *manifest_digest, bool verify,
            struct oci_manifest *m, struct oci_config *c, size_t *mlen,
            berth_error_t *err)
{
  cleanup_free char *mbuf = NULL, *cbuf = NULL, *what = NULL;
  size_t clen;
  int ret = read_blob (s, manifest_digest, verify, &mbuf, mlen, err);

  if (ret == 0)
    ret = oci_manifest_parse (mbuf, *mlen, manifest_digest, m, err);
  if (ret < 0)
    return ret;
  if (m->is_index)
    {
      oci_manifest_clear (m);
      return berth_error_make (err, EINVAL, "%s: an index, not a manifest",
                               manifest_digest);
    }
  ret = read_blob (s, m->config.digest, verify, &cbuf, &clen, err);
  if (ret == 0)
    ret = oci_config_parse (cbuf, clen, m->config.digest, c, err);
  if (ret == 0 && c->n_diff_ids != m->n_layers)
    {
      oci_config_clear (c);
      ret = berth_error_make (err, EINVAL,
                              "config %s has %zu diff_ids for %zu layers",
                              m->config.digest, c->n_diff_ids, m->n_layers);
    }
  if (ret < 0)
    oci_manifest_clear (m);
  return ret;
}

void
image_info_free (struct image_info *i)
{
  if (i == NULL)
    return;
  free (i->ref);
  free (i->manifest_digest);
  free (i->config_digest);
  oci_strv_free (i->layers);
  oci_strv_free (i->entrypoint);
  oci_strv_free (i->cmd);
  oci_strv_free (i->env);
  free (i->working_dir);
  free (i->user);
  free (i);
}

void
image_info_list_free (struct image_info **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    image_info_free (v[i]);
  free (v);
}

int
image_info_lowerdir (const struct image_info *info, char **out,
                     berth_error_t *err)
{
  size_t len = 1;
  char *p;

  for (size_t i = 0; i < info->n_layers; i++)
    len += strlen (info->layers[i]) + 1;
  p = *out = calloc (1, len);
  if (p == NULL)
    return berth_error_sys (err, ENOMEM, "lowerdir");
  for (size_t i = info->n_layers; i-- > 0;)
    p = stpcpy (stpcpy (p, info->layers[i]), i ? ":" : "");
  return 0;
}

int
image_store_info_build (struct image_store *s, const char *ref,
                        const char *manifest_digest, bool verify,
                        struct image_info **out, berth_error_t *err)
{
  struct oci_manifest m = { 0 };
  struct oci_config c = { 0 };
  struct image_info *i;
  size_t mlen;
  int ret = read_image (s, manifest_digest, verify, &m, &c, &mlen, err);

  if (ret < 0)
    return berth_error_wrap (err, "image \"%s\"", ref);
  i = calloc (1, sizeof (*i));
  i->layers = calloc (m.n_layers + 1, sizeof (char *));
  i->ref = strdup (ref);
  i->manifest_digest = strdup (manifest_digest);
  i->config_digest = strdup (m.config.digest);
  i->size = mlen + m.config.size;
  i->n_layers = m.n_layers;
  for (size_t k = 0; k < m.n_layers; k++)
    {
      struct stat st;
      i->size += m.layers[k].size;
      if (asprintf (&i->layers[k], "%s/layers/%s", s->dir, c.diff_ids[k] + 7)
              < 0
          || stat (i->layers[k], &st) < 0)
        ret = berth_error_make (err, EIO,
                                "image \"%s\": layer %s is missing from "
                                "%s/layers: re-import the image",
                                ref, c.diff_ids[k], s->dir);
    }
  i->entrypoint = steal_pointer (&c.entrypoint);
  i->cmd = steal_pointer (&c.cmd);
  i->env = steal_pointer (&c.env);
  i->working_dir = steal_pointer (&c.working_dir);
  i->user = steal_pointer (&c.user);
  oci_manifest_clear (&m);
  oci_config_clear (&c);
  if (ret < 0)
    {
      image_info_free (i);
      return ret;
    }
  *out = i;
  return 0;
}

/* --- lookup, list, remove ---------------------------------------------- */

/* The index in R of what REF names: the exact ref, or for NAME@DIGEST any
 * ref of that repository whose manifest has that digest. */
static ssize_t
refs_resolve (const struct refs *r, const struct image_ref *ref)
{
  ssize_t i = refs_find (r, ref->full);
  size_t nl = strlen (ref->name);

  if (i >= 0 || ref->digest == NULL)
    return i;
  for (size_t k = 0; k < r->n; k++)
    if (strncmp (r->names[k], ref->name, nl) == 0
        && (r->names[k][nl] == ':' || r->names[k][nl] == '@')
        && strcmp (r->digests[k], ref->digest) == 0)
      return k;
  return -1;
}

int
image_store_lookup_locked (struct image_store *s, const char *ref,
                           struct image_info **out, berth_error_t *err)
{
  struct image_ref r = { 0 };
  struct refs refs = { 0 };
  ssize_t i;
  int ret = image_ref_parse (ref, &r, err);

  if (ret < 0)
    return ret;
  ret = refs_read (s, &refs, err);
  i = ret == 0 ? refs_resolve (&refs, &r) : -1;
  if (ret == 0 && i < 0)
    ret = berth_error_make (err, ENOENT,
                            "image \"%s\" not found: import it with "
                            "\"berth image import %s PATH\"",
                            r.full, ref);
  else if (ret == 0)
    ret = image_store_info_build (s, r.full, refs.digests[i], false, out, err);
  refs_clear (&refs);
  image_ref_clear (&r);
  return ret;
}

int
image_store_lookup (struct image_store *s, const char *ref,
                    struct image_info **out, berth_error_t *err)
{
  int ret = image_store_lock (s, false, err);

  if (ret < 0)
    return ret;
  ret = image_store_lookup_locked (s, ref, out, err);
  image_store_unlock (s);
  return ret;
}

static int
info_cmp (const void *a, const void *b)
{
  return strcmp ((*(struct image_info *const *)a)->ref,
                 (*(struct image_info *const *)b)->ref);
}

int
image_store_list (struct image_store *s, struct image_info ***out, size_t *n,
                  berth_error_t *err)
{
  struct refs refs = { 0 };
  struct image_info **v = NULL;
  size_t count = 0;
  int ret = image_store_lock (s, false, err);

  if (ret < 0)
    return ret;
  ret = refs_read (s, &refs, err);
  if (ret == 0)
    v = calloc (refs.n + 1, sizeof (*v));
  for (size_t i = 0; ret == 0 && i < refs.n; i++)
    {
      ret = image_store_info_build (s, refs.names[i], refs.digests[i], true,
                                    &v[count], err);
      if (ret == 0)
        count++;
    }
  image_store_unlock (s);
  refs_clear (&refs);
  if (ret < 0)
    {
      image_info_list_free (v, count);
      return ret;
    }
  qsort (v, count, sizeof (*v), info_cmp);
  *out = v;
  *n = count;
  return 0;
}

int
image_store_remove (struct image_store *s, const char *ref, berth_error_t *err)
{
  struct image_ref r = { 0 };
  struct refs refs = { 0 };
  ssize_t i;
  int ret = image_ref_parse (ref, &r, err);

  if (ret < 0)
    return ret;
  ret = image_store_lock (s, true, err);
  if (ret == 0)
    {
      ret = refs_read (s, &refs, err);
      i = ret == 0 ? refs_find (&refs, r.full) : -1;
      if (ret == 0 && i < 0)
        ret = berth_error_make (err, ENOENT, "image \"%s\" not found", r.full);
      if (ret == 0)
        {
          free (refs.names[i]);
          free (refs.digests[i]);
          refs.n--;
          memmove (&refs.names[i], &refs.names[i + 1],
                   (refs.n - i) * sizeof (char *));
          memmove (&refs.digests[i], &refs.digests[i + 1],
                   (refs.n - i) * sizeof (char *));
          ret = refs_write (s, &refs, err);
        }
      if (ret == 0)
        ret = image_store_gc_locked (s, err);
      image_store_unlock (s);
    }
  refs_clear (&refs);
  image_ref_clear (&r);
  return ret;
}

/* --- garbage collection ------------------------------------------------ */

struct keep
{
  size_t n;
  char **hex; /* blob and layer hex digests still needed */
};

static bool
keep_has (const struct keep *k, const char *hex)
{
  for (size_t i = 0; i < k->n; i++)
    if (strcmp (k->hex[i], hex) == 0)
      return true;
  return false;
}

static void
keep_add (struct keep *k, const char *digest)
{
  if (strncmp (digest, "sha256:", 7) != 0)
    return;
  char **nv = realloc (k->hex, (k->n + 1) * sizeof (char *));
  if (nv == NULL)
    return;
  k->hex = nv;
  k->hex[k->n++] = strdup (digest + 7);
}

static void
keep_layer (void *data, const char *diff_id)
{
  keep_add (data, diff_id);
}

static int
gc_dir (struct image_store *s, const char *sub, const struct keep *k,
        berth_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = openat (s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return berth_error_sys (err, errno, "gc: open %s/%s", s->dir, sub);
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL, *trash = NULL;
      int ret;
      if (de->d_name[0] == '.' || keep_has (k, de->d_name))
        continue;
      if (asprintf (&p, "%s/%s", sub, de->d_name) < 0
          || asprintf (&trash, "tmp/gc-%s", de->d_name) < 0)
        return berth_error_sys (err, ENOMEM, "gc");
      /* out of sight first: a half-removed layer never looks complete */
      if (renameat (s->dirfd, p, s->dirfd, trash) < 0)
        return berth_error_sys (err, errno, "gc: rename %s/%s", s->dir, p);
      free (p);
      if (asprintf (&p, "%s/%s", s->dir, trash) < 0)
        return berth_error_sys (err, ENOMEM, "gc");
      ret = image_store_rm_rf (p, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
image_store_gc_locked (struct image_store *s, berth_error_t *err)
{
  struct refs refs = { 0 };
  struct keep blobs = { 0 }, layers = { 0 };
  int ret = refs_read (s, &refs, err);

  for (size_t i = 0; ret == 0 && i < refs.n; i++)
    {
      struct oci_manifest m = { 0 };
      struct oci_config c = { 0 };
      size_t mlen;
      /* an unreadable image stops the collection: keep everything.  Not
       * verified: only its references matter here (the digests were
       * checked at import, and a start reads it unverified too), and a
       * pod's teardown should not load libcrypto to hash it */
      ret = read_image (s, refs.digests[i], false, &m, &c, &mlen, err);
      if (ret < 0)
        {
          berth_error_wrap (err, "gc: image \"%s\"", refs.names[i]);
          break;
        }
      keep_add (&blobs, refs.digests[i]);
      keep_add (&blobs, m.config.digest);
      for (size_t k = 0; k < c.n_diff_ids; k++)
        keep_add (&layers, c.diff_ids[k]);
      oci_manifest_clear (&m);
      oci_config_clear (&c);
    }
  /* layers under a running container stay, its image removed or not */
  if (ret == 0)
    ret = image_store_leased_layers (s, keep_layer, &layers, err);
  if (ret == 0)
    ret = gc_dir (s, "blobs/sha256", &blobs, err);
  if (ret == 0)
    ret = gc_dir (s, "layers", &layers, err);
  refs_clear (&refs);
  for (size_t i = 0; i < blobs.n; i++)
    free (blobs.hex[i]);
  for (size_t i = 0; i < layers.n; i++)
    free (layers.hex[i]);
  free (blobs.hex);
  free (layers.hex);
  return ret;
}

int
image_store_gc (struct image_store *s, berth_error_t *err)
{
  int ret = image_store_lock (s, true, err);

  if (ret < 0)
    return ret;
  ret = image_store_gc_locked (s, err);
  image_store_unlock (s);
  return ret;
}
