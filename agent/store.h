/* store.h - the agent's object store: the objects of the model (decoded,
 * defaulted, validated) keyed by kind/namespace/name, with the metadata
 * the API server sets (uid, creationTimestamp, resourceVersion,
 * generation), each object's status tree and its source ("file:<path>",
 * "api"); and the kubelet-like event store with the event correlator's
 * de-duplication.
 *
 * It owns objects and statuses in memory only: persistence is a hook
 * (on_change), the HTTP API and the manifest directory are its callers. */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "manifest.h"
#include "node.h"

struct store_entry
{
  struct object *obj;  /* owned; its metadata carries uid, rv, ... */
  struct node *status; /* owned; NULL for kinds without one */
  char *source;        /* "file:/etc/berth/manifests/web.yaml" or "api" */
  /* store_remove was called while finalizers remained: the entry goes
   * when an update removes the last one, as the API server does. */
  bool remove_when_finalized;
  const struct store *owner; /* the store it was added to (status_extra) */
};

struct store_event
{
  char *name, *namespace, *uid, *resource_version;
  char *type, *reason, *message;
  char *obj_kind, *obj_namespace, *obj_name, *obj_uid, *obj_api_version;
  char *host; /* source.host: the node */
  int64_t count;
  int64_t first_ms, last_ms;
};

/* Bound of the event store: the oldest events are dropped first. */
#define STORE_MAX_EVENTS 1000

struct store;
/* Called after every change (DELETED: E is about to be freed); a failure
 * is returned by the operation that made the change. */
typedef int (*store_change_cb) (struct store *s, const struct store_entry *e,
                                bool deleted, void *data, berth_error_t *err);
/* What store_entry_encode adds to E's status when it is read (the pod
 * worker's accounting, which changes with every sample and is neither
 * stored nor persisted on its own): a new tree for status.berth, or NULL
 * to serve the stored status as it is. */
typedef struct node *(*store_status_extra_cb) (const struct store_entry *e,
                                               const struct node *stored,
                                               void *data);

struct store
{
  size_t len, cap;
  struct store_entry **items;
  size_t nevents;
  struct store_event events[STORE_MAX_EVENTS];
  uint64_t rv;             /* the last resourceVersion handed out */
  uint64_t events_changed; /* bumped by every event recorded */
  /* Bumped by every change of an object (created, replaced, marked for
   * deletion, removed), not by a status change: a controller that only
   * needs to look at every object again when one changed compares it. */
  uint64_t objects_changed;
  /* The node pods are bound to (the scheduler's binding on a one-node
   * cluster); NULL leaves spec.nodeName as given. */
  const char *node_name;
  store_change_cb on_change;
  void *change_data;
  store_status_extra_cb status_extra;
  void *status_extra_data;
  /* Pods are deleted gracefully, as the API server does for a node that
   * runs them: store_delete only sets deletionTimestamp and
   * deletionGracePeriodSeconds, and the pod worker removes the pod with
   * store_remove once its containers are stopped. */
  bool graceful_pods;
};

void store_init (struct store *s);
void store_free (struct store *s);

struct store_entry *store_get (const struct store *s, const struct kind_info *k,
                               const char *ns, const char *name);

enum store_mode
{
  STORE_UPSERT,
  STORE_CREATE_ONLY, /* -EEXIST when it exists */
  STORE_UPDATE_ONLY, /* -ENOENT when it does not */
};

enum store_result
{
  STORE_CREATED,
  STORE_CONFIGURED,
  STORE_UNCHANGED,
};

/* Create or replace the valid object O (taken, also on failure).
 * A replacement keeps uid and creationTimestamp (unless O carries another
 * uid, as a changed static pod does: then it is a new object), bumps
 * resourceVersion and, when anything changed, generation; an identical
 * object is STORE_UNCHANGED and keeps its resourceVersion.  EXPECT_RV, when
 * set, must equal the current resourceVersion (-ESTALE). */
/* *OUT is NULL when the update removed the last finalizer of an object
 * that was being deleted: it is gone. */
int store_apply (struct store *s, struct object *o, const char *source,
                 enum store_mode mode, const char *expect_rv,
                 enum store_result *result, struct store_entry **out,
                 berth_error_t *err);
/* Remove; *REMOVED (caller frees with store_entry_free) or -ENOENT.
 * A Pod under graceful_pods is only marked (deletionTimestamp set, *REMOVED
 * NULL and the entry still stored); GRACE_SECONDS < 0 takes the pod's
 * terminationGracePeriodSeconds, as a delete without gracePeriodSeconds. */
int store_delete (struct store *s, const struct kind_info *k, const char *ns,
                  const char *name, struct store_entry **removed,
                  berth_error_t *err);
int store_delete_grace (struct store *s, const struct kind_info *k,
                        const char *ns, const char *name, int64_t grace_seconds,
                        struct store_entry **removed, berth_error_t *err);
/* Remove now, whatever the kind (the pod worker, once a pod is stopped);
 * UID, when given, must match (-ENOENT otherwise).  An object that still
 * has finalizers stays (marked) until an update removes the last one. */
int store_remove (struct store *s, const struct kind_info *k, const char *ns,
                  const char *name, const char *uid, berth_error_t *err);
/* Replace E's status with STATUS (taken).  An equal status changes
 * nothing; otherwise resourceVersion is bumped and on_change is called. */
int store_set_status (struct store *s, struct store_entry *e,
                      struct node *status, berth_error_t *err);
/* Insert a persisted entry as it was (no metadata change, no hook). */
void store_insert_loaded (struct store *s, struct object *o,
                          struct node *status, const char *source);
void store_entry_free (struct store_entry *e);
/* The object with its status, as the API returns it (status.berth from
 * its owner's status_extra when set). */
struct node *store_entry_encode (const struct store_entry *e);
/* The same as stored, without status_extra: what is persisted. */
struct node *store_entry_encode_stored (const struct store_entry *e);

/* Call FN for each object of kind K in S at the start of the call, in
 * order (a snapshot of namespaces and names: FN may create and remove
 * objects; one gone meanwhile is skipped).  The first failure stops the
 * walk and is returned, wrapped "WHAT NAME: ...". */
typedef int (*store_each_fn) (struct store *s, struct store_entry *e,
                              void *data, berth_error_t *err);
int store_each_of_kind (struct store *s, const struct kind_info *k,
                        const char *what, store_each_fn fn, void *data,
                        berth_error_t *err);

/* The kubelet's applyDefaults for a pod read from file PATH on node
 * NODE_NAME: uid = hash(pod, host, file), name "<name>-<node>", nodeName,
 * annotations config.hash/config.source/config.seen, the NoExecute
 * toleration. */
void store_static_pod_defaults (struct object *pod, const char *node_name,
                                const char *path, int64_t now_ms);

/* Record an event about an object (KIND, NS, NAME, UID may be NULL), as the
 * kubelet's recorder with its correlator: the same object, type, reason and
 * message again only bumps count and lastTimestamp. */
void store_event (struct store *s, const char *type, const char *reason,
                  const char *kind, const char *ns, const char *name,
                  const char *uid, const char *message);
struct node *store_event_encode (const struct store_event *e);
/* Append an event as store_event_encode wrote it (persisted events, at
 * start); false when N is not one or the store is full. */
bool store_event_restore (struct store *s, const struct node *n);

/* A random RFC 4122 version 4 UUID. */
char *store_uuid4 (void);

#endif
