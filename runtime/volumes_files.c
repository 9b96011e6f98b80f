/* volumes_files.c - the file-level parts of volumes.h: the kubelet's
 * AtomicWriter layout (pkg/volume/util/atomic_writer.go), downwardAPI
 * values (pkg/fieldpath, pkg/api/v1/resource), subPath resolution, and
 * unmounting/removing trees. */
#include "volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "gostr.h"

/* ---- atomic writer ---- */

static int
mkdirs_in (const char *base, const char *rel, berth_error_t *err)
{
  cleanup_free char *p = NULL;
  char *s;
  size_t blen = strlen (base);

  if (asprintf (&p, "%s/%s", base, rel) < 0)
    abort ();
  for (s = p + blen + 1; (s = strchr (s, '/')) != NULL; s++)
    {
      *s = '\0';
      if (mkdir (p, 0755) < 0 && errno != EEXIST)
        return berth_error_sys (err, errno, "mkdir %s", p);
      *s = '/';
    }
  return 0;
}

static int
write_one (const char *dir, const struct volumes_file *f, berth_error_t *err)
{
  cleanup_free char *p = NULL;
  cleanup_close int fd = -1;
  size_t off = 0;

  if (mkdirs_in (dir, f->path, err) < 0)
    return -1;
  if (asprintf (&p, "%s/%s", dir, f->path) < 0)
    abort ();
  fd = open (p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_error_sys (err, errno, "create %s", p);
  while (off < f->len)
    {
      ssize_t w = write (fd, f->data + off, f->len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return berth_error_sys (err, errno, "write %s", p);
      off += (size_t)w;
    }
  if (fchmod (fd, (mode_t)f->mode & 07777) < 0)
    return berth_error_sys (err, errno, "chmod %s", p);
  return 0;
}

static bool
path_is_valid (const char *p)
{
  const char *s = p;
  if (*p == '\0' || *p == '/' || strncmp (p, "..", 2) == 0)
    return false;
  while (*s)
    {
      size_t n = strcspn (s, "/");
      if (n == 0 || (n == 2 && strncmp (s, "..", 2) == 0))
        return false;
      s += n;
      if (*s == '/')
        s++;
    }
  return true;
}

static bool
top_level_in (const char *name, const struct volumes_file *files, size_t n)
{
  size_t i, l = strlen (name);
  for (i = 0; i < n; i++)
    if (strncmp (files[i].path, name, l) == 0
        && (files[i].path[l] == '\0' || files[i].path[l] == '/'))
      return true;
  return false;
}

static int
link_top_levels (const char *dir, const struct volumes_file *files, size_t n,
                 berth_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      cleanup_free char *top
          = strndup (files[i].path, strcspn (files[i].path, "/"));
      cleanup_free char *lnk = NULL, *target = NULL;
      if (top == NULL || asprintf (&lnk, "%s/%s", dir, top) < 0
          || asprintf (&target, "..data/%s", top) < 0)
        abort ();
      if (symlink (target, lnk) < 0 && errno != EEXIST)
        return berth_error_sys (err, errno, "symlink %s", lnk);
    }
  return 0;
}

/* Remove the old ..<ts> dir and the symlinks that the new data lacks. */
static void
remove_stale (const char *dir, const char *keep_ts,
              const struct volumes_file *files, size_t n)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *e;

  while (d && (e = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0
          || strcmp (e->d_name, "..data") == 0
          || strcmp (e->d_name, keep_ts) == 0)
        continue;
      if (asprintf (&p, "%s/%s", dir, e->d_name) < 0)
        abort ();
      if (strncmp (e->d_name, "..", 2) == 0 && e->d_type == DT_DIR)
        {
          berth_error_t ignored = NULL;
          volumes_remove_tree (p, &ignored);
          berth_error_release (&ignored);
        }
      else if (e->d_type == DT_LNK && !top_level_in (e->d_name, files, n))
        unlink (p);
    }
}

/* Regular files below the directory FD (closed), recursively; -1 when
 * something else is there. */
