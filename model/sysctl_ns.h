/* sysctl_ns.h - which kernel namespace isolates a sysctl, as the
 * kubelet's utilsysctl (component-helpers/node/util/sysctl) says: the API
 * validation (hostNetwork / hostIPC) and the kubelet's allowlist both ask.
 *
 * Names come in the dot form (net.ipv4.ip_local_port_range) or the slash
 * form (net/ipv4/conf/eth0.100/forwarding); like
 * ConvertSysctlVariableToDotsSeparator, a name whose first separator is a
 * slash has its slashes and dots swapped before it is looked at.
 */
#ifndef BERTH_SYSCTL_NS_H
#define BERTH_SYSCTL_NS_H

enum sysctl_ns
{
  SYSCTL_NS_UNKNOWN,
  SYSCTL_NS_IPC,
  SYSCTL_NS_NET,
};

/* The dot form of NAME, to free. */
char *sysctl_dots (const char *name);

/* kernel.sem, kernel.shm*, kernel.msg*, fs.mqueue.* are the IPC
 * namespace's, net.* the network namespace's, the rest is not
 * namespaced. */
enum sysctl_ns sysctl_namespace (const char *name);

#endif
