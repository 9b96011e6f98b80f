/* quantity.c - see quantity.h.
 *
 * The parser follows apimachinery's ParseQuantity step by step, including
 * its quirks (a bare sign or suffix parses as zero, exponents are truncated
 * to int32), because berth must accept and reject exactly what the API
 * server does.  Instead of inf.Dec we keep the digits as a decimal string,
 * multiply it by 2^n in place for binary suffixes, and round to nanos by
 * cutting the string: exact for any input length, no floating point.
 */
#include "quantity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

typedef unsigned __int128 u128;

#define NANO 1000000000LL
#define I128_MAX ((__int128)(~(u128)0 >> 1))
/* BinarySI values are capped at 2^63-1 whole units (maxAllowed). */
#define BINARY_CAP_NANOS ((u128)INT64_MAX * NANO)
/* At most this many bytes of the input are quoted in error messages. */
#define QUOTE_MAX 64

static const char err_format[]
    = "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char err_numeric[] = "unable to parse numeric part of quantity";
static const char err_suffix[] = "unable to parse quantity's suffix";

/* The pieces parseQuantityString finds in a string. */
struct scan
{
  bool negative;
  bool all_zero;   /* only zeros after the sign: the value is 0 */
  bool has_digits; /* the numeric part holds at least one digit */
  const char *num; /* integer digits, leading zeros removed */
  size_t num_len;
  const char *denom; /* fraction digits */
  size_t denom_len;
  const char *suffix;
  size_t suffix_len;
};

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Go converts int64 to int32 by truncation; inf.Scale and Scale are int32. */
static int32_t
wrap32 (int64_t v)
{
  return (int32_t)(uint32_t)(uint64_t)v;
}

