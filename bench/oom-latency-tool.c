/* oom-latency-tool.c - the measuring half of bench/oom-latency.sh: the
 * time from the kernel's OOM kill to the moment berth knows of it.
 *
 * The kernel's side is the /dev/kmsg record "oom-kill:constraint=...",
 * which the OOM killer prints right before it raises memory.events
 * oom_kill and sends SIGKILL (mm/oom_kill.c: dump_header, then
 * __oom_kill_process), stamped with the printk clock.  That clock is put
 * on CLOCK_MONOTONIC by writing marker records to /dev/kmsg between two
 * clock_gettime calls, one before CMD and one after: each marker's stamp
 * against the middle of its two reads maps one clock on the other
 * (linearly between them; the error of each point is at most half the
 * reads' distance, printed as "cal"; "drift" is how far the two clocks
 * moved apart between the markers, which a TCG guest on a busy host
 * shows).  "kgap" is the time from that record to the "Killed process"
 * record printed right after the SIGKILL: normally microseconds, more when
 * the guest's vCPU was descheduled by a busy host.
 *
 *   oom-latency-tool run -- CMD...
 *       runs CMD (berth run -o json ...) with its output on a pipe, stamps
 *       each line when it arrives, and prints the latencies of the first
 *       "OOMKilling" event line, of the first "Terminated (OOMKilled"
 *       status line and of the first attempt's "finishedAt" (the monitor's
 *       CLOCK_REALTIME stamp of the exit, from the JSON report).
 *   oom-latency-tool watch CGROUP -- CMD...
 *       berth's detection alone: an oom_watch (cgroups/oom_watch.h) on the
 *       existing cgroup CGROUP, CMD started inside it, and the latency of
 *       the first poll wake-up that reports an oom_kill.  The kernel raises
 *       memory.events oom_kill just before it sends SIGKILL and prints the
 *       record, so this one can come out slightly negative.
 *
 * Output: one line "kill->event MS kill->status MS kill->exit MS cal MS
 * drift MS kgap MS" (run) or "kill->watch MS cal MS drift MS kgap MS"
 * (watch), or "no-oom" when the kernel killed nothing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oom_watch.h"

static int64_t
mono_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct kmsg
{
  int fd;
  int64_t before, after;   /* CLOCK_MONOTONIC around the marker write */
  int64_t before2, after2; /* around the second one, at the end */
  int64_t realtime;        /* CLOCK_REALTIME - CLOCK_MONOTONIC */
  char marker[64];
};

