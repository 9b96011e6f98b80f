/* crilog.c - see crilog.h. */
#include "crilog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

void
crilog_format_time (const struct timespec *ts, char out[CRILOG_TIME_MAX])
{
  struct tm tm;
  char frac[16] = "";
  size_t n;

  gmtime_r (&ts->tv_sec, &tm);
  if (ts->tv_nsec != 0)
    {
      snprintf (frac, sizeof (frac), ".%09ld", (long)ts->tv_nsec);
      n = strlen (frac);
      while (n > 1 && frac[n - 1] == '0')
        frac[--n] = '\0';
    }
  snprintf (out, CRILOG_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
            tm.tm_sec, frac);
}

char *
crilog_format_line (const struct timespec *ts, const char *stream, bool partial,
                    const char *text, size_t len, size_t *out_len)
{
  char t[CRILOG_TIME_MAX];
  size_t head, total;
  char *line;

  crilog_format_time (ts, t);
  head = strlen (t) + 1 + strlen (stream) + 3; /* "T stream F " */
  total = head + len + 1;
  line = malloc (total + 1);
  if (line == NULL)
    abort ();
  snprintf (line, head + 1, "%s %s %c ", t, stream, partial ? 'P' : 'F');
  memcpy (line + head, text, len);
  line[head + len] = '\n';
  line[total] = '\0';
  *out_len = total;
  return line;
}

void
crilog_stream_init (struct crilog_stream *s, const char *name, int log_fd)
{
  s->name = name;
  s->log_fd = log_fd;
  s->rot = NULL;
  s->len = 0;
}

void
crilog_stream_set_rotation (struct crilog_stream *s, struct logrotate *rot)
{
  s->rot = rot;
}

static int
write_all (int fd, const char *buf, size_t len, berth_error_t *err)
{
  while (len > 0)
    {
      ssize_t w = write (fd, buf, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return berth_error_sys (err, errno, "write log");
      buf += w;
      len -= w;
    }
  return 0;
}

static int
emit (struct crilog_stream *s, const char *text, size_t len, bool partial,
      berth_error_t *err)
{
  struct timespec ts;
  cleanup_free char *line = NULL;
  size_t n;

  clock_gettime (CLOCK_REALTIME, &ts);
  line = crilog_format_line (&ts, s->name, partial, text, len, &n);
  if (s->rot == NULL)
    return write_all (s->log_fd, line, n, err);
  if (write_all (s->rot->fd, line, n, err) < 0)
    return -1;
  return logrotate_wrote (s->rot, n, err);
}

int
crilog_stream_feed (struct crilog_stream *s, const char *data, size_t len,
                    berth_error_t *err)
{
  while (len > 0)
    {
      const char *nl = memchr (data, '\n', len);
      size_t take = nl ? (size_t)(nl - data) : len;
      int ret;

      if (take > CRILOG_MAX_LINE - s->len)
        take = CRILOG_MAX_LINE - s->len;
      memcpy (s->buf + s->len, data, take);
      s->len += take;
      data += take;
      len -= take;
      if (len > 0 && *data == '\n')
        {
          ret = emit (s, s->buf, s->len, false, err);
          s->len = 0;
          data++;
          len--;
          if (ret < 0)
            return ret;
        }
      else if (s->len == CRILOG_MAX_LINE)
        {
          ret = emit (s, s->buf, s->len, true, err);
          s->len = 0;
          if (ret < 0)
            return ret;
        }
    }
  return 0;
}

int
crilog_stream_flush (struct crilog_stream *s, berth_error_t *err)
{
  int ret = 0;

  if (s->len > 0)
    ret = emit (s, s->buf, s->len, true, err);
  s->len = 0;
  return ret;
}

/* Append the text of one raw CRI line (no newline) to OUT. */
static void
tail_parse_line (const char *line, size_t len, char **out, size_t *out_len)
{
  const char *p = line, *end = line + len, *sp;
  bool partial;
  int field;

  /* time, stream, tag */
  for (field = 0; field < 2; field++)
    {
      sp = memchr (p, ' ', end - p);
      if (sp == NULL)
        return;
      p = sp + 1;
    }
  partial = p < end && *p == 'P';
  sp = memchr (p, ' ', end - p);
  p = sp ? sp + 1 : end;
  *out = realloc (*out, *out_len + (end - p) + 2);
  if (*out == NULL)
    abort ();
  memcpy (*out + *out_len, p, end - p);
  *out_len += end - p;
  if (!partial)
    (*out)[(*out_len)++] = '\n';
  (*out)[*out_len] = '\0';
}

int
crilog_tail_text (const char *path, size_t lines, size_t max_bytes, char **out,
                  berth_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  char *text = NULL;
  size_t text_len = 0, n = 0, start, end, count = 0;
  struct stat st;
  off_t off = 0;
  ssize_t r;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", path);
  if (fstat (fd, &st) < 0)
    return berth_error_sys (err, errno, "stat %s", path);
  /* Enough for LINES full lines. */
  if ((size_t)st.st_size > lines * (CRILOG_MAX_LINE + 64))
    off = st.st_size - lines * (CRILOG_MAX_LINE + 64);
  buf = malloc (st.st_size - off + 1);
  if (buf == NULL)
    abort ();
  while ((r = pread (fd, buf + n, st.st_size - off - n, off + n)) > 0)
    n += r;
  if (r < 0)
    return berth_error_sys (err, errno, "read %s", path);
  /* Find the start of the last LINES lines. */
  end = n;
  if (end > 0 && buf[end - 1] == '\n')
    end--;
  start = end;
  while (start > 0 && count < lines)
    {
      start--;
      if (buf[start] == '\n' && ++count == lines)
        {
          start++;
          break;
        }
    }
  text = calloc (1, 1);
  while (start < end)
    {
      char *nl = memchr (buf + start, '\n', end - start);
      size_t stop = nl ? (size_t)(nl - buf) : end;
      tail_parse_line (buf + start, stop - start, &text, &text_len);
      start = stop + 1;
    }
  if (text_len > max_bytes)
    {
      memmove (text, text + text_len - max_bytes, max_bytes);
      text[max_bytes] = '\0';
    }
  *out = text;
  return 0;
}
