/* cmd_apply.c - `berth apply -f FILE` and `berth delete -f FILE | KIND
 * NAME`: send manifests to the agent as kubectl does, after validating them
 * locally with the messages of `berth validate`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client.h"
#include "codec.h"
#include "commands.h"
#include "k8s_json.h"

static void
print_diags (const char *file, const char *prefix, const struct diag_list *l)
{
  for (size_t i = 0; i < l->len; i++)
    {
      const struct diag *d = &l->items[i];
      const char *sep = *prefix && *d->path ? "." : "";
      fprintf (stderr, "%s: %s%s%s%s%s%s\n", file,
               d->level == DIAG_WARNING ? "warning: " : "", prefix, sep,
               d->path, *prefix || *d->path ? ": " : "", d->msg);
    }
}

/* Read and check FILE; 0 when every object is valid. */
static int
read_valid (const char *file, struct manifest *m)
{
  berth_error_t err = NULL;
  int bad = 0;
  if (manifest_read_file (file, m, &err) < 0)
    {
      fprintf (stderr, "error: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  print_diags (strcmp (file, "-") == 0 ? "<stdin>" : file, "", &m->diags);
  bad = m->diags.len > 0;
  for (size_t i = 0; i < m->len; i++)
    {
      const struct object *o = m->objects[i];
      print_diags (o->file, o->path_prefix, &o->diags);
      if (!object_is_valid (o))
        {
          cleanup_free char *ref = object_ref (o);
          size_t n = diag_count (&o->diags, DIAG_ERROR);
          fprintf (stderr, "%s: invalid (%zu error%s)\n", ref, n,
                   n == 1 ? "" : "s");
          bad = 1;
        }
    }
  if (bad)
    {
      fprintf (stderr, "error: %s: nothing was sent to the agent\n", file);
      manifest_free (m);
      return -1;
    }
  return 0;
}

static char *
object_json (const struct object *o)
{
  struct node *n = object_encode (o);
  char *text = NULL;
  size_t len = 0;
  berth_error_t err = NULL;
  if (node_write_json (n, false, &text, &len, &err) < 0)
    {
      berth_error_release (&err);
      text = NULL;
    }
  node_unref (n);
  return text;
}

/* created / configured / unchanged, or -1 after printing the error. */
static int
apply_one (const char *socket, const struct object *o)
{
  const char *ns = object_namespace (o);
  cleanup_free char *item = client_path (o->info, false, ns, object_name (o));
  cleanup_free char *coll = client_path (o->info, false, ns, NULL);
  cleanup_free char *body = object_json (o);
  cleanup_free char *kind = client_kind_lower (o->info->kind);
  cleanup_free char *old_rv = NULL;
  struct client_reply rep;
  berth_error_t err = NULL;
  const char *what;

  if (body == NULL
      || client_request (socket, "GET", item, NULL, &rep, &err) < 0)
    goto unreachable;
  if (rep.code == 200)
    {
      old_rv
          = xstrdup (k8s_get_str (rep.body, "metadata.resourceVersion") ?: "");
      client_reply_free (&rep);
      if (client_request (socket, "PUT", item, body, &rep, &err) < 0)
        goto unreachable;
    }
  else
    {
      client_reply_free (&rep);
      if (client_request (socket, "POST", coll, body, &rep, &err) < 0)
        goto unreachable;
    }
  if (rep.code != 200 && rep.code != 201)
    {
      client_print_error (&rep);
      client_reply_free (&rep);
      return -1;
    }
  if (rep.code == 201)
    what = "created";
  else
    what = strcmp (old_rv,
                   k8s_get_str (rep.body, "metadata.resourceVersion") ?: "")
                   == 0
               ? "unchanged"
               : "configured";
  printf ("%s/%s %s\n", kind, object_name (o), what);
  client_reply_free (&rep);
  return 0;
unreachable:
  fprintf (stderr, "error: %s\n",
           err ? berth_error_msg (&err) : "cannot encode the object");
  berth_error_release (&err);
  return -1;
}

static int
delete_one (const char *socket, const struct kind_info *k, const char *ns,
            const char *name)
{
  cleanup_free char *path = client_path (k, false, ns, name);
  cleanup_free char *kind = client_kind_lower (k->kind);
  struct client_reply rep;
  berth_error_t err = NULL;
  if (client_request (socket, "DELETE", path, NULL, &rep, &err) < 0)
    {
      fprintf (stderr, "error: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  if (rep.code != 200)
    {
      client_print_error (&rep);
      client_reply_free (&rep);
      return -1;
    }
  printf ("%s \"%s\" deleted\n", kind, name);
  client_reply_free (&rep);
  return 0;
}

struct args
{
  const char **files;
  size_t nfiles;
  const char *socket;
  const char *ns;
};

static int
parse (const char *cmd, int argc, char **argv, struct args *a)
{
  static const struct option options[]
      = { { "filename", required_argument, NULL, 'f' },
          { "namespace", required_argument, NULL, 'n' },
          { "socket", required_argument, NULL, 'S' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  int c;
  memset (a, 0, sizeof (*a));
  a->files = xcalloc ((size_t)argc + 1, sizeof (char *));
  optind = 1;
  while ((c = getopt_long (argc, argv, "f:n:h", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        a->files[a->nfiles++] = optarg;
        break;
      case 'n':
        a->ns = optarg;
        break;
      case 'S':
        a->socket = optarg;
        break;
      case 'h':
        printf ("Usage: berth %s -f FILE [-f FILE...] [--socket PATH]\n%s", cmd,
                strcmp (cmd, "delete") == 0
                    ? "       berth delete KIND NAME [-n NS] [--socket PATH]\n"
                      "\nDelete the objects of the manifests, or one object.\n"
                    : "\nValidate the manifests as `berth validate` does, then "
                      "create each object\nin the agent, or replace it when it "
                      "exists (created, configured,\nunchanged).\n");
        printf ("\n  -f, --filename FILE  a manifest (- for standard input)\n"
                "  -n, --namespace NS   for KIND NAME (default: default)\n"
                "      --socket PATH    the agent's socket (default "
                "$BERTH_SOCKET or /run/berth/berth.sock)\n");
        return 1;
      default:
        return 2;
      }
  return 0;
}

int
cmd_apply (int argc, char **argv)
{
  struct args a;
  int r = parse ("apply", argc, argv, &a), status = 0;
  if (r == 0 && (a.nfiles == 0 || optind < argc))
    {
      fprintf (stderr, "error: berth apply takes -f FILE\n");
      r = 2;
    }
  for (size_t i = 0; r == 0 && i < a.nfiles; i++)
    {
      struct manifest m;
      if (read_valid (a.files[i], &m) < 0)
        {
          status = 1;
          continue;
        }
      for (size_t j = 0; j < m.len; j++)
        if (apply_one (client_socket (a.socket), m.objects[j]) < 0)
          status = 1;
      manifest_free (&m);
    }
  free (a.files);
  return r == 1 ? 0 : r ? r : status;
}

int
cmd_delete (int argc, char **argv)
{
  struct args a;
  int r = parse ("delete", argc, argv, &a), status = 0;
  const char *socket = client_socket (a.socket);
  if (r == 0 && a.nfiles == 0)
    {
      bool events;
      const struct kind_info *k
          = argc - optind == 2 ? client_resource (argv[optind], &events) : NULL;
      if (k == NULL)
        {
          fprintf (stderr, "error: berth delete takes -f FILE or KIND NAME\n");
          free (a.files);
          return 2;
        }
      status = delete_one (socket, k, a.ns ? a.ns : "default", argv[optind + 1])
                       < 0
                   ? 1
                   : 0;
    }
  for (size_t i = 0; r == 0 && i < a.nfiles; i++)
    {
      struct manifest m;
      if (read_valid (a.files[i], &m) < 0)
        {
          status = 1;
          continue;
        }
      for (size_t j = 0; j < m.len; j++)
        if (delete_one (socket, m.objects[j]->info,
                        object_namespace (m.objects[j]),
                        object_name (m.objects[j]))
            < 0)
          status = 1;
      manifest_free (&m);
    }
  free (a.files);
  return r == 1 ? 0 : r ? r : status;
}
