/* diag.h - diagnostics (errors and warnings) about an object, each naming the
 * field path it is about, and the path builder used to make those paths.
 *
 * Paths are written as the API server writes them:
 * spec.containers[1].resources.limits.memory, data[key].
 */
#ifndef BERTH_DIAG_H
#define BERTH_DIAG_H

#include <stdbool.h>
#include <stddef.h>

enum diag_level
{
  DIAG_ERROR,
  DIAG_WARNING,
};

struct diag
{
  enum diag_level level;
  char *path; /* "" when the diagnostic is about the whole object */
  char *msg;
};

struct diag_list
{
  size_t len;
  size_t cap;
  struct diag *items;
};

void diag_add (struct diag_list *l, enum diag_level level, const char *path,
               const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
size_t diag_count (const struct diag_list *l, enum diag_level level);
void diag_list_free (struct diag_list *l);
/* Move every diagnostic of FROM to the end of TO. */
void diag_list_move (struct diag_list *to, struct diag_list *from);

struct path
{
  char *buf;
  size_t len;
  size_t cap;
};

/* Each push returns a mark to restore with path_pop. */
size_t path_push_field (struct path *p, const char *name);
size_t path_push_index (struct path *p, size_t index);
size_t path_push_key (struct path *p, const char *key);
void path_pop (struct path *p, size_t mark);
const char *path_str (const struct path *p);
void path_free (struct path *p);

#endif
