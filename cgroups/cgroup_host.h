/* cgroup_host.h - whether this host gives berth usable cgroup v2
 * controllers, and messages that say what is missing and how to fix it.
 * Read-only: nothing here writes to a cgroup (cgroup_fs_check_host is the
 * public entry point, declared in cgroup_fs.h). */
#ifndef BERTH_CGROUP_HOST_H
#define BERTH_CGROUP_HOST_H

#include <stddef.h>

#include "error.h"

/* After a failed write of CTRLS ("+cpu +memory") to
 * DIR/cgroup.subtree_control (the error in *ERR), replace the error with
 * one saying why: controllers missing from DIR, DIR has processes of its
 * own (the no-internal-processes rule), or no permission.  Returns -1. */
int cgroup_host_explain_enable (int dirfd, const char *dir, const char *ctrls,
                                berth_error_t *err);

/* The required controllers (cpu, memory, pids) missing from the
 * space-separated list AVAIL, as "cpu, memory" in BUF; returns how many. */
int cgroup_host_missing (const char *avail, char *buf, size_t size);

#endif
