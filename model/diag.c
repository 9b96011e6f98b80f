/* diag.c - see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
xrealloc_array (void *p, size_t n, size_t size)
{
  void *r = reallocarray (p, n, size);
  if (r == NULL && n != 0)
    abort (); /* out of memory: nothing sensible is left to do */
  return r;
}

void
diag_add (struct diag_list *l, enum diag_level level, const char *path,
          const char *fmt, ...)
{
  struct diag *d;
  va_list ap;

  if (l->len == l->cap)
    {
      l->cap = l->cap ? l->cap * 2 : 8;
      l->items = xrealloc_array (l->items, l->cap, sizeof (*l->items));
    }
  d = &l->items[l->len++];
  d->level = level;
  d->path = strdup (path ? path : "");
  va_start (ap, fmt);
  if (vasprintf (&d->msg, fmt, ap) < 0)
    d->msg = NULL;
  va_end (ap);
  if (d->path == NULL || d->msg == NULL)
    abort ();
}

size_t
diag_count (const struct diag_list *l, enum diag_level level)
{
  size_t n = 0;
  for (size_t i = 0; i < l->len; i++)
    if (l->items[i].level == level)
      n++;
  return n;
}

void
diag_list_free (struct diag_list *l)
{
  for (size_t i = 0; i < l->len; i++)
    {
      free (l->items[i].path);
      free (l->items[i].msg);
    }
  free (l->items);
  memset (l, 0, sizeof (*l));
}

void
diag_list_move (struct diag_list *to, struct diag_list *from)
{
  for (size_t i = 0; i < from->len; i++)
    {
      if (to->len == to->cap)
        {
          to->cap = to->cap ? to->cap * 2 : 8;
          to->items = xrealloc_array (to->items, to->cap, sizeof (*to->items));
        }
      to->items[to->len++] = from->items[i];
    }
  free (from->items);
  memset (from, 0, sizeof (*from));
}

static void
path_append (struct path *p, const char *s, size_t n)
{
  if (p->len + n + 1 > p->cap)
    {
      size_t cap = p->cap ? p->cap : 64;
      while (p->len + n + 1 > cap)
        cap *= 2;
      p->buf = xrealloc_array (p->buf, cap, 1);
      p->cap = cap;
    }
  memcpy (p->buf + p->len, s, n);
  p->len += n;
  p->buf[p->len] = '\0';
}

size_t
path_push_field (struct path *p, const char *name)
{
  size_t mark = p->len;
  if (p->len > 0)
    path_append (p, ".", 1);
  path_append (p, name, strlen (name));
  return mark;
}

size_t
path_push_index (struct path *p, size_t index)
{
  char tmp[32];
  size_t mark = p->len;
  int n = snprintf (tmp, sizeof (tmp), "[%zu]", index);
  path_append (p, tmp, (size_t)n);
  return mark;
}

size_t
path_push_key (struct path *p, const char *key)
{
  size_t mark = p->len;
  path_append (p, "[", 1);
  path_append (p, key, strlen (key));
  path_append (p, "]", 1);
  return mark;
}

void
path_pop (struct path *p, size_t mark)
{
  if (mark <= p->len)
    {
      p->len = mark;
      if (p->buf)
        p->buf[mark] = '\0';
    }
}

const char *
path_str (const struct path *p)
{
  return p->buf && p->len ? p->buf : "";
}

void
path_free (struct path *p)
{
  free (p->buf);
  memset (p, 0, sizeof (*p));
}
