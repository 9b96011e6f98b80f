/* persist.c - see persist.h. */
#include "persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"

static int
mkdir_open (int dirfd, const char *path, berth_error_t *err)
{
  int fd;
  if (mkdirat (dirfd, path, 0700) < 0 && errno != EEXIST)
    return berth_error_sys (err, errno, "mkdir %s", path);
  fd = openat (dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  return fd;
}

/* mkdir -p for the parents of the state dir. */
static int
mkdir_parents (const char *root, berth_error_t *err)
{
  cleanup_free char *p = xstrdup (root);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0755) < 0 && errno != EEXIST)
          return berth_error_sys (err, errno, "mkdir %s", p);
        *s = '/';
      }
  return 0;
}

int
persist_open (struct persist *p, const char *root, berth_error_t *err)
{
  p->root_fd = p->objects_fd = -1;
  if (mkdir_parents (root, err) < 0)
    return -1;
  p->root_fd = mkdir_open (AT_FDCWD, root, err);
  if (p->root_fd < 0)
    return -1;
  p->objects_fd = mkdir_open (p->root_fd, "objects", err);
  if (p->objects_fd < 0)
    {
      berth_error_wrap (err, "state dir %s", root);
      persist_close (p);
      return -1;
    }
  return 0;
}

void
persist_close (struct persist *p)
{
  if (p->objects_fd >= 0)
    close (p->objects_fd);
  if (p->root_fd >= 0)
    close (p->root_fd);
  p->root_fd = p->objects_fd = -1;
}

