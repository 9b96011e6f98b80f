/* bridge_nf.c - see bridge_nf.h. */
#include "bridge_nf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

int
bridge_nf_enable (const char *proc_sys, berth_error_t *err)
{
  char path[512], now[8] = "";
  cleanup_close int fd = -1;
  ssize_t n;

  snprintf (path, sizeof path, "%s/net/bridge/bridge-nf-call-iptables",
            proc_sys);
  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return berth_error_make (
        err, ENOENT,
        "Missing br-netfilter module or unset sysctl br-nf-call-iptables, "
        "proxy may not work as intended: pods calling a Service whose "
        "endpoint is on the same bridge get no answer (modprobe "
        "br_netfilter)");
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  n = read (fd, now, sizeof now - 1);
  if (n > 0 && now[0] == '1')
    return 0;
  if (pwrite (fd, "1\n", 2, 0) != 2)
    return berth_error_sys (err, errno, "write 1 to %s", path);
  return 0;
}
