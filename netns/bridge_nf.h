/* bridge_nf.h - bridged pod traffic through netfilter.  Pods on the CNI
 * bridge that call a Service whose endpoint is on the same bridge get
 * their replies over the bridge itself; without br_netfilter those frames
 * never reach conntrack, the DNAT is not undone, and the connection fails.
 * kube-proxy needs the same (it warns "Missing br-netfilter module or
 * unset sysctl br-nf-call-iptables, proxy may not work as intended"), and
 * the Kubernetes install docs load br_netfilter and set
 * net.bridge.bridge-nf-call-iptables=1.  Owns only that sysctl. */
#ifndef BERTH_BRIDGE_NF_H
#define BERTH_BRIDGE_NF_H

#include "error.h"

/* Set net.bridge.bridge-nf-call-iptables to 1 in the caller's network
 * namespace (PROC_SYS: "/proc/sys", or another root for the tests).
 * -ENOENT, with kube-proxy's message, when br_netfilter is not loaded. */
int bridge_nf_enable (const char *proc_sys, berth_error_t *err);

#endif
