/* probe_grpc.c - the two tiny protobufs of grpc.health.v1 and gRPC's
 * length-prefixed framing (see probe.h).  HealthCheckRequest is
 * { string service = 1; }, HealthCheckResponse { ServingStatus status = 1; }
 * and a message travels as 1 byte "compressed" (0), 4 bytes big-endian
 * length, the message. */
#include <stdint.h>
#include <string.h>

#include "probe.h"

static size_t
put_varint (uint8_t *p, uint64_t v)
{
  size_t n = 0;
  do
    {
      p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    }
  while (v);
  return n;
}

size_t
probe_grpc_encode_request (const char *service, uint8_t *buf, size_t size)
{
  size_t slen = service ? strlen (service) : 0, n = 5;
  uint8_t len[10];
  size_t llen = put_varint (len, slen);
  size_t msg = slen ? 1 + llen + slen : 0; /* proto3 omits "" */

  if (size < 5 + msg)
    return 0;
  buf[0] = 0;
  buf[1] = (uint8_t)(msg >> 24);
  buf[2] = (uint8_t)(msg >> 16);
  buf[3] = (uint8_t)(msg >> 8);
  buf[4] = (uint8_t)msg;
  if (slen)
    {
      buf[n++] = 0x0a; /* field 1, length-delimited */
      memcpy (buf + n, len, llen);
      n += llen;
      memcpy (buf + n, service, slen);
      n += slen;
    }
  return n;
}

static int
get_varint (const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
  uint64_t v = 0;
  int shift = 0;

  while (*pos < len && shift < 64)
    {
      uint8_t b = p[(*pos)++];
      v |= (uint64_t)(b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *out = v;
          return 0;
        }
      shift += 7;
    }
  return -1;
}

int
probe_grpc_decode_response (const uint8_t *buf, size_t len, int *status)
{
  uint64_t tag, v, mlen;
  size_t pos = 5, end;

  if (len < 5 || buf[0] != 0)
    return -1;
  mlen = (uint64_t)buf[1] << 24 | (uint64_t)buf[2] << 16 | (uint64_t)buf[3] << 8
         | buf[4];
  if (mlen > len - 5)
    return -1;
  end = 5 + (size_t)mlen;
  *status = 0; /* absent: UNKNOWN */
  while (pos < end)
    {
      if (get_varint (buf, end, &pos, &tag) < 0)
        return -1;
      switch (tag & 7)
        {
        case 0:
          if (get_varint (buf, end, &pos, &v) < 0)
            return -1;
          if (tag >> 3 == 1)
            *status = (int)v;
          break;
        case 1:
          pos += 8;
          break;
        case 2:
          if (get_varint (buf, end, &pos, &v) < 0 || v > end - pos)
            return -1;
          pos += (size_t)v;
          break;
        case 5:
          pos += 4;
          break;
        default:
          return -1;
        }
    }
  return pos == end ? 0 : -1;
}

const char *
probe_grpc_status_name (int status)
{
  static const char *const names[]
      = { "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN" };
  return status >= 0 && status < 4 ? names[status] : "UNKNOWN";
}
