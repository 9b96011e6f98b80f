/* gostr.c - see gostr.h.  Follows Go's strconv (atoi.go, quote.go),
 * strings.Fields/TrimSpace and time.ParseDuration (format.go). */
#include "gostr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

struct span
{
  const char *p;
  size_t n;
};

size_t
gostr_space_len (const char *p, const char *end)
{
  const unsigned char *u = (const unsigned char *)p;
  size_t left = (size_t)(end - p);

  if (left == 0)
    return 0;
  if (strchr ("\t\n\v\f\r ", u[0]) != NULL && u[0] != '\0')
    return 1;
  if (left >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
    return 2;
  if (left < 3)
    return 0;
  if ((u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
      || (u[0] == 0xe2 && u[1] == 0x80
          && (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf)
          && u[2] >= 0x80)
      || (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
      || (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80))
    return 3;
  return 0;
}

/* Append S quoted as Go's strconv.Quote (%q) would, close enough for
 * error messages: printable ASCII and valid UTF-8 pass through. */
static void
go_quote (FILE *f, const char *s, size_t n)
{
  fputc ('"', f);
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char)s[i];
      const char *esc = NULL;
      switch (c)
        {
        case '"':
          esc = "\\\"";
          break;
        case '\\':
          esc = "\\\\";
          break;
        case '\a':
          esc = "\\a";
          break;
        case '\b':
          esc = "\\b";
          break;
        case '\f':
          esc = "\\f";
          break;
        case '\n':
          esc = "\\n";
          break;
        case '\r':
          esc = "\\r";
          break;
        case '\t':
          esc = "\\t";
          break;
        case '\v':
          esc = "\\v";
          break;
        default:
          break;
        }
      if (esc != NULL)
        fputs (esc, f);
      else if (c < 0x20 || c == 0x7f)
        fprintf (f, "\\x%02x", c);
      else if (c < 0x80)
        fputc (c, f);
      else
        {
          size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
          bool ok = len > 0 && i + len <= n && c < 0xf5;
          for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
          if (!ok)
            fprintf (f, "\\x%02x", c);
          else
            {
              fwrite (s + i, 1, len, f);
              i += len - 1;
            }
        }
    }
  fputc ('"', f);
}

char *
gostr_quote (const char *s, size_t n)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return NULL;
  go_quote (f, s, n);
  fclose (f);
  return buf;
}

int
gostr_atoi (const char *p, size_t n, int64_t *out, const char **why)
{
  struct span s = { p, n };
  size_t i = 0;
  bool neg = false;
  uint64_t v = 0, limit;

  *why = "invalid syntax";
  if (s.n > 0 && (s.p[0] == '+' || s.p[0] == '-'))
    neg = s.p[i++] == '-';
  if (i == s.n)
    return -1;
  limit = neg ? UINT64_C (1) << 63 : (UINT64_C (1) << 63) - 1;
  for (; i < s.n; i++)
    {
      if (s.p[i] < '0' || s.p[i] > '9')
        return -1;
      if (v > (limit - (uint64_t)(s.p[i] - '0')) / 10)
        v = UINT64_MAX; /* keep scanning: a bad digit is a syntax error */
      else if (v != UINT64_MAX)
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
  if (v == UINT64_MAX)
    {
      *why = "value out of range";
      return -1;
    }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

char *
gostr_trim_space (const char *b)
{
  const char *e = b + strlen (b), *last = b, *p;
  size_t sl;

  while (b < e && (sl = gostr_space_len (b, e)) > 0)
    b += sl;
  for (p = last = b; p < e;)
    {
      if ((sl = gostr_space_len (p, e)) > 0)
        p += sl;
      else
        last = ++p;
    }
  return strndup (b, (size_t)(last - b));
}

static int
duration_unit (const char *u, size_t n, uint64_t *unit)
{
  static const struct
  {
    const char *name;
    uint64_t ns;
  } units[] = {
    { "ns", 1 },
    { "us", 1000 },
    { "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
    { "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
    { "ms", 1000000 },
    { "s", 1000000000 },
    { "m", UINT64_C (60000000000) },
    { "h", UINT64_C (3600000000000) },
  };
  for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
    if (n == strlen (units[i].name) && memcmp (u, units[i].name, n) == 0)
      {
        *unit = units[i].ns;
        return 0;
      }
  return -1;
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* One "<number><unit>" element of a duration; 0, or -1 with *WHY. */
static int
duration_element (const char **sp, uint64_t *out, const char **why,
                  struct span *bad_unit)
{
  const char *s = *sp, *u;
  uint64_t v = 0, f = 0, unit;
  double scale = 1;
  bool pre = false, post = false, overflow = false;

  *why = "invalid";
  if (!(*s == '.' || is_digit (*s)))
    return -1;
  for (; is_digit (*s); s++, pre = true)
    {
      if (v > (UINT64_C (1) << 63) / 10)
        return -1;
      v = v * 10 + (uint64_t)(*s - '0');
      if (v > UINT64_C (1) << 63)
        return -1;
    }
  if (*s == '.')
    for (s++; is_digit (*s); s++, post = true)
      {
        uint64_t y;
        if (overflow || f > ((UINT64_C (1) << 63) - 1) / 10)
          {
            overflow = true;
            continue;
          }
        y = f * 10 + (uint64_t)(*s - '0');
        if (y > UINT64_C (1) << 63)
          {
            overflow = true;
            continue;
          }
        f = y;
        scale *= 10;
      }
  if (!pre && !post)
    return -1;
  for (u = s; *s != '\0' && *s != '.' && !is_digit (*s); s++)
    ;
  if (s == u)
    {
      *why = "missing unit";
      return -1;
    }
  if (duration_unit (u, (size_t)(s - u), &unit) < 0)
    {
      *why = "unknown unit";
      *bad_unit = (struct span){ u, (size_t)(s - u) };
      return -1;
    }
  if (v > (UINT64_C (1) << 63) / unit)
    return -1;
  v *= unit;
  if (f > 0)
    {
      v += (uint64_t)((double)f * ((double)unit / scale));
      if (v > UINT64_C (1) << 63)
        return -1;
    }
  *out = v;
  *sp = s;
  return 0;
}

int
gostr_parse_duration (const char *orig, int64_t *out, berth_error_t *err)
{
  const char *s = orig, *why = "invalid";
  struct span bad_unit = { "", 0 };
  cleanup_free char *q = gostr_quote (orig, strlen (orig));
  uint64_t d = 0;
  bool neg = false;

  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (strcmp (s, "0") == 0)
    {
      *out = 0;
      return 0;
    }
  if (*s == '\0')
    goto fail;
  while (*s != '\0')
    {
      uint64_t v;
      if (duration_element (&s, &v, &why, &bad_unit) < 0)
        goto fail;
      d += v;
      if (d > UINT64_C (1) << 63)
        {
          why = "invalid";
          goto fail;
        }
    }
  if (!neg && d > (UINT64_C (1) << 63) - 1)
    goto fail;
  *out = neg ? (int64_t)(0 - d) : (int64_t)d;
  return 0;

fail:
  if (strcmp (why, "unknown unit") == 0)
    {
      cleanup_free char *qu = gostr_quote (bad_unit.p, bad_unit.n);
      return berth_error_make (err, EINVAL,
                               "time: unknown unit %s in duration %s",
                               qu ? qu : "", q ? q : "");
    }
  return berth_error_make (
      err, EINVAL, "time: %s %s %s", why,
      strcmp (why, "invalid") == 0 ? "duration" : "in duration", q ? q : "");
}
