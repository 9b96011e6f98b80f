/* base64.c - see base64.h.  Hand-written: none of berth's libraries exposes
 * base64, and Go's rules (required padding, skipped newlines, the offset of
 * the first bad byte in the error) must be matched exactly. */
#include "base64.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
value_of (unsigned char c)
{
  const char *p = c ? strchr (alphabet, c) : NULL;
  return p ? (int)(p - alphabet) : -1;
}

char *
base64_decode (const char *in, size_t *len, long *bad_offset)
{
  size_t n = strlen (in), o = 0;
  char *out = malloc (n / 4 * 3 + 4);
  unsigned quad[4];
  size_t q = 0, pad = 0;
  long quad_start = 0;

  if (out == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char)in[i];
      int v;
      if (c == '\r' || c == '\n')
        continue;
      if (q == 0)
        quad_start = (long)i;
      if (c == '=' && q >= 2)
        {
          /* "xx==" or "xxx=": the rest may only be padding and newlines */
          pad = 4 - q;
          size_t seen = 0, j = i;
          for (; j < n && seen < pad; j++)
            if (in[j] == '=')
              seen++;
            else if (in[j] != '\r' && in[j] != '\n')
              break;
          while (j < n && (in[j] == '\r' || in[j] == '\n'))
            j++;
          if (seen != pad || j != n)
            {
              *bad_offset = (long)(j < n ? j : i);
              free (out);
              return NULL;
            }
          break;
        }
      v = value_of (c);
      if (v < 0)
        {
          *bad_offset = (long)i;
          free (out);
          return NULL;
        }
      quad[q++] = (unsigned)v;
      if (q == 4)
        {
          out[o++] = (char)(quad[0] << 2 | quad[1] >> 4);
          out[o++] = (char)(quad[1] << 4 | quad[2] >> 2);
          out[o++] = (char)(quad[2] << 6 | quad[3]);
          q = 0;
        }
    }
  if (pad == 0 && q != 0)
    {
      *bad_offset = quad_start + (long)q; /* Go reports the cut-off quantum */
      free (out);
      return NULL;
    }
  if (pad == 2)
    out[o++] = (char)(quad[0] << 2 | quad[1] >> 4);
  else if (pad == 1)
    {
      out[o++] = (char)(quad[0] << 2 | quad[1] >> 4);
      out[o++] = (char)(quad[1] << 4 | quad[2] >> 2);
    }
  out[o] = '\0';
  *len = o;
  return out;
}

char *
base64_encode (const char *in, size_t len)
{
  const unsigned char *s = (const unsigned char *)in;
  char *out = malloc ((len + 2) / 3 * 4 + 1), *p = out;

  if (out == NULL)
    abort ();
  for (size_t i = 0; i < len; i += 3)
    {
      unsigned v = (unsigned)s[i] << 16;
      if (i + 1 < len)
        v |= (unsigned)s[i + 1] << 8;
      if (i + 2 < len)
        v |= s[i + 2];
      *p++ = alphabet[v >> 18 & 63];
      *p++ = alphabet[v >> 12 & 63];
      *p++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
      *p++ = i + 2 < len ? alphabet[v & 63] : '=';
    }
  *p = '\0';
  return out;
}
