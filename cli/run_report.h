/* run_report.h - what `berth run` prints: status transitions, the live line
 * per container, and the final report (text, or JSON through lib/node). */
#ifndef BERTH_RUN_REPORT_H
#define BERTH_RUN_REPORT_H

#include <stdio.h>

#include "pod_runner.h"

/* What was printed last, to print only changes. */
struct run_watch
{
  enum pod_phase phase;
  bool phase_printed;
  char last[64][96]; /* per container: its state line */
  uint64_t last_cpu_usec[64];
  int64_t last_sample_ms;
};

void run_report_changes (FILE *out, const struct pod_runner *r,
                         struct run_watch *w);
void run_report_live (FILE *out, const struct pod_runner *r,
                      struct run_watch *w, int64_t now_ms);
void run_report_text (FILE *out, const struct pod_runner *r,
                      const char *ending);
struct node *run_report_json (const struct pod_runner *r, const char *ending);

/* "12.3Mi", "100Mi", "1.5Gi" */
void run_format_bytes (char *buf, size_t size, uint64_t bytes);

#endif
