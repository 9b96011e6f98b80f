/* error.c - see error.h. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static int
error_return_value (int status)
{
  return status > 0 ? -status : -1;
}

static int error_vmake (berth_error_t *err, int status, const char *suffix,
                        const char *fmt, va_list ap)
    __attribute__ ((format (printf, 4, 0)));

static int
error_vmake (berth_error_t *err, int status, const char *suffix,
             const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;
  struct berth_error_s *e;

  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  berth_error_release (err);
  e = calloc (1, sizeof (*e));
  if (e == NULL)
    return error_return_value (ENOMEM);
  e->status = status;
  if (msg != NULL && suffix != NULL)
    {
      if (asprintf (&e->msg, "%s: %s", msg, suffix) < 0)
        e->msg = NULL;
    }
  else
    e->msg = steal_pointer (&msg);
  *err = e;
  return error_return_value (status);
}

int
berth_error_make (berth_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = error_vmake (err, status, NULL, fmt, ap);
  va_end (ap);
  return ret;
}

int
berth_error_sys (berth_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = error_vmake (err, status, strerror (status), fmt, ap);
  va_end (ap);
  return ret;
}

int
berth_error_wrap (berth_error_t *err, const char *fmt, ...)
{
  cleanup_free char *ctx = NULL;
  char *joined = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx != NULL
      && asprintf (&joined, "%s: %s", ctx,
                   (*err)->msg ? (*err)->msg : "unknown error")
             >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  return error_return_value ((*err)->status);
}

void
berth_error_release (berth_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

const char *
berth_error_msg (const berth_error_t *err)
{
  if (err == NULL || *err == NULL || (*err)->msg == NULL)
    return "unknown error";
  return (*err)->msg;
}
