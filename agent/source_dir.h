/* source_dir.h - the manifest directory (the kubelet's staticPodPath):
 * every regular, non-hidden file in it is read as a manifest stream
 * (Pods, ConfigMaps, Secrets, Services, Jobs, CronJobs, Namespaces, Lists)
 * on inotify events and on a periodic rescan (fileCheckFrequency).
 *
 * Pods get the kubelet's static pod defaults (store_static_pod_defaults);
 * each object's source is "file:<path>".  A changed file updates its
 * objects, a removed file removes them.
 *
 * Bad input never touches good objects: a file that cannot be read or
 * parsed, or that is larger than 10 MiB, keeps every object it produced
 * before; in a file with an invalid object the valid objects are applied
 * and nothing from that file is removed (source_set.h: the previous good
 * version of the invalid one stays, so that a typo in a file never deletes
 * a running pod).  Each problem is a Warning event (reason FailedToLoad)
 * naming the file and the field path. */
#ifndef BERTH_SOURCE_DIR_H
#define BERTH_SOURCE_DIR_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"
#include "store.h"

struct source_file
{
  char *path;
  dev_t dev;
  ino_t ino;
  off_t size;
  int64_t mtime_ns, ctime_ns;
  uint64_t hash; /* FNV-1a of the content */
  bool seen;     /* in the current scan */
};

struct source_dir
{
  char *dir;
  char *node_name;
  int64_t period_ms;
  struct store *store;
  struct loop *loop;
  struct loop_watcher inotify;
  struct loop_watcher timer;
  size_t nfiles;
  struct source_file *files;
};

/* Scan DIR now, then on changes and every PERIOD_MS.  A missing DIR is not
 * an error: it is looked for again at every period. */
int source_dir_start (struct source_dir *d, struct loop *l, struct store *s,
                      const char *dir, const char *node_name, int64_t period_ms,
                      berth_error_t *err);
void source_dir_stop (struct source_dir *d);
/* One scan (also for tests, without a loop: D zeroed but for dir,
 * node_name and store). */
void source_dir_scan (struct source_dir *d);

#endif
