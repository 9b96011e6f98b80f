/* validation.c - see validation.h. */
#include "validation.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

static void
v_add (struct vctx *v, enum diag_level level, const char *field,
       const char *msg)
{
  size_t mark = field ? path_push_field (&v->path, field) : v->path.len;
  diag_add (v->diags, level, path_str (&v->path), "%s", msg);
  path_pop (&v->path, mark);
}

void
v_error (struct vctx *v, const char *field, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;
  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);
  v_add (v, DIAG_ERROR, field, msg);
}

void
v_warning (struct vctx *v, const char *field, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;
  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);
  v_add (v, DIAG_WARNING, field, msg);
}

void
v_required (struct vctx *v, const char *field, const char *detail)
{
  if (detail && *detail)
    v_error (v, field, "Required value: %s", detail);
  else
    v_error (v, field, "Required value");
}

void
v_invalid (struct vctx *v, const char *field, const char *value,
           const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;
  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);
  v_error (v, field, "Invalid value: \"%s\": %s", value ? value : "", msg);
}

void
v_invalid_int (struct vctx *v, const char *field, int64_t value,
               const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;
  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);
  v_error (v, field, "Invalid value: %lld: %s", (long long)value, msg);
}

void
v_duplicate (struct vctx *v, const char *field, const char *value)
{
  v_error (v, field, "Duplicate value: \"%s\"", value ? value : "");
}

void
v_unsupported (struct vctx *v, const char *field, const char *value,
               const char *const *supported)
{
  char buf[512];
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; supported[i] && n < sizeof (buf); i++)
    n += (size_t)snprintf (buf + n, sizeof (buf) - n, "%s\"%s\"", i ? ", " : "",
                           supported[i]);
  v_error (v, field, "Unsupported value: \"%s\": supported values: %s",
           value ? value : "", buf);
}

void
v_forbidden (struct vctx *v, const char *field, const char *detail)
{
  v_error (v, field, "Forbidden: %s", detail);
}

bool
str_in (const char *s, const char *const *set)
{
  for (size_t i = 0; s && set[i]; i++)
    if (strcmp (s, set[i]) == 0)
      return true;
  return false;
}