static ssize_t
count_files (int fd)
{
  cleanup_dir DIR *d = fdopendir (fd);
  struct dirent *e;
  ssize_t n = 0;
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  while ((e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (e->d_type == DT_REG)
        n++;
      else if (e->d_type == DT_DIR)
        {
          int sub = openat (dirfd (d), e->d_name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          ssize_t k = sub < 0 ? -1 : count_files (sub);
          if (k < 0)
            return -1;
          n += k;
        }
      else
        return -1;
    }
  return n;
}

static bool
file_is (int dfd, const struct volumes_file *f)
{
  cleanup_close int fd
      = openat (dfd, f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t off = 0;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)
      || (size_t)st.st_size != f->len
      || (st.st_mode & 07777) != ((mode_t)f->mode & 07777))
    return false;
  buf = malloc (f->len + 1);
  if (buf == NULL)
    abort ();
  while (off < f->len)
    {
      ssize_t r = read (fd, buf + off, f->len - off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return false;
      off += (size_t)r;
    }
  return memcmp (buf, f->data, f->len) == 0;
}

/* The kubelet's AtomicWriter writes nothing when the volume holds the
 * payload already (shouldWritePayload false for every file, and no path to
 * remove): a periodic remount leaves an unchanged volume alone. */
static bool
payload_current (const char *dir, const struct volumes_file *files, size_t n)
{
  cleanup_free char *data = NULL;
  cleanup_close int dfd = -1;
  int cfd;
  if (asprintf (&data, "%s/..data", dir) < 0)
    abort ();
  dfd = open (data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!file_is (dfd, &files[i]))
      return false;
  cfd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return cfd >= 0 && count_files (cfd) == (ssize_t)n;
}

int
volumes_atomic_write (const char *dir, const struct volumes_file *files,
                      size_t n, berth_error_t *err)
{
  cleanup_free char *ts = NULL, *tmpl = NULL, *tmplink = NULL, *datalink = NULL;
  struct timespec now;
  struct tm tm;
  char stamp[64];
  size_t i;

  for (i = 0; i < n; i++)
    if (!path_is_valid (files[i].path))
      return berth_error_make (err, EINVAL, "invalid path \"%s\" in volume",
                               files[i].path);
  if (payload_current (dir, files, n))
    return 0;
  clock_gettime (CLOCK_REALTIME, &now);
  gmtime_r (&now.tv_sec, &tm);
  strftime (stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.", &tm);
  if (asprintf (&tmpl, "%s/%sXXXXXXXXX", dir, stamp) < 0
      || asprintf (&tmplink, "%s/..data_tmp", dir) < 0
      || asprintf (&datalink, "%s/..data", dir) < 0)
    abort ();
  if (mkdtemp (tmpl) == NULL)
    return berth_error_sys (err, errno, "mkdtemp in %s", dir);
  if (chmod (tmpl, 0755) < 0)
    return berth_error_sys (err, errno, "chmod %s", tmpl);
  ts = strdup (strrchr (tmpl, '/') + 1);
  for (i = 0; i < n; i++)
    if (write_one (tmpl, &files[i], err) < 0)
      return -1;
  unlink (tmplink);
  if (symlink (ts, tmplink) < 0)
    return berth_error_sys (err, errno, "symlink %s", tmplink);
  if (rename (tmplink, datalink) < 0)
    return berth_error_sys (err, errno, "rename %s", tmplink);
  if (link_top_levels (dir, files, n, err) < 0)
    return -1;
  remove_stale (dir, ts, files, n);
  return 0;
}

/* ---- downward API ---- */

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

char *
volumes_format_map (const struct strmap *m)
{
  cleanup_free size_t *idx = NULL;
  char *buf = NULL;
  size_t len = 0, i;
  cleanup_free char **keys = NULL;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return NULL;
  keys = calloc (m->len + 1, sizeof (char *));
  if (keys == NULL)
    abort ();
  for (i = 0; i < m->len; i++)
    keys[i] = m->keys[i];
  qsort (keys, m->len, sizeof (char *), cmp_str);
  for (i = 0; i < m->len; i++)
    {
      size_t j;
      for (j = 0; j < m->len && m->keys[j] != keys[i]; j++)
        ;
      cleanup_free char *q = gostr_quote (m->values[j], strlen (m->values[j]));
      fprintf (f, "%s%s=%s", i ? "\n" : "", keys[i], q ? q : "\"\"");
    }
  fclose (f);
  return buf;
}

static const char *
strmap_get (const struct strmap *m, const char *k, size_t klen)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    if (strlen (m->keys[i]) == klen && strncmp (m->keys[i], k, klen) == 0)
      return m->values[i];
  return NULL;
}

static int
field_value (const struct pod *pod, const char *fp, char **out,
             berth_error_t *err)
{
  const struct object_meta *md = &pod->metadata;
  const char *v = NULL;

  if (strcmp (fp, "metadata.name") == 0)
    v = md->name;
  else if (strcmp (fp, "metadata.namespace") == 0)
    v = md->namespace;
  else if (strcmp (fp, "metadata.uid") == 0)
    v = md->uid;
  else if (strcmp (fp, "metadata.labels") == 0)
    return (*out = volumes_format_map (&md->labels)) ? 0 : -1;
  else if (strcmp (fp, "metadata.annotations") == 0)
    return (*out = volumes_format_map (&md->annotations)) ? 0 : -1;
  else if (strncmp (fp, "metadata.labels['", 17) == 0
           || strncmp (fp, "metadata.annotations['", 22) == 0)
    {
      bool lab = fp[9] == 'l';
      const char *k = fp + (lab ? 17 : 22);
      size_t kl = strlen (k);
      if (kl < 2 || strcmp (k + kl - 2, "']") != 0)
        return berth_error_make (err, EINVAL, "unsupported fieldPath: %s", fp);
      v = strmap_get (lab ? &md->labels : &md->annotations, k, kl - 2);
    }
  else
    return berth_error_make (err, EINVAL, "unsupported fieldPath: %s", fp);
  *out = strdup (v ? v : "");
  return 0;
}

static const struct quantity *
qmap_get (const struct quantity_map *m, const char *k)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], k) == 0)
      return &m->values[i];
  return NULL;
}

