/* fsutil.c - see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

int
fs_mkdir_p (const char *path, mode_t mode, berth_error_t *err)
{
  cleanup_free char *copy = strdup (path);

  if (copy == NULL)
    return berth_error_sys (err, ENOMEM, "mkdir %s", path);
  for (char *p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (copy, 0755) < 0 && errno != EEXIST)
          return berth_error_sys (err, errno, "mkdir %s", copy);
        *p = '/';
      }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return berth_error_sys (err, errno, "mkdir %s", copy);
  return 0;
}
