/* metrics_resource.h - the kubelet's /metrics/resource (the Resource
 * Metrics endpoint that metrics-server scrapes;
 * pkg/kubelet/metrics/collectors/resource_metrics.go), written from the
 * Summary (summary.h) as the kubelet writes it from its own:
 *
 *   node_cpu_usage_seconds_total, node_memory_working_set_bytes;
 *   container_cpu_usage_seconds_total, container_memory_working_set_bytes,
 *   container_start_time_seconds {container, namespace, pod};
 *   pod_cpu_usage_seconds_total, pod_memory_working_set_bytes
 *   {namespace, pod}; resource_scrape_error (0, or 1 when the summary
 *   could not be read; scrape_error, deprecated in 1.29, is hidden since).
 *
 * Usage and working-set samples carry the time of their reading; help
 * texts with the stability prefix ("[STABLE] ..."), families sorted by
 * name and series by label values, as client_golang prints them; a family
 * without a sample is left out.  Pure: reads a tree, writes a FILE. */
#ifndef BERTH_METRICS_RESOURCE_H
#define BERTH_METRICS_RESOURCE_H

#include <stdio.h>

#include "node.h"

/* SUMMARY: the tree of summary_encode, or NULL when it failed. */
void metrics_write_resource (FILE *out, const struct node *summary);

#endif
