/* lazylib.h - load a shared library the first time a code path needs it.
 *
 * berth links only libc, yajl, libyaml, libseccomp and libcap.  libcurl,
 * libarchive, libmicrohttpd, libnftables and libcrypto (with the dozens of
 * libraries they pull in: krb5, ldap, gnutls, ICU, libxml2...) are opened
 * with dlopen by the shim modules lib/lazy_*.c the first time berth calls
 * one of their functions, so that `berth run` and an agent with plain pods
 * neither pay for loading and relocating them at every exec nor keep their
 * pages resident.
 *
 * A shim module DEFINES the library's functions that berth calls, with the
 * names and prototypes of the library's header (the compiler checks them
 * against it), and forwards each call through a table of pointers that
 * lazylib fills from dlsym.  Callers include the library's own header and
 * stay unchanged.  The table is what the dynamic linker's GOT would be: it
 * is written once, under pthread_once, and only read after that - the one
 * exception to berth's "no global mutable state", for the same reason the
 * GOT is one.
 *
 * When the library or one of its symbols is missing, the shim returns the
 * API's failure value (NULL, CURLE_FAILED_INIT, ARCHIVE_FATAL, MHD_NO, 0 or
 * -1 as the API documents) so the caller's own error path runs, and
 * lazylib_last_error() names the soname, the symbol and dlerror().  The
 * failure is also written once to stderr, as the dynamic linker would
 * report a missing NEEDED library, because some callers treat a NULL from
 * a constructor as an allocation failure and abort.
 *
 * This module owns only the loading; which functions a library exports to
 * berth is each shim module's business.
 */
#ifndef BERTH_LAZYLIB_H
#define BERTH_LAZYLIB_H

#include <pthread.h>
#include <stddef.h>

/* One symbol: its name and where its pointer goes in the table. */
struct lazylib_sym
{
  const char *name;
  size_t offset;
};

struct lazylib
{
  const char *soname;
  const struct lazylib_sym *syms;
  size_t n_syms;
  void *table;         /* the pointers, at the syms' offsets */
  void (*open) (void); /* calls lazylib_open on this struct (pthread_once
                          takes no argument) */
  pthread_once_t once;
  void *handle; /* the dlopen handle once loaded; NULL before or on failure */
  char error[384];
};

#define LAZYLIB_INIT(SONAME, SYMS, TABLE, OPEN)                                \
  {                                                                            \
    .soname = (SONAME), .syms = (SYMS),                                        \
    .n_syms = sizeof (SYMS) / sizeof ((SYMS)[0]), .table = (TABLE),            \
    .open = (OPEN), .once = PTHREAD_ONCE_INIT                                  \
  }

/* The table of LIB, loaded on the first call (dlopen with RTLD_NOW |
 * RTLD_LOCAL, then dlsym of every symbol); NULL when the library or one of
 * its symbols could not be loaded - then lazylib_last_error() says why, and
 * every later call returns NULL at once. */
const void *lazylib_get (struct lazylib *lib);

/* Load LIB now.  Only for LIB->open, which pthread_once runs once. */
void lazylib_open (struct lazylib *lib);

/* Why the last lazylib_get of this thread that returned NULL failed, as
 * "SONAME: ...dlerror()" or "SONAME: no symbol NAME: ...dlerror()"; NULL
 * when none failed.  Like errno, it is per thread and only meaningful right
 * after a failure. */
const char *lazylib_last_error (void);

/* For the shim modules: LAZYLIB_FUNCS(F, V) lists the library's functions
 * as F (RET, NAME, (PARAMS), (ARGS), FAIL) or, for a void function,
 * V (NAME, (PARAMS), (ARGS)); before expanding these, a module defines
 * LAZYLIB_TABLE as its table's type and LAZYLIB_LIB as its struct
 * lazylib. */
#define LAZYLIB_FIELD(RET, NAME, PARAMS, ARGS, FAIL) RET (*NAME) PARAMS;
#define LAZYLIB_VOID_FIELD(NAME, PARAMS, ARGS) void (*NAME) PARAMS;
#define LAZYLIB_SYM(RET, NAME, PARAMS, ARGS, FAIL)                             \
  { #NAME, offsetof (LAZYLIB_TABLE, NAME) },
#define LAZYLIB_VOID_SYM(NAME, PARAMS, ARGS)                                   \
  { #NAME, offsetof (LAZYLIB_TABLE, NAME) },
#define LAZYLIB_SHIM(RET, NAME, PARAMS, ARGS, FAIL)                            \
  RET NAME PARAMS                                                              \
  {                                                                            \
    const LAZYLIB_TABLE *t_ = lazylib_get (&LAZYLIB_LIB);                      \
    if (t_ == NULL)                                                            \
      return FAIL;                                                             \
    return t_->NAME ARGS;                                                      \
  }
#define LAZYLIB_VOID_SHIM(NAME, PARAMS, ARGS)                                  \
  void NAME PARAMS                                                             \
  {                                                                            \
    const LAZYLIB_TABLE *t_ = lazylib_get (&LAZYLIB_LIB);                      \
    if (t_ != NULL)                                                            \
      t_->NAME ARGS;                                                           \
  }

#endif
