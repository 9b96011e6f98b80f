/* fsutil.h - small file-system helpers the modules share. */
#ifndef BERTH_FSUTIL_H
#define BERTH_FSUTIL_H

#include <sys/types.h>

#include "error.h"

/* mkdir -p: missing parents are made 0755, PATH itself MODE; existing
 * directories are fine. */
int fs_mkdir_p (const char *path, mode_t mode, berth_error_t *err);

#endif
