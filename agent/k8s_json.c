/* k8s_json.c - see k8s_json.h. */
#include "k8s_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"

struct node *
k8s_status_error (int code, const char *reason, const char *message,
                  const char *group, const char *resource, const char *name)
{
  struct node *n = node_new_map ();
  node_map_set_str (n, "kind", "Status");
  node_map_set_str (n, "apiVersion", "v1");
  node_map_set (n, "metadata", node_new_map ());
  node_map_set_str (n, "status", "Failure");
  node_map_set_str (n, "message", message);
  node_map_set_str (n, "reason", reason);
  if (name || resource)
    {
      struct node *d = node_new_map ();
      if (name)
        node_map_set_str (d, "name", name);
      if (group && *group)
        node_map_set_str (d, "group", group);
      if (resource)
        node_map_set_str (d, "kind", resource);
      node_map_set (n, "details", d);
    }
  node_map_set_int (n, "code", code);
  return n;
}

/* "pods" or "jobs.batch", as the API server names a group resource. */
static char *
qualified_resource (const struct kind_info *k)
{
  char *s = NULL;
  if (asprintf (&s, "%s%s%s", k->resource, *k->group ? "." : "", k->group) < 0)
    abort ();
  return s;
}

struct node *
k8s_status_not_found (const struct kind_info *k, const char *name)
{
  cleanup_free char *qr = qualified_resource (k);
  cleanup_free char *msg = NULL;
  if (asprintf (&msg, "%s \"%s\" not found", qr, name) < 0)
    abort ();
  return k8s_status_error (404, "NotFound", msg, k->group, k->resource, name);
}

struct node *
k8s_status_already_exists (const struct kind_info *k, const char *name)
{
  cleanup_free char *qr = qualified_resource (k);
  cleanup_free char *msg = NULL;
  if (asprintf (&msg, "%s \"%s\" already exists", qr, name) < 0)
    abort ();
  return k8s_status_error (409, "AlreadyExists", msg, k->group, k->resource,
                           name);
}

const char *
k8s_cause_reason (const char *msg)
{
  static const struct
  {
    const char *prefix, *reason;
  } map[] = {
    { "Required value", "FieldValueRequired" },
    { "Invalid value", "FieldValueInvalid" },
    { "Duplicate value", "FieldValueDuplicate" },
    { "Unsupported value", "FieldValueNotSupported" },
    { "Forbidden", "FieldValueForbidden" },
    { "Too long", "FieldValueTooLong" },
    { "Too many", "FieldValueTooMany" },
    { "Not found", "FieldValueNotFound" },
    { "Internal error", "InternalError" },
  };
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (strncmp (msg, map[i].prefix, strlen (map[i].prefix)) == 0)
      return map[i].reason;
  return "FieldValueInvalid";
}

static void
append (char **buf, size_t *len, const char *s)
{
  size_t n = strlen (s);
  char *p = realloc (*buf, *len + n + 1);
  if (p == NULL)
    abort ();
  memcpy (p + *len, s, n + 1);
  *buf = p;
  *len += n;
}

static char *
field_of (const struct object *o, const struct diag *d)
{
  char *s = NULL;
  const char *pre = o->path_prefix ? o->path_prefix : "";
  if (asprintf (&s, "%s%s%s", pre, *pre && *d->path ? "." : "", d->path) < 0)
    abort ();
  return s;
}

struct node *
k8s_status_invalid (const struct object *o)
{
  const char *kind = o->info ? o->info->kind : (o->kind ? o->kind : "");
  const char *name = object_name (o);
  size_t nerr = diag_count (&o->diags, DIAG_ERROR), len = 0, seen = 0;
  cleanup_free char *msg = NULL;
  struct node *causes = node_new_seq (), *st, *details;
  char head[512];

  snprintf (head, sizeof (head), "%s \"%s\" is invalid: %s", kind, name,
            nerr > 1 ? "[" : "");
  append (&msg, &len, head);
  for (size_t i = 0; i < o->diags.len; i++)
    {
      const struct diag *d = &o->diags.items[i];
      cleanup_free char *field = NULL;
      struct node *c;
      if (d->level != DIAG_ERROR)
        continue;
      field = field_of (o, d);
      if (seen++ > 0)
        append (&msg, &len, ", ");
      if (*field)
        {
          append (&msg, &len, field);
          append (&msg, &len, ": ");
        }
      append (&msg, &len, d->msg);
      c = node_new_map ();
      node_map_set_str (c, "reason", k8s_cause_reason (d->msg));
      node_map_set_str (c, "message", d->msg);
      node_map_set_str (c, "field", field);
      node_seq_append (causes, c);
    }
  if (nerr > 1)
    append (&msg, &len, "]");
  st = k8s_status_error (422, "Invalid", msg, o->info ? o->info->group : "",
                         NULL, name);
  details = node_map_get (st, "details");
  if (details == NULL)
    {
      details = node_new_map ();
      node_map_set (st, "details", details);
    }
  node_map_set_str (details, "kind", kind);
  node_map_set (details, "causes", causes);
  return st;
}