int
persist_write_atomic (int dirfd, const char *name, const char *buf, size_t len,
                      berth_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  size_t off = 0;

  if (asprintf (&tmp, ".%s.tmp", name) < 0)
    abort ();
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", tmp);
  while (off < len)
    {
      ssize_t n = write (fd, buf + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          unlinkat (dirfd, tmp, 0);
          return berth_error_sys (err, e, "write %s", tmp);
        }
      off += (size_t)n;
    }
  if (fsync (fd) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return berth_error_sys (err, e, "fsync %s", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return berth_error_sys (err, e, "rename %s to %s", tmp, name);
    }
  if (fsync (dirfd) < 0)
    return berth_error_sys (err, errno, "fsync the directory of %s", name);
  return 0;
}

/* "pods_default_web.json": names and namespaces are DNS names, which
 * hold neither '_' nor '/'. */
static char *
entry_file_name (const struct store_entry *e)
{
  const char *ns = object_namespace (e->obj);
  char *s = NULL;
  if (asprintf (&s, "%s%s%s_%s_%s.json", e->obj->info->resource,
                *e->obj->info->group ? "." : "", e->obj->info->group,
                ns ? ns : "", object_name (e->obj))
      < 0)
    abort ();
  return s;
}

static int
write_json (int dirfd, const char *name, struct node *n, berth_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  int r = node_write_json (n, false, &text, &len, err);
  node_unref (n);
  if (r < 0)
    return berth_error_wrap (err, "encode %s", name);
  return persist_write_atomic (dirfd, name, text, len, err);
}

int
persist_on_change (struct store *s, const struct store_entry *e, bool deleted,
                   void *data, berth_error_t *err)
{
  struct persist *p = data;
  cleanup_free char *name = entry_file_name (e);
  struct node *meta = node_new_map ();

  if (deleted)
    {
      if (unlinkat (p->objects_fd, name, 0) < 0 && errno != ENOENT)
        {
          node_unref (meta);
          return berth_error_sys (err, errno, "remove objects/%s", name);
        }
    }
  else
    {
      struct node *doc = node_new_map ();
      node_map_set_str (doc, "source", e->source);
      /* as stored: what status_extra serves (the accounting) changes
       * with every sample and is not persisted */
      node_map_set (doc, "object", store_entry_encode_stored (e));
      if (write_json (p->objects_fd, name, doc, err) < 0)
        {
          node_unref (meta);
          return -1;
        }
    }
  node_map_set_int (meta, "resourceVersion", (int64_t)s->rv);
  return write_json (p->root_fd, "store.json", meta, err);
}

static int
read_file_at (int dirfd, const char *name, char **out, size_t *len,
              berth_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  cleanup_file FILE *f = NULL;
  cleanup_free char *buf = NULL;
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return berth_error_sys (err, errno, "open %s", name);
  buf = malloc ((size_t)st.st_size + 1);
  if (buf == NULL)
    return berth_error_sys (err, ENOMEM, "read %s", name);
  f = fdopen (steal_fd (&fd), "r");
  if (f == NULL)
    return berth_error_sys (err, errno, "open %s", name);
  *len = fread (buf, 1, (size_t)st.st_size, f);
  buf[*len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

/* The object without "status" (decoded by the model, which has no status
 * fields), and the status apart. */
static int
load_entry (struct store *s, const char *name, const struct node *doc,
            berth_error_t *err)
{
  const char *source = k8s_get_str (doc, "source");
  const struct node *on = node_map_get (doc, "object");
  struct node *copy, *status = NULL;
  struct object *o;

  if (source == NULL || on == NULL || on->kind != NODE_MAP)
    return berth_error_make (err, EINVAL, "objects/%s: no source or object",
                             name);
  copy = node_new_map ();
  for (size_t i = 0; i < on->len; i++)
    {
      if (strcmp (on->pairs[i].key->text, "status") == 0)
        status = node_ref (on->pairs[i].value);
      else
        node_map_set (copy, on->pairs[i].key->text,
                      node_ref (on->pairs[i].value));
    }
  o = object_from_node (name, copy, "");
  node_unref (copy);
  if (!object_is_valid (o))
    {
      const char *m = o->diags.len ? o->diags.items[0].msg : "unusable kind";
      int r = berth_error_make (err, EINVAL, "objects/%s: %s: %s", name,
                                o->diags.len ? o->diags.items[0].path : "", m);
      object_free (o);
      node_unref (status);
      return r;
    }
  store_insert_loaded (s, o, status, source);
  return 0;
}

static void
load_meta (struct persist *p, struct store *s)
{
  cleanup_free char *buf = NULL;
  struct node_stream st = { 0 };
  berth_error_t err = NULL;
  size_t len = 0;
  int64_t rv;
  if (read_file_at (p->root_fd, "store.json", &buf, &len, &err) < 0
      || node_stream_read (buf, len, &st, &err) < 0)
    {
      berth_error_release (&err);
      return; /* the objects' own resourceVersions still bound it */
    }
  if (st.len > 0
      && node_as_int64 (k8s_get (st.docs[0], "resourceVersion"), &rv, NULL)
      && (uint64_t)rv > s->rv)
    s->rv = (uint64_t)rv;
  node_stream_free (&st);
}

int
persist_load (struct persist *p, struct store *s,
              void (*warn) (void *data, const char *msg), void *data,
              berth_error_t *err)
{
  struct dirent **ents = NULL;
  cleanup_free char *path = NULL;
  int n;

  if (asprintf (&path, "/proc/self/fd/%d", p->objects_fd) < 0)
    abort ();
  n = scandir (path, &ents, NULL, alphasort);
  if (n < 0)
    return berth_error_sys (err, errno, "read the objects directory");
  for (int i = 0; i < n; i++)
    {
      const char *name = ents[i]->d_name;
      size_t l = strlen (name);
      cleanup_free char *buf = NULL;
      struct node_stream st = { 0 };
      berth_error_t e = NULL;
      size_t len = 0;

      if (name[0] == '.' || l < 6 || strcmp (name + l - 5, ".json") != 0)
        {
          if (name[0] == '.' && l > 4 && strcmp (name + l - 4, ".tmp") == 0)
            unlinkat (p->objects_fd, name, 0); /* an interrupted write */
          free (ents[i]);
          continue;
        }
      if (read_file_at (p->objects_fd, name, &buf, &len, &e) < 0
          || node_stream_read (buf, len, &st, &e) < 0
          || (st.len == 1 ? load_entry (s, name, st.docs[0], &e)
                          : berth_error_make (&e, EINVAL,
                                              "objects/%s: %zu "
                                              "documents",
                                              name, st.len))
                 < 0)
        {
          if (warn)
            warn (data, berth_error_msg (&e));
          berth_error_release (&e);
        }
      node_stream_free (&st);
      free (ents[i]);
    }
  free (ents);
  load_meta (p, s);
  return 0;
}

int
persist_save_events (struct persist *p, const struct store *s,
                     berth_error_t *err)
{
  struct node *seq = node_new_seq ();
  for (size_t i = 0; i < s->nevents; i++)
    node_seq_append (seq, store_event_encode (&s->events[i]));
  return write_json (p->root_fd, "events.json", seq, err);
}

int
persist_load_events (struct persist *p, struct store *s, berth_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct node_stream st = { 0 };
  size_t len = 0;
  if (read_file_at (p->root_fd, "events.json", &buf, &len, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      berth_error_release (err);
      return 0;
    }
  if (node_stream_read (buf, len, &st, err) < 0)
    return berth_error_wrap (err, "events.json");
  if (st.len == 1 && st.docs[0] && st.docs[0]->kind == NODE_SEQ)
    for (size_t i = 0; i < st.docs[0]->len; i++)
      store_event_restore (s, st.docs[0]->items[i]);
  node_stream_free (&st);
  return 0;
}
