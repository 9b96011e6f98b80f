/* gostr.h - the few pieces of Go's strings, strconv and time packages whose
 * exact behaviour shows in Kubernetes' CronJob validation messages.
 *
 * robfig/cron and the API server build their errors from strconv.Atoi,
 * strconv.Quote, time.ParseDuration and strings.Fields; berth reproduces
 * those errors word for word, so it needs the same scanners.  Pure
 * functions on byte strings; no state.
 */
#ifndef BERTH_GOSTR_H
#define BERTH_GOSTR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Bytes of the unicode.IsSpace character at P (before END), or 0. */
size_t gostr_space_len (const char *p, const char *end);

/* strings.TrimSpace, as a new string (NULL when out of memory). */
char *gostr_trim_space (const char *s);

/* S[0..N) quoted as strconv.Quote (%q) does for error messages: printable
 * ASCII and valid UTF-8 pass through, the rest is escaped.  NULL when out
 * of memory. */
char *gostr_quote (const char *s, size_t n);

/* strconv.Atoi on S[0..N): 0, or -1 with *WHY set to "invalid syntax" or
 * "value out of range". */
int gostr_atoi (const char *s, size_t n, int64_t *out, const char **why);

/* time.ParseDuration: nanoseconds in *NS.  Errors carry Go's text, e.g.
 * `time: invalid duration "Xm"`, `time: unknown unit "x" in duration
 * "5x"`. */
int gostr_parse_duration (const char *s, int64_t *ns, berth_error_t *err);

#endif
