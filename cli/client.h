/* client.h - the CLI's side of the agent's API: HTTP over the agent's unix
 * socket with libcurl (CURLOPT_UNIX_SOCKET_PATH), kubectl's resource names
 * and aliases, API paths, and kubectl-style printing of Status errors. */
#ifndef BERTH_CLIENT_H
#define BERTH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "manifest.h"
#include "node.h"

#define CLIENT_ENV_SOCKET "BERTH_SOCKET"

/* FLAG, else $BERTH_SOCKET, else the agent's default socket. */
const char *client_socket (const char *flag);

struct client_reply
{
  long code;
  struct node *body; /* parsed JSON, NULL when not JSON */
  char *text;        /* the raw body */
};

/* METHOD PATH with BODY (may be NULL); fails only when the agent cannot be
 * reached or the reply cannot be read. */
int client_request (const char *socket, const char *method, const char *path,
                    const char *body, struct client_reply *out,
                    berth_error_t *err);
void client_reply_free (struct client_reply *r);

/* GET PATH with no time limit; while the status is 200 the body goes to
 * SINK as it arrives (a followed log, a watch).  Returns the exit status
 * of berth CMD: 0, or 1 after printing why (the agent unreachable, or its
 * Status error as kubectl prints it). */
int client_stream (const char *socket, const char *path, FILE *sink,
                   const char *cmd);

/* A resource as kubectl names it (pod, pods, po, cm, svc, ...).  *EVENTS
 * is set for events, which have no kind_info. */
const struct kind_info *client_resource (const char *name, bool *events);

/* /api/v1/namespaces/NS/pods/NAME (NS NULL: all namespaces; NAME NULL:
 * the collection). */
char *client_path (const struct kind_info *k, bool events, const char *ns,
                   const char *name);

/* "Error from server (NotFound): pods \"x\" not found" on stderr. */
void client_print_error (const struct client_reply *r);

/* "pod" for Pod: kubectl's lowercase singular. */
char *client_kind_lower (const char *kind);

#endif
