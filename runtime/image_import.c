/* image_import.c - importing images into the store (see image_store.h):
 * the generic importer driven by a fetcher, and the fetchers of OCI image
 * layouts and `docker save` archives, plus unpacking archives of either. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image_store_internal.h"
#include "layer_unpack.h"
#include "oci_image.h"

/* Fetch the document DIGEST whole and check its digest (and SIZE, >= 0). */
static int
fetch_doc (const struct image_fetcher *f, const char *what, const char *digest,
           int64_t size, char **out, size_t *len, berth_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  char got[OCI_DIGEST_LEN];
  int ret;

  fd = f->open_blob (f->data, digest, err);
  if (fd < 0)
    return berth_error_wrap (err, "%s %s", what, digest);
  ret = oci_read_fd (fd, what, &buf, len, err);
  if (ret == 0)
    ret = oci_digest_buf (buf, *len, got, err);
  if (ret < 0)
    return ret;
  if (strcmp (got, digest) != 0)
    return berth_error_make (err, EINVAL,
                             "%s %s: digest mismatch: the content is %s", what,
                             digest, got);
  if (size >= 0 && (int64_t)*len != size)
    return berth_error_make (err, EINVAL,
                             "%s %s: size is %zu bytes, the descriptor says "
                             "%lld",
                             what, digest, *len, (long long)size);
  *out = steal_pointer (&buf);
  return 0;
}

/* The manifest of INDEX for this machine (linux and its architecture), or
 * its only manifest. */
static const struct oci_descriptor *
index_pick (const struct oci_manifest *index)
{
  if (index->n_manifests == 1)
    return &index->manifests[0];
  for (size_t i = 0; i < index->n_manifests; i++)
    {
      const struct oci_descriptor *d = &index->manifests[i];
      if (d->os && strcmp (d->os, "linux") == 0 && d->arch
          && strcmp (d->arch, oci_host_arch ()) == 0)
        return d;
    }
  return NULL;
}

/* Fetch and parse the manifest DIGEST, following an index to this
 * platform's manifest.  *DIGEST_OUT is the manifest's own digest. */
static int
fetch_manifest (const struct image_fetcher *f, const char *digest,
                struct oci_manifest *m, char **buf, size_t *len,
                char **digest_out, berth_error_t *err)
{
  struct oci_manifest index = { 0 };
  const struct oci_descriptor *d;
  int ret = fetch_doc (f, "manifest", digest, -1, buf, len, err);

  if (ret == 0)
    ret = oci_manifest_parse (*buf, *len, digest, m, err);
  if (ret < 0)
    return ret;
  *digest_out = strdup (digest);
  if (!m->is_index)
    return 0;
  index = *m;
  memset (m, 0, sizeof (*m));
  d = index_pick (&index);
  if (d == NULL)
    ret = berth_error_make (err, ENOENT,
                            "index %s has no manifest for linux/%s", digest,
                            oci_host_arch ());
  free (*buf);
  *buf = NULL;
  free (*digest_out);
  *digest_out = d ? strdup (d->digest) : NULL;
  if (ret == 0)
    ret = fetch_doc (f, "manifest", d->digest, d->size, buf, len, err);
  if (ret == 0)
    ret = oci_manifest_parse (*buf, *len, d->digest, m, err);
  if (ret == 0 && m->is_index)
    ret = berth_error_make (err, ENOTSUP,
                            "%s: nested indexes are not "
                            "supported",
                            d->digest);
  oci_manifest_clear (&index);
  return ret;
}

