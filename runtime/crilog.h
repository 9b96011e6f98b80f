/* crilog.h - container logs in the CRI format.
 *
 * Owns the line format the kubelet reads (kuberuntime/logs parseCRILog):
 *   <RFC3339Nano> <stdout|stderr> <F|P> <text>\n
 * F ends a line, P is a piece of a line longer than CRILOG_MAX_LINE or the
 * unterminated tail at end of stream.  Also the kubelet's read side needed
 * by the monitor: the text of the last lines of a log, for the termination
 * message's FallbackToLogsOnError.  Knows nothing of pipes or processes;
 * rotation is logrotate.h's.
 */
#ifndef BERTH_CRILOG_H
#define BERTH_CRILOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"
#include "logrotate.h"

/* containerd's maximum line before it splits into P lines (16 KiB). */
#define CRILOG_MAX_LINE 16384
/* Longest RFC3339Nano UTC time, with its NUL. */
#define CRILOG_TIME_MAX 40

/* TS as Go's time.RFC3339Nano in UTC: trailing zeros of the fraction (and
 * a fraction of zero) are left out, "Z" for the zone. */
void crilog_format_time (const struct timespec *ts, char out[CRILOG_TIME_MAX]);

/* One log line into OUT (malloc'd), with its newline. */
char *crilog_format_line (const struct timespec *ts, const char *stream,
                          bool partial, const char *text, size_t len,
                          size_t *out_len);

/* A stream being split into lines: feed it what a pipe gives. */
struct crilog_stream
{
  const char *name;      /* "stdout" or "stderr" */
  int log_fd;            /* where lines go (O_APPEND) */
  struct logrotate *rot; /* or there, rotated when full (NULL: log_fd) */
  size_t len;
  char buf[CRILOG_MAX_LINE];
};

void crilog_stream_init (struct crilog_stream *s, const char *name, int log_fd);
/* Write into ROT's current file instead of log_fd, rotating it when full
 * (the streams of one container share one ROT). */
void crilog_stream_set_rotation (struct crilog_stream *s,
                                 struct logrotate *rot);
int crilog_stream_feed (struct crilog_stream *s, const char *data, size_t len,
                        berth_error_t *err);
/* At end of stream: an unterminated tail becomes a P line. */
int crilog_stream_flush (struct crilog_stream *s, berth_error_t *err);

/* The text of the last LINES lines of the CRI log at PATH, reassembled as
 * kubectl logs shows it, then cut to its last MAX_BYTES bytes (the kubelet's
 * fallback termination message: 80 lines, 2048 bytes). */
int crilog_tail_text (const char *path, size_t lines, size_t max_bytes,
                      char **out, berth_error_t *err);

#endif