/* Node allocatable stands in for an unset limit, as in the kubelet. */
static int64_t
node_capacity (bool cpu)
{
  if (cpu)
    return sysconf (_SC_NPROCESSORS_ONLN) * 1000;
  return (int64_t)sysconf (_SC_PHYS_PAGES) * sysconf (_SC_PAGESIZE);
}

static int
resource_value (const struct pod *pod, const struct resource_field_selector *r,
                char **out, berth_error_t *err)
{
  const struct container *c = NULL;
  const char *res = r->resource ? r->resource : "";
  bool limits = strncmp (res, "limits.", 7) == 0;
  const char *name = strchr (res, '.') ? strchr (res, '.') + 1 : "";
  bool cpu = strcmp (name, "cpu") == 0;
  const struct quantity *q;
  int64_t v = 0, d = 1;
  size_t i;

  for (i = 0; i < pod->spec.containers.len; i++)
    if (r->container_name
        && strcmp (pod->spec.containers.items[i].name, r->container_name) == 0)
      c = &pod->spec.containers.items[i];
  if (c == NULL)
    return berth_error_make (err, ENOENT, "container \"%s\" not found",
                             r->container_name ? r->container_name : "");
  if (!limits && strncmp (res, "requests.", 9) != 0)
    return berth_error_make (err, EINVAL, "unsupported container resource: %s",
                             res);
  q = qmap_get (limits ? &c->resources.limits : &c->resources.requests, name);
  if (cpu)
    {
      if (q == NULL)
        v = limits ? node_capacity (true) : 0;
      else if (quantity_milli_value (q, &v, err) < 0)
        return -1;
      if (r->divisor && quantity_milli_value (r->divisor, &d, err) < 0)
        return -1;
      if (!r->divisor)
        d = 1000;
    }
  else
    {
      if (q == NULL)
        v = limits ? node_capacity (false) : 0;
      else if (quantity_value (q, &v, err) < 0)
        return -1;
      if (r->divisor && quantity_value (r->divisor, &d, err) < 0)
        return -1;
    }
  if (d <= 0)
    d = 1;
  if (asprintf (out, "%lld", (long long)((v + d - 1) / d)) < 0)
    abort ();
  return 0;
}

int
volumes_downward_value (const struct pod *pod,
                        const struct downward_api_file *f, char **out,
                        berth_error_t *err)
{
  if (f->field_ref && f->field_ref->field_path)
    return field_value (pod, f->field_ref->field_path, out, err);
  if (f->resource_field_ref)
    return resource_value (pod, f->resource_field_ref, out, err);
  return berth_error_make (err, EINVAL, "%s: no fieldRef or resourceFieldRef",
                           f->path ? f->path : "");
}

/* ---- subPath ---- */