static int
quantity_error (berth_error_t *err, const char *s, const char *why)
{
  size_t len = strlen (s);

  return berth_error_make (err, 0, "invalid quantity \"%.*s%s\": %s",
                           (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s,
                           len > QUOTE_MAX ? "..." : "", why);
}

/* Split S as parseQuantityString does.  Returns false on a malformed
 * string. */
static bool
scan_quantity (const char *s, struct scan *sc)
{
  size_t pos = 0, end = strlen (s), i;

  memset (sc, 0, sizeof (*sc));
  if (pos < end && (s[0] == '-' || s[0] == '+'))
    sc->negative = s[pos++] == '-';
  while (pos < end && s[pos] == '0')
    pos++;
  if (pos == end)
    {
      sc->all_zero = true;
      return true;
    }
  sc->has_digits = pos > 0 && s[pos - 1] == '0';

  sc->num = s + pos;
  while (pos < end && is_digit (s[pos]))
    pos++;
  sc->num_len = (size_t)(s + pos - sc->num);
  if (pos < end && s[pos] == '.')
    {
      sc->denom = s + ++pos;
      while (pos < end && is_digit (s[pos]))
        pos++;
      sc->denom_len = (size_t)(s + pos - sc->denom);
    }
  sc->has_digits = sc->has_digits || sc->num_len > 0 || sc->denom_len > 0;

  sc->suffix = s + pos;
  sc->suffix_len = end - pos;
  while (pos < end && strchr ("eEinumkKMGTP", s[pos]) != NULL)
    pos++;
  if (pos < end && (s[pos] == '-' || s[pos] == '+'))
    pos++;
  for (i = pos; i < end; i++)
    if (!is_digit (s[i]))
      return false;
  return true;
}

/* strconv.ParseInt (s, 10, 64). */
static bool
parse_int64 (const char *s, size_t len, int64_t *out)
{
  bool negative = false;
  uint64_t v = 0, limit;
  size_t i = 0;

  if (len > 0 && (s[0] == '-' || s[0] == '+'))
    negative = s[i++] == '-';
  if (i == len)
    return false;
  limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < len; i++)
    {
      unsigned d;

      if (!is_digit (s[i]))
        return false;
      d = (unsigned)(s[i] - '0');
      if (v > (limit - d) / 10)
        return false;
      v = v * 10 + d;
    }
  *out = negative ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

/* quantitySuffixer.interpret: BASE is 10 or 2. */
static bool
interpret_suffix (const char *s, size_t len, int *base, int32_t *exponent,
                  enum quantity_format *format)
{
  static const char *const decimal[]
      = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
  static const char *const binary[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
  int64_t parsed;
  size_t i;

  for (i = 0; i < sizeof (decimal) / sizeof (decimal[0]); i++)
    if (strlen (decimal[i]) == len && memcmp (decimal[i], s, len) == 0)
      {
        *base = 10;
        *exponent = (int32_t)i * 3 - 9;
        *format = QUANTITY_DECIMAL_SI;
        return true;
      }
  for (i = 0; i < sizeof (binary) / sizeof (binary[0]); i++)
    if (len == 2 && memcmp (binary[i], s, 2) == 0)
      {
        *base = 2;
        *exponent = (int32_t)(i + 1) * 10;
        *format = QUANTITY_BINARY_SI;
        return true;
      }
  if (len > 1 && (s[0] == 'e' || s[0] == 'E')
      && parse_int64 (s + 1, len - 1, &parsed))
    {
      *base = 10;
      *exponent = wrap32 (parsed);
      *format = QUANTITY_DECIMAL_EXPONENT;
      return true;
    }
  return false;
}

/* Multiply the decimal digits DIGITS[0..*N) by 2^SHIFT (SHIFT <= 60) in
 * place; the buffer has room for 19 more digits. */
static void
digits_shift_left (char *digits, size_t *n, int shift)
{
  u128 carry = 0;
  size_t i;

  for (i = *n; i > 0; i--)
    {
      u128 v = ((u128)(unsigned)digits[i - 1] << shift) + carry;
      digits[i - 1] = (char)(v % 10);
      carry = v / 10;
    }
  while (carry > 0)
    {
      memmove (digits + 1, digits, *n);
      digits[0] = (char)(carry % 10);
      carry /= 10;
      (*n)++;
    }
}

/* ceil (DIGITS * 10^EXP10) as a magnitude.  Returns false on overflow. */
static bool
digits_to_nanos (const char *digits, size_t n, int64_t exp10, u128 *out)
{
  u128 v = 0;
  bool fraction = false;
  int64_t keep, i;

  while (n > 0 && digits[0] == 0)
    digits++, n--;
  if (n == 0)
    {
      *out = 0;
      return true;
    }
  keep = (int64_t)n;
  if (exp10 < 0)
    keep = exp10 < -(int64_t)n ? 0 : (int64_t)n + exp10;
  for (i = 0; i < keep; i++)
    {
      unsigned d = (unsigned)digits[i];

      if (v > ((u128)I128_MAX - d) / 10)
        return false;
      v = v * 10 + d;
    }
  for (i = keep; i < (int64_t)n; i++)
    fraction = fraction || digits[i] != 0;
  for (i = 0; i < exp10; i++)
    {
      if (v > (u128)I128_MAX / 10)
        return false;
      v *= 10;
    }
  /* inf.RoundUp: any discarded digit moves the magnitude up by one. */
  if (fraction)
    {
      if (v == (u128)I128_MAX)
        return false;
      v++;
    }
  *out = v;
  return true;
}

/* Whether ParseQuantity would take its int64 fast path, which skips
 * inf.Dec.SetString (and so accepts a numeric part without digits) and
 * computes the scale in int32 arithmetic. */
static bool
takes_fast_path (const struct scan *sc, int base, int32_t exponent,
                 int64_t *exp10)
{
  int64_t num_len = sc->num_len > 0 ? (int64_t)sc->num_len : 1;
  int64_t len = num_len + (int64_t)sc->denom_len;
  int32_t scale;

  if (base == 2)
    return sc->denom_len == 0 && 15 - num_len - exponent * 3 / 10 - 1 >= 0;
  scale = wrap32 ((int64_t)exponent - wrap32 ((int64_t)sc->denom_len));
  if (18 - len < 0 || scale < -9)
    return false;
  *exp10 = scale;
  return true;
}

int
quantity_parse (const char *s, struct quantity *q, berth_error_t *err)
{
  cleanup_free char *digits = NULL;
  enum quantity_format format;
  struct scan sc;
  int32_t exponent;
  int64_t exp10;
  size_t n = 0, i;
  u128 mag;
  int base;

  if (*s == '\0' || !scan_quantity (s, &sc))
    return quantity_error (err, s, err_format);
  if (sc.all_zero)
    {
      q->nanos = 0;
      q->format = QUANTITY_DECIMAL_SI;
      return 0;
    }
  if (!interpret_suffix (sc.suffix, sc.suffix_len, &base, &exponent, &format))
    return quantity_error (err, s, err_suffix);

  if (!takes_fast_path (&sc, base, exponent, &exp10))
    {
      if (!sc.has_digits)
        return quantity_error (err, s, err_numeric);
      /* amount.SetScale (scale + Scale (exponent).infScale ()), in int32. */
      exp10 = base == 2
                  ? -(int64_t)wrap32 ((int64_t)sc.denom_len)
                  : -(int64_t)wrap32 ((int64_t)wrap32 ((int64_t)sc.denom_len)
                                      + wrap32 (-(int64_t)exponent));
    }
  else if (base == 2)
    exp10 = 0;

  digits = malloc (sc.num_len + sc.denom_len + 20);
  if (digits == NULL)
    return berth_error_sys (err, ENOMEM, "parse quantity");
  for (i = 0; i < sc.num_len; i++)
    digits[n++] = (char)(sc.num[i] - '0');
  for (i = 0; i < sc.denom_len; i++)
    digits[n++] = (char)(sc.denom[i] - '0');
  if (base == 2)
    digits_shift_left (digits, &n, exponent);

  if (!digits_to_nanos (digits, n, exp10 + 9, &mag))
    {
      if (format != QUANTITY_BINARY_SI)
        return berth_error_make (
            err, 0, "quantity \"%.*s%s\" is too large",
            (int)(strlen (s) > QUOTE_MAX ? QUOTE_MAX : strlen (s)), s,
            strlen (s) > QUOTE_MAX ? "..." : "");
      mag = BINARY_CAP_NANOS;
    }
  if (format == QUANTITY_BINARY_SI && mag > BINARY_CAP_NANOS)
    mag = BINARY_CAP_NANOS;
  if (format == QUANTITY_BINARY_SI && mag > 0 && mag < (u128)NANO)
    format = QUANTITY_DECIMAL_SI;

  q->nanos = sc.negative ? -(__int128)mag : (__int128)mag;
  q->format = format;
  return 0;
}

static u128
magnitude (const struct quantity *q)
{
  return q->nanos < 0 ? (u128)0 - (u128)q->nanos : (u128)q->nanos;
}

/* ScaledValue: ceil (q / UNIT), with negative values rounded away from zero
 * as the int64Amount path does. */
static int
scaled_value (const struct quantity *q, int64_t unit, int64_t *out,
              berth_error_t *err)
{
  u128 mag = magnitude (q);
  u128 v = mag / (u128)unit + (u128)(mag % (u128)unit != 0);
  u128 limit = q->nanos < 0 ? (u128)INT64_MAX + 1 : (u128)INT64_MAX;

  if (v > limit)
    {
      cleanup_free char *s = quantity_format (q);
      return berth_error_make (err, 0, "quantity %s overflows int64",
                               s ? s : "(unknown)");
    }
  *out = q->nanos < 0 ? (int64_t)((u128)0 - v) : (int64_t)v;
  return 0;
}

int
quantity_value (const struct quantity *q, int64_t *out, berth_error_t *err)
{
  return scaled_value (q, NANO, out, err);
}

int
quantity_milli_value (const struct quantity *q, int64_t *out,
                      berth_error_t *err)
{
  return scaled_value (q, NANO / 1000, out, err);
}

int
quantity_cmp (const struct quantity *a, const struct quantity *b)
{
  return (a->nanos > b->nanos) - (a->nanos < b->nanos);
}

bool
quantity_is_zero (const struct quantity *q)
{
  return q->nanos == 0;
}

bool
quantity_is_negative (const struct quantity *q)
{
  return q->nanos < 0;
}

/* Write V in decimal at BUF; returns the number of digits. */
static size_t
u128_to_digits (u128 v, char *buf)
{
  char tmp[40];
  size_t n = 0, i;

  do
    {
      tmp[n++] = (char)('0' + (int)(v % 10));
      v /= 10;
    }
  while (v > 0);
  for (i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
}

/* AsCanonicalBytes: MAG * 10^EXPONENT with trailing zeros moved into the
 * exponent, then the exponent lowered to a multiple of 3. */
static int32_t
canonical_decimal (u128 mag, int32_t exponent, char *buf)
{
  size_t n = u128_to_digits (mag, buf);

  while (n > 1 && buf[n - 1] == '0')
    {
      buf[--n] = '\0';
      exponent++;
    }
  while (exponent % 3 != 0)
    {
      buf[n++] = '0';
      buf[n] = '\0';
      exponent--;
    }
  return exponent;
}

static const char *
decimal_si_suffix (int32_t exponent)
{
  static const char *const suffixes[]
      = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };

  if (exponent < -9 || exponent > 18 || exponent % 3 != 0)
    return NULL;
  return suffixes[(exponent + 9) / 3];
}

char *
quantity_format (const struct quantity *q)
{
  static const char *const binary[]
      = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
  enum quantity_format format = q->format;
  const char *sign = q->nanos < 0 ? "-" : "";
  u128 mag = magnitude (q);
  char number[48], suffix[16] = "";
  char *out = NULL;
  int32_t exponent;

  if (mag == 0)
    return strdup ("0");
  if (format != QUANTITY_DECIMAL_SI && format != QUANTITY_BINARY_SI)
    format = QUANTITY_DECIMAL_EXPONENT;
  /* BinarySI below 1024 or with a fraction is shown as DecimalSI. */
  if (format == QUANTITY_BINARY_SI
      && (mag < (u128)1024 * NANO || mag % NANO != 0))
    format = QUANTITY_DECIMAL_SI;

  if (format == QUANTITY_BINARY_SI)
    {
      u128 units = mag / NANO;
      int times = 0;

      while (units >= 1024 && units % 1024 == 0)
        units /= 1024, times++;
      if (times < (int)(sizeof (binary) / sizeof (binary[0])))
        {
          u128_to_digits (units, number);
          if (asprintf (&out, "%s%s%s", sign, number, binary[times]) < 0)
            return NULL;
          return out;
        }
      /* No suffix past Ei: fall back to the exponent form, as upstream. */
      format = QUANTITY_DECIMAL_EXPONENT;
    }

  exponent = canonical_decimal (mag, -9, number);
  if (format == QUANTITY_DECIMAL_SI && decimal_si_suffix (exponent) != NULL)
    snprintf (suffix, sizeof (suffix), "%s", decimal_si_suffix (exponent));
  else if (exponent != 0)
    /* DecimalSI above E (10^18): k8s once dropped the suffix here ("1000E"
     * became "1"); it now falls back to the exponent form, as we do. */
    snprintf (suffix, sizeof (suffix), "e%d", (int)exponent);
  if (asprintf (&out, "%s%s%s", sign, number, suffix) < 0)
    return NULL;
  return out;
}

void
quantity_from_milli (struct quantity *q, int64_t milli,
                     enum quantity_format format)
{
  q->nanos = (__int128)milli * (NANO / 1000);
  q->format = format;
}

void
quantity_from_value (struct quantity *q, int64_t value,
                     enum quantity_format format)
{
  q->nanos = (__int128)value * NANO;
  q->format = format;
}
