/* cli_util.h - small pieces the CLI front ends share: diagnostics, flag
 * values, kubectl-like tables. */
#ifndef BERTH_CLI_UTIL_H
#define BERTH_CLI_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* "FILE: [warning: ]PREFIX.PATH: MESSAGE" lines on stderr. */
void cli_print_diags (const char *file, const char *prefix,
                      const struct diag_list *l);

/* The value ARG of flag FLAG of `berth CMD`, a positive integer: 0 with
 * *OUT set, or -1 after "berth CMD: FLAG ARG: not a positive number" on
 * stderr. */
int cli_parse_positive (const char *cmd, const char *flag, const char *arg,
                        int64_t *out);

/* A table as kubectl's tabwriter prints it: each column padded to its
 * widest cell plus 3 spaces, the last one not padded. */
struct cli_table
{
  size_t ncols, nrows;
  char **cells; /* nrows * ncols, row 0 the header */
};

/* Append ROW, NCOLS malloc'd cells (taken). */
void cli_table_add (struct cli_table *t, char **row);
/* Print T to OUT and free its cells; WIDTHS (NCOLS of them, or NULL)
 * receives the columns' widths (for the rows of a watch). */
void cli_table_print (FILE *out, struct cli_table *t, size_t *widths);

#endif
