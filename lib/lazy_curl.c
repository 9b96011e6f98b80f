/* lazy_curl.c - the libcurl functions berth calls, loaded from
 * BERTH_SONAME_CURL on first use (lib/lazylib.h says why and how).
 *
 * Users: the manifest URL source, the httpGet probes and hooks, the CLI's
 * API client.  The variadic curl_easy_setopt and curl_multi_setopt take one
 * argument whose type follows from the option's number (curl.h's
 * CURLOPTTYPE_* ranges); curl_easy_getinfo always takes one pointer.
 *
 * The probe runner and the URL source set up their multi handles when the
 * agent starts, though most agents never make an HTTP request: so a multi
 * handle here is a stand-in (struct lazy_multi) that keeps its options
 * until the first easy handle is added, which loads libcurl, makes the real
 * multi handle and sets them on it.  For the same reason curl_global_init
 * loads nothing: libcurl is initialised (CURL_GLOBAL_DEFAULT, the flags
 * berth passes) as part of loading it, and stays so until exit, so
 * curl_global_cleanup does nothing.
 */
#define CURL_DISABLE_TYPECHECK 1 /* its macros would rename our definitions */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  F (CURL *, curl_easy_init, (void), (), NULL)                                 \
  V (curl_easy_cleanup, (CURL * curl), (curl))                                 \
  F (CURLcode, curl_easy_perform, (CURL * curl), (curl), CURLE_FAILED_INIT)    \
  V (curl_free, (void *p), (p))                                                \
  F (char *, curl_version, (void), (), NULL)                                   \
  F (struct curl_slist *, curl_slist_append,                                   \
     (struct curl_slist * list, const char *data), (list, data), NULL)         \
  V (curl_slist_free_all, (struct curl_slist * list), (list))                  \
  F (CURLU *, curl_url, (void), (), NULL)                                      \
  V (curl_url_cleanup, (CURLU * handle), (handle))                             \
  F (CURLUcode, curl_url_get,                                                  \
     (CURLU * handle, CURLUPart what, char **part, unsigned int flags),        \
     (handle, what, part, flags), CURLUE_OUT_OF_MEMORY)                        \
  F (CURLUcode, curl_url_set,                                                  \
     (CURLU * handle, CURLUPart what, const char *part, unsigned int flags),   \
     (handle, what, part, flags), CURLUE_OUT_OF_MEMORY)

/* the table: the functions above, and those that are written out below */
struct curl_table
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
  CURLcode (*curl_global_init) (long);
  CURLcode (*curl_easy_setopt) (CURL *, CURLoption, ...);
  CURLcode (*curl_easy_getinfo) (CURL *, CURLINFO, ...);
  const char *(*curl_easy_strerror) (CURLcode);
  CURLM *(*curl_multi_init) (void);
  CURLMcode (*curl_multi_cleanup) (CURLM *);
  CURLMcode (*curl_multi_setopt) (CURLM *, CURLMoption, ...);
  CURLMcode (*curl_multi_add_handle) (CURLM *, CURL *);
  CURLMcode (*curl_multi_remove_handle) (CURLM *, CURL *);
  CURLMcode (*curl_multi_assign) (CURLM *, curl_socket_t, void *);
  CURLMsg *(*curl_multi_info_read) (CURLM *, int *);
  CURLMcode (*curl_multi_socket_action) (CURLM *, curl_socket_t, int, int *);
  const char *(*curl_multi_strerror) (CURLMcode);
};
#define LAZYLIB_TABLE struct curl_table
#define LAZYLIB_LIB curl_lib
#define CURL_SYM(NAME) { #NAME, offsetof (struct curl_table, NAME) },

static const struct lazylib_sym curl_syms[] = {
  LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM) CURL_SYM (curl_global_init)
      CURL_SYM (curl_easy_setopt) CURL_SYM (curl_easy_getinfo)
          CURL_SYM (curl_easy_strerror) CURL_SYM (curl_multi_init)
              CURL_SYM (curl_multi_cleanup) CURL_SYM (curl_multi_setopt)
                  CURL_SYM (curl_multi_add_handle)
                      CURL_SYM (curl_multi_remove_handle)
                          CURL_SYM (curl_multi_assign)
                              CURL_SYM (curl_multi_info_read)
                                  CURL_SYM (curl_multi_socket_action)
                                      CURL_SYM (curl_multi_strerror)
};
static struct curl_table curl_table;
static void curl_open (void);
static struct lazylib curl_lib
    = LAZYLIB_INIT (BERTH_SONAME_CURL, curl_syms, &curl_table, curl_open);

