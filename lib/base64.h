/* base64.h - standard base64 (RFC 4648 with padding), with the exact
 * acceptance rules of Go's base64.StdEncoding, which decodes the []byte
 * fields of Kubernetes objects (Secret data, ConfigMap binaryData):
 * padding is required and '\r' and '\n' are skipped anywhere. */
#ifndef BERTH_BASE64_H
#define BERTH_BASE64_H

#include <stddef.h>

/* Decoded bytes (NUL-terminated, length in *len), or NULL with *bad_offset
 * set to the offset of the first illegal input byte. */
char *base64_decode (const char *in, size_t *len, long *bad_offset);
/* Encoded text, NUL-terminated. */
char *base64_encode (const char *in, size_t len);

#endif