/* Write the marker to /dev/kmsg between two CLOCK_MONOTONIC reads. */
static void
kmsg_mark (const char *marker, int64_t *before, int64_t *after)
{
  int w = open ("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (w < 0)
    {
      perror ("oom-latency-tool: /dev/kmsg");
      exit (2);
    }
  char line[96];
  /* with its newline, or the record stays open for a continuation and
   * cannot be read until the next one */
  snprintf (line, sizeof (line), "%s\n", marker);
  *before = mono_us ();
  if (write (w, line, strlen (line)) < 0)
    {
      perror ("oom-latency-tool: write /dev/kmsg");
      exit (2);
    }
  *after = mono_us ();
  close (w);
}

/* Open /dev/kmsg at its end and write the first calibration marker. */
static void
kmsg_open (struct kmsg *k)
{
  struct timespec rt;
  int64_t m;
  k->fd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (k->fd < 0 || lseek (k->fd, 0, SEEK_END) < 0)
    {
      perror ("oom-latency-tool: /dev/kmsg");
      exit (2);
    }
  snprintf (k->marker, sizeof (k->marker), "oom-latency-mark-%d", getpid ());
  kmsg_mark (k->marker, &k->before, &k->after);
  m = mono_us ();
  clock_gettime (CLOCK_REALTIME, &rt);
  k->realtime = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000 - m;
}

/* The first kill, on CLOCK_MONOTONIC (µs); -1 when there was none.  The
 * printk clock is mapped by the two markers, linearly.  *CAL_MS: the
 * markers' bracket error; *DRIFT_MS: how far the two clocks moved apart
 * between the markers; *KGAP_MS: from the kill record to the first
 * "Killed process" record. */
static int64_t
kmsg_first_kill (struct kmsg *k, double *cal_ms, double *drift_ms,
                 double *kgap_ms)
{
  char rec[8192], marker2[80];
  int64_t mark = -1, mark2 = -1, kill = -1, killed = -1;
  int64_t m1, m2;
  ssize_t n;
  snprintf (marker2, sizeof (marker2), "%s-end", k->marker);
  kmsg_mark (marker2, &k->before2, &k->after2);
  while ((n = read (k->fd, rec, sizeof (rec) - 1)) > 0 || errno == EPIPE)
    {
      unsigned long long seq, ts;
      int prio, off = 0;
      if (n <= 0)
        continue; /* EPIPE: records were overwritten, go on */
      rec[n] = '\0';
      if (sscanf (rec, "%d,%llu,%llu,%*[^;];%n", &prio, &seq, &ts, &off) < 3
          || off == 0)
        continue;
      if (strstr (rec + off, marker2) != NULL)
        mark2 = (int64_t)ts;
      else if (mark < 0 && strstr (rec + off, k->marker) != NULL)
        mark = (int64_t)ts;
      else if (kill < 0 && strncmp (rec + off, "oom-kill:", 9) == 0)
        kill = (int64_t)ts;
      else if (killed < 0
               && strstr (rec + off, "out of memory: Killed process"))
        killed = (int64_t)ts;
    }
  close (k->fd);
  if (mark < 0 || mark2 <= mark)
    {
      fprintf (stderr, "oom-latency-tool: the markers are not in /dev/kmsg\n");
      exit (2);
    }
  m1 = (k->before + k->after) / 2;
  m2 = (k->before2 + k->after2) / 2;
  *cal_ms = (double)(k->after - k->before + k->after2 - k->before2) / 4000.0;
  *drift_ms = (double)((mark2 - mark) - (m2 - m1)) / 1000.0;
  *kgap_ms = killed >= 0 && kill >= 0 ? (double)(killed - kill) / 1000.0 : -1;
  if (kill < 0)
    return -1;
  return m1
         + (int64_t)((double)(kill - mark) * (double)(m2 - m1)
                     / (double)(mark2 - mark));
}

/* "2026-11-27T12:00:00.123456789Z" as CLOCK_REALTIME µs; -1 if not. */
static int64_t
rfc3339_us (const char *s)
{
  struct tm tm = { 0 };
  const char *p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  int64_t us = 0, scale = 100000;
  if (p == NULL)
    return -1;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
      us += (*p - '0') * scale;
  return (int64_t)timegm (&tm) * 1000000 + us;
}

static pid_t
spawn (char **argv, int out_fd, const char *cgroup)
{
  pid_t pid = fork ();
  if (pid < 0)
    {
      perror ("fork");
      exit (2);
    }
  if (pid > 0)
    return pid;
  if (cgroup != NULL)
    {
      char path[4096];
      FILE *f;
      snprintf (path, sizeof (path), "%s/cgroup.procs", cgroup);
      f = fopen (path, "we");
      if (f == NULL || fprintf (f, "0\n") < 0 || fclose (f) != 0)
        {
          perror (path);
          _exit (126);
        }
    }
  if (out_fd >= 0
      && (dup2 (out_fd, STDOUT_FILENO) < 0 || dup2 (out_fd, STDERR_FILENO) < 0))
    _exit (126);
  execvp (argv[0], argv);
  perror (argv[0]);
  _exit (127);
}

static int
cmd_run (char **argv)
{
  struct kmsg k;
  int p[2];
  FILE *in;
  char *line = NULL;
  size_t cap = 0;
  int64_t event = -1, status = -1, exited = -1, kill;
  double cal, drift, kgap;
  pid_t pid;

  kmsg_open (&k);
  if (pipe2 (p, O_CLOEXEC) < 0)
    return 2;
  pid = spawn (argv, p[1], NULL);
  close (p[1]);
  in = fdopen (p[0], "r");
  while (getline (&line, &cap, in) > 0)
    {
      int64_t now = mono_us ();
      fprintf (stderr, "%lld.%06lld %s", (long long)(now / 1000000),
               (long long)(now % 1000000), line);
      if (event < 0 && strstr (line, "OOMKilling") != NULL)
        event = now;
      if (status < 0 && strstr (line, "Terminated (OOMKilled") != NULL)
        status = now;
      if (exited < 0 && strstr (line, "\"finishedAt\": \"") != NULL)
        exited = rfc3339_us (strstr (line, "\"finishedAt\": \"") + 15)
                 - k.realtime;
    }
  fclose (in);
  free (line);
  waitpid (pid, NULL, 0);
  kill = kmsg_first_kill (&k, &cal, &drift, &kgap);
  if (kill < 0 || event < 0 || status < 0 || exited < 0)
    {
      printf ("no-oom\n");
      return 1;
    }
  printf ("kill->event %.1f kill->status %.1f kill->exit %.1f cal %.2f "
          "drift %.1f kgap %.1f\n",
          (double)(event - kill) / 1000.0, (double)(status - kill) / 1000.0,
          (double)(exited - kill) / 1000.0, cal, drift, kgap);
  return 0;
}

static int
cmd_watch (const char *cgroup, char **argv)
{
  struct oom_watch *w = NULL;
  berth_error_t err = NULL;
  struct kmsg k;
  int64_t seen = -1, kill;
  double cal, drift, kgap;
  pid_t pid;
  int st;

  if (oom_watch_open (cgroup, &w, &err) < 0)
    {
      fprintf (stderr, "oom-latency-tool: %s\n", berth_error_msg (&err));
      return 2;
    }
  kmsg_open (&k);
  /* CMD's output stays out of ours */
  pid = spawn (argv, open ("/dev/null", O_WRONLY | O_CLOEXEC), cgroup);
  while (seen < 0)
    {
      struct pollfd pfd = { .fd = oom_watch_fd (w), .events = POLLIN };
      struct oom_delta d;
      if (poll (&pfd, 1, 200) > 0)
        {
          int64_t now = mono_us ();
          if (oom_watch_process (w, &d, &err) > 0 && d.oom_kill > 0)
            seen = now;
          berth_error_release (&err);
        }
      else if (waitpid (pid, &st, WNOHANG) == pid)
        {
          pid = -1;
          break;
        }
    }
  if (pid > 0)
    waitpid (pid, &st, 0);
  oom_watch_free (w);
  kill = kmsg_first_kill (&k, &cal, &drift, &kgap);
  if (kill < 0 || seen < 0)
    {
      printf ("no-oom\n");
      return 1;
    }
  printf ("kill->watch %.1f cal %.2f drift %.1f kgap %.1f\n",
          (double)(seen - kill) / 1000.0, cal, drift, kgap);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 4 && strcmp (argv[1], "run") == 0 && strcmp (argv[2], "--") == 0)
    return cmd_run (argv + 3);
  if (argc >= 5 && strcmp (argv[1], "watch") == 0
      && strcmp (argv[3], "--") == 0)
    return cmd_watch (argv[2], argv + 4);
  fprintf (stderr, "Usage: oom-latency-tool run -- CMD...\n"
                   "       oom-latency-tool watch CGROUP -- CMD...\n");
  return 2;
}
