/* test_image_store.c - the image store (runtime/image_store.c,
 * image_import.c): imports of OCI layouts, OCI archives, docker save
 * archives and image indexes built here; idempotent re-imports; lookups,
 * lists, removal with GC; tampered blobs; concurrent imports. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "image_store.h"
#include "image_test_util.h"
#include "layer_unpack.h"
#include "oci_image.h"

/* --- imports ----------------------------------------------------------- */

/* An image built in memory: its blobs, as tar entries of an OCI layout. */
struct built
{
  size_t n;
  struct tentry e[16];
  char *bufs[16];
  char *names[16];
  char manifest[OCI_DIGEST_LEN];
  char config[OCI_DIGEST_LEN];
  char *config_json;
  char *layer_tars[4]; /* uncompressed, for docker archives */
  size_t layer_lens[4];
};

static void
built_add (struct built *b, const char *name, char *buf, size_t len)
{
  b->names[b->n] = strdup (name);
  b->bufs[b->n] = buf;
  b->e[b->n] = (struct tentry){ b->names[b->n], 0, buf, NULL, NULL, len };
  b->n++;
}

static char *
add_blob (struct built *b, char *buf, size_t len, char out[OCI_DIGEST_LEN])
{
  berth_error_t err = NULL;
  char name[160];

  oci_digest_buf (buf, len, out, &err);
  snprintf (name, sizeof (name), "blobs/sha256/%s", out + 7);
  built_add (b, name, buf, len);
  return buf;
}

static const struct tentry layer1[] = {
  { "bin/", AE_IFDIR },
  { "bin/busybox", 0, "#!/bin/true\n" },
  { "bin/sh", AE_IFLNK, NULL, "/bin/busybox" },
  { "etc/", AE_IFDIR },
  { "etc/motd", 0, "one\n" },
};
static const struct tentry layer2[] = {
  { "etc/", AE_IFDIR },
  { "etc/motd", 0, "two\n" },
  { "etc/added", 0, "added\n" },
};

/* Layers 1 and 2 as an OCI image; TAG annotates it in index.json. */
static void
build_image (struct built *b, const char *tag)
{
  const struct tentry *layers[] = { layer1, layer2 };
  size_t nl[] = { N (layer1), N (layer2) };
  char ld[2][OCI_DIGEST_LEN], diff[2][OCI_DIGEST_LEN];
  size_t lsize[2], len;
  char *buf, *json = NULL;
  berth_error_t err = NULL;
  int n;

  memset (b, 0, sizeof (*b));
  built_add (b, "oci-layout", strdup ("{\"imageLayoutVersion\":\"1.0.0\"}"), 0);
  for (int i = 0; i < 2; i++)
    {
      build_tar (layers[i], nl[i], 0, &b->layer_tars[i], &b->layer_lens[i]);
      oci_digest_buf (b->layer_tars[i], b->layer_lens[i], diff[i], &err);
      build_tar (layers[i], nl[i], 1, &buf, &lsize[i]);
      add_blob (b, buf, lsize[i], ld[i]);
    }
  n = asprintf (&json,
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],"
                "\"Env\":[\"PATH=/bin\",\"A=b\"],\"WorkingDir\":\"/w\","
                "\"User\":\"1:2\"},\"rootfs\":{\"type\":\"layers\","
                "\"diff_ids\":[\"%s\",\"%s\"]}}",
                diff[0], diff[1]);
  b->config_json = strdup (json);
  add_blob (b, json, n, b->config);
  n = asprintf (&json,
                "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\","
                "\"config\":{\"mediaType\":\"" OCI_MT_CONFIG "\",\"digest\":"
                "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/"
                "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":"
                "%zu},{\"digest\":\"%s\",\"size\":%zu}]}",
                b->config, strlen (b->config_json), ld[0], lsize[0], ld[1],
                lsize[1]);
  add_blob (b, json, n, b->manifest);
  len = asprintf (
      &json,
      "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
      "\",\"digest\":\"%s\",\"size\":%d,\"annotations\":{\"org."
      "opencontainers.image.ref.name\":\"%s\"}}]}",
      b->manifest, n, tag);
  built_add (b, "index.json", json, len);
}

