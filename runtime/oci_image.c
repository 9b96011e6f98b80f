/* oci_image.c - see oci_image.h. */
#include "oci_image.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "image_ref.h"
#include "node.h"

int
oci_hasher_init (struct oci_hasher *h, berth_error_t *err)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();

  h->ctx = NULL;
  h->bytes = 0;
  if (ctx == NULL)
    return berth_error_make (err, ENOMEM, "sha256: EVP_MD_CTX_new failed");
  if (EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1)
    {
      EVP_MD_CTX_free (ctx);
      return berth_error_make (err, EIO, "sha256: EVP_DigestInit_ex failed");
    }
  h->ctx = ctx;
  return 0;
}

void
oci_hasher_update (struct oci_hasher *h, const void *buf, size_t n)
{
  if (n == 0)
    return;
  EVP_DigestUpdate (h->ctx, buf, n);
  h->bytes += n;
}

void
oci_hasher_final (struct oci_hasher *h, char out[OCI_DIGEST_LEN])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;

  EVP_DigestFinal_ex (h->ctx, md, &n);
  memcpy (out, "sha256:", 7);
  for (unsigned i = 0; i < n && i < 32; i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", md[i]);
  out[OCI_DIGEST_LEN - 1] = '\0';
}

void
oci_hasher_clear (struct oci_hasher *h)
{
  EVP_MD_CTX_free (h->ctx);
  h->ctx = NULL;
}

int
oci_digest_buf (const void *buf, size_t n, char out[OCI_DIGEST_LEN],
                berth_error_t *err)
{
  struct oci_hasher h;
  int ret = oci_hasher_init (&h, err);

  if (ret < 0)
    return ret;
  oci_hasher_update (&h, buf, n);
  oci_hasher_final (&h, out);
  oci_hasher_clear (&h);
  return 0;
}

int
oci_digest_fd (int fd, char out[OCI_DIGEST_LEN], int64_t *size,
               berth_error_t *err)
{
  struct oci_hasher h;
  char buf[65536];
  ssize_t n;
  int ret = oci_hasher_init (&h, err);

  if (ret < 0)
    return ret;
  while ((n = read (fd, buf, sizeof (buf))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          oci_hasher_clear (&h);
          return berth_error_sys (err, errno, "read");
        }
      oci_hasher_update (&h, buf, n);
    }
  *size = (int64_t)h.bytes;
  oci_hasher_final (&h, out);
  oci_hasher_clear (&h);
  return 0;
}