/* Unpack layer I unless the store has it (by diff_id). */
static int
ensure_layer (struct image_store *s, const struct image_fetcher *f,
              const struct oci_descriptor *d, const char *diff_id,
              berth_error_t *err)
{
  cleanup_free char *rel = NULL, *tmp = NULL, *label = NULL;
  cleanup_close int fd = -1, tfd = -1;
  struct layer_unpack_opts o = { 0 };
  const char *why = oci_layer_media_type_problem (d->media_type);
  int ret;

  if (why != NULL)
    return berth_error_make (err, ENOTSUP, "layer %s: %s: %s", d->digest,
                             d->media_type, why);
  if (asprintf (&rel, "layers/%s", diff_id + 7) < 0
      || asprintf (&label, "layer %s", d->digest) < 0)
    return berth_error_sys (err, ENOMEM, "layer %s", d->digest);
  if (faccessat (s->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  fd = f->open_blob (f->data, d->digest, err);
  if (fd < 0)
    return berth_error_wrap (err, "%s", label);
  ret = image_store_mktemp (s, "layer", &tmp, err);
  if (ret < 0)
    return ret;
  o.label = label;
  o.blob_digest = d->digest;
  o.blob_size = d->size;
  o.diff_id = diff_id;
  o.flags = LAYER_UNPACK_WHITEOUTS;
  ret = layer_unpack_fd (fd, tmp, &o, err);
  tfd = ret == 0 ? open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  /* the layer's root is the container's "/": mkdtemp made it 0700; and
   * the files must be on disk before the layer looks complete */
  if (ret == 0 && (tfd < 0 || fchmod (tfd, 0755) < 0 || syncfs (tfd) < 0))
    ret = berth_error_sys (err, errno, "%s: sync %s", label, tmp);
  if (ret == 0 && renameat (AT_FDCWD, tmp, s->dirfd, rel) < 0 && errno != EEXIST
      && errno != ENOTEMPTY)
    ret = berth_error_sys (err, errno, "%s: rename %s", label, tmp);
  if (ret < 0 || faccessat (AT_FDCWD, tmp, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    {
      berth_error_t e2 = NULL;
      image_store_rm_rf (tmp, &e2);
      berth_error_release (&e2);
    }
  return ret;
}

/* Import the image MANIFEST_DIGEST from F as REF; the caller holds the
 * exclusive lock. */
static int
import_locked (struct image_store *s, const struct image_ref *ref,
               const struct image_fetcher *f, const char *manifest_digest,
               struct image_info **out, berth_error_t *err)
{
  cleanup_free char *mbuf = NULL, *cbuf = NULL, *mdigest = NULL;
  struct oci_manifest m = { 0 };
  struct oci_config c = { 0 };
  size_t mlen, clen;
  int ret;

  if (ref->digest && strcmp (ref->digest, manifest_digest) != 0)
    return berth_error_make (err, EINVAL,
                             "reference %s names %s, the image is %s",
                             ref->full, ref->digest, manifest_digest);
  ret = fetch_manifest (f, manifest_digest, &m, &mbuf, &mlen, &mdigest, err);
  if (ret == 0)
    ret = fetch_doc (f, "config", m.config.digest, m.config.size, &cbuf, &clen,
                     err);
  if (ret == 0)
    ret = oci_config_parse (cbuf, clen, m.config.digest, &c, err);
  if (ret == 0 && c.n_diff_ids != m.n_layers)
    ret = berth_error_make (err, EINVAL,
                            "config %s has %zu rootfs.diff_ids, manifest %s "
                            "has %zu layers",
                            m.config.digest, c.n_diff_ids, mdigest, m.n_layers);
  for (size_t i = 0; ret == 0 && i < m.n_layers; i++)
    ret = ensure_layer (s, f, &m.layers[i], c.diff_ids[i], err);
  if (ret == 0)
    ret = image_store_put_blob (s, m.config.digest, cbuf, clen, err);
  if (ret == 0)
    ret = image_store_put_blob (s, mdigest, mbuf, mlen, err);
  if (ret == 0)
    ret = image_store_set_ref (s, ref->full, mdigest, err);
  if (ret == 0)
    ret = image_store_gc_locked (s, err);
  if (ret == 0 && out)
    ret = image_store_info_build (s, ref->full, mdigest, false, out, err);
  oci_manifest_clear (&m);
  oci_config_clear (&c);
  return ret;
}

int
image_store_import (struct image_store *s, const char *ref,
                    const struct image_fetcher *fetcher,
                    const char *manifest_digest, struct image_info **out,
                    berth_error_t *err)
{
  struct image_ref r = { 0 };
  int ret = image_ref_parse (ref, &r, err);

  if (ret < 0)
    return ret;
  ret = image_store_lock (s, true, err);
  if (ret == 0)
    {
      ret = import_locked (s, &r, fetcher, manifest_digest, out, err);
      image_store_unlock (s);
    }
  image_ref_clear (&r);
  return ret;
}

/* --- fetchers of image directories -------------------------------------- */

/* docker allows 127 layers; plus the config and the manifest */
#define DIR_FETCH_MAX (128 + 2)

/* Blobs of a directory: those in TABLE by their file (relative to DIRFD, or
 * absolute), the others under blobs/ALG/HEX when LAYOUT. */
struct dir_fetch
{
  int dirfd;
  const char *path; /* for messages */
  bool layout;
  size_t n;
  char *digests[DIR_FETCH_MAX];
  char *files[DIR_FETCH_MAX];
};

static int
dir_open_blob (void *data, const char *digest, berth_error_t *err)
{
  struct dir_fetch *d = data;
  cleanup_free char *rel = NULL;
  const char *why = image_ref_digest_problem (digest);
  const char *file = NULL;
  int fd;

  if (why != NULL)
    return berth_error_make (err, EINVAL, "digest \"%s\": %s", digest, why);
  for (size_t i = 0; i < d->n; i++)
    if (strcmp (d->digests[i], digest) == 0)
      file = d->files[i];
  if (file == NULL && d->layout)
    {
      if (asprintf (&rel, "blobs/%.*s/%s", (int)(strchr (digest, ':') - digest),
                    digest, strchr (digest, ':') + 1)
          < 0)
        return berth_error_sys (err, ENOMEM, "blob %s", digest);
      file = rel;
    }
  if (file == NULL)
    return berth_error_make (err, ENOENT, "blob %s is not in %s", digest,
                             d->path);
  fd = openat (d->dirfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "blob %s: %s/%s", digest, d->path,
                            file);
  return fd;
}

static void
dir_fetch_clear (struct dir_fetch *d)
{
  for (size_t i = 0; i < d->n; i++)
    {
      free (d->digests[i]);
      free (d->files[i]);
    }
  if (d->dirfd >= 0)
    close (d->dirfd);
}

static int
read_file_at (int dirfd, const char *dir, const char *name, char **buf,
              size_t *len, berth_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return berth_error_sys (err, errno, "%s/%s", dir, name);
  return oci_read_fd (fd, name, buf, len, err);
}

/* An OCI image layout: the manifest of index.json annotated with REF's tag
 * (or its full name), else its only one, else the one for this machine. */
static int
import_layout (struct image_store *s, const struct image_ref *ref,
               struct dir_fetch *d, struct image_info **out, berth_error_t *err)
{
  cleanup_free char *buf = NULL, *what = NULL;
  struct oci_manifest index = { 0 };
  const struct oci_descriptor *pick = NULL;
  size_t len;
  int ret;

  if (asprintf (&what, "%s/index.json", d->path) < 0)
    return berth_error_sys (err, ENOMEM, "index.json");
  ret = read_file_at (d->dirfd, d->path, "index.json", &buf, &len, err);
  if (ret == 0)
    ret = oci_manifest_parse (buf, len, what, &index, err);
  if (ret < 0)
    return ret;
  for (size_t i = 0; i < index.n_manifests && ref->tag; i++)
    if (index.manifests[i].ref_name
        && (strcmp (index.manifests[i].ref_name, ref->tag) == 0
            || strcmp (index.manifests[i].ref_name, ref->full) == 0))
      pick = &index.manifests[i];
  if (pick == NULL)
    pick = index_pick (&index);
  if (!index.is_index || pick == NULL)
    ret = berth_error_make (err, EINVAL,
                            "%s: no manifest to import (%zu listed, none "
                            "tagged \"%s\" or for linux/%s)",
                            what, index.n_manifests, ref->tag ? ref->tag : "",
                            oci_host_arch ());
  d->layout = true;
  if (ret == 0)
    ret = import_locked (s, ref, &(struct image_fetcher){ d, dir_open_blob },
                         pick->digest, out, err);
  oci_manifest_clear (&index);
  return ret;
}

static bool
rel_path_ok (const char *p)
{
  size_t n = strlen (p);

  if (n == 0 || p[0] == '/')
    return false;
  for (const char *c = p; c < p + n;)
    {
      const char *e = strchrnul (c, '/');
      if (e - c == 2 && c[0] == '.' && c[1] == '.')
        return false;
      c = *e ? e + 1 : e;
    }
  return true;
}

/* Add FILE of a docker archive to D by its digest; fill DESC. */
static int
docker_add (struct dir_fetch *d, const char *file, const char *what,
            struct oci_descriptor *desc, berth_error_t *err)
{
  cleanup_close int fd = -1;
  char digest[OCI_DIGEST_LEN];
  unsigned char magic[4] = { 0 };
  int ret;

  if (!rel_path_ok (file))
    return berth_error_make (err, EINVAL,
                             "%s/manifest.json: %s \"%s\": not "
                             "a path inside the archive",
                             d->path, what, file);
  if (d->n >= sizeof (d->files) / sizeof (d->files[0]))
    return berth_error_make (err, E2BIG, "%s: too many layers", d->path);
  fd = openat (d->dirfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "%s/%s", d->path, file);
  if (pread (fd, magic, sizeof (magic), 0) < 0)
    return berth_error_sys (err, errno, "%s/%s", d->path, file);
  ret = oci_digest_fd (fd, digest, &desc->size, err);
  if (ret < 0)
    return berth_error_wrap (err, "%s/%s", d->path, file);
  desc->digest = strdup (digest);
  if (strcmp (what, "Config") == 0)
    desc->media_type = strdup (DOCKER_MT_CONFIG);
  else if (magic[0] == 0x1f && magic[1] == 0x8b)
    desc->media_type = strdup (DOCKER_MT_LAYER_GZIP);
  else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f
           && magic[3] == 0xfd)
    desc->media_type = strdup ("application/vnd.oci.image.layer.v1.tar+zstd");
  else
    desc->media_type = strdup (DOCKER_MT_LAYER);
  d->digests[d->n] = strdup (digest);
  d->files[d->n++] = strdup (file);
  return 0;
}

static const struct oci_docker_image *
docker_pick (const struct oci_docker_image *v, size_t n,
             const struct image_ref *ref)
{
  if (n == 1)
    return v;
  for (size_t i = 0; i < n; i++)
    for (char **t = v[i].repo_tags; t && *t; t++)
      {
        struct image_ref r = { 0 };
        berth_error_t e = NULL;
        bool same = image_ref_parse (*t, &r, &e) == 0
                    && strcmp (r.full, ref->full) == 0;
        image_ref_clear (&r);
        berth_error_release (&e);
        if (same)
          return &v[i];
      }
  return NULL;
}

static int
write_file (const char *path, const char *buf, size_t len, berth_error_t *err)
{
  cleanup_close int fd
      = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", path);
  if (write (fd, buf, len) != (ssize_t)len)
    return berth_error_sys (err, errno ? errno : EIO, "write %s", path);
  return 0;
}

/* A `docker save` archive: manifest.json names the config and the layer
 * tars; the importer gets a manifest made from their digests. */
static int
import_docker (struct image_store *s, const struct image_ref *ref,
               struct dir_fetch *d, struct image_info **out, berth_error_t *err)
{
  cleanup_free char *buf = NULL, *what = NULL, *json = NULL, *tmp = NULL;
  cleanup_free char *mfile = NULL;
  struct oci_docker_image *v = NULL;
  const struct oci_docker_image *img;
  struct oci_manifest m = { 0 };
  char mdigest[OCI_DIGEST_LEN];
  size_t len, n = 0;
  int ret;

  if (asprintf (&what, "%s/manifest.json", d->path) < 0)
    return berth_error_sys (err, ENOMEM, "manifest.json");
  ret = read_file_at (d->dirfd, d->path, "manifest.json", &buf, &len, err);
  if (ret == 0)
    ret = oci_docker_manifest_parse (buf, len, what, &v, &n, err);
  if (ret < 0)
    return ret;
  img = docker_pick (v, n, ref);
  if (img == NULL)
    ret = berth_error_make (err, EINVAL, "%s: %zu images, none tagged %s", what,
                            n, ref->full);
  m.media_type = strdup (DOCKER_MT_MANIFEST);
  m.layers = calloc (img ? img->n_layers + 1 : 1, sizeof (*m.layers));
  if (ret == 0)
    ret = docker_add (d, img->config, "Config", &m.config, err);
  for (size_t i = 0; ret == 0 && i < img->n_layers; i++, m.n_layers++)
    ret = docker_add (d, img->layers[i], "Layers", &m.layers[i], err);
  if (ret == 0)
    ret = oci_manifest_write (&m, &json, &len, err);
  if (ret == 0)
    ret = oci_digest_buf (json, len, mdigest, err);
  if (ret == 0)
    ret = image_store_mktemp (s, "docker", &tmp, err);
  if (ret == 0 && asprintf (&mfile, "%s/manifest", tmp) < 0)
    ret = berth_error_sys (err, ENOMEM, "docker manifest");
  if (ret == 0)
    ret = write_file (mfile, json, len, err);
  if (ret == 0)
    {
      d->digests[d->n] = strdup (mdigest);
      d->files[d->n++] = strdup (mfile);
      ret = import_locked (s, ref, &(struct image_fetcher){ d, dir_open_blob },
                           mdigest, out, err);
    }
  if (tmp)
    {
      berth_error_t e2 = NULL;
      image_store_rm_rf (tmp, &e2);
      berth_error_release (&e2);
    }
  oci_manifest_clear (&m);
  oci_docker_images_free (v, n);
  return ret;
}

static int
import_dir (struct image_store *s, const struct image_ref *ref, const char *dir,
            const char *shown, struct image_info **out, berth_error_t *err)
{
  struct dir_fetch d = { .path = shown };
  int ret;

  d.dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.dirfd < 0)
    return berth_error_sys (err, errno, "open %s", shown);
  if (faccessat (d.dirfd, "index.json", F_OK, 0) == 0)
    ret = import_layout (s, ref, &d, out, err);
  else if (faccessat (d.dirfd, "manifest.json", F_OK, 0) == 0)
    ret = import_docker (s, ref, &d, out, err);
  else
    ret = berth_error_make (err, EINVAL,
                            "%s: neither an OCI image layout (no index.json) "
                            "nor a docker save archive (no manifest.json)",
                            shown);
  dir_fetch_clear (&d);
  return ret;
}

/* Unpack the archive PATH into a temp dir of the store: *DIR. */
static int
unpack_archive (struct image_store *s, const char *path, char **dir,
                berth_error_t *err)
{
  cleanup_free char *label = NULL;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct layer_unpack_opts o = { .blob_size = -1 };
  int ret;

  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  if (asprintf (&label, "archive %s", path) < 0)
    return berth_error_sys (err, ENOMEM, "archive %s", path);
  o.label = label;
  ret = image_store_mktemp (s, "src", dir, err);
  if (ret == 0)
    ret = layer_unpack_fd (fd, *dir, &o, err);
  return ret;
}

int
image_store_import_path (struct image_store *s, const char *ref,
                         const char *path, struct image_info **out,
                         berth_error_t *err)
{
  cleanup_free char *tmp = NULL;
  struct image_ref r = { 0 };
  struct stat st;
  int ret = image_ref_parse (ref, &r, err);

  if (ret < 0)
    return ret;
  if (stat (path, &st) < 0)
    {
      image_ref_clear (&r);
      return berth_error_sys (err, errno, "%s", path);
    }
  ret = image_store_lock (s, true, err);
  if (ret == 0)
    {
      if (!S_ISDIR (st.st_mode))
        ret = unpack_archive (s, path, &tmp, err);
      if (ret == 0)
        ret = import_dir (s, &r, tmp ? tmp : path, path, out, err);
      if (tmp)
        {
          berth_error_t e2 = NULL;
          image_store_rm_rf (tmp, &e2);
          berth_error_release (&e2);
        }
      image_store_unlock (s);
    }
  image_ref_clear (&r);
  return ret;
}
