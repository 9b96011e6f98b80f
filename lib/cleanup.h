/* cleanup.h - scope-bound cleanup attributes, as in crun and systemd.
 *
 *   cleanup_free char *s = NULL;   freed when s leaves scope
 *   return steal_pointer (&s);     hand ownership to the caller
 */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_freep (void *p)
{
  void **pp = (void **)p;
  free (*pp);
}

static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_filep (FILE **f)
{
  if (*f != NULL)
    fclose (*f);
}

static inline void
cleanup_dirp (DIR **d)
{
  if (*d != NULL)
    closedir (*d);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))

static inline void *
steal_pointer_impl (void *pp)
{
  void **p = (void **)pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) ((__typeof__ (*(pp)))steal_pointer_impl (pp))

static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#endif