struct node *
k8s_list (const char *list_kind, const char *api_version,
          uint64_t resource_version, struct node *items)
{
  struct node *n = node_new_map (), *meta = node_new_map ();
  char rv[32];
  snprintf (rv, sizeof (rv), "%llu", (unsigned long long)resource_version);
  node_map_set_str (n, "kind", list_kind);
  node_map_set_str (n, "apiVersion", api_version);
  node_map_set_str (meta, "resourceVersion", rv);
  node_map_set (n, "metadata", meta);
  node_map_set (n, "items", items);
  return n;
}

char *
k8s_rfc3339 (int64_t wall_ms)
{
  time_t t = (time_t)(wall_ms / 1000);
  struct tm tm;
  char buf[64];
  gmtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return xstrdup (buf);
}

char *
k8s_rfc3339_nano (int64_t wall_ms)
{
  time_t t = (time_t)(wall_ms / 1000);
  struct tm tm;
  char buf[64], *s = NULL;
  gmtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf (&s, "%s.%09lldZ", buf, (long long)(wall_ms % 1000) * 1000000)
      < 0)
    abort ();
  return s;
}

int
k8s_rfc3339_parse (const char *s, time_t *out)
{
  struct tm tm = { 0 };
  const char *p;
  long off = 0;
  if (s == NULL)
    return -1;
  p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == NULL)
    return -1;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  if (*p == '+' || *p == '-')
    {
      int h, m;
      if (sscanf (p + 1, "%2d:%2d", &h, &m) != 2)
        return -1;
      off = (h * 3600L + m * 60L) * (*p == '-' ? -1 : 1);
    }
  else if (*p != 'Z' && *p != 'z')
    return -1;
  *out = timegm (&tm) - off;
  return 0;
}

void
k8s_human_duration (int64_t seconds, char *buf, size_t len)
{
  int64_t minutes = seconds / 60, hours = seconds / 3600, days = hours / 24;
  if (seconds < -1)
    snprintf (buf, len, "<invalid>");
  else if (seconds < 0)
    snprintf (buf, len, "0s");
  else if (seconds < 60 * 2)
    snprintf (buf, len, "%llds", (long long)seconds);
  else if (minutes < 10)
    {
      if (seconds % 60 == 0)
        snprintf (buf, len, "%lldm", (long long)minutes);
      else
        snprintf (buf, len, "%lldm%llds", (long long)minutes,
                  (long long)(seconds % 60));
    }
  else if (minutes < 60 * 3)
    snprintf (buf, len, "%lldm", (long long)minutes);
  else if (hours < 8)
    {
      if (minutes % 60 == 0)
        snprintf (buf, len, "%lldh", (long long)hours);
      else
        snprintf (buf, len, "%lldh%lldm", (long long)hours,
                  (long long)(minutes % 60));
    }
  else if (hours < 48)
    snprintf (buf, len, "%lldh", (long long)hours);
  else if (hours < 24 * 8)
    {
      if (hours % 24 == 0)
        snprintf (buf, len, "%lldd", (long long)days);
      else
        snprintf (buf, len, "%lldd%lldh", (long long)days,
                  (long long)(hours % 24));
    }
  else if (hours < 24 * 365 * 2)
    snprintf (buf, len, "%lldd", (long long)days);
  else if (hours < 24 * 365 * 8)
    {
      if (days % 365 == 0)
        snprintf (buf, len, "%lldy", (long long)(days / 365));
      else
        snprintf (buf, len, "%lldy%lldd", (long long)(days / 365),
                  (long long)(days % 365));
    }
  else
    snprintf (buf, len, "%lldy", (long long)(days / 365));
}

struct node *
k8s_get (const struct node *n, const char *path)
{
  char key[128];
  while (n && *path)
    {
      const char *dot = strchr (path, '.');
      size_t l = dot ? (size_t)(dot - path) : strlen (path);
      if (n->kind != NODE_MAP || l >= sizeof (key))
        return NULL;
      memcpy (key, path, l);
      key[l] = '\0';
      n = node_map_get (n, key);
      path += l + (dot ? 1 : 0);
    }
  return (struct node *)n;
}

const char *
k8s_get_str (const struct node *n, const char *path)
{
  const struct node *v = k8s_get (n, path);
  if (v == NULL || v->kind != NODE_SCALAR || node_is_null (v))
    return NULL;
  return v->text;
}
