/* k8s_json.h - the Kubernetes API's JSON shapes that are not objects of the
 * model: lists (PodList, ...), metav1.Status errors as the API server
 * writes them, RFC 3339 timestamps, and kubectl's human durations (AGE).
 * Pure functions over lib/node trees; no I/O. */
#ifndef BERTH_K8S_JSON_H
#define BERTH_K8S_JSON_H

#include <stdint.h>
#include <time.h>

#include "manifest.h"
#include "node.h"

/* A metav1.Status failure.  RESOURCE ("pods") and NAME go into details
 * when set; GROUP too when not the core group. */
struct node *k8s_status_error (int code, const char *reason,
                               const char *message, const char *group,
                               const char *resource, const char *name);
/* 404 NotFound: pods "web" not found */
struct node *k8s_status_not_found (const struct kind_info *k, const char *name);
/* 409 AlreadyExists: pods "web" already exists */
struct node *k8s_status_already_exists (const struct kind_info *k,
                                        const char *name);
/* 422 Invalid with one cause per error of O: Pod "x" is invalid:
 * spec.containers[0].image: Required value (several: "[a, b]"). */
struct node *k8s_status_invalid (const struct object *o);
/* The cause reason of a field error message ("Required value" ->
 * FieldValueRequired). */
const char *k8s_cause_reason (const char *msg);

/* {kind: LIST_KIND, apiVersion, metadata: {resourceVersion}, items};
 * takes ITEMS (a sequence). */
struct node *k8s_list (const char *list_kind, const char *api_version,
                       uint64_t resource_version, struct node *items);

/* "2026-11-27T12:00:00Z" for WALL_MS (RFC 3339, seconds). */
char *k8s_rfc3339 (int64_t wall_ms);
/* With nanoseconds, as the kubelet writes config.seen. */
char *k8s_rfc3339_nano (int64_t wall_ms);
/* Parse an RFC 3339 time (Z or +hh:mm, optional fraction); -1 on error. */
int k8s_rfc3339_parse (const char *s, time_t *out);

/* kubectl's duration.HumanDuration: 5s, 3m2s, 10m, 2d3h, <invalid>. */
void k8s_human_duration (int64_t seconds, char *buf, size_t len);

/* Small readers of a tree: the scalar text at a dotted path
 * ("metadata.name"), or NULL. */
const char *k8s_get_str (const struct node *n, const char *path);
struct node *k8s_get (const struct node *n, const char *path);

#endif