static void
curl_open (void)
{
  lazylib_open (&curl_lib);
  if (curl_lib.handle != NULL
      && curl_table.curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    {
      snprintf (curl_lib.error, sizeof curl_lib.error,
                "%s: curl_global_init failed", curl_lib.soname);
      curl_lib.handle = NULL; /* unusable; it stays mapped */
    }
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)

CURLcode
curl_global_init (long flags)
{
  const struct curl_table *t;

  if ((flags & ~(long)CURL_GLOBAL_DEFAULT) == 0)
    return CURLE_OK; /* done when the library is loaded */
  t = lazylib_get (&curl_lib);
  return t ? t->curl_global_init (flags) : CURLE_FAILED_INIT;
}

void
curl_global_cleanup (void)
{
}

/* An option's value, by the type its number says. */
union curl_arg
{
  long l;
  void *p; /* also a struct curl_blob * */
  void (*f) (void);
  curl_off_t o;
};

static union curl_arg
curl_arg_read (long option, va_list *ap)
{
  union curl_arg a;

  if (option < CURLOPTTYPE_OBJECTPOINT)
    a.l = va_arg (*ap, long);
  else if (option < CURLOPTTYPE_FUNCTIONPOINT)
    a.p = va_arg (*ap, void *);
  else if (option < CURLOPTTYPE_OFF_T)
    a.f = va_arg (*ap, void (*) (void));
  else if (option < CURLOPTTYPE_BLOB)
    a.o = va_arg (*ap, curl_off_t);
  else
    a.p = va_arg (*ap, struct curl_blob *);
  return a;
}

/* FN (H, OPT, A) with A's member of OPT's type (curl_easy_setopt and
 * curl_multi_setopt share the numbering). */
#define CURL_PASS_ARG(FN, H, OPT, A)                                           \
  ((OPT) < CURLOPTTYPE_OBJECTPOINT     ? FN (H, OPT, (A).l)                    \
   : (OPT) < CURLOPTTYPE_FUNCTIONPOINT ? FN (H, OPT, (A).p)                    \
   : (OPT) < CURLOPTTYPE_OFF_T         ? FN (H, OPT, (A).f)                    \
   : (OPT) < CURLOPTTYPE_BLOB          ? FN (H, OPT, (A).o)                    \
                                       : FN (H, OPT, (A).p))

CURLcode
curl_easy_setopt (CURL *curl, CURLoption option, ...)
{
  const struct curl_table *t = lazylib_get (&curl_lib);
  union curl_arg a;
  va_list ap;

  if (t == NULL)
    return CURLE_FAILED_INIT;
  va_start (ap, option);
  a = curl_arg_read (option, &ap);
  va_end (ap);
  return CURL_PASS_ARG (t->curl_easy_setopt, curl, option, a);
}

CURLcode
curl_easy_getinfo (CURL *curl, CURLINFO info, ...)
{
  const struct curl_table *t = lazylib_get (&curl_lib);
  void *p;
  va_list ap;

  if (t == NULL)
    return CURLE_FAILED_INIT;
  va_start (ap, info);
  p = va_arg (ap, void *);
  va_end (ap);
  return t->curl_easy_getinfo (curl, info, p);
}

/* Without the library, every call above failed with CURLE_FAILED_INIT (or
 * CURLM_INTERNAL_ERROR): the callers print this, which says why. */
const char *
curl_easy_strerror (CURLcode code)
{
  const struct curl_table *t = lazylib_get (&curl_lib);

  return t ? t->curl_easy_strerror (code) : curl_lib.error;
}

const char *
curl_multi_strerror (CURLMcode code)
{
  const struct curl_table *t = lazylib_get (&curl_lib);

  return t ? t->curl_multi_strerror (code) : curl_lib.error;
}

/* The multi handle the callers hold: the real one once an easy handle was
 * added, and until then the options to set on it.  libcurl's timer callback
 * goes through timer_trampoline, so that the callers' callback is given the
 * handle they know. */
#define LAZY_MULTI_OPTS 16
struct lazy_multi
{
  CURLM *real;
  curl_multi_timer_callback timer_fn;
  void *timer_data;
  size_t n_opts;
  struct
  {
    CURLMoption option;
    union curl_arg arg;
  } opts[LAZY_MULTI_OPTS];
};

static int
timer_trampoline (CURLM *real, long timeout_ms, void *data)
{
  struct lazy_multi *m = data;

  (void)real;
  return m->timer_fn ? m->timer_fn ((CURLM *)m, timeout_ms, m->timer_data) : 0;
}

static CURLMcode
lazy_multi_set_timer (const struct curl_table *t, struct lazy_multi *m)
{
  CURLMcode rc;

  rc = t->curl_multi_setopt (m->real, CURLMOPT_TIMERFUNCTION,
                             m->timer_fn ? timer_trampoline : NULL);
  if (rc == CURLM_OK)
    rc = t->curl_multi_setopt (m->real, CURLMOPT_TIMERDATA, m);
  return rc;
}

/* Load libcurl, make M's real handle and set the options kept so far. */
static CURLMcode
lazy_multi_make_real (struct lazy_multi *m)
{
  const struct curl_table *t = lazylib_get (&curl_lib);
  CURLMcode rc = CURLM_OK;

  if (t == NULL)
    return CURLM_INTERNAL_ERROR;
  m->real = t->curl_multi_init ();
  if (m->real == NULL)
    return CURLM_OUT_OF_MEMORY;
  for (size_t i = 0; i < m->n_opts && rc == CURLM_OK; i++)
    rc = CURL_PASS_ARG (t->curl_multi_setopt, m->real, m->opts[i].option,
                        m->opts[i].arg);
  if (rc == CURLM_OK && m->timer_fn)
    rc = lazy_multi_set_timer (t, m);
  if (rc != CURLM_OK)
    {
      t->curl_multi_cleanup (m->real);
      m->real = NULL;
    }
  return rc;
}

CURLM *
curl_multi_init (void)
{
  return (CURLM *)calloc (1, sizeof (struct lazy_multi));
}

CURLMcode
curl_multi_cleanup (CURLM *handle)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;
  CURLMcode rc = CURLM_OK;

  if (m == NULL)
    return CURLM_BAD_HANDLE;
  if (m->real)
    rc = curl_table.curl_multi_cleanup (m->real);
  free (m);
  return rc;
}

