/* persist.h - the store on disk: one JSON file per object under
 * ROOT/objects/ ({"source": ..., "object": {... with status}}), and
 * ROOT/store.json with the last resourceVersion handed out, so that an
 * agent restart keeps every object, uid, resourceVersion and
 * creationTimestamp and never reuses a resourceVersion.
 *
 * Every write is atomic: a temporary file is written and fsync'ed, renamed
 * over the old one, and the directory fsync'ed.  The events are kept in
 * ROOT/events.json (the API server keeps them for an hour; berth keeps the
 * last STORE_MAX_EVENTS), written by the agent after the changes of a sync
 * round. */
#ifndef BERTH_PERSIST_H
#define BERTH_PERSIST_H

#include "error.h"
#include "store.h"

struct persist
{
  int root_fd;    /* the state dir */
  int objects_fd; /* ROOT/objects */
};

/* Open (creating, mode 0700) ROOT and ROOT/objects. */
int persist_open (struct persist *p, const char *root, berth_error_t *err);
void persist_close (struct persist *p);

/* Write E, or remove its file when DELETED; then store.json.  Has the
 * signature of store_change_cb (DATA is the struct persist). */
int persist_on_change (struct store *s, const struct store_entry *e,
                       bool deleted, void *data, berth_error_t *err);

/* Load every object into S (which should be empty).  A file that cannot be
 * read or decoded is skipped and reported through WARN (may be NULL). */
int persist_load (struct persist *p, struct store *s,
                  void (*warn) (void *data, const char *msg), void *data,
                  berth_error_t *err);

/* Write the event store to ROOT/events.json; read it back at start (a
 * missing file is no event). */
int persist_save_events (struct persist *p, const struct store *s,
                         berth_error_t *err);
int persist_load_events (struct persist *p, struct store *s,
                         berth_error_t *err);

/* Write BUF to NAME in DIRFD atomically (temp + fsync + rename + fsync). */
int persist_write_atomic (int dirfd, const char *name, const char *buf,
                          size_t len, berth_error_t *err);

#endif
