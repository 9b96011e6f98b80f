/* sysprobe.c - system calls that busybox has no applet for, for the
 * container security tests (tests/integration/test_container.sh).  Linked
 * statically: it runs inside containers whose image has no libc.
 *
 *   sysprobe keyctl        join a new session keyring (keyctl(2))
 *   sysprobe add_key       add a user key to the session keyring
 *   sysprobe ptrace PID    PTRACE_ATTACH to PID, then detach
 *
 * Prints "NAME: ok" or "NAME: <errno name> (<message>)"; exits 0 when the
 * call succeeded, 1 when it failed, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEY_SPEC_SESSION_KEYRING -3

static int
report (const char *what, long rc)
{
  int e = errno;
  if (rc >= 0)
    {
      printf ("%s: ok\n", what);
      return 0;
    }
  printf ("%s: %s (%s)\n", what,
          e == EPERM    ? "EPERM"
          : e == EACCES ? "EACCES"
          : e == ENOSYS ? "ENOSYS"
          : e == ESRCH  ? "ESRCH"
                        : "error",
          strerror (e));
  return 1;
}

int
main (int argc, char **argv)
{
  long rc;

  if (argc >= 2 && strcmp (argv[1], "keyctl") == 0)
    return report ("keyctl", syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING,
                                      "sysprobe"));
  if (argc >= 2 && strcmp (argv[1], "add_key") == 0)
    return report ("add_key", syscall (SYS_add_key, "user", "sysprobe", "x", 1,
                                       KEY_SPEC_SESSION_KEYRING));
  if (argc >= 3 && strcmp (argv[1], "ptrace") == 0)
    {
      pid_t pid = (pid_t)atoi (argv[2]);
      rc = ptrace (PTRACE_ATTACH, pid, NULL, NULL);
      if (rc == 0)
        {
          waitpid (pid, NULL, __WALL);
          ptrace (PTRACE_DETACH, pid, NULL, NULL);
        }
      return report ("ptrace", rc);
    }
  fprintf (stderr, "usage: sysprobe keyctl | add_key | ptrace PID\n");
  return 2;
}
