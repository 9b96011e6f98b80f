/* lazy_curl.c - the libcurl functions berth calls, loaded from
 * BERTH_SONAME_CURL on first use (lib/lazylib.h says why and how).
 *
 * Users: the manifest URL source, the httpGet probes and hooks, the CLI's
 * API client.  The variadic curl_easy_setopt and curl_multi_setopt take one
 * argument whose type follows from the option's number (curl.h's
 * CURLOPTTYPE_* ranges); curl_easy_getinfo always takes one pointer.
 */
#define CURL_DISABLE_TYPECHECK 1 /* its macros would rename our definitions */
#include <curl/curl.h>
#include <stdarg.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  F (CURL *, curl_easy_init, (void), (), NULL)                                 \
  V (curl_easy_cleanup, (CURL * curl), (curl))                                 \
  F (CURLcode, curl_easy_perform, (CURL * curl), (curl), CURLE_FAILED_INIT)    \
  F (CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)     \
  V (curl_global_cleanup, (void), ())                                          \
  V (curl_free, (void *p), (p))                                                \
  F (char *, curl_version, (void), (), NULL)                                   \
  F (struct curl_slist *, curl_slist_append,                                   \
     (struct curl_slist * list, const char *data), (list, data), NULL)         \
  V (curl_slist_free_all, (struct curl_slist * list), (list))                  \
  F (CURLM *, curl_multi_init, (void), (), NULL)                               \
  F (CURLMcode, curl_multi_cleanup, (CURLM * m), (m), CURLM_BAD_HANDLE)        \
  F (CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * curl), (m, curl),    \
     CURLM_BAD_HANDLE)                                                         \
  F (CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * curl), (m, curl), \
     CURLM_BAD_HANDLE)                                                         \
  F (CURLMcode, curl_multi_assign,                                             \
     (CURLM * m, curl_socket_t sockfd, void *sockp), (m, sockfd, sockp),       \
     CURLM_BAD_HANDLE)                                                         \
  F (CURLMsg *, curl_multi_info_read, (CURLM * m, int *msgs_in_queue),         \
     (m, msgs_in_queue), NULL)                                                 \
  F (CURLMcode, curl_multi_socket_action,                                      \
     (CURLM * m, curl_socket_t s, int ev_bitmask, int *running_handles),       \
     (m, s, ev_bitmask, running_handles), CURLM_BAD_HANDLE)                    \
  F (CURLU *, curl_url, (void), (), NULL)                                      \
  V (curl_url_cleanup, (CURLU * handle), (handle))                             \
  F (CURLUcode, curl_url_get,                                                  \
     (CURLU * handle, CURLUPart what, char **part, unsigned int flags),        \
     (handle, what, part, flags), CURLUE_OUT_OF_MEMORY)                        \
  F (CURLUcode, curl_url_set,                                                  \
     (CURLU * handle, CURLUPart what, const char *part, unsigned int flags),   \
     (handle, what, part, flags), CURLUE_OUT_OF_MEMORY)

/* the table: the functions above, the variadic ones and the two whose
 * failure value is the load error itself */
struct curl_table
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
  CURLcode (*curl_easy_setopt) (CURL *, CURLoption, ...);
  CURLcode (*curl_easy_getinfo) (CURL *, CURLINFO, ...);
  CURLMcode (*curl_multi_setopt) (CURLM *, CURLMoption, ...);
  const char *(*curl_easy_strerror) (CURLcode);
  const char *(*curl_multi_strerror) (CURLMcode);
};
#define LAZYLIB_TABLE struct curl_table
#define LAZYLIB_LIB curl_lib

static const struct lazylib_sym curl_syms[]
    = { LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM)
            LAZYLIB_SYM (, curl_easy_setopt, , , )
                LAZYLIB_SYM (, curl_easy_getinfo, , , )
                    LAZYLIB_SYM (, curl_multi_setopt, , , )
                        LAZYLIB_SYM (, curl_easy_strerror, , , )
                            LAZYLIB_SYM (, curl_multi_strerror, , , ) };
static struct curl_table curl_table;
static void curl_open (void);
static struct lazylib curl_lib
    = LAZYLIB_INIT (BERTH_SONAME_CURL, curl_syms, &curl_table, curl_open);

static void
curl_open (void)
{
  lazylib_open (&curl_lib);
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)

/* The one argument of option OPT, read by its type and passed on to FN
 * (curl_easy_setopt or curl_multi_setopt, which share the numbering). */
#define CURL_FORWARD_OPTION(RC, FN, H, OPT, AP)                                \
  do                                                                           \
    {                                                                          \
      if ((OPT) < CURLOPTTYPE_OBJECTPOINT)                                     \
        RC = FN (H, OPT, va_arg (AP, long));                                   \
      else if ((OPT) < CURLOPTTYPE_FUNCTIONPOINT)                              \
        RC = FN (H, OPT, va_arg (AP, void *));                                 \
      else if ((OPT) < CURLOPTTYPE_OFF_T)                                      \
        RC = FN (H, OPT, va_arg (AP, void (*) (void)));                        \
      else if ((OPT) < CURLOPTTYPE_BLOB)                                       \
        RC = FN (H, OPT, va_arg (AP, curl_off_t));                             \
      else                                                                     \
        RC = FN (H, OPT, va_arg (AP, struct curl_blob *));                     \
    }                                                                          \
  while (0)

CURLcode
curl_easy_setopt (CURL *curl, CURLoption option, ...)
{
  const struct curl_table *t = lazylib_get (&curl_lib);
  CURLcode rc;
  va_list ap;

  if (t == NULL)
    return CURLE_FAILED_INIT;
  va_start (ap, option);
  CURL_FORWARD_OPTION (rc, t->curl_easy_setopt, curl, option, ap);
  va_end (ap);
  return rc;
}

CURLMcode
curl_multi_setopt (CURLM *m, CURLMoption option, ...)
{
  const struct curl_table *t = lazylib_get (&curl_lib);
  CURLMcode rc;
  va_list ap;

  if (t == NULL)
    return CURLM_BAD_HANDLE;
  va_start (ap, option);
  CURL_FORWARD_OPTION (rc, t->curl_multi_setopt, m, option, ap);
  va_end (ap);
  return rc;
}

CURLcode
curl_easy_getinfo (CURL *curl, CURLINFO info, ...)
{
  const struct curl_table *t = lazylib_get (&curl_lib);
  CURLcode rc;
  va_list ap;

  if (t == NULL)
    return CURLE_FAILED_INIT;
  va_start (ap, info);
  rc = t->curl_easy_getinfo (curl, info, va_arg (ap, void *));
  va_end (ap);
  return rc;
}

/* Without the library, every call above failed with CURLE_FAILED_INIT (or
 * CURLM_BAD_HANDLE): the callers print this, which says why. */
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
