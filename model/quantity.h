/* quantity.h - Kubernetes resource quantities (k8s.io/apimachinery
 * pkg/api/resource), with the API server's parsing, rounding and canonical
 * form.
 *
 * A quantity is held exactly as a count of nano-units (10^-9) in a 128-bit
 * integer, plus the format it was written in.  Values whose whole-unit or
 * milli-unit value does not fit in int64 are reported as overflow by the
 * accessors that need them.
 */
#ifndef BERTH_QUANTITY_H
#define BERTH_QUANTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum quantity_format
{
  QUANTITY_DECIMAL_SI,       /* m, k, M, G, T, P, E or none */
  QUANTITY_BINARY_SI,        /* Ki, Mi, Gi, Ti, Pi, Ei */
  QUANTITY_DECIMAL_EXPONENT, /* 1e3, 1E-3 */
};

struct quantity
{
  __int128 nanos; /* value * 10^9, rounded up (away from zero) as k8s does */
  enum quantity_format format;
};

/* Parse S as ParseQuantity does.  Errors: "quantities must match the regular
 * expression ..." style messages, and "too large" for magnitudes that do not
 * fit the 128-bit nano count (about 1.7e29); int64 overflow is reported by
 * quantity_value and quantity_milli_value. */
int quantity_parse (const char *s, struct quantity *q, berth_error_t *err);

/* Whole units, rounded up (Quantity.Value).  Returns -1 and an error on
 * int64 overflow. */
int quantity_value (const struct quantity *q, int64_t *out, berth_error_t *err);
/* Milli-units, rounded up (Quantity.MilliValue). */
int quantity_milli_value (const struct quantity *q, int64_t *out,
                          berth_error_t *err);

int quantity_cmp (const struct quantity *a, const struct quantity *b);
bool quantity_is_zero (const struct quantity *q);
bool quantity_is_negative (const struct quantity *q);

/* The canonical string (Quantity.String): "1500m", "512Mi", "1e3", "0".
 * Returns a malloc'ed string. */
char *quantity_format (const struct quantity *q);

/* Build quantities from integers (for sums and defaults). */
void quantity_from_milli (struct quantity *q, int64_t milli,
                          enum quantity_format format);
void quantity_from_value (struct quantity *q, int64_t value,
                          enum quantity_format format);

#endif
