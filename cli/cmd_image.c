/* cmd_image.c - `berth image import|ls|rm|inspect`: the local image store
 * (runtime/image_store.h) from the command line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "image_store.h"
#include "node.h"

static void
usage (FILE *f)
{
  fprintf (
      f,
      "Usage: berth image [--root DIR] COMMAND [OPTIONS]\n"
      "\n"
      "Manage the local image store (DIR/images).\n"
      "\n"
      "Commands:\n"
      "  import NAME[:TAG] PATH  import an OCI image layout directory, an\n"
      "                          OCI archive (a tar of a layout) or a\n"
      "                          `docker save` archive\n"
      "  ls                      list the images: REF, IMAGE ID, SIZE\n"
      "  rm NAME...              remove images and the layers no other\n"
      "                          image uses\n"
      "  inspect NAME            print an image's digests, layer\n"
      "                          directories and config as JSON\n"
      "\n"
      "Options:\n"
      "  --root DIR  berth's state directory (default %s)\n"
      "  -h, --help  show this help (also after a command)\n"
      "\n"
      "Names are normalized as docker and containerd do: busybox is\n"
      "docker.io/library/busybox:latest.\n",
      IMAGE_STORE_DEFAULT_ROOT);
}

static const char *const sub_usage[] = {
  "Usage: berth image import [--root DIR] NAME[:TAG] PATH\n\n"
  "Import the image at PATH as NAME[:TAG]: an OCI image layout directory\n"
  "(the manifest tagged TAG in index.json, else its only one, else the one\n"
  "for this machine), a tar of one (an OCI archive; gzip'ed too), or a\n"
  "`docker save` archive or directory.  Every digest is checked; layers are\n"
  "unpacked once, by diff_id.  NAME@sha256:... requires that digest.\n",
  "Usage: berth image ls [--root DIR] [-q]\n\n"
  "List the images: REF, IMAGE ID (the config digest, short) and SIZE\n"
  "(manifest, config and compressed layers).  -q prints only the refs.\n",
  "Usage: berth image rm [--root DIR] NAME...\n\n"
  "Remove the images named, then the blobs and layers no image needs.\n",
  "Usage: berth image inspect [--root DIR] NAME\n\n"
  "Print the image as JSON: ref, digests, size, layer directories (bottom\n"
  "first) and the config's Entrypoint, Cmd, Env, WorkingDir and User.\n",
};

static const char *const sub_names[] = { "import", "ls", "rm", "inspect" };

/* crictl's size format: 3 significant digits, powers of 1000. */
static void
human_size (uint64_t n, char *buf, size_t len)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
  double v = (double)n;
  size_t u = 0;

  while (v >= 1000 && u + 1 < sizeof (units) / sizeof (units[0]))
    {
      v /= 1000;
      u++;
    }
  snprintf (buf, len, "%.3g%s", v, units[u]);
}

static int
fail (berth_error_t *err)
{
  fprintf (stderr, "berth image: %s\n", berth_error_msg (err));
  berth_error_release (err);
  return 1;
}

static int
do_ls (struct image_store *s, bool quiet)
{
  struct image_info **v = NULL;
  berth_error_t err = NULL;
  size_t n = 0, w = 3;

  if (image_store_list (s, &v, &n, &err) < 0)
    return fail (&err);
  for (size_t i = 0; i < n; i++)
    if (strlen (v[i]->ref) > w)
      w = strlen (v[i]->ref);
  if (!quiet)
    printf ("%-*s  %-13s  %s\n", (int)w, "REF", "IMAGE ID", "SIZE");
  for (size_t i = 0; i < n; i++)
    {
      char size[32];
      human_size (v[i]->size, size, sizeof (size));
      if (quiet)
        printf ("%s\n", v[i]->ref);
      else
        printf ("%-*s  %-13.13s  %s\n", (int)w, v[i]->ref,
                v[i]->config_digest + 7, size);
    }
  image_info_list_free (v, n);
  return 0;
}

