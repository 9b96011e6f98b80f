/* describe_batch.h - `berth describe job|cronjob NAME`: kubectl's
 * describeJob and describeCronJob over the object the agent returns (a
 * node tree with its status), with the object's events. */
#ifndef BERTH_DESCRIBE_BATCH_H
#define BERTH_DESCRIBE_BATCH_H

#include <stdint.h>
#include <stdio.h>

#include "node.h"

/* BODY: the Job or CronJob as the API returns it; EVENTS: the namespace's
 * EventList (NULL: unavailable).  NOW: unix seconds, for the ages. */
void describe_batch_print (FILE *out, const struct node *body,
                           const struct node *events, int64_t now);

/* Fetch NS's events from the agent at SOCKET and print BODY with them. */
int describe_batch (const char *socket, const char *ns,
                    const struct node *body);

#endif
