/* api_watch.h - ?watch=true on the stored objects, as the API server
 * streams a watch: one JSON watch event a line, {"type": "ADDED" |
 * "MODIFIED" | "DELETED", "object": {...}}, over a streamed reply
 * (api.h).
 *
 * Without resourceVersion (or with "0") the watch starts with an ADDED
 * event for every object that matches, as the API server's "get state and
 * start at most recent"; with a resourceVersion it sends what changed
 * after it (objects deleted before the watch began cannot be replayed: the
 * store keeps no history).  The agent calls api_streams_wake after its
 * rounds of changes; each watch then compares the store with the
 * resourceVersions it has sent.  Nothing polls. */
#ifndef BERTH_API_WATCH_H
#define BERTH_API_WATCH_H

#include "api.h"
#include "manifest.h"

/* Stream the objects of kind K (NULL: the events; in NS, NULL: all; named
 * NAME, NULL: all) on the connection CONN of an extra handler or of
 * api.c. */
int api_watch_start (struct api *a, void *conn, const struct kind_info *k,
                     const char *ns, const char *name,
                     const char *resource_version, berth_error_t *err);

#endif
