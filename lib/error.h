/* error.h - the one error type of berth.
 *
 * A function that can fail takes `berth_error_t *err` as its last argument,
 * returns a negative number on failure and fills *err with an errno value and
 * a message.  Callers add context as the error travels up with
 * berth_error_wrap().  Only the top level prints an error and exits.
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>

struct berth_error_s
{
  int status; /* errno value, or 0 when the failure is not a system error */
  char *msg;
};
typedef struct berth_error_s *berth_error_t;

/* Fill *err with STATUS and a formatted message; returns -1 (or -STATUS when
 * STATUS is set) so callers can write `return berth_error_make (...)`.  An
 * existing error in *err is released first. */
int berth_error_make (berth_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Like berth_error_make, with ": strerror(status)" appended. */
int berth_error_sys (berth_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the message in *err with "CONTEXT: ".  Returns the same value
 * berth_error_make would return for the wrapped error. */
int berth_error_wrap (berth_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

void berth_error_release (berth_error_t *err);

/* The message of *err, or "unknown error". */
const char *berth_error_msg (const berth_error_t *err);

#endif
