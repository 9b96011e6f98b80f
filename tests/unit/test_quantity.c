/* test_quantity.c - model/quantity.c against apimachinery's behaviour.
 *
 * The vectors come from k8s.io/apimachinery/pkg/api/resource/quantity_test.go
 * (TestQuantityParse, TestQuantityString, TestQuantityParseEmit,
 * TestParseQuantity, TestMilliNewSet, TestNewSet) plus edge cases; every
 * expected string and format was checked against the Go implementation.
 * Value and MilliValue differ from k8s only where k8s silently wraps an
 * int64 (we report overflow) and for negative values held as inf.Dec (k8s
 * truncates then adds one; we round away from zero as its int64 path does).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "quantity.h"

#define DSI QUANTITY_DECIMAL_SI
#define BSI QUANTITY_BINARY_SI
#define DEX QUANTITY_DECIMAL_EXPONENT

struct vector
{
  const char *input;
  const char *canonical;
  enum quantity_format format;
  bool value_overflows;
  int64_t value;
  bool milli_overflows;
  int64_t milli;
};

static const struct vector vectors[] = {
  { "0", "0", DSI, false, 0LL, false, 0LL },
  { "0n", "0", DSI, false, 0LL, false, 0LL },
  { "0u", "0", DSI, false, 0LL, false, 0LL },
  { "0m", "0", DSI, false, 0LL, false, 0LL },
  { "0Ki", "0", BSI, false, 0LL, false, 0LL },
  { "0k", "0", DSI, false, 0LL, false, 0LL },
  { "0Mi", "0", BSI, false, 0LL, false, 0LL },
  { "0M", "0", DSI, false, 0LL, false, 0LL },
  { "0Gi", "0", BSI, false, 0LL, false, 0LL },
  { "0G", "0", DSI, false, 0LL, false, 0LL },
  { "0Ti", "0", BSI, false, 0LL, false, 0LL },
  { "0T", "0", DSI, false, 0LL, false, 0LL },
  { "1", "1", DSI, false, 1LL, false, 1000LL },
  { "1Ki", "1Ki", BSI, false, 1024LL, false, 1024000LL },
  { "8Ki", "8Ki", BSI, false, 8192LL, false, 8192000LL },
  { "7Mi", "7Mi", BSI, false, 7340032LL, false, 7340032000LL },
  { "6Gi", "6Gi", BSI, false, 6442450944LL, false, 6442450944000LL },
  { "5Ti", "5Ti", BSI, false, 5497558138880LL, false, 5497558138880000LL },
  { "4Pi", "4Pi", BSI, false, 4503599627370496LL, false,
    4503599627370496000LL },
  { "3Ei", "3Ei", BSI, false, 3458764513820540928LL, true, 0 },
  { "10Ti", "10Ti", BSI, false, 10995116277760LL, false, 10995116277760000LL },
  { "100Ti", "100Ti", BSI, false, 109951162777600LL, false,
    109951162777600000LL },
  { "5n", "5n", DSI, false, 1LL, false, 1LL },
  { "4u", "4u", DSI, false, 1LL, false, 1LL },
  { "3m", "3m", DSI, false, 1LL, false, 3LL },
  { "9", "9", DSI, false, 9LL, false, 9000LL },
  { "8k", "8k", DSI, false, 8000LL, false, 8000000LL },
  { "50k", "50k", DSI, false, 50000LL, false, 50000000LL },
  { "7M", "7M", DSI, false, 7000000LL, false, 7000000000LL },
  { "6G", "6G", DSI, false, 6000000000LL, false, 6000000000000LL },
  { "5T", "5T", DSI, false, 5000000000000LL, false, 5000000000000000LL },
  { "40T", "40T", DSI, false, 40000000000000LL, false, 40000000000000000LL },
  { "300T", "300T", DSI, false, 300000000000000LL, false,
    300000000000000000LL },
  { "2P", "2P", DSI, false, 2000000000000000LL, false, 2000000000000000000LL },
  { "1E", "1E", DSI, false, 1000000000000000000LL, true, 0 },
  { "1E-3", "1e-3", DEX, false, 1LL, false, 1LL },
  { "1e3", "1e3", DEX, false, 1000LL, false, 1000000LL },
  { "1E6", "1e6", DEX, false, 1000000LL, false, 1000000000LL },
  { "1e9", "1e9", DEX, false, 1000000000LL, false, 1000000000000LL },
  { "1E12", "1e12", DEX, false, 1000000000000LL, false, 1000000000000000LL },
  { "1e15", "1e15", DEX, false, 1000000000000000LL, false,
    1000000000000000000LL },
  { "1E18", "1e18", DEX, false, 1000000000000000000LL, true, 0 },
  { "1e14", "100e12", DEX, false, 100000000000000LL, false,
    100000000000000000LL },
  { "1e13", "10e12", DEX, false, 10000000000000LL, false, 10000000000000000LL },
  { "100.035k", "100035", DSI, false, 100035LL, false, 100035000LL },
  { "0.001", "1m", DSI, false, 1LL, false, 1LL },
  { "0.0005k", "500m", DSI, false, 1LL, false, 500LL },
  { "0.005", "5m", DSI, false, 1LL, false, 5LL },
  { "0.05", "50m", DSI, false, 1LL, false, 50LL },
  { "0.5", "500m", DSI, false, 1LL, false, 500LL },
  { "0.00050k", "500m", DSI, false, 1LL, false, 500LL },
  { "0.00500", "5m", DSI, false, 1LL, false, 5LL },
  { "0.05000", "50m", DSI, false, 1LL, false, 50LL },
  { "0.50000", "500m", DSI, false, 1LL, false, 500LL },
  { "0.5e0", "500e-3", DEX, false, 1LL, false, 500LL },
  { "0.5e-1", "50e-3", DEX, false, 1LL, false, 50LL },
  { "0.5e-2", "5e-3", DEX, false, 1LL, false, 5LL },
  { "10.035M", "10035k", DSI, false, 10035000LL, false, 10035000000LL },
  { "1.2e3", "1200", DEX, false, 1200LL, false, 1200000LL },
  { "1.3E+6", "1300e3", DEX, false, 1300000LL, false, 1300000000LL },
  { "1.40e9", "1400e6", DEX, false, 1400000000LL, false, 1400000000000LL },
  { "1.53E12", "1530e9", DEX, false, 1530000000000LL, false,
    1530000000000000LL },
  { "1.6e15", "1600e12", DEX, false, 1600000000000000LL, false,
    1600000000000000000LL },
  { "1.7E18", "1700e15", DEX, false, 1700000000000000000LL, true, 0 },
  { "9.01", "9010m", DSI, false, 10LL, false, 9010LL },
  { "8.1k", "8100", DSI, false, 8100LL, false, 8100000LL },
  { "7.123456M", "7123456", DSI, false, 7123456LL, false, 7123456000LL },
  { "6.987654321G", "6987654321", DSI, false, 6987654321LL, false,
    6987654321000LL },
  { "5.444T", "5444G", DSI, false, 5444000000000LL, false, 5444000000000000LL },
  { "40.1T", "40100G", DSI, false, 40100000000000LL, false,
    40100000000000000LL },
  { "300.2T", "300200G", DSI, false, 300200000000000LL, false,
    300200000000000000LL },
  { "2.5P", "2500T", DSI, false, 2500000000000000LL, false,
    2500000000000000000LL },
  { "1.01E", "1010P", DSI, false, 1010000000000000000LL, true, 0 },
  { "3.001n", "4n", DSI, false, 1LL, false, 1LL },
  { "1.1E-9", "2e-9", DEX, false, 1LL, false, 1LL },
  { "0.0000000001", "1n", DSI, false, 1LL, false, 1LL },
  { "0.0000000005", "1n", DSI, false, 1LL, false, 1LL },
  { "0.00000000050", "1n", DSI, false, 1LL, false, 1LL },
  { "0.5e-9", "1e-9", DEX, false, 1LL, false, 1LL },
  { "0.9n", "1n", DSI, false, 1LL, false, 1LL },
  { "0.00000012345", "124n", DSI, false, 1LL, false, 1LL },
  { "0.00000012354", "124n", DSI, false, 1LL, false, 1LL },
  { "9Ei", "9223372036854775807", BSI, false, 9223372036854775807LL, true, 0 },
  { "9223372036854775807Ki", "9223372036854775807", BSI, false,
    9223372036854775807LL, true, 0 },
  { "12E", "12E", DSI, true, 0, true, 0 },
  { "100.035Ki", "102435840m", BSI, false, 102436LL, false, 102435840LL },
  { "0.5Mi", "512Ki", BSI, false, 524288LL, false, 524288000LL },
  { "0.05Gi", "53687091200m", BSI, false, 53687092LL, false, 53687091200LL },
  { "0.025Ti", "27487790694400m", BSI, false, 27487790695LL, false,
    27487790694400LL },
  { "0.000000000001Ki", "2n", DSI, false, 1LL, false, 1LL },
  { ".001", "1m", DSI, false, 1LL, false, 1LL },
  { ".0001k", "100m", DSI, false, 1LL, false, 100LL },
  { "1.", "1", DSI, false, 1LL, false, 1000LL },
  { "1.G", "1G", DSI, false, 1000000000LL, false, 1000000000000LL },
  { "-9.01", "-9010m", DSI, false, -10LL, false, -9010LL },
  { "-3.001n", "-4n", DSI, false, -1LL, false, -1LL },
  { "-0.000000000001Ki", "-2n", DSI, false, -1LL, false, -1LL },
  { "-1.5Gi", "-1536Mi", BSI, false, -1610612736LL, false, -1610612736000LL },
  { "1024Mi", "1Gi", BSI, false, 1073741824LL, false, 1073741824000LL },
  { "1000M", "1G", DSI, false, 1000000000LL, false, 1000000000000LL },
  { ".001Ki", "1024m", BSI, false, 2LL, false, 1024LL },
  { ".000001Ki", "1024u", DSI, false, 1LL, false, 2LL },
  { ".000000001Ki", "1024n", DSI, false, 1LL, false, 1LL },
  { ".000000000001Ki", "2n", DSI, false, 1LL, false, 1LL },
  { "-.000000000001Ki", "-2n", DSI, false, -1LL, false, -1LL },
  { "1.5", "1500m", DSI, false, 2LL, false, 1500LL },
  { "1.5Ki", "1536", BSI, false, 1536LL, false, 1536000LL },
  { "1.5Gi", "1536Mi", BSI, false, 1610612736LL, false, 1610612736000LL },
  { "0.5Gi", "512Mi", BSI, false, 536870912LL, false, 536870912000LL },
  { "1536Mi", "1536Mi", BSI, false, 1610612736LL, false, 1610612736000LL },
  { "1000", "1k", DSI, false, 1000LL, false, 1000000LL },
  { "129e6", "129e6", DEX, false, 129000000LL, false, 129000000000LL },
  { "128974848", "128974848", DSI, false, 128974848LL, false, 128974848000LL },
  { "123Mi", "123Mi", BSI, false, 128974848LL, false, 128974848000LL },
  { "100M", "100M", DSI, false, 100000000LL, false, 100000000000LL },
  { "-1", "-1", DSI, false, -1LL, false, -1000LL },
  { "1n", "1n", DSI, false, 1LL, false, 1LL },
  { "0.1m", "100u", DSI, false, 1LL, false, 1LL },
  { "300Mi", "300Mi", BSI, false, 314572800LL, false, 314572800000LL },
  { "307200Ki", "300Mi", BSI, false, 314572800LL, false, 314572800000LL },
  { "1025", "1025", DSI, false, 1025LL, false, 1025000LL },
  { "1080m", "1080m", DSI, false, 2LL, false, 1080LL },
  { "1.08", "1080m", DSI, false, 2LL, false, 1080LL },
  { "1080000000n", "1080m", DSI, false, 2LL, false, 1080LL },
  { ".001e12", "1e9", DEX, false, 1000000000LL, false, 1000000000000LL },
  { "0.001e0", "1e-3", DEX, false, 1LL, false, 1LL },
  { "1000e-12", "1e-9", DEX, false, 1LL, false, 1LL },
  { "00", "0", DSI, false, 0LL, false, 0LL },
  { "0.001T", "1G", DSI, false, 1000000000LL, false, 1000000000000LL },
  { "1000u", "1m", DSI, false, 1LL, false, 1LL },
  { "999999999999999999", "999999999999999999", DSI, false,
    999999999999999999LL, true, 0 },
  { "-999999999999999999.1", "-999999999999999999100m", DSI, false,
    -1000000000000000000LL, true, 0 },
  { "9999999999999999999", "9999999999999999999", DSI, true, 0, true, 0 },
  { "9999999999999999999.1", "9999999999999999999100m", DSI, true, 0, true, 0 },
  { "1000000000000000000", "1E", DSI, false, 1000000000000000000LL, true, 0 },
  { "1.0000000000000000001E", "1000000000000000000100m", DSI, false,
    1000000000000000001LL, true, 0 },
  { "10000000000000000000", "10E", DSI, true, 0, true, 0 },
  { "10.000000000000000001E", "10000000000000000001", DSI, true, 0, true, 0 },
  { "9223372036854775807", "9223372036854775807", DSI, false,
    9223372036854775807LL, true, 0 },
  { "-9223372036854775808", "-9223372036854775808", DSI, false, INT64_MIN, true,
    0 },
  { "9223372036854775808.1", "9223372036854775808100m", DSI, true, 0, true, 0 },
  { "8Ei", "9223372036854775807", BSI, false, 9223372036854775807LL, true, 0 },
  { "-9Ei", "-9223372036854775807", BSI, false, -9223372036854775807LL, true,
    0 },
  { ".", "0", DSI, false, 0LL, false, 0LL },
  { "-.", "0", DSI, false, 0LL, false, 0LL },
  { "+", "0", DSI, false, 0LL, false, 0LL },
  { "-", "0", DSI, false, 0LL, false, 0LL },
  { "Ki", "0", BSI, false, 0LL, false, 0LL },
  { ".Ti", "0", BSI, false, 0LL, false, 0LL },
  { "m", "0", DSI, false, 0LL, false, 0LL },
  { "+1Ki", "1Ki", BSI, false, 1024LL, false, 1024000LL },
  { "1E3", "1e3", DEX, false, 1000LL, false, 1000000LL },
};

static struct quantity
parse_ok (const char *s)
{
  berth_error_t err = NULL;
  struct quantity q = { 0, DSI };

  if (quantity_parse (s, &q, &err) < 0)
    {
      ck_abort_msg ("%s: unexpected error: %s", s, berth_error_msg (&err));
      berth_error_release (&err);
    }
  return q;
}

static void
check_format (const struct quantity *q, const char *what, const char *want)
{
  cleanup_free char *got = quantity_format (q);

  ck_assert_ptr_nonnull (got);
  ck_assert_msg (strcmp (got, want) == 0, "%s: want \"%s\", got \"%s\"", what,
                 want, got);
}

START_TEST (test_vectors)
{
  const struct vector *v = &vectors[_i];
  struct quantity q = parse_ok (v->input), again;
  berth_error_t err = NULL;
  cleanup_free char *canon = NULL;
  int64_t out = 0;
  int ret;

  check_format (&q, v->input, v->canonical);
  ck_assert_msg (q.format == v->format, "%s: format %d, want %d", v->input,
                 (int)q.format, (int)v->format);

  ret = quantity_value (&q, &out, &err);
  ck_assert_msg ((ret < 0) == v->value_overflows, "%s: value ret %d", v->input,
                 ret);
  if (ret == 0)
    ck_assert_msg (out == v->value, "%s: value %lld, want %lld", v->input,
                   (long long)out, (long long)v->value);
  berth_error_release (&err);
  ret = quantity_milli_value (&q, &out, &err);
  ck_assert_msg ((ret < 0) == v->milli_overflows, "%s: milli ret %d", v->input,
                 ret);
  if (ret == 0)
    ck_assert_msg (out == v->milli, "%s: milli %lld, want %lld", v->input,
                   (long long)out, (long long)v->milli);
  berth_error_release (&err);

  /* The canonical form parses back to the same value. */
  canon = quantity_format (&q);
  again = parse_ok (canon);
  ck_assert_msg (quantity_cmp (&q, &again) == 0, "%s: round trip via %s",
                 v->input, canon);
}
END_TEST