int
oci_read_fd (int fd, const char *what, char **out, size_t *len,
             berth_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;
  ssize_t n;

  for (;;)
    {
      if (cap - used < 4096)
        {
          char *nb;
          if (cap >= OCI_DOC_MAX)
            return berth_error_make (err, EFBIG, "%s: larger than %d bytes",
                                     what, OCI_DOC_MAX);
          cap = cap ? cap * 2 : 16384;
          nb = realloc (buf, cap + 1);
          if (nb == NULL)
            return berth_error_sys (err, ENOMEM, "%s", what);
          buf = nb;
        }
      n = read (fd, buf + used, cap - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_error_sys (err, errno, "read %s", what);
      if (n == 0)
        break;
      used += n;
    }
  buf[used] = '\0';
  *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

const char *
oci_host_arch (void)
{
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

void
oci_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

/* --- reading documents ------------------------------------------------- */

static int
doc_read (const char *buf, size_t len, const char *what, struct node **root,
          berth_error_t *err)
{
  struct node_stream s = { 0 };
  int ret = node_stream_read (buf, len, &s, err);

  if (ret < 0)
    return berth_error_wrap (err, "%s", what);
  if (s.len != 1 || s.docs[0] == NULL || s.docs[0]->kind != NODE_MAP)
    {
      node_stream_free (&s);
      return berth_error_make (err, EINVAL, "%s: not a JSON object", what);
    }
  *root = node_ref (s.docs[0]);
  node_stream_free (&s);
  return 0;
}

static void
node_unrefp (struct node **n)
{
  if (*n)
    node_unref (*n);
}
#define cleanup_node __attribute__ ((cleanup (node_unrefp)))

/* String field KEY of MAP into *OUT (NULL when absent or null). */
static int
get_str (const struct node *map, const char *key, const char *what, char **out,
         berth_error_t *err)
{
  struct node *n = map ? node_map_get (map, key) : NULL;

  *out = NULL;
  if (n == NULL || node_is_null (n))
    return 0;
  if (n->kind != NODE_SCALAR)
    return berth_error_make (err, EINVAL, "%s: %s: expected a string", what,
                             key);
  *out = strdup (n->text);
  return *out ? 0 : berth_error_sys (err, ENOMEM, "%s", what);
}

static int
get_strv (const struct node *map, const char *key, const char *what,
          char ***out, size_t *count, berth_error_t *err)
{
  struct node *n = map ? node_map_get (map, key) : NULL;
  char **v;

  *out = NULL;
  if (count)
    *count = 0;
  if (n == NULL || node_is_null (n))
    return 0;
  if (n->kind != NODE_SEQ)
    return berth_error_make (err, EINVAL, "%s: %s: expected a list", what, key);
  v = calloc (n->len + 1, sizeof (char *));
  if (v == NULL)
    return berth_error_sys (err, ENOMEM, "%s", what);
  for (size_t i = 0; i < n->len; i++)
    {
      if (n->items[i]->kind != NODE_SCALAR || node_is_null (n->items[i]))
        {
          oci_strv_free (v);
          return berth_error_make (
              err, EINVAL, "%s: %s[%zu]: expected a string", what, key, i);
        }
      v[i] = strdup (n->items[i]->text);
    }
  *out = v;
  if (count)
    *count = n->len;
  return 0;
}

static void
descriptor_clear (struct oci_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  free (d->ref_name);
  free (d->os);
  free (d->arch);
  memset (d, 0, sizeof (*d));
}

static int
descriptor_parse (const struct node *n, const char *what, const char *field,
                  struct oci_descriptor *d, berth_error_t *err)
{
  cleanup_free char *w = NULL;
  struct node *size, *annotations, *platform;
  const char *why;
  int64_t v;
  int ret;

  if (asprintf (&w, "%s: %s", what, field) < 0)
    return berth_error_sys (err, ENOMEM, "%s", what);
  if (n == NULL || n->kind != NODE_MAP)
    return berth_error_make (err, EINVAL, "%s: expected a descriptor", w);
  ret = get_str (n, "mediaType", w, &d->media_type, err);
  if (ret == 0)
    ret = get_str (n, "digest", w, &d->digest, err);
  if (ret < 0)
    return ret;
  if (d->digest == NULL)
    return berth_error_make (err, EINVAL, "%s: digest is missing", w);
  why = image_ref_digest_problem (d->digest);
  if (why != NULL)
    return berth_error_make (err, EINVAL, "%s: digest \"%s\": %s", w, d->digest,
                             why);
  size = node_map_get (n, "size");
  if (size == NULL || !node_as_int64 (size, &v, NULL) || v < 0)
    return berth_error_make (err, EINVAL, "%s: size is missing or invalid", w);
  d->size = v;
  annotations = node_map_get (n, "annotations");
  if (annotations && annotations->kind == NODE_MAP)
    ret = get_str (annotations, "org.opencontainers.image.ref.name", w,
                   &d->ref_name, err);
  platform = node_map_get (n, "platform");
  if (ret == 0 && platform && platform->kind == NODE_MAP)
    {
      ret = get_str (platform, "os", w, &d->os, err);
      if (ret == 0)
        ret = get_str (platform, "architecture", w, &d->arch, err);
    }
  return ret;
}

static int
descriptors_parse (const struct node *seq, const char *what, const char *field,
                   struct oci_descriptor **out, size_t *n, berth_error_t *err)
{
  struct oci_descriptor *v;

  *out = NULL;
  *n = 0;
  if (seq == NULL)
    return 0;
  if (seq->kind != NODE_SEQ)
    return berth_error_make (err, EINVAL, "%s: %s: expected a list", what,
                             field);
  v = calloc (seq->len + 1, sizeof (*v));
  if (v == NULL)
    return berth_error_sys (err, ENOMEM, "%s", what);
  *out = v;
  for (size_t i = 0; i < seq->len; i++)
    {
      char f[64];
      int ret;
      snprintf (f, sizeof (f), "%s[%zu]", field, i);
      ret = descriptor_parse (seq->items[i], what, f, &v[i], err);
      *n = i + 1;
      if (ret < 0)
        return ret;
    }
  return 0;
}

void
oci_manifest_clear (struct oci_manifest *m)
{
  free (m->media_type);
  descriptor_clear (&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_clear (&m->layers[i]);
  free (m->layers);
  for (size_t i = 0; i < m->n_manifests; i++)
    descriptor_clear (&m->manifests[i]);
  free (m->manifests);
  memset (m, 0, sizeof (*m));
}

int
oci_manifest_parse (const char *buf, size_t len, const char *what,
                    struct oci_manifest *out, berth_error_t *err)
{
  cleanup_node struct node *root = NULL;
  struct oci_manifest m = { 0 };
  struct node *manifests, *layers;
  int ret = doc_read (buf, len, what, &root, err);

  if (ret < 0)
    return ret;
  ret = get_str (root, "mediaType", what, &m.media_type, err);
  if (ret < 0)
    goto out;
  manifests = node_map_get (root, "manifests");
  layers = node_map_get (root, "layers");
  m.is_index = (m.media_type
                && (strcmp (m.media_type, OCI_MT_INDEX) == 0
                    || strcmp (m.media_type, DOCKER_MT_LIST) == 0))
               || (m.media_type == NULL && manifests && !layers);
  if (m.is_index)
    ret = descriptors_parse (manifests, what, "manifests", &m.manifests,
                             &m.n_manifests, err);
  else
    {
      ret = descriptor_parse (node_map_get (root, "config"), what, "config",
                              &m.config, err);
      if (ret == 0)
        ret = descriptors_parse (layers, what, "layers", &m.layers, &m.n_layers,
                                 err);
    }
out:
  if (ret < 0)
    oci_manifest_clear (&m);
  else
    *out = m;
  return ret;
}

static struct node *
descriptor_node (const struct oci_descriptor *d)
{
  struct node *n = node_new_map ();

  if (d->media_type)
    node_map_set_str (n, "mediaType", d->media_type);
  node_map_set_str (n, "digest", d->digest);
  node_map_set_int (n, "size", d->size);
  return n;
}

int
oci_manifest_write (const struct oci_manifest *m, char **out, size_t *len,
                    berth_error_t *err)
{
  cleanup_node struct node *root = node_new_map ();
  struct node *layers = node_new_seq ();

  node_map_set_int (root, "schemaVersion", 2);
  if (m->media_type)
    node_map_set_str (root, "mediaType", m->media_type);
  node_map_set (root, "config", descriptor_node (&m->config));
  for (size_t i = 0; i < m->n_layers; i++)
    node_seq_append (layers, descriptor_node (&m->layers[i]));
  node_map_set (root, "layers", layers);
  return node_write_json (root, false, out, len, err);
}

const char *
oci_layer_media_type_problem (const char *mt)
{
  static const char *const ok[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    DOCKER_MT_LAYER,
    DOCKER_MT_LAYER_GZIP,
  };

  if (mt == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    if (strcmp (mt, ok[i]) == 0)
      return NULL;
  if (strstr (mt, "nondistributable") || strstr (mt, "foreign"))
    return "non-distributable (foreign) layers are not supported";
  if (strstr (mt, "encrypted"))
    return "encrypted layers are not supported";
  return "unsupported layer media type";
}

void
oci_config_clear (struct oci_config *c)
{
  oci_strv_free (c->entrypoint);
  oci_strv_free (c->cmd);
  oci_strv_free (c->env);
  free (c->working_dir);
  free (c->user);
  free (c->os);
  free (c->arch);
  oci_strv_free (c->diff_ids);
  memset (c, 0, sizeof (*c));
}

int
oci_config_parse (const char *buf, size_t len, const char *what,
                  struct oci_config *out, berth_error_t *err)
{
  cleanup_node struct node *root = NULL;
  struct oci_config c = { 0 };
  struct node *cfg, *rootfs;
  int ret = doc_read (buf, len, what, &root, err);

  if (ret < 0)
    return ret;
  cfg = node_map_get (root, "config");
  if (cfg && cfg->kind != NODE_MAP)
    cfg = NULL;
  rootfs = node_map_get (root, "rootfs");
  if (rootfs == NULL || rootfs->kind != NODE_MAP)
    return berth_error_make (err, EINVAL, "%s: rootfs is missing", what);
  ret = get_strv (cfg, "Entrypoint", what, &c.entrypoint, NULL, err);
  if (ret == 0)
    ret = get_strv (cfg, "Cmd", what, &c.cmd, NULL, err);
  if (ret == 0)
    ret = get_strv (cfg, "Env", what, &c.env, NULL, err);
  if (ret == 0)
    ret = get_str (cfg, "WorkingDir", what, &c.working_dir, err);
  if (ret == 0)
    ret = get_str (cfg, "User", what, &c.user, err);
  if (ret == 0)
    ret = get_str (root, "os", what, &c.os, err);
  if (ret == 0)
    ret = get_str (root, "architecture", what, &c.arch, err);
  if (ret == 0)
    ret = get_strv (rootfs, "diff_ids", what, &c.diff_ids, &c.n_diff_ids, err);
  for (size_t i = 0; ret == 0 && i < c.n_diff_ids; i++)
    {
      const char *why = image_ref_digest_problem (c.diff_ids[i]);
      if (why != NULL)
        ret = berth_error_make (err, EINVAL,
                                "%s: rootfs.diff_ids[%zu] \"%s\": %s", what, i,
                                c.diff_ids[i], why);
    }
  if (ret < 0)
    oci_config_clear (&c);
  else
    *out = c;
  return ret;
}

void
oci_docker_images_free (struct oci_docker_image *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    {
      free (v[i].config);
      oci_strv_free (v[i].repo_tags);
      oci_strv_free (v[i].layers);
    }
  free (v);
}

int
oci_docker_manifest_parse (const char *buf, size_t len, const char *what,
                           struct oci_docker_image **out, size_t *n,
                           berth_error_t *err)
{
  struct node_stream s = { 0 };
  struct oci_docker_image *v = NULL;
  struct node *list;
  size_t count = 0;
  int ret = node_stream_read (buf, len, &s, err);

  if (ret < 0)
    return berth_error_wrap (err, "%s", what);
  list = s.len == 1 ? s.docs[0] : NULL;
  if (list == NULL || list->kind != NODE_SEQ || list->len == 0)
    {
      node_stream_free (&s);
      return berth_error_make (err, EINVAL, "%s: expected a non-empty list",
                               what);
    }
  v = calloc (list->len, sizeof (*v));
  for (size_t i = 0; v && ret == 0 && i < list->len; i++)
    {
      struct node *e = list->items[i];
      count = i + 1;
      if (e->kind != NODE_MAP)
        {
          ret = berth_error_make (err, EINVAL, "%s: [%zu]: expected an object",
                                  what, i);
          break;
        }
      ret = get_str (e, "Config", what, &v[i].config, err);
      if (ret == 0)
        ret = get_strv (e, "RepoTags", what, &v[i].repo_tags, NULL, err);
      if (ret == 0)
        ret = get_strv (e, "Layers", what, &v[i].layers, &v[i].n_layers, err);
      if (ret == 0 && (v[i].config == NULL || v[i].layers == NULL))
        ret = berth_error_make (
            err, EINVAL, "%s: [%zu]: Config or Layers is missing", what, i);
    }
  node_stream_free (&s);
  if (v == NULL)
    return berth_error_sys (err, ENOMEM, "%s", what);
  if (ret < 0)
    {
      oci_docker_images_free (v, count);
      return ret;
    }
  *out = v;
  *n = count;
  return 0;
}
