/* cli_util.h - small pieces the CLI front ends share. */
#ifndef BERTH_CLI_UTIL_H
#define BERTH_CLI_UTIL_H

#include "diag.h"

/* "FILE: [warning: ]PREFIX.PATH: MESSAGE" lines on stderr. */
void cli_print_diags (const char *file, const char *prefix,
                      const struct diag_list *l);

#endif