CURLMcode
curl_multi_setopt (CURLM *handle, CURLMoption option, ...)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;
  union curl_arg a;
  va_list ap;
  CURLMcode rc;

  if (m == NULL)
    return CURLM_BAD_HANDLE;
  va_start (ap, option);
  a = curl_arg_read (option, &ap);
  va_end (ap);
  if (option == CURLMOPT_TIMERFUNCTION || option == CURLMOPT_TIMERDATA)
    {
      if (option == CURLMOPT_TIMERFUNCTION)
        m->timer_fn = (curl_multi_timer_callback)a.f;
      else
        m->timer_data = a.p;
      return m->real ? lazy_multi_set_timer (&curl_table, m) : CURLM_OK;
    }
  if (m->real == NULL && m->n_opts < LAZY_MULTI_OPTS)
    {
      m->opts[m->n_opts].option = option;
      m->opts[m->n_opts++].arg = a;
      return CURLM_OK;
    }
  if (m->real == NULL && (rc = lazy_multi_make_real (m)) != CURLM_OK)
    return rc;
  return CURL_PASS_ARG (curl_table.curl_multi_setopt, m->real, option, a);
}

CURLMcode
curl_multi_add_handle (CURLM *handle, CURL *easy)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;
  CURLMcode rc;

  if (m == NULL)
    return CURLM_BAD_HANDLE;
  if (m->real == NULL && (rc = lazy_multi_make_real (m)) != CURLM_OK)
    return rc;
  return curl_table.curl_multi_add_handle (m->real, easy);
}

/* Before the real handle exists no easy handle was added to it, no socket
 * and no timeout was announced, and no message is waiting: these answer as
 * libcurl does for an empty multi handle. */
CURLMcode
curl_multi_remove_handle (CURLM *handle, CURL *easy)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;

  if (m == NULL)
    return CURLM_BAD_HANDLE;
  return m->real ? curl_table.curl_multi_remove_handle (m->real, easy)
                 : CURLM_OK;
}

CURLMcode
curl_multi_assign (CURLM *handle, curl_socket_t fd, void *sockp)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;

  if (m == NULL)
    return CURLM_BAD_HANDLE;
  return m->real ? curl_table.curl_multi_assign (m->real, fd, sockp)
                 : CURLM_BAD_SOCKET;
}

CURLMsg *
curl_multi_info_read (CURLM *handle, int *msgs_in_queue)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;

  if (m && m->real)
    return curl_table.curl_multi_info_read (m->real, msgs_in_queue);
  if (msgs_in_queue)
    *msgs_in_queue = 0;
  return NULL;
}

CURLMcode
curl_multi_socket_action (CURLM *handle, curl_socket_t fd, int ev_bitmask,
                          int *running_handles)
{
  struct lazy_multi *m = (struct lazy_multi *)handle;

  if (m == NULL)
    return CURLM_BAD_HANDLE;
  if (m->real)
    return curl_table.curl_multi_socket_action (m->real, fd, ev_bitmask,
                                                running_handles);
  if (running_handles)
    *running_handles = 0;
  return CURLM_OK;
}