static int
open_beneath (int root, const char *rel)
{
#ifdef SYS_openat2
  struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
  int fd = (int)syscall (SYS_openat2, root, rel, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS)
    return fd;
#endif
  /* Old kernel: walk, refusing every symlink. */
  {
    cleanup_free char *copy = strdup (rel);
    char *save = NULL, *c;
    int cur = dup (root);
    for (c = strtok_r (copy, "/", &save); c && cur >= 0;
         c = strtok_r (NULL, "/", &save))
      {
        int next;
        if (strcmp (c, ".") == 0)
          continue;
        if (strcmp (c, "..") == 0)
          {
            close (cur);
            errno = EXDEV;
            return -1;
          }
        next = openat (cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        close (cur);
        cur = next;
        if (cur >= 0)
          {
            struct stat st;
            if (fstat (cur, &st) == 0 && S_ISLNK (st.st_mode))
              {
                close (cur);
                errno = EXDEV;
                return -1;
              }
          }
      }
    return cur;
  }
}

int
volumes_resolve_subpath (const char *volume_path, const char *sub_path,
                         char **out, berth_error_t *err)
{
  cleanup_close int root = open (volume_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  char proc[64], buf[4096];
  ssize_t n;

  if (root < 0)
    return berth_error_sys (err, errno, "open volume %s", volume_path);
  if (sub_path == NULL || *sub_path == '/' || !path_is_valid (sub_path))
    return berth_error_make (err, EINVAL,
                             "subPath \"%s\" must be a relative path without "
                             "'..'",
                             sub_path ? sub_path : "");
  fd = open_beneath (root, sub_path);
  if (fd < 0 && errno == ENOENT)
    {
      /* The kubelet creates a missing subPath as a directory. */
      cleanup_free char *copy = strdup (sub_path);
      char *s = copy;
      for (;;)
        {
          char *slash = strchr (s, '/');
          cleanup_close int parent = -1;
          if (slash)
            *slash = '\0';
          if (mkdirat (root, copy, 0755) < 0 && errno != EEXIST)
            return berth_error_sys (err, errno, "create subPath %s in %s", copy,
                                    volume_path);
          /* the component just made must itself be beneath the root */
          parent = open_beneath (root, copy);
          if (parent < 0)
            return berth_error_sys (err, errno,
                                    "subPath \"%s\" escapes volume %s",
                                    sub_path, volume_path);
          if (!slash)
            break;
          *slash = '/';
          s = slash + 1;
        }
      fd = open_beneath (root, sub_path);
    }
  if (fd < 0)
    {
      if (errno == EXDEV || errno == ELOOP)
        return berth_error_make (err, EXDEV, "subPath \"%s\" escapes volume %s",
                                 sub_path, volume_path);
      return berth_error_sys (err, errno, "subPath \"%s\" in %s", sub_path,
                              volume_path);
    }
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  n = readlink (proc, buf, sizeof buf - 1);
  if (n < 0)
    return berth_error_sys (err, errno, "readlink %s", proc);
  buf[n] = '\0';
  *out = strdup (buf);
  return 0;
}

/* ---- unmount, remove ---- */

static void
unescape_mountinfo (char *s)
{
  char *r = s, *w = s;
  while (*r)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3])
        {
          *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3)
                        | (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

static int
cmp_len_desc (const void *a, const void *b)
{
  size_t la = strlen (*(char *const *)a), lb = strlen (*(char *const *)b);
  return la < lb ? 1 : la > lb ? -1 : 0;
}

/* Mount points at or under DIR; returns how many, -1 on error. */
static ssize_t
mounts_under (const char *dir, char ***out)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, dl = strlen (dir);
  char **v = NULL;
  ssize_t n = 0;

  if (f == NULL)
    return -1;
  while (getline (&line, &cap, f) > 0)
    {
      char *save = NULL, *tok = strtok_r (line, " ", &save);
      int i;
      for (i = 0; tok && i < 4; i++)
        tok = strtok_r (NULL, " ", &save);
      if (tok == NULL)
        continue;
      unescape_mountinfo (tok);
      if (strncmp (tok, dir, dl) != 0 || (tok[dl] != '\0' && tok[dl] != '/'))
        continue;
      v = realloc (v, (size_t)(n + 1) * sizeof (char *));
      if (v == NULL || (v[n] = strdup (tok)) == NULL)
        abort ();
      n++;
    }
  *out = v;
  return n;
}

int
volumes_unmount_under (const char *dir, berth_error_t *err)
{
  int pass;

  for (pass = 0; pass < 16; pass++)
    {
      char **v = NULL;
      ssize_t n = mounts_under (dir, &v), i;
      int failed = 0, e = 0;
      if (n < 0)
        return berth_error_sys (err, errno, "read /proc/self/mountinfo");
      qsort (v, (size_t)n, sizeof (char *), cmp_len_desc);
      for (i = 0; i < n; i++)
        {
          if (umount2 (v[i], MNT_DETACH) < 0 && errno != EINVAL
              && errno != ENOENT)
            {
              failed = 1;
              e = errno;
            }
          free (v[i]);
        }
      free (v);
      if (n == 0)
        return 0;
      if (failed)
        return berth_error_sys (err, e, "unmount under %s", dir);
    }
  return berth_error_make (err, EBUSY, "unmount under %s: mounts remain", dir);
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  if (flag == FTW_DP)
    return rmdir (path) < 0 && errno != ENOENT ? -1 : 0;
  return unlink (path) < 0 && errno != ENOENT ? -1 : 0;
}

int
volumes_remove_tree (const char *dir, berth_error_t *err)
{
  struct stat st;

  if (lstat (dir, &st) < 0)
    return errno == ENOENT ? 0 : berth_error_sys (err, errno, "stat %s", dir);
  if (nftw (dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
    return berth_error_sys (err, errno, "remove %s", dir);
  return 0;
}
