/* lazylib.c - dlopen a library and fill its shim's table on first use (see
 * lazylib.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lazylib.h"

/* errno-like: which library the last failed lazylib_get of this thread was
 * about (its error text never changes once written). */
static __thread const char *last_error;

static void
report (struct lazylib *lib)
{
  /* one write, so that lines of concurrent processes do not interleave */
  char line[sizeof lib->error + 32];
  int n = snprintf (line, sizeof line, "berth: cannot load %s\n", lib->error);

  if (n > 0 && write (STDERR_FILENO, line, (size_t)n) < 0)
    {
      /* nothing else to tell it to */
    }
}

void
lazylib_open (struct lazylib *lib)
{
  const char *e;
  void *h;

  dlerror ();
  h = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      e = dlerror ();
      snprintf (lib->error, sizeof lib->error, "%s: %s", lib->soname,
                e ? e : "dlopen failed");
      report (lib);
      return;
    }
  for (size_t i = 0; i < lib->n_syms; i++)
    {
      void *p;

      dlerror ();
      p = dlsym (h, lib->syms[i].name);
      e = dlerror ();
      if (p == NULL || e != NULL)
        {
          snprintf (lib->error, sizeof lib->error, "%s: no symbol %s: %s",
                    lib->soname, lib->syms[i].name,
                    e ? e : "its address is NULL");
          report (lib);
          dlclose (h);
          return;
        }
      /* a function's address into its typed slot: POSIX guarantees that a
       * void * from dlsym converts to a function pointer */
      memcpy ((char *)lib->table + lib->syms[i].offset, &p, sizeof p);
    }
  lib->handle = h;
}

const void *
lazylib_get (struct lazylib *lib)
{
  pthread_once (&lib->once, lib->open);
  if (lib->handle == NULL)
    {
      last_error = lib->error;
      return NULL;
    }
  return lib->table;
}

const char *
lazylib_last_error (void)
{
  return last_error;
}
