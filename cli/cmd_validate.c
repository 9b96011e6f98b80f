/* cmd_validate.c - `berth validate [-o json|yaml] -f FILE...`: read
 * manifests as the API server would, report every error with its file and
 * field path, and print one line per object (or the defaulted objects). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "cli_util.h"
#include "commands.h"
#include "manifest.h"
#include "node.h"
#include "qos.h"

enum output
{
  OUT_SUMMARY,
  OUT_JSON,
  OUT_YAML,
};

struct validate_run
{
  enum output output;
  int invalid;        /* objects or files with errors */
  struct node *items; /* for -o json|yaml */
};

static void
usage (FILE *f)
{
  fprintf (
      f, "Usage: berth validate [-o json|yaml] -f FILE [-f FILE...]\n"
         "\n"
         "Read Kubernetes manifests (YAML, flow-style YAML or JSON; several\n"
         "documents per file; List objects) as the API server would: decode,\n"
         "apply the API defaults and validate.  Every error is printed with\n"
         "its file and field path; unknown and duplicate fields are warnings.\n"
         "\n"
         "Options:\n"
         "  -f, --filename FILE  a manifest file, a directory of them (.yaml,\n"
         "                       .yml, .json), or - for standard input\n"
         "  -o, --output FORMAT  json or yaml: print the defaulted objects\n"
         "                       instead of one summary line per object\n"
         "  -h, --help           show this help\n"
         "\n"
         "Without -o, each object gets a line like\n"
         "  pod/default/web: ok (Burstable)\n"
         "Exit status: 0 when every object is valid, 1 when any is not,\n"
         "2 on a usage error.\n");
}

/* The object as the API server returns it from a create: defaulted, and
 * for a Pod with the status it starts with (phase Pending, its QoS class). */
static struct node *
encode_created (const struct object *o)
{
  struct node *n = object_encode (o);
  if (o->info->id == KIND_POD)
    {
      struct node *status = node_new_map ();
      node_map_set_str (status, "phase", "Pending");
      node_map_set_str (
          status, "qosClass",
          qos_class_name (qos_compute (&((struct pod *)o->data)->spec)));
      node_map_set (n, "status", status);
    }
  return n;
}

static void
report_object (struct validate_run *run, const struct object *o)
{
  cleanup_free char *ref = object_ref (o);
  bool ok = object_is_valid (o);

  cli_print_diags (o->file, o->path_prefix, &o->diags);
  if (!ok)
    run->invalid++;
  if (run->output != OUT_SUMMARY)
    {
      if (ok)
        node_seq_append (run->items, encode_created (o));
      return;
    }
  if (!ok)
    printf ("%s: invalid (%zu error%s)\n", ref,
            diag_count (&o->diags, DIAG_ERROR),
            diag_count (&o->diags, DIAG_ERROR) == 1 ? "" : "s");
  else if (o->info->id == KIND_POD)
    printf ("%s: ok (%s)\n", ref,
            qos_class_name (qos_compute (&((struct pod *)o->data)->spec)));
  else
    printf ("%s: ok\n", ref);
}

static void
validate_file (struct validate_run *run, const char *path)
{
  struct manifest m;
  berth_error_t err = NULL;

  if (manifest_read_file (path, &m, &err) < 0)
    {
      fprintf (stderr, "berth validate: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      run->invalid++;
      return;
    }
  cli_print_diags (strcmp (path, "-") == 0 ? "<stdin>" : path, "", &m.diags);
  if (m.diags.len > 0)
    run->invalid++;
  for (size_t i = 0; i < m.len; i++)
    report_object (run, m.objects[i]);
  manifest_free (&m);
}

static bool
is_manifest_name (const char *name)
{
  size_t n = strlen (name);
  if (name[0] == '.')
    return false;
  return (n > 5 && strcmp (name + n - 5, ".yaml") == 0)
         || (n > 4 && strcmp (name + n - 4, ".yml") == 0)
         || (n > 5 && strcmp (name + n - 5, ".json") == 0);
}

static int
compare_names (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

static void
validate_path (struct validate_run *run, const char *path)
{
  struct stat st;
  struct dirent **entries = NULL;
  int n;

  if (strcmp (path, "-") == 0 || stat (path, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      validate_file (run, path);
      return;
    }
  n = scandir (path, &entries, NULL, compare_names);
  if (n < 0)
    {
      fprintf (stderr, "berth validate: read directory %s: %s\n", path,
               strerror (errno));
      run->invalid++;
      return;
    }
  for (int i = 0; i < n; i++)
    {
      if (is_manifest_name (entries[i]->d_name))
        {
          cleanup_free char *full = NULL;
          if (asprintf (&full, "%s/%s", path, entries[i]->d_name) < 0)
            abort ();
          validate_file (run, full);
        }
      free (entries[i]);
    }
  free (entries);
}

static int
print_items (struct validate_run *run)
{
  struct node *doc = run->items;
  cleanup_free char *text = NULL;
  berth_error_t err = NULL;
  size_t len = 0;
  int ret;

  if (run->items->len == 1)
    doc = run->items->items[0];
  else
    {
      doc = node_new_map ();
      node_map_set_str (doc, "apiVersion", "v1");
      node_map_set_str (doc, "kind", "List");
      node_map_set (doc, "items", node_ref (run->items));
    }
  ret = run->output == OUT_JSON ? node_write_json (doc, true, &text, &len, &err)
                                : node_write_yaml (doc, &text, &len, &err);
  if (doc != run->items && doc != run->items->items[0])
    node_unref (doc);
  if (ret < 0)
    {
      fprintf (stderr, "berth validate: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  fwrite (text, 1, len, stdout);
  if (len > 0 && text[len - 1] != '\n')
    putchar ('\n');
  return 0;
}

int
cmd_validate (int argc, char **argv)
{
  static const struct option options[]
      = { { "filename", required_argument, NULL, 'f' },
          { "output", required_argument, NULL, 'o' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  struct validate_run run = { .output = OUT_SUMMARY };
  const char **files = calloc ((size_t)argc, sizeof (char *));
  size_t nfiles = 0;
  int c, status;

  if (files == NULL)
    abort ();
  optind = 1;
  while ((c = getopt_long (argc, argv, "f:o:h", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        files[nfiles++] = optarg;
        break;
      case 'o':
        if (strcmp (optarg, "json") == 0)
          run.output = OUT_JSON;
        else if (strcmp (optarg, "yaml") == 0)
          run.output = OUT_YAML;
        else
          {
            fprintf (stderr,
                     "berth validate: unknown output format \"%s\" "
                     "(json or yaml)\n",
                     optarg);
            free (files);
            return 2;
          }
        break;
      case 'h':
        usage (stdout);
        free (files);
        return 0;
      default:
        usage (stderr);
        free (files);
        return 2;
      }
  for (int i = optind; i < argc; i++)
    files[nfiles++] = argv[i];
  if (nfiles == 0)
    {
      fprintf (stderr, "berth validate: no manifest given: use -f FILE\n");
      usage (stderr);
      free (files);
      return 2;
    }
  run.items = node_new_seq ();
  for (size_t i = 0; i < nfiles; i++)
    validate_path (&run, files[i]);
  status = run.invalid ? 1 : 0;
  if (run.output != OUT_SUMMARY && run.items->len > 0 && print_items (&run) < 0)
    status = 1;
  node_unref (run.items);
  free (files);
  return status;
}
