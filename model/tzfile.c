/* tzfile.c - see tzfile.h.
 *
 * glibc has no per-call time-zone API (localtime_r and mktime follow the
 * process-wide TZ), so TZif files are parsed here.  The lookup and the
 * POSIX-rule evaluation follow Go's time package (zoneinfo.go,
 * zoneinfo_read.go) step by step, including its quirks, because CronJob
 * times must match the Kubernetes controller to the second.
 */
#include "tzfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define TZ_ALPHA INT64_MIN
#define TZ_OMEGA INT64_MAX
#define SECS_PER_DAY 86400
#define TZ_MAX_FILE (10 << 20)

enum tz_rule_kind
{
  RULE_JULIAN,
  RULE_DOY,
  RULE_MONTH_WEEK_DAY,
};

struct tz_rule
{
  enum tz_rule_kind kind;
  int day, week, mon;
  int time; /* seconds after local midnight */
};

/* The POSIX TZ footer, parsed once at load (Go re-parses it per lookup;
 * the result is the same). */
struct tz_extend
{
  bool ok;
  bool has_dst;
  int std_offset, dst_offset; /* seconds east of UTC */
  struct tz_rule start, end;
};

struct tz_zone
{
  int32_t offset;
  bool isdst;
};

struct tz
{
  char *name;
  struct tz_zone *zones;
  size_t nzones;
  int64_t *tx_when;
  uint8_t *tx_index;
  size_t ntx;
  struct tz_extend ext;
};

/* Directories searched by Go's LoadLocation on Unix, in order. */
static const char *const tz_sources[] = {
  "/usr/share/zoneinfo/",
  "/usr/share/lib/zoneinfo/",
  "/usr/lib/locale/TZ/",
  "/etc/zoneinfo/",
};

void
tz_free (struct tz *z)
{
  if (z == NULL)
    return;
  free (z->name);
  free (z->zones);
  free (z->tx_when);
  free (z->tx_index);
  free (z);
}

const char *
tz_name (const struct tz *z)
{
  return z == NULL ? "UTC" : z->name;
}

/* ---- calendar ---------------------------------------------------------- */