static const char *const invalid[] = {
  /* From TestQuantityParse. */
  "",
  "1.1.M",
  "1+1.0M",
  "0.1mi",
  "0.1am",
  "aoeu",
  ".5i",
  "1i",
  "-3.01i",
  "-3.01e-",
  " 1",
  "1 ",
  "Non-Numeric",
  /* Suffix and exponent edge cases. */
  "1e",
  "1e+",
  "1e-",
  "1Kii",
  "1K",
  "1ki",
  "1Ki3",
  "1ee3",
  "1Ee3",
  "1e3e",
  "1e3.5",
  "1e9223372036854775808",
  "1e-9223372036854775809",
  "1.2.3",
  "1 Ki",
  "1\tKi",
  "1Ki ",
  "--1",
  "+-1",
  "1-",
  "1+5",
  "0x10",
  "1,5",
  "∞",
  /* No digits where k8s goes through inf.Dec.SetString. */
  ".Pi",
  ".Ei",
  "Pi",
  "+Ei",
  "-.Pi",
  ".e-10",
};

START_TEST (test_invalid)
{
  berth_error_t err = NULL;
  struct quantity q;
  size_t i;

  for (i = 0; i < sizeof (invalid) / sizeof (invalid[0]); i++)
    {
      ck_assert_msg (quantity_parse (invalid[i], &q, &err) < 0, "\"%s\" parsed",
                     invalid[i]);
      ck_assert_ptr_nonnull (err);
      ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "quantit"));
      berth_error_release (&err);
    }
}
END_TEST

