/* cgroup_stats.c - see cgroup_stats.h. */
#include "cgroup_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_fs.h"
#include "cleanup.h"

struct field
{
  const char *key;
  size_t offset; /* of a struct cgroup_counter */
};

/* Parse "key value" lines into the counters FIELDS names; unknown keys and
 * malformed lines are skipped. */
static void
parse_flat (const char *buf, const struct field *fields, size_t n, void *base)
{
  for (const char *p = buf; p != NULL && *p;)
    {
      const char *eol = strchr (p, '\n');
      size_t klen = strcspn (p, " \n");
      for (size_t i = 0; i < n; i++)
        {
          if (strlen (fields[i].key) != klen
              || strncmp (p, fields[i].key, klen) != 0 || p[klen] != ' ')
            continue;
          char *end;
          errno = 0;
          unsigned long long v = strtoull (p + klen + 1, &end, 10);
          if (errno == 0 && end != p + klen + 1
              && (*end == '\n' || *end == '\0'))
            {
              struct cgroup_counter *c
                  = (struct cgroup_counter *)((char *)base + fields[i].offset);
              c->set = true;
              c->v = v;
            }
          break;
        }
      p = eol ? eol + 1 : NULL;
    }
}

#define F(type, name)                                                          \
  {                                                                            \
#name, offsetof(type, name)                                                \
  }

void
cgroup_stats_parse_cpu_stat (const char *buf, struct cgroup_cpu_stat *out)
{
  static const struct field fields[] = {
    F (struct cgroup_cpu_stat, usage_usec),
    F (struct cgroup_cpu_stat, user_usec),
    F (struct cgroup_cpu_stat, system_usec),
    F (struct cgroup_cpu_stat, nr_periods),
    F (struct cgroup_cpu_stat, nr_throttled),
    F (struct cgroup_cpu_stat, throttled_usec),
  };
  memset (out, 0, sizeof (*out));
  parse_flat (buf, fields, sizeof (fields) / sizeof (fields[0]), out);
}

void
cgroup_stats_parse_memory_events (const char *buf,
                                  struct cgroup_memory_events *out)
{
  static const struct field fields[] = {
    F (struct cgroup_memory_events, low),
    F (struct cgroup_memory_events, high),
    F (struct cgroup_memory_events, max),
    F (struct cgroup_memory_events, oom),
    F (struct cgroup_memory_events, oom_kill),
    F (struct cgroup_memory_events, oom_group_kill),
  };
  memset (out, 0, sizeof (*out));
  parse_flat (buf, fields, sizeof (fields) / sizeof (fields[0]), out);
}

void
cgroup_stats_parse_memory_stat (const char *buf, struct cgroup_memory_stat *out)
{
  static const struct field fields[] = {
    F (struct cgroup_memory_stat, anon),
    F (struct cgroup_memory_stat, file),
    F (struct cgroup_memory_stat, inactive_file),
    F (struct cgroup_memory_stat, active_file),
    F (struct cgroup_memory_stat, kernel),
    F (struct cgroup_memory_stat, pgfault),
    F (struct cgroup_memory_stat, pgmajfault),
  };
  memset (out, 0, sizeof (*out));
  parse_flat (buf, fields, sizeof (fields) / sizeof (fields[0]), out);
}

void
cgroup_stats_parse_value (const char *buf, struct cgroup_counter *out)
{
  char *end;
  out->set = false;
  if (buf == NULL || *buf < '0' || *buf > '9')
    return;
  errno = 0;
  unsigned long long v = strtoull (buf, &end, 10);
  if (errno != 0 || (*end != '\n' && *end != '\0'))
    return;
  out->set = true;
  out->v = v;
}

