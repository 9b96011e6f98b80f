/* cni_exec.h - run one CNI plugin binary: the network config on stdin, the
 * CNI_* environment, stdout and stderr captured.  Owns nothing else; the
 * protocol is in cni.c. */
#ifndef BERTH_CNI_EXEC_H
#define BERTH_CNI_EXEC_H

#include <stddef.h>

#include "error.h"

struct cni_exec_output
{
  char *out; /* stdout, NUL-terminated */
  size_t out_len;
  char *errout; /* stderr, NUL-terminated */
  int status;   /* exit code, or 128+signal */
};

/* Find TYPE in the colon-separated PLUGIN_PATH; the path, or NULL. */
char *cni_exec_find (const char *plugin_path, const char *type);

/* A plugin still running after this is killed (Go plugins take seconds
 * under emulation; iptables calls can wait for the xtables lock). */
#define CNI_EXEC_TIMEOUT_MS (5 * 60 * 1000)

/* Run BINARY with ENVP (NULL-terminated) and IN on stdin. */
int cni_exec_run (const char *binary, char *const *envp, const char *in,
                  size_t in_len, struct cni_exec_output *out,
                  berth_error_t *err);
void cni_exec_output_clear (struct cni_exec_output *o);

#endif
