/* logrotate.h - container log rotation as the kubelet's container log
 * manager does it (pkg/kubelet/logs/container_log_manager.go).
 *
 * Owns the rotation of one container's CRI log file: once the file has
 * reached the maximum size it is renamed to <log>.<YYYYMMDD-hhmmss> (the
 * kubelet's rotateLatestLog) and a new file is opened (the runtime's
 * ReopenContainerLog); before that, leftovers of an interrupted rotation
 * (*.tmp, a plain file whose .gz exists) are removed, the oldest rotated
 * files are removed so that at most MAX_FILES files remain with the new
 * one, and every rotated file but the newest is gzip'ed (the kubelet's
 * cleanupUnusedLogs, removeExcessLogs and compressLog).
 *
 * The kubelet checks the sizes every containerLogMonitorInterval (10 s);
 * the monitor, which writes the log, checks after every write, and rotates
 * at most once a second so that the rotated names (second resolution)
 * never collide.  Knows nothing of the CRI line format or of processes.
 */
#ifndef BERTH_LOGROTATE_H
#define BERTH_LOGROTATE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

/* The kubelet's defaults: containerLogMaxSize 10Mi, containerLogMaxFiles 5. */
#define LOGROTATE_DEFAULT_MAX_SIZE (10 * 1024 * 1024)
#define LOGROTATE_DEFAULT_MAX_FILES 5

struct logrotate
{
  char *path;
  int fd;           /* O_APPEND, where the log lines go */
  int64_t size;     /* of the current file */
  int64_t max_size; /* <= 0: never rotate */
  int max_files;    /* >= 2 */
  time_t last_rotation;
};

/* Open PATH for appending (its parent dirs are made).  MAX_SIZE <= 0
 * disables rotation; MAX_FILES below 2 is taken as 2. */
int logrotate_open (struct logrotate *lr, const char *path, int64_t max_size,
                    int max_files, berth_error_t *err);

/* N bytes were appended to LR->fd: rotate when the file is full.  A failed
 * rotation leaves the log where it was (the next write retries). */
int logrotate_wrote (struct logrotate *lr, size_t n, berth_error_t *err);

/* The rotation itself, on the files: clean up, remove the excess,
 * compress, rename PATH to PATH.<NOW as YYYYMMDD-hhmmss>.  The caller then
 * opens PATH again. */
int logrotate_rotate_files (const char *path, int max_files, time_t now,
                            berth_error_t *err);

void logrotate_close (struct logrotate *lr);

#endif