static int64_t
floor_div (int64_t a, int64_t b)
{
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

int64_t
tz_days_from_civil (int64_t y, int64_t m, int64_t d)
{
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = floor_div (y, 400);
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void
tz_civil_from_days (int64_t days, int64_t *y, int *m, int *d)
{
  int64_t z = days + 719468;
  int64_t era = floor_div (z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;

  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static bool
is_leap (int64_t y)
{
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
days_in_month (int m, int64_t y)
{
  static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return m == 2 && is_leap (y) ? 29 : dim[m - 1];
}

/* ---- the POSIX TZ footer (Go's tzsetName/Offset/Rule/Num) -------------- */

static bool
tzset_num (const char **s, int min, int max, int *out)
{
  const char *p = *s;
  int num = 0;

  if (*p < '0' || *p > '9')
    return false;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      num = num * 10 + (*p - '0');
      if (num > max)
        return false;
    }
  if (num < min)
    return false;
  *out = num;
  *s = p;
  return true;
}

static bool
tzset_name (const char **s)
{
  const char *p = *s;

  if (*p == '\0')
    return false;
  if (*p == '<')
    {
      const char *close = strchr (p, '>');
      if (close == NULL)
        return false;
      *s = close + 1;
      return true;
    }
  while (*p != '\0' && strchr ("0123456789,-+", *p) == NULL)
    p++;
  if (p - *s < 3)
    return false;
  *s = p;
  return true;
}

static bool
tzset_offset (const char **s, int *out)
{
  const char *p = *s;
  bool neg = false;
  int hours, mins, secs, off;

  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  if (!tzset_num (&p, 0, 24 * 7, &hours))
    return false;
  off = hours * 3600;
  if (*p == ':')
    {
      p++;
      if (!tzset_num (&p, 0, 59, &mins))
        return false;
      off += mins * 60;
      if (*p == ':')
        {
          p++;
          if (!tzset_num (&p, 0, 59, &secs))
            return false;
          off += secs;
        }
    }
  *out = neg ? -off : off;
  *s = p;
  return true;
}

static bool
tzset_rule (const char **s, struct tz_rule *r)
{
  const char *p = *s;

  memset (r, 0, sizeof (*r));
  if (*p == 'J')
    {
      p++;
      r->kind = RULE_JULIAN;
      if (!tzset_num (&p, 1, 365, &r->day))
        return false;
    }
  else if (*p == 'M')
    {
      p++;
      r->kind = RULE_MONTH_WEEK_DAY;
      if (!tzset_num (&p, 1, 12, &r->mon) || *p++ != '.'
          || !tzset_num (&p, 1, 5, &r->week) || *p++ != '.'
          || !tzset_num (&p, 0, 6, &r->day))
        return false;
    }
  else
    {
      r->kind = RULE_DOY;
      if (!tzset_num (&p, 0, 365, &r->day))
        return false;
    }
  r->time = 2 * 3600;
  if (*p == '/')
    {
      p++;
      if (!tzset_offset (&p, &r->time))
        return false;
    }
  *s = p;
  return true;
}

static void
tzset_parse (const char *s, struct tz_extend *e)
{
  memset (e, 0, sizeof (*e));
  if (!tzset_name (&s) || !tzset_offset (&s, &e->std_offset))
    return;
  /* POSIX offsets are added to local time to get UTC; ours are the
   * opposite. */
  e->std_offset = -e->std_offset;
  if (*s == '\0' || *s == ',')
    {
      e->ok = true;
      return;
    }
  if (!tzset_name (&s))
    return;
  if (*s == '\0' || *s == ',')
    e->dst_offset = e->std_offset + 3600;
  else
    {
      if (!tzset_offset (&s, &e->dst_offset))
        return;
      e->dst_offset = -e->dst_offset;
    }
  if (*s == '\0')
    s = ",M3.2.0,M11.1.0"; /* tzcode's default rules */
  if (*s != ',' && *s != ';')
    return;
  s++;
  if (!tzset_rule (&s, &e->start) || *s++ != ',')
    return;
  if (!tzset_rule (&s, &e->end) || *s != '\0')
    return;
  e->has_dst = true;
  e->ok = true;
}

/* Seconds from the start of YEAR (UTC) to the instant the rule fires, the
 * rule's time being local time at offset OFF (Go's tzruleTime). */
static int64_t
tzrule_time (int64_t year, const struct tz_rule *r, int off)
{
  static const int days_before[]
      = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
  int64_t s = 0;

  switch (r->kind)
    {
    case RULE_JULIAN:
      s = (int64_t)(r->day - 1) * SECS_PER_DAY;
      if (is_leap (year) && r->day >= 60)
        s += SECS_PER_DAY;
      break;
    case RULE_DOY:
      s = (int64_t)r->day * SECS_PER_DAY;
      break;
    case RULE_MONTH_WEEK_DAY:
      {
        /* Weekday of the first of the month, then the wanted week. */
        int64_t first = tz_days_from_civil (year, r->mon, 1);
        int dow = (int)(((first + 4) % 7 + 7) % 7);
        int d = r->day - dow;
        if (d < 0)
          d += 7;
        for (int i = 1; i < r->week; i++)
          {
            if (d + 7 >= days_in_month (r->mon, year))
              break;
            d += 7;
          }
        d += days_before[r->mon - 1];
        if (is_leap (year) && r->mon > 2)
          d++;
        s = (int64_t)d * SECS_PER_DAY;
      }
      break;
    }
  return s + r->time - off;
}

/* Go's tzset for an instant after the last transition: the offset, and the
 * span [*start, *end) it is known to hold for. */
static void
tzset_lookup (const struct tz_extend *e, int64_t last_tx, int64_t sec,
              int32_t *offset, int64_t *start, int64_t *end)
{
  int64_t year, ystart, ysec, start_sec, end_sec;
  int m, d, std_off = e->std_offset, dst_off = e->dst_offset;

  if (!e->has_dst)
    {
      *offset = std_off;
      *start = last_tx;
      *end = TZ_OMEGA;
      return;
    }
  tz_civil_from_days (floor_div (sec, SECS_PER_DAY), &year, &m, &d);
  ystart = tz_days_from_civil (year, 1, 1);
  /* Go computes the second of the year with a truncating remainder. */
  ysec = (floor_div (sec, SECS_PER_DAY) - ystart) * SECS_PER_DAY
         + sec % SECS_PER_DAY;
  ystart *= SECS_PER_DAY;
  start_sec = tzrule_time (year, &e->start, std_off);
  end_sec = tzrule_time (year, &e->end, dst_off);
  if (end_sec < start_sec)
    {
      /* Southern hemisphere: the "DST" span is the standard one. */
      int64_t t = start_sec;
      int o = std_off;
      start_sec = end_sec;
      end_sec = t;
      std_off = dst_off;
      dst_off = o;
    }
  if (ysec < start_sec)
    {
      *offset = std_off;
      *start = ystart;
      *end = ystart + start_sec;
    }
  else if (ysec >= end_sec)
    {
      *offset = std_off;
      *start = ystart + end_sec;
      *end = ystart + 365 * SECS_PER_DAY;
    }
  else
    {
      *offset = dst_off;
      *start = ystart + start_sec;
      *end = ystart + end_sec;
    }
}

/* ---- lookup (Go's Location.lookup) -------------------------------------- */

/* The zone used before the first transition (Go's lookupFirstZone). */
static size_t
first_zone (const struct tz *z)
{
  bool first_used = false;

  for (size_t i = 0; i < z->ntx; i++)
    if (z->tx_index[i] == 0)
      first_used = true;
  if (!first_used)
    return 0;
  if (z->ntx > 0 && z->zones[z->tx_index[0]].isdst)
    for (size_t zi = z->tx_index[0]; zi-- > 0;)
      if (!z->zones[zi].isdst)
        return zi;
  for (size_t zi = 0; zi < z->nzones; zi++)
    if (!z->zones[zi].isdst)
      return zi;
  return 0;
}

static void
tz_lookup (const struct tz *z, int64_t sec, int32_t *offset, int64_t *start,
           int64_t *end)
{
  size_t lo, hi;

  if (z == NULL)
    {
      *offset = 0;
      *start = TZ_ALPHA;
      *end = TZ_OMEGA;
      return;
    }
  if (z->ntx == 0 || sec < z->tx_when[0])
    {
      *offset = z->zones[first_zone (z)].offset;
      *start = TZ_ALPHA;
      *end = z->ntx > 0 ? z->tx_when[0] : TZ_OMEGA;
      return;
    }
  *end = TZ_OMEGA;
  lo = 0;
  hi = z->ntx;
  while (hi - lo > 1)
    {
      size_t m = lo + (hi - lo) / 2;
      if (sec < z->tx_when[m])
        {
          *end = z->tx_when[m];
          hi = m;
        }
      else
        lo = m;
    }
  *offset = z->zones[z->tx_index[lo]].offset;
  *start = z->tx_when[lo];
  if (lo == z->ntx - 1 && z->ext.ok)
    tzset_lookup (&z->ext, *start, sec, offset, start, end);
}

int32_t
tz_offset (const struct tz *z, int64_t t)
{
  int32_t off;
  int64_t start, end;

  tz_lookup (z, t, &off, &start, &end);
  return off;
}

void
tz_to_civil (const struct tz *z, int64_t t, struct tz_civil *out)
{
  int32_t off = tz_offset (z, t);
  int64_t local = t + off;
  int64_t days = floor_div (local, SECS_PER_DAY);
  int64_t secs = local - days * SECS_PER_DAY;

  tz_civil_from_days (days, &out->year, &out->month, &out->day);
  out->hour = (int)(secs / 3600);
  out->minute = (int)(secs / 60 % 60);
  out->second = (int)(secs % 60);
  out->weekday = (int)(((days + 4) % 7 + 7) % 7);
  out->yday = (int)(days - tz_days_from_civil (out->year, 1, 1) + 1);
  out->offset = off;
}

/* Carry LO into HI so that 0 <= LO < BASE (Go's norm). */
static void
norm (int64_t *hi, int64_t *lo, int64_t base)
{
  int64_t n = floor_div (*lo, base);
  *hi += n;
  *lo -= n * base;
}

int64_t
tz_from_civil (const struct tz *z, int64_t year, int64_t month, int64_t day,
               int64_t hour, int64_t min, int64_t sec)
{
  int64_t m = month - 1, wall, start, end;
  int32_t offset;

  norm (&year, &m, 12);
  norm (&min, &sec, 60);
  norm (&hour, &min, 60);
  norm (&day, &hour, 24);
  wall = (tz_days_from_civil (year, m + 1, 1) + day - 1) * SECS_PER_DAY
         + hour * 3600 + min * 60 + sec;

  /* Guess the offset in force at the wall time read as UTC; if the
   * resulting instant falls outside that offset's span, use the offset at
   * that instant instead.  This is what decides gaps and overlaps. */
  tz_lookup (z, wall, &offset, &start, &end);
  if (offset != 0)
    {
      int64_t utc = wall - offset;
      if (utc < start || utc >= end)
        {
          int64_t s2, e2;
          tz_lookup (z, utc, &offset, &s2, &e2);
        }
      wall -= offset;
    }
  return wall;
}

/* ---- loading (Go's LoadLocationFromTZData) ------------------------------ */

struct reader
{
  const uint8_t *p;
  size_t n;
  bool bad;
};

static const uint8_t *
take (struct reader *r, size_t k)
{
  const uint8_t *p = r->p;

  if (r->bad || r->n < k)
    {
      r->bad = true;
      return NULL;
    }
  r->p += k;
  r->n -= k;
  return p;
}

static uint64_t
be (const uint8_t *p, int size)
{
  uint64_t v = 0;
  for (int i = 0; i < size; i++)
    v = v << 8 | p[i];
  return v;
}

static int
bad_data (berth_error_t *err)
{
  return berth_error_make (err, EINVAL, "malformed time zone information");
}

static bool
read_counts (struct reader *r, uint32_t n[6])
{
  for (int i = 0; i < 6; i++)
    {
      const uint8_t *p = take (r, 4);
      if (p == NULL)
        return false;
      n[i] = (uint32_t)be (p, 4);
    }
  return true;
}

/* Counts, in file order: isutcnt, isstdcnt, leapcnt, timecnt, typecnt,
 * charcnt. */
enum
{
  N_UTC,
  N_STD,
  N_LEAP,
  N_TIME,
  N_ZONE,
  N_CHAR
};

static int
fill_zone (struct tz *z, struct reader *r, const uint32_t n[6], int size,
           berth_error_t *err)
{
  const uint8_t *times = take (r, (size_t)n[N_TIME] * size);
  const uint8_t *idx = take (r, n[N_TIME]);
  const uint8_t *zd = take (r, (size_t)n[N_ZONE] * 6);

  take (r, n[N_CHAR]);
  take (r, (size_t)n[N_LEAP] * (size + 4));
  take (r, n[N_STD]);
  take (r, n[N_UTC]);
  if (r->bad || n[N_ZONE] == 0)
    return bad_data (err);

  z->nzones = n[N_ZONE];
  z->zones = calloc (z->nzones, sizeof (*z->zones));
  z->ntx = n[N_TIME] > 0 ? n[N_TIME] : 1;
  z->tx_when = calloc (z->ntx, sizeof (*z->tx_when));
  z->tx_index = calloc (z->ntx, sizeof (*z->tx_index));
  if (z->zones == NULL || z->tx_when == NULL || z->tx_index == NULL)
    return berth_error_make (err, ENOMEM, "out of memory");
  for (size_t i = 0; i < z->nzones; i++)
    {
      z->zones[i].offset = (int32_t)(uint32_t)be (zd + 6 * i, 4);
      z->zones[i].isdst = zd[6 * i + 4] != 0;
      if (zd[6 * i + 5] >= n[N_CHAR])
        return bad_data (err);
    }
  if (n[N_TIME] == 0)
    {
      /* A fixed zone: one fake transition covering all time. */
      z->tx_when[0] = TZ_ALPHA;
      z->tx_index[0] = 0;
      return 0;
    }
  for (size_t i = 0; i < z->ntx; i++)
    {
      uint64_t v = be (times + i * size, size);
      z->tx_when[i] = size == 4 ? (int64_t)(int32_t)v : (int64_t)v;
      if (idx[i] >= z->nzones)
        return bad_data (err);
      z->tx_index[i] = idx[i];
    }
  return 0;
}

static void
read_footer (struct tz *z, const struct reader *r)
{
  cleanup_free char *s = NULL;

  if (r->n <= 2 || r->p[0] != '\n' || r->p[r->n - 1] != '\n')
    return;
  s = strndup ((const char *)r->p + 1, r->n - 2);
  if (s != NULL && strlen (s) == r->n - 2)
    tzset_parse (s, &z->ext);
}

int
tz_load_data (const char *name, const void *data, size_t len, struct tz **out,
              berth_error_t *err)
{
  struct reader r = { data, len, false };
  const uint8_t *hdr;
  uint32_t n[6];
  int size = 4, ret;
  struct tz *z;

  hdr = take (&r, 20);
  if (hdr == NULL || memcmp (hdr, "TZif", 4) != 0
      || (hdr[4] != 0 && (hdr[4] < '2' || hdr[4] > '4'))
      || !read_counts (&r, n))
    return bad_data (err);
  if (hdr[4] != 0)
    {
      /* Skip the 32-bit data and the second header; use the 64-bit data. */
      take (&r, (size_t)n[N_TIME] * 5 + (size_t)n[N_ZONE] * 6 + n[N_CHAR]
                    + (size_t)n[N_LEAP] * 8 + n[N_STD] + n[N_UTC] + 20);
      if (!read_counts (&r, n))
        return bad_data (err);
      size = 8;
    }
  z = calloc (1, sizeof (*z));
  if (z == NULL || (z->name = strdup (name)) == NULL)
    {
      tz_free (z);
      return berth_error_make (err, ENOMEM, "out of memory");
    }
  ret = fill_zone (z, &r, n, size, err);
  if (ret < 0)
    {
      tz_free (z);
      return ret;
    }
  read_footer (z, &r);
  *out = z;
  return 0;
}

/* Go reports these errno values in its own lower-case words. */
static const char *
go_errno_text (int e)
{
  switch (e)
    {
    case EISDIR:
      return "is a directory";
    case ENOTDIR:
      return "not a directory";
    case EACCES:
      return "permission denied";
    case ELOOP:
      return "too many levels of symbolic links";
    case ENAMETOOLONG:
      return "file name too long";
    default:
      return strerror (e);
    }
}

/* Read PATH whole, as Go's time.readFile: 0, or a positive errno. */
static int
read_file (const char *path, uint8_t **data, size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free uint8_t *buf = NULL;
  size_t cap = 0, n = 0;

  if (fd < 0)
    return errno;
  for (;;)
    {
      ssize_t r;
      if (n == cap)
        {
          uint8_t *nb;
          if (cap >= TZ_MAX_FILE)
            return EFBIG;
          cap = cap ? cap * 2 : 4096;
          nb = realloc (buf, cap);
          if (nb == NULL)
            return ENOMEM;
          buf = nb;
        }
      r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return errno;
      if (r == 0)
        break;
      n += (size_t)r;
    }
  *data = steal_pointer (&buf);
  *len = n;
  return 0;
}

static bool
contains_dot_dot (const char *s)
{
  return strstr (s, "..") != NULL;
}

int
tz_load (const char *name, struct tz **out, berth_error_t *err)
{
  int first_errno = 0;
  bool first_bad = false;

  *out = NULL;
  if (name == NULL || name[0] == '\0' || strcmp (name, "UTC") == 0
      || strcmp (name, "Local") == 0)
    return 0;
  if (contains_dot_dot (name) || name[0] == '/' || name[0] == '\\')
    return berth_error_make (err, EINVAL, "time: invalid location name");
  for (size_t i = 0; i < sizeof (tz_sources) / sizeof (tz_sources[0]); i++)
    {
      cleanup_free char *path = NULL;
      cleanup_free uint8_t *data = NULL;
      size_t len = 0;
      int e;

      if (asprintf (&path, "%s%s", tz_sources[i], name) < 0)
        return berth_error_make (err, ENOMEM, "out of memory");
      e = read_file (path, &data, &len);
      if (e == 0)
        {
          berth_error_t lerr = NULL;
          if (tz_load_data (name, data, len, out, &lerr) == 0)
            return 0;
          berth_error_release (&lerr);
          if (first_errno == 0 && !first_bad)
            first_bad = true;
        }
      else if (first_errno == 0 && !first_bad && e != ENOENT)
        first_errno = e;
    }
  if (first_bad)
    return bad_data (err);
  if (first_errno != 0)
    return berth_error_make (err, first_errno, "%s",
                             go_errno_text (first_errno));
  return berth_error_make (err, ENOENT, "unknown time zone %s", name);
}
