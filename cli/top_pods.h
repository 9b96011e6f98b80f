/* top_pods.h - the table of `berth top pods`: kubectl top pod's NAME,
 * CPU(cores) and MEMORY(bytes) columns, from the agent's /stats/summary as
 * metrics-server takes them from the kubelet (the sums over a pod's
 * containers of usageNanoCores, in millicores rounded up, and of
 * workingSetBytes, in whole Mi), and berth's THROTTLED (throttled of
 * elapsed CFS periods) and OOM (OOM kills over every attempt) columns from
 * each pod's status.berth block.  NAMESPACE comes first with all
 * namespaces, as in kubectl.  Pure: JSON trees in, text out. */
#ifndef BERTH_TOP_PODS_H
#define BERTH_TOP_PODS_H

#include <stdbool.h>
#include <stdio.h>

#include "node.h"

enum top_sort
{
  TOP_SORT_NAME, /* namespace, then name */
  TOP_SORT_CPU,  /* --sort-by=cpu: highest first */
  TOP_SORT_MEMORY,
};

/* Print the table of SUMMARY's pods in namespace NS (NULL: all, with a
 * NAMESPACE column) with the berth columns from PODS (a PodList; NULL or
 * a pod missing there: "-").  Returns the number of rows; 0 prints
 * nothing (the caller says "No resources found"). */
size_t top_pods_print (FILE *out, const struct node *summary,
                       const struct node *pods, const char *ns,
                       enum top_sort sort);

#endif
