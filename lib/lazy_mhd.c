/* lazy_mhd.c - the libmicrohttpd functions berth calls, loaded from
 * BERTH_SONAME_MHD on first use (lib/lazylib.h says why and how).
 *
 * User: the agent's API server (agent/api.c).  The variadic
 * MHD_start_daemon goes to MHD_start_daemon_va with its options' va_list;
 * MHD_get_daemon_info and MHD_get_connection_info are variadic for info
 * types that berth does not ask for (they read no further argument for
 * MHD_DAEMON_INFO_EPOLL_FD and MHD_CONNECTION_INFO_DAEMON), so they are
 * passed on with the type alone.
 */
#include <microhttpd.h>
#include <stdarg.h>

#include "lazylib.h"

#define LAZYLIB_FUNCS(F, V)                                                    \
  V (MHD_stop_daemon, (struct MHD_Daemon * d), (d))                            \
  F (enum MHD_Result, MHD_run, (struct MHD_Daemon * d), (d), MHD_NO)           \
  F (enum MHD_Result, MHD_get_timeout,                                         \
     (struct MHD_Daemon * d, MHD_UNSIGNED_LONG_LONG * timeout), (d, timeout),  \
     MHD_NO)                                                                   \
  F (const char *, MHD_lookup_connection_value,                                \
     (struct MHD_Connection * c, enum MHD_ValueKind kind, const char *key),    \
     (c, kind, key), NULL)                                                     \
  F (enum MHD_Result, MHD_queue_response,                                      \
     (struct MHD_Connection * c, unsigned int status_code,                     \
      struct MHD_Response *r),                                                 \
     (c, status_code, r), MHD_NO)                                              \
  V (MHD_suspend_connection, (struct MHD_Connection * c), (c))                 \
  V (MHD_resume_connection, (struct MHD_Connection * c), (c))                  \
  F (struct MHD_Response *, MHD_create_response_from_buffer,                   \
     (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode),            \
     (size, buffer, mode), NULL)                                               \
  F (struct MHD_Response *, MHD_create_response_from_callback,                 \
     (uint64_t size, size_t block_size, MHD_ContentReaderCallback crc,         \
      void *crc_cls, MHD_ContentReaderFreeCallback crfc),                      \
     (size, block_size, crc, crc_cls, crfc), NULL)                             \
  F (enum MHD_Result, MHD_add_response_header,                                 \
     (struct MHD_Response * r, const char *header, const char *content),       \
     (r, header, content), MHD_NO)                                             \
  V (MHD_destroy_response, (struct MHD_Response * r), (r))

/* the table: the functions above and the variadic ones */
struct mhd_table
{
  LAZYLIB_FUNCS (LAZYLIB_FIELD, LAZYLIB_VOID_FIELD)
  struct MHD_Daemon *(*MHD_start_daemon_va) (unsigned int, uint16_t,
                                             MHD_AcceptPolicyCallback, void *,
                                             MHD_AccessHandlerCallback, void *,
                                             va_list);
  const union MHD_DaemonInfo *(*MHD_get_daemon_info) (struct MHD_Daemon *,
                                                      enum MHD_DaemonInfoType,
                                                      ...);
  const union MHD_ConnectionInfo *(*MHD_get_connection_info) (
      struct MHD_Connection *, enum MHD_ConnectionInfoType, ...);
};
#define LAZYLIB_TABLE struct mhd_table
#define LAZYLIB_LIB mhd_lib

static const struct lazylib_sym mhd_syms[]
    = { LAZYLIB_FUNCS (LAZYLIB_SYM, LAZYLIB_VOID_SYM)
            LAZYLIB_SYM (, MHD_start_daemon_va, , , )
                LAZYLIB_SYM (, MHD_get_daemon_info, , , )
                    LAZYLIB_SYM (, MHD_get_connection_info, , , ) };
static struct mhd_table mhd_table;
static void mhd_open (void);
static struct lazylib mhd_lib
    = LAZYLIB_INIT (BERTH_SONAME_MHD, mhd_syms, &mhd_table, mhd_open);

static void
mhd_open (void)
{
  lazylib_open (&mhd_lib);
}

LAZYLIB_FUNCS (LAZYLIB_SHIM, LAZYLIB_VOID_SHIM)

struct MHD_Daemon *
MHD_start_daemon (unsigned int flags, uint16_t port,
                  MHD_AcceptPolicyCallback apc, void *apc_cls,
                  MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
  const struct mhd_table *t = lazylib_get (&mhd_lib);
  struct MHD_Daemon *d;
  va_list ap;

  if (t == NULL)
    return NULL;
  va_start (ap, dh_cls);
  d = t->MHD_start_daemon_va (flags, port, apc, apc_cls, dh, dh_cls, ap);
  va_end (ap);
  return d;
}

const union MHD_DaemonInfo *
MHD_get_daemon_info (struct MHD_Daemon *d, enum MHD_DaemonInfoType type, ...)
{
  const struct mhd_table *t = lazylib_get (&mhd_lib);

  return t ? t->MHD_get_daemon_info (d, type) : NULL;
}

const union MHD_ConnectionInfo *
MHD_get_connection_info (struct MHD_Connection *c,
                         enum MHD_ConnectionInfoType type, ...)
{
  const struct mhd_table *t = lazylib_get (&mhd_lib);

  return t ? t->MHD_get_connection_info (c, type) : NULL;
}
