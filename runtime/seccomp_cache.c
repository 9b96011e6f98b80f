/* seccomp_cache.c - see seccomp_cache.h. */
#include "seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"

#define CACHE_MAGIC "berth-seccomp-bpf 1\n"
#define CACHE_MAX (4 << 20)

struct buf
{
  char *p;
  size_t len, cap;
};

static void
buf_printf (struct buf *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  for (;;)
    {
      va_start (ap, fmt);
      n = vsnprintf (b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
      va_end (ap);
      if (n < 0)
        abort ();
      if (b->p && (size_t)n < b->cap - b->len)
        {
          b->len += n;
          return;
        }
      b->cap = (b->cap + n + 1) * 2;
      b->p = realloc (b->p, b->cap);
      if (b->p == NULL)
        abort ();
    }
}

/* Everything the program depends on, as text: it is the cache key and is
 * stored in the entry, so a hash collision can never load another
 * profile's program. */
static void
profile_key (const struct seccomp_profile *p, struct buf *k)
{
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;

  if (uname (&u) < 0)
    strcpy (u.machine, "?");
  buf_printf (k, "%slibseccomp %u.%u.%u %s\ndefault %d %d\n", CACHE_MAGIC,
              v->major, v->minor, v->micro, u.machine, (int)p->default_action,
              p->default_errno);
  for (size_t i = 0; i < p->len; i++)
    {
      const struct seccomp_profile_rule *r = &p->rules[i];
      buf_printf (k, "%s %d %d", r->name, (int)r->action, r->errno_ret);
      for (size_t a = 0; a < r->nargs; a++)
        buf_printf (k, " %u:%d:%llu:%llu", r->args[a].index, (int)r->args[a].op,
                    (unsigned long long)r->args[a].value,
                    (unsigned long long)r->args[a].value_two);
      buf_printf (k, "\n");
    }
}

static uint64_t
fnv1a (const char *s, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h;
}

/* An entry is the key, a NUL, then the program. */
static int
cache_read (const char *path, const struct buf *key, struct seccomp_bpf *out)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *data = NULL;
  struct stat st;
  size_t got = 0, prog;
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) < 0 || st.st_size <= (off_t)key->len + 1
      || st.st_size > CACHE_MAX)
    return -1;
  data = malloc (st.st_size);
  while (data && got < (size_t)st.st_size
         && ((n = read (fd, data + got, st.st_size - got)) > 0
             || (n < 0 && errno == EINTR)))
    got += n > 0 ? n : 0;
  if (data == NULL || got != (size_t)st.st_size
      || memcmp (data, key->p, key->len) != 0 || data[key->len] != '\0')
    return -1;
  prog = got - key->len - 1;
  if (prog % sizeof (struct sock_filter) != 0)
    return -1;
  out->insns = malloc (prog);
  if (out->insns == NULL)
    return -1;
  memcpy (out->insns, data + key->len + 1, prog);
  out->len = prog / sizeof (struct sock_filter);
  return 0;
}

/* libseccomp writes the program to an fd: a memfd, read back. */
static int
compile (const struct seccomp_profile *p, struct seccomp_bpf *out,
         berth_error_t *err)
{
  cleanup_close int fd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  void *ctx = NULL;
  off_t size;
  ssize_t n;
  int ret;

  if (fd < 0)
    return berth_error_sys (err, errno, "memfd_create");
  ret = seccomp_profile_build (p, &ctx, err);
  if (ret < 0)
    return ret;
  ret = seccomp_export_bpf (ctx, fd);
  seccomp_profile_ctx_release (ctx);
  if (ret < 0)
    return berth_error_sys (err, -ret, "seccomp_export_bpf");
  size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof (struct sock_filter) != 0 || size > CACHE_MAX)
    return berth_error_make (err, EIO, "seccomp_export_bpf: %lld bytes",
                             (long long)size);
  out->insns = malloc (size);
  if (out->insns == NULL)
    return berth_error_sys (err, ENOMEM, "seccomp program");
  n = pread (fd, out->insns, size, 0);
  if (n != size)
    {
      seccomp_bpf_free (out);
      return berth_error_sys (err, n < 0 ? errno : EIO, "read the program");
    }
  out->len = size / sizeof (struct sock_filter);
  return 0;
}

/* Written to a temporary file and renamed: readers see whole entries. */
static void
cache_write (const char *dir, const char *path, const struct buf *key,
             const struct seccomp_bpf *b)
{
  cleanup_free char *tmp = NULL;
  size_t prog = b->len * sizeof (struct sock_filter);
  int fd, ok;

  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return;
  if (asprintf (&tmp, "%s.%d.tmp", path, (int)getpid ()) < 0)
    abort ();
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  ok = write (fd, key->p, key->len + 1) == (ssize_t)key->len + 1
       && write (fd, b->insns, prog) == (ssize_t)prog;
  close (fd);
  if (!ok || rename (tmp, path) < 0)
    unlink (tmp);
}

int
seccomp_cache_get (const char *dir, const struct seccomp_profile *p,
                   struct seccomp_bpf *out, berth_error_t *err)
{
  struct buf key = { 0 };
  cleanup_free char *path = NULL;
  int ret = 0;

  memset (out, 0, sizeof (*out));
  profile_key (p, &key);
  if (dir != NULL
      && asprintf (&path, "%s/%016llx.bpf", dir,
                   (unsigned long long)fnv1a (key.p, key.len))
             < 0)
    abort ();
  if (path == NULL || cache_read (path, &key, out) < 0)
    {
      ret = compile (p, out, err);
      if (ret == 0 && path != NULL)
        cache_write (dir, path, &key, out);
    }
  free (key.p);
  return ret;
}

int
seccomp_bpf_load (const struct seccomp_bpf *b, berth_error_t *err)
{
  struct sock_fprog prog
      = { .len = (unsigned short)b->len, .filter = b->insns };

  if (b->len == 0 || b->len > BPF_MAXINSNS)
    return berth_error_make (err, EINVAL, "seccomp program of %zu insns",
                             b->len);
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return berth_error_sys (err, errno, "load the seccomp filter");
  return 0;
}

void
seccomp_bpf_free (struct seccomp_bpf *b)
{
  free (b->insns);
  memset (b, 0, sizeof (*b));
}