/* "avg10=1.71 avg60=2.36 avg300=2.57 total=230548833" */
static void
parse_psi_line (const char *p, struct cgroup_psi *out)
{
  int got = 0;
  memset (out, 0, sizeof (*out));
  while (*p && *p != '\n')
    {
      p += strspn (p, " ");
      const char *eq = strchr (p, '=');
      size_t wlen = strcspn (p, " \n");
      if (eq == NULL || eq > p + wlen)
        break;
      size_t klen = (size_t)(eq - p);
      char *end;
      errno = 0;
      if (klen == 5 && strncmp (p, "total", 5) == 0)
        {
          out->total = strtoull (eq + 1, &end, 10);
          got |= 8;
        }
      else
        {
          double v = strtod (eq + 1, &end);
          if (klen == 5 && strncmp (p, "avg10", 5) == 0)
            out->avg10 = v, got |= 1;
          else if (klen == 5 && strncmp (p, "avg60", 5) == 0)
            out->avg60 = v, got |= 2;
          else if (klen == 6 && strncmp (p, "avg300", 6) == 0)
            out->avg300 = v, got |= 4;
        }
      if (errno != 0 || end == eq + 1)
        {
          got = 0;
          break;
        }
      p = end;
    }
  out->set = got == 15;
}

void
cgroup_stats_parse_pressure (const char *buf, struct cgroup_pressure *out)
{
  memset (out, 0, sizeof (*out));
  for (const char *p = buf; p != NULL && *p;)
    {
      if (strncmp (p, "some ", 5) == 0)
        parse_psi_line (p + 5, &out->some);
      else if (strncmp (p, "full ", 5) == 0)
        parse_psi_line (p + 5, &out->full);
      p = strchr (p, '\n');
      if (p != NULL)
        p++;
    }
}

uint64_t
cgroup_stats_working_set (uint64_t current, uint64_t inactive_file)
{
  return current > inactive_file ? current - inactive_file : 0;
}

/* Read FILE; absent (ENOENT, or EOPNOTSUPP for pressure files with psi=0)
 * gives *OUT = NULL. */
static int
read_opt (int dirfd, const char *dir, const char *file, char **out,
          berth_error_t *err)
{
  if (cgroup_fs_read_opt (dirfd, dir, file, out, err) == 0)
    return 0;
  if ((*err)->status == EOPNOTSUPP || (*err)->status == ENODEV)
    {
      berth_error_release (err);
      *out = NULL;
      return 0;
    }
  return -1;
}

int
cgroup_stats_read (int dirfd, const char *dir, struct cgroup_stats *out,
                   berth_error_t *err)
{
  cleanup_free char *cpu = NULL, *cur = NULL, *peak = NULL, *ev = NULL;
  cleanup_free char *mem = NULL, *pcpu = NULL, *pmem = NULL, *pio = NULL;

  memset (out, 0, sizeof (*out));
  if (read_opt (dirfd, dir, "cpu.stat", &cpu, err) < 0
      || read_opt (dirfd, dir, "memory.current", &cur, err) < 0
      || read_opt (dirfd, dir, "memory.peak", &peak, err) < 0
      || read_opt (dirfd, dir, "memory.events", &ev, err) < 0
      || read_opt (dirfd, dir, "memory.stat", &mem, err) < 0
      || read_opt (dirfd, dir, "cpu.pressure", &pcpu, err) < 0
      || read_opt (dirfd, dir, "memory.pressure", &pmem, err) < 0
      || read_opt (dirfd, dir, "io.pressure", &pio, err) < 0)
    return -1;
  if (cpu != NULL)
    cgroup_stats_parse_cpu_stat (cpu, &out->cpu);
  cgroup_stats_parse_value (cur, &out->memory_current);
  cgroup_stats_parse_value (peak, &out->memory_peak);
  if (ev != NULL)
    cgroup_stats_parse_memory_events (ev, &out->events);
  if (mem != NULL)
    cgroup_stats_parse_memory_stat (mem, &out->memory);
  if (out->memory_current.set && out->memory.inactive_file.set)
    {
      out->working_set.set = true;
      out->working_set.v = cgroup_stats_working_set (
          out->memory_current.v, out->memory.inactive_file.v);
    }
  if (pcpu != NULL)
    cgroup_stats_parse_pressure (pcpu, &out->cpu_pressure);
  if (pmem != NULL)
    cgroup_stats_parse_pressure (pmem, &out->memory_pressure);
  if (pio != NULL)
    cgroup_stats_parse_pressure (pio, &out->io_pressure);
  return 0;
}

int
cgroup_stats_read_path (const char *dir, struct cgroup_stats *out,
                        berth_error_t *err)
{
  cleanup_close int fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys (err, errno, "open %s", dir);
  return cgroup_stats_read (fd, dir, out, err);
}
