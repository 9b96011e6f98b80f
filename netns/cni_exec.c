/* cni_exec.c - see cni_exec.h.  stdin, stdout and stderr are memfds, so a
 * plugin that writes before it reads cannot deadlock against us. */
#include "cni_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

char *
cni_exec_find (const char *plugin_path, const char *type)
{
  cleanup_free char *dirs = strdup (plugin_path ? plugin_path : "");
  char *save = NULL, *d;

  if (dirs == NULL || type == NULL || strchr (type, '/') != NULL)
    return NULL;
  for (d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *p = NULL;
      if (asprintf (&p, "%s/%s", d, type) < 0)
        return NULL;
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

static int
read_all_fd (int fd, char **out, size_t *len, berth_error_t *err)
{
  struct stat st;
  char *buf;
  size_t off = 0;

  if (fstat (fd, &st) < 0)
    return berth_error_sys (err, errno, "fstat plugin output");
  buf = malloc ((size_t)st.st_size + 1);
  if (buf == NULL)
    return berth_error_sys (err, ENOMEM, "read plugin output");
  while (off < (size_t)st.st_size)
    {
      ssize_t r = pread (fd, buf + off, (size_t)st.st_size - off, (off_t)off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      off += (size_t)r;
    }
  buf[off] = '\0';
  *out = buf;
  if (len)
    *len = off;
  return 0;
}

static void
child_exec (int in, int out, int errfd, const char *binary, char *const *envp)
{
  char *const argv[] = { (char *)binary, NULL };

  if (dup2 (in, 0) < 0 || dup2 (out, 1) < 0 || dup2 (errfd, 2) < 0)
    _exit (127);
#ifdef SYS_close_range
  if (syscall (SYS_close_range, 3U, ~0U, 0U) < 0)
#endif
    {
      int fd;
      for (fd = 3; fd < 1024; fd++)
        close (fd);
    }
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  execve (binary, argv, envp);
  _exit (127);
}

/* 1 when PID exited (or we cannot tell), 0 after TIMEOUT_MS. */
static int
wait_timeout (pid_t pid, int timeout_ms)
{
#ifdef SYS_pidfd_open
  cleanup_close int fd = (int)syscall (SYS_pidfd_open, pid, 0);
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int r;

  if (fd < 0)
    return 1;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r != 0;
#else
  (void)pid;
  (void)timeout_ms;
  return 1;
#endif
}

int
cni_exec_run (const char *binary, char *const *envp, const char *in,
              size_t in_len, struct cni_exec_output *o, berth_error_t *err)
{
  cleanup_close int fin = memfd_create ("cni-stdin", MFD_CLOEXEC);
  cleanup_close int fout = memfd_create ("cni-stdout", MFD_CLOEXEC);
  cleanup_close int ferr = memfd_create ("cni-stderr", MFD_CLOEXEC);
  size_t off = 0;
  pid_t pid;
  int st;

  memset (o, 0, sizeof *o);
  if (fin < 0 || fout < 0 || ferr < 0)
    return berth_error_sys (err, errno, "memfd_create");
  while (off < in_len)
    {
      ssize_t w = write (fin, in + off, in_len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return berth_error_sys (err, errno, "write plugin stdin");
      off += (size_t)w;
    }
  if (lseek (fin, 0, SEEK_SET) < 0)
    return berth_error_sys (err, errno, "lseek");
  pid = fork ();
  if (pid < 0)
    return berth_error_sys (err, errno, "fork %s", binary);
  if (pid == 0)
    child_exec (fin, fout, ferr, binary, envp);
  if (wait_timeout (pid, CNI_EXEC_TIMEOUT_MS) == 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
        ;
      return berth_error_make (err, ETIMEDOUT,
                               "%s did not finish in %d s; killed", binary,
                               CNI_EXEC_TIMEOUT_MS / 1000);
    }
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return berth_error_sys (err, errno, "waitpid %s", binary);
  o->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
  if (read_all_fd (fout, &o->out, &o->out_len, err) < 0
      || read_all_fd (ferr, &o->errout, NULL, err) < 0)
    {
      cni_exec_output_clear (o);
      return -1;
    }
  return 0;
}

void
cni_exec_output_clear (struct cni_exec_output *o)
{
  free (o->out);
  free (o->errout);
  memset (o, 0, sizeof *o);
}
