/* cli_util.c - see cli_util.h. */
#include "cli_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

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

int
cli_parse_positive (const char *cmd, const char *flag, const char *arg,
                    int64_t *out)
{
  char *end;
  long long v;
  errno = 0;
  v = strtoll (arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v <= 0 || errno == ERANGE)
    {
      fprintf (stderr, "berth %s: %s %s: not a positive number\n", cmd, flag,
               arg);
      return -1;
    }
  *out = v;
  return 0;
}

void
cli_table_add (struct cli_table *t, char **row)
{
  char **cells
      = reallocarray (t->cells, (t->nrows + 1) * t->ncols, sizeof (char *));
  if (cells == NULL)
    abort ();
  t->cells = cells;
  for (size_t i = 0; i < t->ncols; i++)
    t->cells[t->nrows * t->ncols + i] = row[i];
  t->nrows++;
}

void
cli_table_print (FILE *out, struct cli_table *t, size_t *widths)
{
  size_t *w = xcalloc (t->ncols ? t->ncols : 1, sizeof (size_t));
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++)
      {
        size_t l = strlen (t->cells[r * t->ncols + c]);
        if (l > w[c])
          w[c] = l;
      }
  for (size_t r = 0; r < t->nrows; r++)
    {
      for (size_t c = 0; c < t->ncols; c++)
        {
          const char *s = t->cells[r * t->ncols + c];
          if (c + 1 < t->ncols)
            fprintf (out, "%-*s", (int)(w[c] + 3), s);
          else
            fputs (s, out);
        }
      fputc ('\n', out);
    }
  for (size_t i = 0; i < t->nrows * t->ncols; i++)
    free (t->cells[i]);
  free (t->cells);
  t->cells = NULL;
  t->nrows = 0;
  if (widths)
    memcpy (widths, w, t->ncols * sizeof (size_t));
  free (w);
}