START_TEST (test_error_messages)
{
  berth_error_t err = NULL;
  struct quantity q;

  ck_assert_int_lt (quantity_parse ("12XB", &q, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "invalid quantity \"12XB\": quantities must match the "
                    "regular expression "
                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  ck_assert_int_lt (quantity_parse ("1Kb", &q, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "regular"));
  ck_assert_int_lt (quantity_parse ("1K", &q, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "invalid quantity \"1K\": unable to parse quantity's "
                    "suffix");
  ck_assert_int_lt (quantity_parse (".Pi", &q, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "invalid quantity \".Pi\": unable to parse numeric part "
                    "of quantity");
  ck_assert_int_lt (quantity_parse ("99999999999999999999999999999E", &q, &err),
                    0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "quantity \"99999999999999999999999999999E\" is too large");
  berth_error_release (&err);
}
END_TEST

/* Accepted by k8s although they look wrong; kept for compatibility. */
START_TEST (test_quirks)
{
  static const struct
  {
    const char *input;
    const char *canonical;
    enum quantity_format format;
  } quirks[] = {
    { "+", "0", DSI },
    { "-", "0", DSI },
    { ".", "0", DSI },
    { "-.", "0", DSI },
    { "Ki", "0", BSI },
    { "m", "0", DSI },
    { "e5", "0", DEX },
    { ".e-9", "0", DEX },
    { "5.", "5", DSI },
    { "1.Ki", "1Ki", BSI },
    { "1e+3", "1e3", DEX },
    { "1e03", "1e3", DEX },
    { "1E3", "1e3", DEX },
    { "1E", "1E", DSI },
    { "1.500", "1500m", DSI },
    { "+1Ki", "1Ki", BSI },
    /* exponents are truncated to int32 */
    { "1e4294967296", "1", DEX },
    { "1e4294967297", "10", DEX },
    /* (k8s itself spins computing 10^2147483638 on this one) */
    { "1e-2147483647", "1e-9", DEX },
    { "1e9223372036854775807", "100e-3", DEX },
    { "0.0e-2147483648", "0", DEX },
    { "0e99999999", "0", DEX },
    /* DecimalSI past E falls back to the exponent form (k8s PR 140459) */
    { "1000E", "1e21", DSI },
    { "12345678901234567890123", "12345678901234567890123", DSI },
    { "10000000000000000000000", "10e21", DSI },
  };
  size_t i;

  for (i = 0; i < sizeof (quirks) / sizeof (quirks[0]); i++)
    {
      struct quantity q = parse_ok (quirks[i].input);

      check_format (&q, quirks[i].input, quirks[i].canonical);
      ck_assert_msg (q.format == quirks[i].format, "%s: format %d",
                     quirks[i].input, (int)q.format);
    }
}
END_TEST

START_TEST (test_too_large)
{
  static const char *const inputs[] = {
    "99999999999999999999999999999999E",
    "1e30",
    "170141183460469231731687303716E",
    "-1e2147483647",
    "1.5e-2147483648", /* int32 wrap makes this 15e2147483647 in k8s */
    "1e-2147483648",   /* and this 1e2147483648 */
    "1e2147483648",
  };
  berth_error_t err = NULL;
  struct quantity q;
  size_t i;

  for (i = 0; i < sizeof (inputs) / sizeof (inputs[0]); i++)
    {
      ck_assert_msg (quantity_parse (inputs[i], &q, &err) < 0, "%s parsed",
                     inputs[i]);
      ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "too large"));
      berth_error_release (&err);
    }
  /* Just below the limit of the 128-bit nano count. */
  q = parse_ok ("170141183460469231731687303715.884105727");
  check_format (&q, "i128 max", "170141183460469231731687303715884105727n");
  ck_assert_int_lt (
      quantity_parse ("170141183460469231731687303715.884105728", &q, &err), 0);
  berth_error_release (&err);
  /* BinarySI is capped instead, however large. */
  q = parse_ok ("99999999999999999999999999999999999999999999Ei");
  check_format (&q, "capped", "9223372036854775807");
  q = parse_ok ("-99999999999999999999999999999999999999999999Ki");
  check_format (&q, "capped", "-9223372036854775807");
}
END_TEST

START_TEST (test_long_inputs)
{
  size_t n = 100000, i;
  cleanup_free char *s = malloc (n + 8);
  struct quantity q;

  ck_assert_ptr_nonnull (s);
  /* 0.000...0001 with a long fraction rounds up to 1n. */
  s[0] = '0';
  s[1] = '.';
  for (i = 2; i < n; i++)
    s[i] = '0';
  s[n - 1] = '1';
  s[n] = '\0';
  q = parse_ok (s);
  check_format (&q, "long fraction", "1n");
  /* The same with a binary suffix goes through the 2^n multiplication. */
  strcpy (s + n, "Ei");
  q = parse_ok (s);
  check_format (&q, "long binary fraction", "1n");
  /* Many leading zeros before a small number. */
  for (i = 0; i < n; i++)
    s[i] = '0';
  strcpy (s + n, "12Mi");
  q = parse_ok (s);
  check_format (&q, "leading zeros", "12Mi");
}
END_TEST

START_TEST (test_milli_and_value)
{
  struct quantity q;
  int64_t v;
  berth_error_t err = NULL;

  /* TestMilliNewSet */
  quantity_from_milli (&q, 1, DSI);
  check_format (&q, "milli 1", "1m");
  quantity_from_milli (&q, 1000, DSI);
  check_format (&q, "milli 1000", "1");
  quantity_from_milli (&q, 1234000, DSI);
  check_format (&q, "milli 1234000", "1234");
  quantity_from_milli (&q, 1024, BSI);
  check_format (&q, "milli 1024 binary", "1024m");
  quantity_from_milli (&q, 1000000, (enum quantity_format)42);
  check_format (&q, "milli invalid format", "1e3");
  quantity_from_milli (&q, 1024 * 1024, BSI);
  check_format (&q, "milli 1Mi binary", "1048576m");
  ck_assert_int_eq (quantity_milli_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, 1024 * 1024);

  /* TestNewSet */
  quantity_from_value (&q, 1, DSI);
  check_format (&q, "value 1", "1");
  quantity_from_value (&q, 1000, DSI);
  check_format (&q, "value 1000", "1k");
  quantity_from_value (&q, 1234000, DSI);
  check_format (&q, "value 1234000", "1234k");
  quantity_from_value (&q, 1024, BSI);
  check_format (&q, "value 1024", "1Ki");
  quantity_from_value (&q, 1000000, (enum quantity_format)42);
  check_format (&q, "value invalid format", "1e6");
  quantity_from_value (&q, 1024 * 1024, BSI);
  check_format (&q, "value 1Mi", "1Mi");
  quantity_from_value (&q, INT64_MAX, BSI);
  check_format (&q, "value max", "9223372036854775807");
  ck_assert_int_eq (quantity_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, INT64_MAX);
  quantity_from_value (&q, INT64_MIN, DSI);
  check_format (&q, "value min", "-9223372036854775808");
  ck_assert_int_eq (quantity_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, INT64_MIN);
  ck_assert_int_lt (quantity_milli_value (&q, &v, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "overflows int64"));
  berth_error_release (&err);
  quantity_from_milli (&q, INT64_MIN, BSI);
  ck_assert_int_eq (quantity_milli_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, INT64_MIN);

  /* berth's uses: CPU millicores and memory bytes round up. */
  q = parse_ok ("0.0001");
  ck_assert_int_eq (quantity_milli_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, 1);
  q = parse_ok ("1.5Ki");
  ck_assert_int_eq (quantity_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, 1536);
  q = parse_ok ("0.1Ki");
  ck_assert_int_eq (quantity_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, 103);
  q = parse_ok ("-1.5");
  ck_assert_int_eq (quantity_value (&q, &v, &err), 0);
  ck_assert_int_eq (v, -2);
}
END_TEST

START_TEST (test_cmp)
{
  struct quantity a = parse_ok ("1Gi"), b = parse_ok ("1024Mi");
  struct quantity c = parse_ok ("1G"), z = parse_ok ("0Ki");
  struct quantity n = parse_ok ("-1n"), m = parse_ok ("9.01");

  ck_assert_int_eq (quantity_cmp (&a, &b), 0);
  ck_assert_int_eq (quantity_cmp (&a, &c), 1);
  ck_assert_int_eq (quantity_cmp (&c, &a), -1);
  ck_assert_int_eq (quantity_cmp (&n, &z), -1);
  ck_assert (quantity_is_zero (&z));
  ck_assert (!quantity_is_zero (&n));
  ck_assert (quantity_is_negative (&n));
  ck_assert (!quantity_is_negative (&z));
  ck_assert (!quantity_is_negative (&a));
  b = parse_ok ("9010m");
  ck_assert_int_eq (quantity_cmp (&m, &b), 0);
  b = parse_ok ("9.009999999");
  ck_assert_int_eq (quantity_cmp (&m, &b), 1);
}
END_TEST

/* Random strings over the grammar's alphabet: every one must either parse
 * or fail cleanly, and whatever parses must round-trip through its canonical
 * form (run under ASan and UBSan). */
START_TEST (test_random_strings)
{
  static const char alphabet[] = "0123456789.+-eEinumkKMGTP x";
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  char s[48];
  int iter;

  for (iter = 0; iter < 200000; iter++)
    {
      berth_error_t err = NULL;
      struct quantity q, again;
      size_t len, i;

      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      len = (size_t)(state % (sizeof (s) - 1));
      for (i = 0; i < len; i++)
        s[i] = alphabet[(state >> (i % 50)) % (sizeof (alphabet) - 1)
                        ^ (i * 7 % 3)];
      s[len] = '\0';
      if (quantity_parse (s, &q, &err) == 0)
        {
          cleanup_free char *canon = quantity_format (&q);

          ck_assert_ptr_nonnull (canon);
          ck_assert_int_eq (quantity_parse (canon, &again, &err), 0);
          ck_assert_msg (quantity_cmp (&q, &again) == 0, "%s -> %s", s, canon);
        }
      berth_error_release (&err);
    }
}
END_TEST

static Suite *
quantity_suite (void)
{
  Suite *s = suite_create ("quantity");
  TCase *tc = tcase_create ("core");

  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_vectors, 0,
                       sizeof (vectors) / sizeof (vectors[0]));
  tcase_add_test (tc, test_invalid);
  tcase_add_test (tc, test_error_messages);
  tcase_add_test (tc, test_quirks);
  tcase_add_test (tc, test_too_large);
  tcase_add_test (tc, test_long_inputs);
  tcase_add_test (tc, test_milli_and_value);
  tcase_add_test (tc, test_cmp);
  tcase_add_test (tc, test_random_strings);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (quantity_suite ());
  int failed;

  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