static void
set_strv (struct node *map, const char *key, char **v)
{
  struct node *seq;

  if (v == NULL)
    return;
  seq = node_new_seq ();
  for (; *v; v++)
    node_seq_append (seq, node_new_scalar (*v, true));
  node_map_set (map, key, seq);
}

static int
do_inspect (struct image_store *s, const char *name)
{
  cleanup_free char *json = NULL;
  struct image_info *info = NULL;
  berth_error_t err = NULL;
  struct node *root, *cfg;
  size_t len;
  int ret;

  if (image_store_lookup (s, name, &info, &err) < 0)
    return fail (&err);
  root = node_new_map ();
  node_map_set_str (root, "ref", info->ref);
  node_map_set_str (root, "manifestDigest", info->manifest_digest);
  node_map_set_str (root, "configDigest", info->config_digest);
  node_map_set_int (root, "size", (int64_t)info->size);
  set_strv (root, "layers", info->layers);
  cfg = node_new_map ();
  set_strv (cfg, "Entrypoint", info->entrypoint);
  set_strv (cfg, "Cmd", info->cmd);
  set_strv (cfg, "Env", info->env);
  if (info->working_dir)
    node_map_set_str (cfg, "WorkingDir", info->working_dir);
  if (info->user)
    node_map_set_str (cfg, "User", info->user);
  node_map_set (root, "config", cfg);
  ret = node_write_json (root, true, &json, &len, &err);
  node_unref (root);
  image_info_free (info);
  if (ret < 0)
    return fail (&err);
  printf ("%s\n", json);
  return 0;
}

static int
run_sub (int which, struct image_store *s, int argc, char **argv, bool quiet)
{
  berth_error_t err = NULL;
  int rc = 0;

  switch (which)
    {
    case 0:
      {
        struct image_info *info = NULL;
        if (image_store_import_path (s, argv[0], argv[1], &info, &err) < 0)
          return fail (&err);
        printf ("imported %s (%s, %zu layer%s)\n", info->ref,
                info->manifest_digest, info->n_layers,
                info->n_layers == 1 ? "" : "s");
        image_info_free (info);
        return 0;
      }
    case 1:
      return do_ls (s, quiet);
    case 2:
      for (int i = 0; i < argc; i++)
        if (image_store_remove (s, argv[i], &err) < 0)
          rc = fail (&err);
        else
          printf ("removed %s\n", argv[i]);
      return rc;
    default:
      return do_inspect (s, argv[0]);
    }
}

int
cmd_image (int argc, char **argv)
{
  static const struct option opts[] = { { "root", required_argument, 0, 'r' },
                                        { "quiet", no_argument, 0, 'q' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  static const int nargs_min[] = { 2, 0, 1, 1 },
                   nargs_max[] = { 2, 0, 1000, 1 };
  const char *root = NULL;
  struct image_store *s = NULL;
  berth_error_t err = NULL;
  int which = -1, c, rc;
  bool quiet = false, help = false;

  /* GNU getopt permutes: options may come before and after the command */
  optind = 1;
  while ((c = getopt_long (argc, argv, "qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'r':
        root = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        help = true;
        break;
      default:
        return 2;
      }
  if (optind < argc)
    {
      for (size_t i = 0; i < 4; i++)
        if (strcmp (argv[optind], sub_names[i]) == 0)
          which = i;
      if (which < 0)
        {
          fprintf (stderr, "berth image: unknown command '%s'\n\n",
                   argv[optind]);
          usage (stderr);
          return 2;
        }
      optind++;
    }
  if (help)
    {
      if (which >= 0)
        fputs (sub_usage[which], stdout);
      else
        usage (stdout);
      return 0;
    }
  if (which < 0)
    {
      usage (stderr);
      return 2;
    }
  if (argc - optind < nargs_min[which] || argc - optind > nargs_max[which])
    {
      fputs (sub_usage[which], stderr);
      return 2;
    }
  if (image_store_open (root, &s, &err) < 0)
    return fail (&err);
  rc = run_sub (which, s, argc - optind, argv + optind, quiet);
  image_store_close (s);
  return rc;
}
