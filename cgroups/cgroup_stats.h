/* cgroup_stats.h - reading a cgroup's accounting files: cpu.stat,
 * memory.current, memory.peak, memory.events, memory.stat and the PSI
 * pressure files.  Every value carries a `set` flag: a file or a key that
 * this kernel does not have (memory.peak before 5.19, oom_group_kill before
 * 5.14, pressure files without CONFIG_PSI or with psi=0) is absent, not an
 * error.  The parsers are pure functions over file contents.  Read-only;
 * the files are opened relative to a directory fd. */
#ifndef BERTH_CGROUP_STATS_H
#define BERTH_CGROUP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct cgroup_counter
{
  bool set;
  uint64_t v;
};

struct cgroup_cpu_stat
{
  struct cgroup_counter usage_usec, user_usec, system_usec;
  struct cgroup_counter nr_periods, nr_throttled, throttled_usec;
};

struct cgroup_memory_events
{
  struct cgroup_counter low, high, max, oom, oom_kill, oom_group_kill;
};

struct cgroup_memory_stat
{
  struct cgroup_counter anon, file, inactive_file, active_file, kernel;
  struct cgroup_counter pgfault, pgmajfault;
};

struct cgroup_psi
{
  bool set;
  double avg10, avg60, avg300;
  uint64_t total; /* µs */
};

struct cgroup_pressure
{
  struct cgroup_psi some, full;
};

struct cgroup_stats
{
  struct cgroup_cpu_stat cpu;
  struct cgroup_counter memory_current, memory_peak;
  struct cgroup_memory_events events;
  struct cgroup_memory_stat memory;
  /* memory.current - inactive_file (0 when below), as cAdvisor computes
   * container_memory_working_set_bytes. */
  struct cgroup_counter working_set;
  struct cgroup_pressure cpu_pressure, memory_pressure, io_pressure;
};

void cgroup_stats_parse_cpu_stat (const char *buf, struct cgroup_cpu_stat *out);
void cgroup_stats_parse_memory_events (const char *buf,
                                       struct cgroup_memory_events *out);
void cgroup_stats_parse_memory_stat (const char *buf,
                                     struct cgroup_memory_stat *out);
/* A single number ("123\n"); "max" or garbage leaves OUT unset. */
void cgroup_stats_parse_value (const char *buf, struct cgroup_counter *out);
void cgroup_stats_parse_pressure (const char *buf, struct cgroup_pressure *out);

/* cAdvisor's working set: CURRENT - INACTIVE_FILE, 0 when negative. */
uint64_t cgroup_stats_working_set (uint64_t current, uint64_t inactive_file);

/* Read every file of the cgroup directory DIRFD (named DIR in messages). */
int cgroup_stats_read (int dirfd, const char *dir, struct cgroup_stats *out,
                       berth_error_t *err);
/* The same for a path. */
int cgroup_stats_read_path (const char *dir, struct cgroup_stats *out,
                            berth_error_t *err);

#endif
