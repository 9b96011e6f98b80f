/* cli_util.c - see cli_util.h. */
#include "cli_util.h"

#include <stdio.h>

void
cli_print_diags (const char *file, const char *prefix,
                 const struct diag_list *l)
{
  for (size_t i = 0; i < l->len; i++)
    {
      const struct diag *d = &l->items[i];
      const char *sep = *prefix && *d->path ? "." : "";
      fprintf (stderr, "%s: %s%s%s%s%s%s\n", file,
               d->level == DIAG_WARNING ? "warning: " : "", prefix, sep,
               d->path, *prefix || *d->path ? ": " : "", d->msg);
    }
}
