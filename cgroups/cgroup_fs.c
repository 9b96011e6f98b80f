/* cgroup_fs.c - see cgroup_fs.h.  The host check lives in cgroup_host.c. */
#include "cgroup_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_host.h"
#include "cleanup.h"

struct cgroup_fs
{
  char *root;
  int root_fd; /* O_PATH */
};

static const char *const required[] = { "cpu", "memory", "pids" };
#define N_REQUIRED (sizeof (required) / sizeof (required[0]))

/* ---- interface files ---- */

bool
cgroup_fs_list_has (const char *list, const char *word)
{
  size_t n = strlen (word);
  for (const char *p = list; p != NULL && *p;)
    {
      p += strspn (p, " \t\n");
      size_t len = strcspn (p, " \t\n");
      if (len == n && strncmp (p, word, n) == 0)
        return true;
      p += len;
    }
  return false;
}

static int
read_fd (int fd, const char *path, char **out, berth_error_t *err)
{
  size_t cap = 4096, len = 0;
  cleanup_free char *buf = malloc (cap);
  if (buf == NULL)
    return berth_error_sys (err, ENOMEM, "read %s", path);
  for (;;)
    {
      if (len + 1 >= cap)
        {
          char *nb = realloc (buf, cap * 2);
          if (nb == NULL)
            return berth_error_sys (err, ENOMEM, "read %s", path);
          buf = nb;
          cap *= 2;
        }
      ssize_t r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return berth_error_sys (err, errno, "read %s", path);
      if (r == 0)
        break;
      len += (size_t)r;
    }
  buf[len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

int
cgroup_fs_read_opt (int dirfd, const char *dir, const char *file, char **out,
                    berth_error_t *err)
{
  *out = NULL;
  cleanup_close int fd = openat (dirfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s/%s", dir, file);
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return berth_error_sys (err, ENOMEM, "read %s/%s", dir, file);
  return read_fd (fd, path, out, err);
}

int
cgroup_fs_read (int dirfd, const char *dir, const char *file, char **out,
                berth_error_t *err)
{
  if (cgroup_fs_read_opt (dirfd, dir, file, out, err) < 0)
    return -1;
  if (*out == NULL)
    return berth_error_sys (err, ENOENT, "open %s/%s", dir, file);
  return 0;
}

/* The controller an interface file belongs to ("cpu" for cpu.max), or NULL
 * for the core cgroup.* files. */
static char *
file_controller (const char *file)
{
  const char *dot = strchr (file, '.');
  if (dot == NULL || strncmp (file, "cgroup.", 7) == 0)
    return NULL;
  return strndup (file, (size_t)(dot - file));
}

int
cgroup_fs_write (int dirfd, const char *dir, const char *file,
                 const char *value, berth_error_t *err)
{
  size_t len = strlen (value);
  cleanup_close int fd = openat (dirfd, file, O_WRONLY | O_CLOEXEC);
  int saved = 0;
  if (fd >= 0)
    {
      ssize_t w;
      do
        w = write (fd, value, len);
      while (w < 0 && errno == EINTR);
      if (w == (ssize_t)len)
        return 0;
      saved = w < 0 ? errno : EIO;
    }
  else
    saved = errno;

  cleanup_free char *ctrl = file_controller (file);
  if (ctrl != NULL)
    {
      cleanup_free char *avail = NULL;
      berth_error_t ignored = NULL;
      if (cgroup_fs_read (dirfd, dir, "cgroup.controllers", &avail, &ignored)
              == 0
          && !cgroup_fs_list_has (avail, ctrl))
        {
          avail[strcspn (avail, "\n")] = '\0';
          return berth_error_make (
              err, saved,
              "write %s/%s: controller %s not available (%s/cgroup.controllers"
              " lists \"%s\"): enable it in the parent's "
              "cgroup.subtree_control",
              dir, file, ctrl, dir, avail);
        }
      berth_error_release (&ignored);
    }
  return berth_error_sys (err, saved, "write %s/%s = \"%s\"", dir, file, value);
}

/* Delegate the required controllers to DIR's children: those not yet in
 * its cgroup.subtree_control, in one write, so that the kernel accepts or
 * refuses them together (enabling the threaded cpu or pids alone in a
 * cgroup with processes would make it a thread root). */
static int
enable_controllers (int dirfd, const char *dir, berth_error_t *err)
{
  cleanup_free char *enabled = NULL;
  char buf[64] = "";
  size_t used = 0;
  if (cgroup_fs_read (dirfd, dir, "cgroup.subtree_control", &enabled, err) < 0)
    return -1;
  for (size_t i = 0; i < N_REQUIRED; i++)
    if (!cgroup_fs_list_has (enabled, required[i]))
      used += (size_t)snprintf (buf + used, sizeof (buf) - used, "%s+%s",
                                used ? " " : "", required[i]);
  if (used == 0
      || cgroup_fs_write (dirfd, dir, "cgroup.subtree_control", buf, err) == 0)
    return 0;
  return cgroup_host_explain_enable (dirfd, dir, buf, err);
}

/* mkdirat + an O_PATH fd on the result; an existing directory is fine. */
static int
make_dir (int parent_fd, const char *parent, const char *name, int *out,
          berth_error_t *err)
{
  if (mkdirat (parent_fd, name, 0755) < 0 && errno != EEXIST)
    return berth_error_sys (err, errno, "mkdir %s/%s", parent, name);
  int fd = openat (parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s/%s", parent, name);
  *out = fd;
  return 0;
}

static int
write_values (int dirfd, const char *dir, const struct cgroup_values *v,
              berth_error_t *err)
{
  struct cgroup_entry e[CGROUP_MAX_ENTRIES];
  size_t n = cgroup_values_entries (v, e);
  for (size_t i = 0; i < n; i++)
    if (cgroup_fs_write (dirfd, dir, e[i].file, e[i].value, err) < 0)
      return -1;
  return 0;
}

/* ---- the handle ---- */

/* Create the missing directories of ROOT below its existing ancestor,
 * delegating the controllers at each level. */
static int
make_root (const char *root, int *out, berth_error_t *err)
{
  cleanup_free char *path = strdup (root);
  if (path == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup root");
  size_t len = strlen (path);
  while (len > 1 && path[len - 1] == '/')
    path[--len] = '\0';

  /* The longest existing prefix: cut the path at its slashes from the
   * end; the cuts are the components to create. */
  char *end = path + len, *p = end;
  struct stat st;
  while (stat (path, &st) < 0)
    {
      char *slash = strrchr (path, '/');
      if (errno != ENOENT || slash == NULL || slash == path)
        return berth_error_sys (err, errno, "stat %s", path);
      *slash = '\0';
      p = slash;
    }
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  while (p < end)
    {
      char *name = p + 1, *next = name + strlen (name);
      int child;
      if (enable_controllers (fd, path, err) < 0
          || make_dir (fd, path, name, &child, err) < 0)
        return -1;
      close (fd);
      fd = child;
      *p = '/';
      p = next;
    }
  *out = steal_fd (&fd);
  return 0;
}

int
cgroup_fs_open (const char *root, struct cgroup_fs **out, berth_error_t *err)
{
  static const char *const qos_dirs[] = { "burstable", "besteffort" };
  if (root == NULL)
    root = CGROUP_FS_DEFAULT_ROOT;
  if (root[0] != '/')
    return berth_error_make (err, EINVAL,
                             "cgroup root %s: must be an absolute path", root);
  if (cgroup_fs_check_host (root, err) < 0)
    return -1;

  cleanup_close int fd = -1;
  if (make_root (root, &fd, err) < 0 || enable_controllers (fd, root, err) < 0)
    return berth_error_wrap (err, "cgroup root %s", root);
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_close int q = -1;
      cleanup_free char *dir = NULL;
      if (make_dir (fd, root, qos_dirs[i], &q, err) < 0)
        return -1;
      if (asprintf (&dir, "%s/%s", root, qos_dirs[i]) < 0)
        return berth_error_sys (err, ENOMEM, "cgroup root");
      if (enable_controllers (q, dir, err) < 0)
        return -1;
    }

  struct cgroup_fs *fs = calloc (1, sizeof (*fs));
  if (fs == NULL || (fs->root = strdup (root)) == NULL)
    {
      free (fs);
      return berth_error_sys (err, ENOMEM, "cgroup root");
    }
  fs->root_fd = steal_fd (&fd);
  *out = fs;
  return 0;
}

void
cgroup_fs_free (struct cgroup_fs *fs)
{
  if (fs == NULL)
    return;
  if (fs->root_fd >= 0)
    close (fs->root_fd);
  free (fs->root);
  free (fs);
}

const char *
cgroup_fs_root (const struct cgroup_fs *fs)
{
  return fs->root;
}

static bool
valid_name (const char *s)
{
  return s != NULL && *s != '\0' && *s != '.' && strchr (s, '/') == NULL
         && strlen (s) < 200;
}

char *
cgroup_fs_pod_path (enum qos_class qos, const char *uid)
{
  char *p = NULL;
  if (!valid_name (uid))
    return NULL;
  switch (qos)
    {
    case QOS_GUARANTEED:
      if (asprintf (&p, "pod%s", uid) < 0)
        return NULL;
      break;
    case QOS_BURSTABLE:
      if (asprintf (&p, "burstable/pod%s", uid) < 0)
        return NULL;
      break;
    case QOS_BEST_EFFORT:
      if (asprintf (&p, "besteffort/pod%s", uid) < 0)
        return NULL;
      break;
    }
  return p;
}

int
cgroup_fs_open_dir (struct cgroup_fs *fs, const char *rel, int *fd,
                    berth_error_t *err)
{
  if (*rel == '\0')
    rel = ".";
  *fd = openat (fs->root_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return berth_error_sys (err, errno, "open %s/%s", fs->root, rel);
  return 0;
}

/* ROOT/REL as a string for messages. */
static char *
full_path (struct cgroup_fs *fs, const char *rel)
{
  char *p = NULL;
  if (asprintf (&p, "%s%s%s", fs->root, *rel ? "/" : "", rel) < 0)
    return NULL;
  return p;
}

int
cgroup_fs_apply (struct cgroup_fs *fs, const char *rel,
                 const struct cgroup_values *v, berth_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *dir = full_path (fs, rel);
  if (dir == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup %s", rel);
  if (cgroup_fs_open_dir (fs, rel, &fd, err) < 0)
    return -1;
  return write_values (fd, dir, v, err);
}

int
cgroup_fs_apply_qos (struct cgroup_fs *fs, const struct cgroup_qos_values *v,
                     berth_error_t *err)
{
  if (cgroup_fs_apply (fs, "", &v->root, err) < 0
      || cgroup_fs_apply (fs, "burstable", &v->burstable, err) < 0
      || cgroup_fs_apply (fs, "besteffort", &v->besteffort, err) < 0)
    return -1;
  return 0;
}

/* Create REL's last component under its parent; returns the dir fd. */
static int
create_child (struct cgroup_fs *fs, const char *rel, int *out,
              berth_error_t *err)
{
  cleanup_free char *parent = strdup (rel);
  if (parent == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup %s", rel);
  char *slash = strrchr (parent, '/');
  const char *name = rel;
  if (slash != NULL)
    {
      *slash = '\0';
      name = rel + (slash - parent) + 1;
    }
  else
    parent[0] = '\0';
  cleanup_close int pfd = -1;
  cleanup_free char *pdir = full_path (fs, parent);
  if (pdir == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup %s", rel);
  if (cgroup_fs_open_dir (fs, parent, &pfd, err) < 0)
    return -1;
  return make_dir (pfd, pdir, name, out, err);
}

int
cgroup_fs_pod_create (struct cgroup_fs *fs, enum qos_class qos, const char *uid,
                      const struct cgroup_values *v, berth_error_t *err)
{
  cleanup_free char *rel = cgroup_fs_pod_path (qos, uid);
  if (rel == NULL)
    return berth_error_make (err, EINVAL,
                             "pod uid \"%s\": not usable as a "
                             "cgroup name",
                             uid ? uid : "");
  cleanup_free char *dir = full_path (fs, rel);
  cleanup_close int fd = -1;
  if (dir == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup %s", rel);
  if (create_child (fs, rel, &fd, err) < 0 || write_values (fd, dir, v, err) < 0
      || enable_controllers (fd, dir, err) < 0)
    return berth_error_wrap (err, "create pod cgroup");
  return 0;
}

int
cgroup_fs_container_create (struct cgroup_fs *fs, enum qos_class qos,
                            const char *uid, const char *name,
                            const struct cgroup_values *v, berth_error_t *err)
{
  cleanup_free char *pod = cgroup_fs_pod_path (qos, uid);
  cleanup_free char *rel = NULL;
  if (pod == NULL || !valid_name (name))
    return berth_error_make (err, EINVAL,
                             "container %s of pod %s: not usable as a cgroup "
                             "name",
                             name ? name : "", uid ? uid : "");
  if (asprintf (&rel, "%s/%s", pod, name) < 0)
    return berth_error_sys (err, ENOMEM, "cgroup %s", name);
  cleanup_free char *dir = full_path (fs, rel);
  cleanup_close int fd = -1;
  if (dir == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup %s", rel);
  if (create_child (fs, rel, &fd, err) < 0
      || write_values (fd, dir, v, err) < 0)
    return berth_error_wrap (err, "create container cgroup");
  return 0;
}

int
cgroup_fs_move (struct cgroup_fs *fs, const char *rel, pid_t pid,
                berth_error_t *err)
{
  char buf[32];
  cleanup_close int fd = -1;
  cleanup_free char *dir = full_path (fs, rel);
  if (dir == NULL)
    return berth_error_sys (err, ENOMEM, "cgroup %s", rel);
  if (cgroup_fs_open_dir (fs, rel, &fd, err) < 0)
    return -1;
  snprintf (buf, sizeof (buf), "%d", (int)pid);
  return cgroup_fs_write (fd, dir, "cgroup.procs", buf, err);
}

int
cgroup_fs_pod_find (struct cgroup_fs *fs, const char *uid, char **rel,
                    berth_error_t *err)
{
  static const enum qos_class classes[]
      = { QOS_GUARANTEED, QOS_BURSTABLE, QOS_BEST_EFFORT };
  *rel = NULL;
  for (size_t i = 0; i < 3; i++)
    {
      cleanup_free char *p = cgroup_fs_pod_path (classes[i], uid);
      struct stat st;
      if (p == NULL)
        return berth_error_make (err, EINVAL,
                                 "pod uid \"%s\": not usable as "
                                 "a cgroup name",
                                 uid ? uid : "");
      if (fstatat (fs->root_fd, p, &st, 0) == 0 && S_ISDIR (st.st_mode))
        {
          *rel = steal_pointer (&p);
          return 1;
        }
      if (errno != ENOENT)
        return berth_error_sys (err, errno, "stat %s/%s", fs->root, p);
    }
  return 0;
}

/* ---- removal ---- */

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when cgroup.events of DIRFD says "populated 0". */
static int
unpopulated (int dirfd, const char *dir, berth_error_t *err)
{
  cleanup_free char *ev = NULL;
  if (cgroup_fs_read (dirfd, dir, "cgroup.events", &ev, err) < 0)
    return -1;
  const char *p = strstr (ev, "populated ");
  return p != NULL && p[10] == '0';
}

/* Call FN for each child cgroup of DIRFD (named DIR) with an O_PATH fd on
 * it and its name.  A child that vanished is skipped; one that cannot be
 * opened is an error when STRICT, else skipped too. */
typedef int (*child_fn) (int dirfd, const char *dir, int cfd, const char *sub,
                         const char *name, void *data, berth_error_t *err);

static int
for_each_child (int dirfd, const char *dir, bool strict, child_fn fn,
                void *data, berth_error_t *err)
{
  cleanup_close int rfd
      = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return berth_error_sys (err, errno, "open %s", dir);
  cleanup_dir DIR *d = fdopendir (rfd);
  if (d == NULL)
    return berth_error_sys (err, errno, "opendir %s", dir);
  rfd = -1;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      cleanup_free char *sub = NULL;
      cleanup_close int cfd
          = openat (dirfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (cfd < 0 && (errno == ENOENT || !strict))
        continue;
      if (cfd < 0)
        return berth_error_sys (err, errno, "open %s/%s", dir, de->d_name);
      if (asprintf (&sub, "%s/%s", dir, de->d_name) < 0)
        return berth_error_sys (err, ENOMEM, "%s", dir);
      if (fn (dirfd, dir, cfd, sub, de->d_name, data, err) < 0)
        return -1;
    }
  return 0;
}

/* SIGKILL every process listed in DIR's and its descendants' cgroup.procs
 * (kernels before 5.14 have no cgroup.kill). */
static int kill_procs (int dirfd, const char *dir, berth_error_t *err);

static int
kill_child (int dirfd, const char *dir, int cfd, const char *sub,
            const char *name, void *data, berth_error_t *err)
{
  return kill_procs (cfd, sub, err);
}

static int
kill_procs (int dirfd, const char *dir, berth_error_t *err)
{
  cleanup_free char *procs = NULL;
  if (cgroup_fs_read (dirfd, dir, "cgroup.procs", &procs, err) < 0)
    return -1;
  for (char *p = procs; *p;)
    {
      char *end;
      long pid = strtol (p, &end, 10);
      if (end == p)
        break;
      if (pid > 0)
        kill ((pid_t)pid, SIGKILL);
      p = end + strspn (end, "\n");
    }
  return for_each_child (dirfd, dir, false, kill_child, NULL, err);
}

/* Wait until DIR is unpopulated, up to DEADLINE (monotonic ms), killing
 * its processes again every 100 ms when there is no cgroup.kill. */
static int
wait_unpopulated (int dirfd, const char *dir, bool have_kill, int64_t deadline,
                  berth_error_t *err)
{
  cleanup_close int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  cleanup_free char *events = NULL;
  if (ifd < 0)
    return berth_error_sys (err, errno, "inotify_init1");
  if (asprintf (&events, "%s/cgroup.events", dir) < 0)
    return berth_error_sys (err, ENOMEM, "wait for %s", dir);
  if (inotify_add_watch (ifd, events, IN_MODIFY) < 0)
    return berth_error_sys (err, errno, "inotify_add_watch %s", events);
  for (;;)
    {
      int r = unpopulated (dirfd, dir, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
      if (!have_kill && kill_procs (dirfd, dir, err) < 0)
        return -1;
      int64_t left = deadline - now_ms ();
      if (left <= 0)
        return berth_error_make (err, ETIMEDOUT,
                                 "%s: processes still running after cgroup."
                                 "kill (cgroup.events: populated 1)",
                                 dir);
      struct pollfd pfd = { .fd = ifd, .events = POLLIN };
      int timeout = have_kill ? (int)left : (int)(left < 100 ? left : 100);
      if (poll (&pfd, 1, timeout) < 0 && errno != EINTR)
        return berth_error_sys (err, errno, "poll %s", events);
      char buf[4096];
      while (read (ifd, buf, sizeof (buf)) > 0)
        ;
    }
}

/* rmdir NAME in PARENT_FD, retrying while the kernel still reports EBUSY
 * (a cgroup whose last process has just exited). */
static int
remove_dir (int parent_fd, const char *parent, const char *name,
            int64_t deadline, berth_error_t *err)
{
  for (;;)
    {
      if (unlinkat (parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || now_ms () >= deadline)
        return berth_error_sys (err, errno, "rmdir %s/%s", parent, name);
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

static int remove_children (int dirfd, const char *dir, int64_t deadline,
                            berth_error_t *err);

static int
remove_child (int dirfd, const char *dir, int cfd, const char *sub,
              const char *name, void *data, berth_error_t *err)
{
  int64_t deadline = *(const int64_t *)data;
  if (remove_children (cfd, sub, deadline, err) < 0)
    return -1;
  return remove_dir (dirfd, dir, name, deadline, err);
}

/* Remove the child cgroups of DIRFD (named DIR), depth first. */
static int
remove_children (int dirfd, const char *dir, int64_t deadline,
                 berth_error_t *err)
{
  return for_each_child (dirfd, dir, true, remove_child, &deadline, err);
}

int
cgroup_fs_remove (struct cgroup_fs *fs, const char *rel, int timeout_ms,
                  berth_error_t *err)
{
  int64_t deadline = now_ms () + timeout_ms;
  cleanup_free char *dir = full_path (fs, rel);
  if (dir == NULL)
    return berth_error_sys (err, ENOMEM, "remove cgroup %s", rel);
  if (*rel == '\0' || strstr (rel, "..") != NULL)
    return berth_error_make (err, EINVAL,
                             "remove cgroup %s: not a pod or "
                             "container cgroup",
                             dir);
  cleanup_close int fd
      = openat (fs->root_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", dir);

  bool have_kill = faccessat (fd, "cgroup.kill", F_OK, 0) == 0;
  if (have_kill && cgroup_fs_write (fd, dir, "cgroup.kill", "1", err) < 0)
    return berth_error_wrap (err, "remove cgroup");
  if (wait_unpopulated (fd, dir, have_kill, deadline, err) < 0
      || remove_children (fd, dir, deadline, err) < 0
      || remove_dir (fs->root_fd, fs->root, rel, deadline, err) < 0)
    return berth_error_wrap (err, "remove cgroup");
  return 0;
}

int
cgroup_fs_pod_remove (struct cgroup_fs *fs, const char *uid, int timeout_ms,
                      berth_error_t *err)
{
  cleanup_free char *rel = NULL;
  int r = cgroup_fs_pod_find (fs, uid, &rel, err);
  if (r <= 0)
    return r;
  if (cgroup_fs_remove (fs, rel, timeout_ms, err) < 0)
    return -1;
  return 1;
}

/* ---- delegation ---- */

/* Our cgroup v2 path ("/system.slice/berth.service") from
 * /proc/self/cgroup's "0::" line. */
static int
own_cgroup (char **out, berth_error_t *err)
{
  cleanup_file FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  if (f == NULL)
    return berth_error_sys (err, errno, "open /proc/self/cgroup");
  while (getline (&line, &cap, f) > 0)
    if (strncmp (line, "0::", 3) == 0)
      {
        line[strcspn (line, "\n")] = '\0';
        *out = strdup (line + 3);
        if (*out == NULL)
          return berth_error_sys (err, ENOMEM, "/proc/self/cgroup");
        return 0;
      }
  return berth_error_make (err, ENOENT,
                           "/proc/self/cgroup: no cgroup v2 entry (0::)");
}

/* Move every process of OWN into OWN/LEAF; a few rounds, for processes
 * forked meanwhile. */
static int
move_all (int own_fd, const char *own, int leaf_fd, const char *leaf,
          berth_error_t *err)
{
  for (int round = 0; round < 10; round++)
    {
      cleanup_free char *procs = NULL;
      if (cgroup_fs_read (own_fd, own, "cgroup.procs", &procs, err) < 0)
        return -1;
      if (procs[0] == '\0')
        return 0;
      for (char *p = procs; *p;)
        {
          size_t len = strcspn (p, "\n");
          char pid[24];
          snprintf (pid, sizeof (pid), "%.*s", (int)len, p);
          /* A process that exited meanwhile is no error. */
          if (cgroup_fs_write (leaf_fd, leaf, "cgroup.procs", pid, err) < 0)
            {
              if ((*err)->status != ESRCH)
                return -1;
              berth_error_release (err);
            }
          p += len + (p[len] == '\n');
        }
    }
  return berth_error_make (err, EBUSY, "%s: processes keep appearing", own);
}

int
cgroup_fs_delegated_root (const char *mount, const char *leaf, char **root,
                          berth_error_t *err)
{
  cleanup_free char *rel = NULL, *own = NULL, *leafdir = NULL;
  if (own_cgroup (&rel, err) < 0)
    return -1;
  if (strcmp (rel, "/") == 0)
    return berth_error_make (err, EPERM,
                             "delegated cgroup root: this process is in the "
                             "root cgroup (%s), nothing is delegated to it",
                             mount);
  char *last = strrchr (rel, '/');
  if (last != NULL && strcmp (last + 1, leaf) == 0 && last != rel)
    *last = '\0'; /* already in OWN/LEAF */
  if (asprintf (&own, "%s%s", mount, rel) < 0
      || asprintf (&leafdir, "%s/%s", own, leaf) < 0)
    return berth_error_sys (err, ENOMEM, "delegated cgroup root");

  cleanup_close int own_fd = open (own, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int leaf_fd = -1;
  if (own_fd < 0)
    return berth_error_sys (err, errno, "open %s", own);
  if (make_dir (own_fd, own, leaf, &leaf_fd, err) < 0
      || move_all (own_fd, own, leaf_fd, leafdir, err) < 0)
    return berth_error_wrap (err, "delegated cgroup root");
  if (asprintf (root, "%s/pods", own) < 0)
    return berth_error_sys (err, ENOMEM, "delegated cgroup root");
  return 0;
}