/* ---- syntax checks ---- */

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum (char c)
{
  return is_lower_alnum (c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over S[0..len) */
static bool
is_label_span (const char *s, size_t len)
{
  if (len == 0 || !is_lower_alnum (s[0]) || !is_lower_alnum (s[len - 1]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!is_lower_alnum (s[i]) && s[i] != '-')
      return false;
  return true;
}

#define LABEL_MSG                                                              \
  "a lowercase RFC 1123 label must consist of lower case alphanumeric "        \
  "characters or '-', and must start and end with an alphanumeric "            \
  "character (e.g. 'my-name',  or '123-abc', regex used for validation is "    \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                          \
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "    \
  "characters, '-' or '.', and must start and end with an alphanumeric "       \
  "character (e.g. 'example.com', regex used for validation is "               \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

const char *
check_dns1123_label (const char *s)
{
  size_t len = strlen (s);
  if (len > 63)
    return "must be no more than 63 characters";
  return is_label_span (s, len) ? NULL : LABEL_MSG;
}

static bool
is_subdomain (const char *s)
{
  const char *start = s;
  for (const char *p = s;; p++)
    if (*p == '.' || *p == '\0')
      {
        if (!is_label_span (start, (size_t)(p - start)))
          return false;
        if (*p == '\0')
          return true;
        start = p + 1;
      }
}

const char *
check_dns1123_subdomain (const char *s)
{
  if (strlen (s) > 253)
    return "must be no more than 253 characters";
  return is_subdomain (s) ? NULL : SUBDOMAIN_MSG;
}

const char *
check_dns1035_label (const char *s)
{
  size_t len = strlen (s);
  if (len > 63)
    return "must be no more than 63 characters";
  if (len == 0 || !(s[0] >= 'a' && s[0] <= 'z') || !is_label_span (s, len))
    return "a DNS-1035 label must consist of lower case alphanumeric "
           "characters or '-', start with an alphabetic character, and end "
           "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
           "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  return NULL;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool
is_qualified_name_part (const char *s, size_t len)
{
  if (len == 0 || !is_alnum (s[0]) || !is_alnum (s[len - 1]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!is_alnum (s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return false;
  return true;
}

#define QNAME_MSG                                                              \
  "name part must consist of alphanumeric characters, '-', '_' or '.', and "   \
  "must start and end with an alphanumeric character (e.g. 'MyName',  or "     \
  "'my.name',  or '123-abc', regex used for validation is "                    \
  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

const char *
check_qualified_name (const char *s)
{
  const char *slash = strchr (s, '/');
  const char *name = slash ? slash + 1 : s;
  if (slash)
    {
      cleanup_free char *prefix = strndup (s, (size_t)(slash - s));
      if (prefix == NULL)
        abort ();
      if (*prefix == '\0')
        return "prefix part must be non-empty";
      if (strchr (name, '/'))
        return "a qualified name must consist of alphanumeric characters, "
               "'-', '_' or '.', and must start and end with an alphanumeric "
               "character, with an optional DNS subdomain prefix and '/'";
      if (check_dns1123_subdomain (prefix))
        return "prefix part " SUBDOMAIN_MSG;
    }
  if (*name == '\0')
    return "name part must be non-empty";
  if (strlen (name) > 63)
    return "name part must be no more than 63 characters";
  return is_qualified_name_part (name, strlen (name)) ? NULL : QNAME_MSG;
}

const char *
check_label_value (const char *s)
{
  size_t len = strlen (s);
  if (len == 0)
    return NULL;
  if (len > 63)
    return "must be no more than 63 characters";
  return is_qualified_name_part (s, len)
             ? NULL
             : "a valid label must be an empty string or consist of "
               "alphanumeric characters, '-', '_' or '.', and must start and "
               "end with an alphanumeric character (e.g. 'MyValue',  or "
               "'my_value',  or '12345', regex used for validation is "
               "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
}

const char *
check_iana_svc_name (const char *s)
{
  size_t len = strlen (s);
  bool letter = false;
  if (len == 0 || len > 15)
    return "must be no more than 15 characters";
  for (size_t i = 0; i < len; i++)
    {
      if (!is_lower_alnum (s[i]) && s[i] != '-')
        return "must contain only alpha-numeric characters (a-z, 0-9), and "
               "hyphens (-)";
      if (s[i] >= 'a' && s[i] <= 'z')
        letter = true;
    }
  if (strstr (s, "--"))
    return "must not contain consecutive hyphens";
  if (!letter)
    return "must contain at least one letter (a-z)";
  if (s[0] == '-' || s[len - 1] == '-')
    return "must not begin or end with a hyphen";
  return NULL;
}

const char *
check_env_var_name (const char *s)
{
  if (*s == '\0')
    return "a valid environment variable name must consist only of "
           "printable ASCII characters other than '='";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 32 || *p > 126 || *p == '=')
      return "a valid environment variable name must consist only of "
             "printable ASCII characters other than '='";
  return NULL;
}

const char *
check_config_map_key (const char *s)
{
  if (strlen (s) > 253)
    return "must be no more than 253 characters";
  for (const char *p = s; *p; p++)
    if (!is_alnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return "a valid config key must consist of alphanumeric characters, "
             "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
             "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  if (*s == '\0')
    return "a valid config key must consist of alphanumeric characters, "
           "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
           "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  if (strcmp (s, ".") == 0)
    return "must not be '.'";
  if (strcmp (s, "..") == 0)
    return "must not be '..'";
  if (strncmp (s, "..", 2) == 0)
    return "must not start with '..'";
  return NULL;
}

bool
is_ip_address (const char *s)
{
  unsigned char buf[16];
  return inet_pton (AF_INET, s, buf) == 1 || inet_pton (AF_INET6, s, buf) == 1;
}

/* ---- metadata ---- */

void
v_labels (struct vctx *v, const char *field, const struct strmap *labels)
{
  size_t mark = VPUSH (v, field);
  for (size_t i = 0; i < labels->len; i++)
    {
      const char *why = check_qualified_name (labels->keys[i]);
      if (why)
        v_invalid (v, NULL, labels->keys[i], "%s", why);
      why = check_label_value (labels->values[i]);
      if (why)
        v_invalid (v, NULL, labels->values[i], "%s", why);
    }
  VPOP (v, mark);
}

void
v_annotations (struct vctx *v, const struct strmap *a)
{
  size_t total = 0, mark = VPUSH (v, "annotations");
  for (size_t i = 0; i < a->len; i++)
    {
      const char *why = check_qualified_name (a->keys[i]);
      if (why)
        v_invalid (v, NULL, a->keys[i], "%s", why);
      total += strlen (a->keys[i]) + strlen (a->values[i]);
    }
  if (total > 256 * 1024)
    v_error (v, NULL, "Too long: must have at most 262144 bytes");
  VPOP (v, mark);
}

void
v_object_meta (struct vctx *v, const struct object_meta *m, bool namespaced,
               const char *(*name_check) (const char *))
{
  size_t mark = VPUSH (v, "metadata");
  if (m->name == NULL || *m->name == '\0')
    {
      if (m->generate_name == NULL || *m->generate_name == '\0')
        v_required (v, "name", "name or generateName is required");
    }
  else if (name_check (m->name))
    v_invalid (v, "name", m->name, "%s", name_check (m->name));
  if (namespaced && m->namespace && *m->namespace
      && check_dns1123_label (m->namespace))
    v_invalid (v, "namespace", m->namespace, "%s",
               check_dns1123_label (m->namespace));
  if (!namespaced && m->namespace && *m->namespace)
    v_forbidden (v, "namespace", "not allowed on this type");
  v_labels (v, "labels", &m->labels);
  v_annotations (v, &m->annotations);
  VPOP (v, mark);
}

void
v_non_negative (struct vctx *v, const char *field, const struct opt_int *x)
{
  if (x->set && x->v < 0)
    v_invalid_int (v, field, x->v, "must be greater than or equal to 0");
}

void
v_requirement (struct vctx *v, const char *key, const char *op, size_t nvalues,
               const char *const *ops)
{
  if (!str_in (op, ops))
    v_unsupported (v, "operator", op ? op : "", ops);
  else if ((!strcmp (op, "In") || !strcmp (op, "NotIn")) && nvalues == 0)
    v_required (v, "values",
                "must be specified when `operator` is 'In' or 'NotIn'");
  else if ((!strcmp (op, "Exists") || !strcmp (op, "DoesNotExist"))
           && nvalues > 0)
    v_forbidden (v, "values",
                 "may not be specified when `operator` is "
                 "'Exists' or 'DoesNotExist'");
  else if ((!strcmp (op, "Gt") || !strcmp (op, "Lt")) && nvalues != 1)
    v_required (v, "values",
                "must be specified single value when "
                "`operator` is 'Lt' or 'Gt'");
  if (key == NULL || check_qualified_name (key))
    v_invalid (v, "key", key, "%s",
               key ? check_qualified_name (key) : "Required value");
}

void
v_label_selector (struct vctx *v, const char *field,
                  const struct label_selector *s)
{
  static const char *const ops[]
      = { "In", "NotIn", "Exists", "DoesNotExist", NULL };
  size_t mark = VPUSH (v, field);
  v_labels (v, "matchLabels", &s->match_labels);
  for (size_t i = 0; i < s->match_expressions.len; i++)
    {
      const struct label_selector_requirement *r
          = &s->match_expressions.items[i];
      size_t m2 = VPUSH (v, "matchExpressions");
      size_t m3 = VPUSH_INDEX (v, i);
      v_requirement (v, r->key, r->operator, r->values.len, ops);
      VPOP (v, m3);
      VPOP (v, m2);
    }
  VPOP (v, mark);
}

static bool
values_contain (const struct label_selector_requirement *r, const char *val)
{
  for (size_t i = 0; i < r->values.len; i++)
    if (strcmp (r->values.items[i], val) == 0)
      return true;
  return false;
}

bool
label_selector_matches (const struct label_selector *s,
                        const struct strmap *labels)
{
  for (size_t i = 0; i < s->match_labels.len; i++)
    {
      const char *v = strmap_get (labels, s->match_labels.keys[i]);
      if (v == NULL || strcmp (v, s->match_labels.values[i]) != 0)
        return false;
    }
  for (size_t i = 0; i < s->match_expressions.len; i++)
    {
      const struct label_selector_requirement *r
          = &s->match_expressions.items[i];
      const char *v = strmap_get (labels, r->key ? r->key : "");
      const char *op = r->operator? r->operator: "";
      if ((strcmp (op, "In") == 0 && (v == NULL || !values_contain (r, v)))
          || (strcmp (op, "NotIn") == 0 && v && values_contain (r, v))
          || (strcmp (op, "Exists") == 0 && v == NULL)
          || (strcmp (op, "DoesNotExist") == 0 && v != NULL))
        return false;
    }
  return true;
}