static void
built_free (struct built *b)
{
  for (size_t i = 0; i < b->n; i++)
    {
      free (b->bufs[i]);
      free (b->names[i]);
    }
  free (b->config_json);
  free (b->layer_tars[0]);
  free (b->layer_tars[1]);
}

/* Write B as an OCI layout in DIR/NAME; returns its path. */
static char *
write_layout (const struct built *b, const char *dir, const char *name)
{
  char *root = mkdir_in (dir, name);
  cleanup_free char *blobs = path_join (root, "blobs");
  cleanup_free char *sha = path_join (blobs, "sha256");

  mkdir (blobs, 0755);
  mkdir (sha, 0755);
  for (size_t i = 0; i < b->n; i++)
    {
      cleanup_free char *p = path_join (root, b->e[i].name);
      write_file (p, b->e[i].data,
                  b->e[i].len ? b->e[i].len : strlen (b->e[i].data));
    }
  return root;
}

static size_t
count_dir (const char *store, const char *sub)
{
  cleanup_free char *p = path_join (store, sub);
  DIR *d = opendir (p);
  struct dirent *de;
  size_t n = 0;

  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)) != NULL)
    n += de->d_name[0] != '.';
  closedir (d);
  return n;
}

static char *
read_text (const char *dir, const char *file)
{
  cleanup_free char *p = path_join (dir, file);
  static char buf[256];
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return NULL;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

START_TEST (test_import_layout)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL, *lower = NULL, *want = NULL;
  struct image_store *s = NULL;
  struct image_info *info = NULL, *again = NULL;
  struct image_info **list = NULL;
  berth_error_t err = NULL;
  struct built b;
  struct stat st1, st2;
  char dref[200];
  size_t n;

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_msg (image_store_import_path (s, "busybox", layout, &info, &err)
                     == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (info->ref, "docker.io/library/busybox:latest");
  ck_assert_str_eq (info->manifest_digest, b.manifest);
  ck_assert_str_eq (info->config_digest, b.config);
  ck_assert_int_eq (info->n_layers, 2);
  ck_assert_str_eq (read_text (info->layers[0], "etc/motd"), "one\n");
  ck_assert_str_eq (read_text (info->layers[1], "etc/motd"), "two\n");
  ck_assert_ptr_null (read_text (info->layers[1], "bin/busybox"));
  ck_assert_str_eq (info->entrypoint[0], "/bin/sh");
  ck_assert_str_eq (info->entrypoint[1], "-c");
  ck_assert_ptr_null (info->entrypoint[2]);
  ck_assert_str_eq (info->cmd[0], "echo hi");
  ck_assert_str_eq (info->env[1], "A=b");
  ck_assert_str_eq (info->working_dir, "/w");
  ck_assert_str_eq (info->user, "1:2");
  ck_assert_int_eq (image_info_lowerdir (info, &lower, &err), 0);
  ck_assert_int_ge (asprintf (&want, "%s:%s", info->layers[1], info->layers[0]),
                    0);
  ck_assert_str_eq (lower, want);
  ck_assert_int_eq (stat (info->layers[0], &st1), 0);
  ck_assert_int_eq (st1.st_mode & 07777, 0755); /* the container's "/" */

  /* idempotent: the same image, the layers not unpacked again */
  ck_assert_msg (image_store_import_path (s, "docker.io/library/busybox",
                                          layout, &again, &err)
                     == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (again->manifest_digest, b.manifest);
  ck_assert_int_eq (stat (again->layers[0], &st2), 0);
  ck_assert_int_eq (st1.st_ino, st2.st_ino);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "blobs/sha256"), 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "tmp"), 0);
  image_info_free (again);

  /* lookups: by name, by digest; a missing one says how to import it */
  snprintf (dref, sizeof (dref), "busybox@%s", b.manifest);
  ck_assert_int_eq (image_store_lookup (s, dref, &again, &err), 0);
  ck_assert_str_eq (again->config_digest, b.config);
  image_info_free (again);
  ck_assert_int_eq (image_store_lookup (s, "nothere:1", &again, &err), -ENOENT);
  ck_assert_str_eq (berth_error_msg (&err),
                    "image \"docker.io/library/nothere:1\" not found: import "
                    "it with \"berth image import nothere:1 PATH\"");

  /* a second name shares the layers; removal collects what nothing uses */
  ck_assert_int_eq (image_store_import_path (s, "localhost:5000/x:latest",
                                             layout, NULL, &err),
                    0);
  ck_assert_int_eq (image_store_list (s, &list, &n, &err), 0);
  ck_assert_int_eq (n, 2);
  ck_assert_str_eq (list[0]->ref, "docker.io/library/busybox:latest");
  ck_assert_str_eq (list[1]->ref, "localhost:5000/x:latest");
  ck_assert_int_gt (list[0]->size, 100);
  image_info_list_free (list, n);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (image_store_remove (s, "busybox", &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (image_store_remove (s, "localhost:5000/x", &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "blobs/sha256"), 0);
  ck_assert_int_eq (image_store_remove (s, "busybox", &err), -ENOENT);
  ck_assert_int_eq (image_store_lookup (s, "busybox", &again, &err), -ENOENT);

  /* a reference with a digest must name the image imported */
  ck_assert_int_lt (
      image_store_import_path (s, "busybox@sha256:" H64, layout, NULL, &err),
      0);
  ck_assert_msg (strstr (berth_error_msg (&err), "the image is"), "%s",
                 berth_error_msg (&err));
  berth_error_release (&err);
  image_info_free (info);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

/* Change one byte of the blob DIGEST in LAYOUT. */
static void
tamper (const char *layout, const char *digest)
{
  cleanup_free char *p = NULL;
  char c;
  int fd;

  ck_assert_int_ge (asprintf (&p, "%s/blobs/sha256/%s", layout, digest + 7), 0);
  fd = open (p, O_RDWR | O_CLOEXEC);
  ck_assert_int_eq (pread (fd, &c, 1, 20), 1);
  c ^= 1;
  ck_assert_int_eq (pwrite (fd, &c, 1, 20), 1);
  close (fd);
}

START_TEST (test_import_tampered)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL, *layout2 = NULL, *lname = NULL;
  struct image_store *s = NULL;
  berth_error_t err = NULL;
  struct built b;
  char layer[OCI_DIGEST_LEN];

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  layout2 = write_layout (&b, dir, "layout2");
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  /* the second layer's blob is the 3rd entry: oci-layout, layer 1, 2 */
  strcpy (layer, "sha256:");
  strcat (layer, b.names[2] + strlen ("blobs/sha256/"));
  tamper (layout, layer);
  ck_assert_int_lt (image_store_import_path (s, "busybox", layout, NULL, &err),
                    0);
  ck_assert_msg (strstr (berth_error_msg (&err), layer), "%s",
                 berth_error_msg (&err));
  ck_assert_msg (strstr (berth_error_msg (&err), "mismatch")
                     || strstr (berth_error_msg (&err), "gzip")
                     || strstr (berth_error_msg (&err), "tar"),
                 "%s", berth_error_msg (&err));
  ck_assert_int_eq (count_dir (image_store_dir (s), "tmp"), 0);
  ck_assert_int_eq (image_store_lookup (s, "busybox", NULL, &err), -ENOENT);
  ck_assert_int_eq (image_store_gc (s, &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 0);

  tamper (layout2, b.config);
  ck_assert_int_lt (image_store_import_path (s, "busybox", layout2, NULL, &err),
                    0);
  ck_assert_msg (strstr (berth_error_msg (&err), "config")
                     && strstr (berth_error_msg (&err), "digest mismatch"),
                 "%s", berth_error_msg (&err));
  berth_error_release (&err);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

START_TEST (test_import_archives)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *oci = path_join (dir, "oci.tar");
  cleanup_free char *docker = path_join (dir, "docker.tar.gz");
  cleanup_free char *buf = NULL, *manifest = NULL;
  struct image_store *s = NULL;
  struct image_info *a = NULL, *d = NULL;
  berth_error_t err = NULL;
  struct built b;
  size_t len;

  build_image (&b, "v1");
  build_tar (b.e, b.n, 0, &buf, &len);
  write_file (oci, buf, len);
  free (buf);
  ck_assert_int_ge (
      asprintf (&manifest,
                "[{\"Config\":\"%s.json\",\"RepoTags\":[\"busybox:v1\"],"
                "\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]",
                b.config + 7),
      0);
  {
    char cfgname[160];
    struct tentry e[] = {
      { "manifest.json", 0, manifest },
      { cfgname, 0, b.config_json },
      { "l1/", AE_IFDIR },
      { "l1/layer.tar", 0, b.layer_tars[0], NULL, NULL, b.layer_lens[0] },
      { "l2/layer.tar", 0, b.layer_tars[1], NULL, NULL, b.layer_lens[1] },
    };
    snprintf (cfgname, sizeof (cfgname), "%s.json", b.config + 7);
    build_tar (e, N (e), 1, &buf, &len);
    write_file (docker, buf, len);
  }
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_msg (image_store_import_path (s, "busybox:v1", oci, &a, &err) == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (a->manifest_digest, b.manifest);
  ck_assert_msg (image_store_import_path (s, "docker-img", docker, &d, &err)
                     == 0,
                 "%s", berth_error_msg (&err));
  /* the same config and layers: the same image ID, the layers shared */
  ck_assert_str_eq (d->config_digest, a->config_digest);
  ck_assert_str_eq (d->layers[1], a->layers[1]);
  ck_assert_str_eq (d->cmd[0], "echo hi");
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "tmp"), 0);
  image_info_free (a);
  image_info_free (d);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

/* index.json -> an image index -> the manifest for this machine. */
START_TEST (test_import_index)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL;
  struct image_store *s = NULL;
  struct image_info *info = NULL;
  berth_error_t err = NULL;
  char idx[OCI_DIGEST_LEN];
  struct built b;
  char *json = NULL;
  int n;

  build_image (&b, "latest");
  n = asprintf (&json,
                "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\","
                "\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST "\","
                "\"digest\":\"sha256:" H64 "\",\"size\":1,\"platform\":"
                "{\"os\":\"linux\",\"architecture\":\"other\"}},"
                "{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"%s\","
                "\"size\":%zu,\"platform\":{\"os\":\"linux\","
                "\"architecture\":\"%s\"}}]}",
                b.manifest, b.e[4].len, oci_host_arch ());
  add_blob (&b, json, n, idx);
  /* entries: oci-layout, 2 layers, config, manifest, index.json, index */
  free (b.bufs[5]);
  b.bufs[5] = NULL;
  ck_assert_int_ge (asprintf (&b.bufs[5],
                              "{\"schemaVersion\":2,\"manifests\":[{"
                              "\"mediaType\":\"" OCI_MT_INDEX "\",\"digest\":"
                              "\"%s\",\"size\":%d}]}",
                              idx, n),
                    0);
  b.e[5].data = b.bufs[5];
  b.e[5].len = 0;
  layout = write_layout (&b, dir, "layout");
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_msg (image_store_import_path (s, "multi", layout, &info, &err) == 0,
                 "%s", berth_error_msg (&err));
  ck_assert_str_eq (info->manifest_digest, b.manifest);
  ck_assert_int_eq (info->n_layers, 2);
  image_info_free (info);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

/* Two processes import at once into one store: both succeed. */
/* Layers leased to a pod's containers outlive the removal of their image
 * and go with the last lease; a lease whose owner is gone is stale. */
START_TEST (test_leases)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL, *pod1 = mkdir_in (dir, "pod1");
  cleanup_free char *pod2 = mkdir_in (dir, "pod2");
  struct image_store *s = NULL;
  struct image_info *a = NULL, *b2 = NULL;
  berth_error_t err = NULL;
  struct stat st;
  struct built b;

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_int_eq (image_store_import_path (s, "busybox", layout, NULL, &err),
                    0);
  ck_assert_int_eq (
      image_store_lookup_lease (s, "busybox", "uid-1", "c", pod1, &a, &err), 0);
  ck_assert_int_eq (
      image_store_lookup_lease (s, "busybox", "uid-1", "d", pod1, &b2, &err),
      0);
  image_info_free (b2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "leases/uid-1"), 2);

  /* rm: the name and the blobs go, the leased layers stay */
  ck_assert_int_eq (image_store_remove (s, "busybox", &err), 0);
  ck_assert_int_eq (image_store_lookup (s, "busybox", &b2, &err), -ENOENT);
  berth_error_release (&err);
  ck_assert_int_eq (count_dir (image_store_dir (s), "blobs/sha256"), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  for (size_t i = 0; i < a->n_layers; i++)
    ck_assert_int_eq (stat (a->layers[i], &st), 0);
  ck_assert_int_eq (image_store_gc (s, &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);

  /* the pod is gone: its leases and the layers go, nothing is left */
  ck_assert_int_eq (image_store_lease_release (s, "uid-1", &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "leases"), 0);
  ck_assert_int_eq (image_store_lease_release (s, "uid-1", &err), 0);

  /* a lease of a pod whose dir went without a release is collected */
  ck_assert_int_eq (image_store_import_path (s, "busybox", layout, NULL, &err),
                    0);
  ck_assert_int_eq (
      image_store_lookup_lease (s, "busybox", "uid-2", "c", pod2, &b2, &err),
      0);
  image_info_free (b2);
  ck_assert_int_eq (image_store_remove (s, "busybox", &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  rm_rf (pod2);
  ck_assert_int_eq (image_store_gc (s, &err), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 0);
  ck_assert_int_eq (count_dir (image_store_dir (s), "leases"), 0);

  /* no lease for a missing image, nor with a name that is a path */
  ck_assert_int_eq (
      image_store_lookup_lease (s, "busybox", "uid-3", "c", pod1, &b2, &err),
      -ENOENT);
  berth_error_release (&err);
  ck_assert_int_lt (
      image_store_lookup_lease (s, "busybox", "../x", "c", pod1, &b2, &err), 0);
  berth_error_release (&err);
  ck_assert_int_eq (count_dir (image_store_dir (s), "leases"), 0);

  image_info_free (a);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

START_TEST (test_import_concurrent)
{
  cleanup_free char *dir = tmpdir (), *state = mkdir_in (dir, "state");
  cleanup_free char *layout = NULL;
  struct image_store *s = NULL;
  struct image_info **list = NULL;
  berth_error_t err = NULL;
  struct built b;
  pid_t pids[4];
  size_t n;

  build_image (&b, "latest");
  layout = write_layout (&b, dir, "layout");
  for (int i = 0; i < 4; i++)
    {
      pids[i] = fork ();
      ck_assert_int_ge (pids[i], 0);
      if (pids[i] == 0)
        {
          char name[32];
          snprintf (name, sizeof (name), "img%d", i % 2);
          if (image_store_open (state, &s, &err) < 0
              || image_store_import_path (s, name, layout, NULL, &err) < 0)
            {
              fprintf (stderr, "child %d: %s\n", i, berth_error_msg (&err));
              _exit (1);
            }
          _exit (0);
        }
    }
  for (int i = 0; i < 4; i++)
    {
      int status;
      ck_assert_int_eq (waitpid (pids[i], &status, 0), pids[i]);
      ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  ck_assert_int_eq (image_store_open (state, &s, &err), 0);
  ck_assert_int_eq (image_store_list (s, &list, &n, &err), 0);
  ck_assert_int_eq (n, 2);
  ck_assert_int_eq (count_dir (image_store_dir (s), "layers"), 2);
  image_info_list_free (list, n);
  image_store_close (s);
  built_free (&b);
  rm_rf (dir);
}
END_TEST

static Suite *
image_store_suite (void)
{
  Suite *s = suite_create ("image_store");
  TCase *tc = tcase_create ("core");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_import_layout);
  tcase_add_test (tc, test_import_tampered);
  tcase_add_test (tc, test_import_archives);
  tcase_add_test (tc, test_import_index);
  tcase_add_test (tc, test_import_concurrent);
  tcase_add_test (tc, test_leases);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (image_store_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
