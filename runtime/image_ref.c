/* image_ref.c - see image_ref.h.  The grammar is distribution/reference's
 * (regexp.go), checked by hand instead of by regular expressions:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] component ("/" component)*
 *   domain     := host [":" port]     host: dns labels joined by ".", or
 *                                     "[" ipv6 hex and colons "]"
 *   component  := alnum+ (separator alnum+)*   lowercase alnum
 *   separator  := "." | "_" | "__" | "-"+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 */
#include "image_ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_word (char c)
{
  return isalnum ((unsigned char)c) || c == '_';
}

/* One path component, [s, e). */
static bool
component_valid (const char *s, const char *e)
{
  const char *p = s;

  if (p == e || !is_lower_alnum (*p))
    return false;
  while (p < e)
    {
      while (p < e && is_lower_alnum (*p))
        p++;
      if (p == e)
        return true;
      /* a separator: ".", "_", "__" or one or more "-" */
      if (*p == '.')
        p++;
      else if (*p == '_')
        p += (p + 1 < e && p[1] == '_') ? 2 : 1;
      else if (*p == '-')
        while (p < e && *p == '-')
          p++;
      else
        return false;
      if (p == e || !is_lower_alnum (*p))
        return false;
    }
  return true;
}

static bool
path_valid (const char *path)
{
  const char *s = path;

  for (;;)
    {
      const char *slash = strchr (s, '/');
      const char *e = slash ? slash : s + strlen (s);
      if (!component_valid (s, e))
        return false;
      if (slash == NULL)
        return true;
      s = slash + 1;
    }
}

static bool
dns_label_valid (const char *s, const char *e)
{
  if (s == e || !isalnum ((unsigned char)*s) || !isalnum ((unsigned char)e[-1]))
    return false;
  for (const char *p = s; p < e; p++)
    if (!isalnum ((unsigned char)*p) && *p != '-')
      return false;
  return true;
}

static bool
domain_valid (const char *d)
{
  const char *host_end, *port = NULL;

  if (*d == '[')
    {
      const char *close = strchr (d, ']');
      if (close == NULL || close == d + 1)
        return false;
      for (const char *p = d + 1; p < close; p++)
        if (!isxdigit ((unsigned char)*p) && *p != ':')
          return false;
      host_end = close + 1;
      if (*host_end == ':')
        port = host_end + 1;
      else if (*host_end != '\0')
        return false;
    }
  else
    {
      const char *colon = strchr (d, ':');
      host_end = colon ? colon : d + strlen (d);
      port = colon ? colon + 1 : NULL;
      for (const char *s = d;;)
        {
          const char *dot = memchr (s, '.', host_end - s);
          const char *e = dot ? dot : host_end;
          if (!dns_label_valid (s, e))
            return false;
          if (dot == NULL)
            break;
          s = dot + 1;
        }
    }
  if (port != NULL)
    {
      if (*port == '\0')
        return false;
      for (const char *p = port; *p; p++)
        if (!isdigit ((unsigned char)*p))
          return false;
    }
  return true;
}

static bool
tag_valid (const char *t)
{
  size_t n = strlen (t);

  if (n == 0 || n > 128 || !is_word (t[0]))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!is_word (t[i]) && t[i] != '.' && t[i] != '-')
      return false;
  return true;
}

const char *
image_ref_digest_problem (const char *digest)
{
  const char *colon = strchr (digest, ':');
  size_t want, n;

  if (colon == NULL)
    return "a digest is ALGORITHM:HEX";
  if (colon - digest == 6 && strncmp (digest, "sha256", 6) == 0)
    want = 64;
  else if (colon - digest == 6 && strncmp (digest, "sha512", 6) == 0)
    want = 128;
  else
    return "unsupported digest algorithm (sha256, sha512)";
  n = strlen (colon + 1);
  if (n != want)
    return want == 64 ? "sha256 needs 64 hex digits"
                      : "sha512 needs 128 hex digits";
  for (const char *p = colon + 1; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return "the hex digits must be lowercase 0-9a-f";
  return NULL;
}

static bool
is_hex64 (const char *s)
{
  size_t n = strlen (s);

  if (n != 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

void
image_ref_clear (struct image_ref *r)
{
  free (r->domain);
  free (r->path);
  free (r->tag);
  free (r->digest);
  free (r->name);
  free (r->full);
  memset (r, 0, sizeof (*r));
}

/* Where the domain ends in NAME (docker's splitDockerDomain): the part
 * before the first "/" when it looks like a host (has "." or ":", is
 * "localhost" or has uppercase letters); otherwise the name is on
 * docker.io. */
static size_t
domain_len (const char *name)
{
  const char *slash = strchr (name, '/');
  size_t n;

  if (slash == NULL)
    return 0;
  n = slash - name;
  if (memchr (name, '.', n) || memchr (name, ':', n)
      || (n == 9 && strncmp (name, "localhost", 9) == 0))
    return n;
  for (size_t i = 0; i < n; i++)
    if (isupper ((unsigned char)name[i]))
      return n;
  return 0;
}

static int
ref_split (const char *s, struct image_ref *r, char **name_out,
           berth_error_t *err)
{
  cleanup_free char *rest = strdup (s);
  char *at, *slash, *colon;
  const char *why;

  if (rest == NULL)
    return berth_error_sys (err, ENOMEM, "parse reference");
  at = strchr (rest, '@');
  if (at != NULL)
    {
      *at = '\0';
      why = image_ref_digest_problem (at + 1);
      if (why != NULL)
        return berth_error_make (err, EINVAL,
                                 "invalid reference \"%s\": invalid digest "
                                 "\"%s\": %s",
                                 s, at + 1, why);
      r->digest = strdup (at + 1);
    }
  slash = strrchr (rest, '/');
  colon = strrchr (slash ? slash : rest, ':');
  if (colon != NULL)
    {
      *colon = '\0';
      if (!tag_valid (colon + 1))
        return berth_error_make (
            err, EINVAL,
            "invalid reference \"%s\": invalid tag \"%s\" (up to 128 of "
            "A-Za-z0-9_.-, not starting with . or -)",
            s, colon + 1);
      r->tag = strdup (colon + 1);
    }
  *name_out = steal_pointer (&rest);
  return 0;
}

int
image_ref_parse (const char *s, struct image_ref *out, berth_error_t *err)
{
  struct image_ref r = { 0 };
  cleanup_free char *name = NULL;
  const char *remainder;
  size_t dlen;
  int ret;

  if (s == NULL || *s == '\0')
    return berth_error_make (err, EINVAL, "invalid reference \"\": empty");
  if (is_hex64 (s))
    return berth_error_make (err, EINVAL,
                             "invalid reference \"%s\": cannot specify "
                             "64-byte hexadecimal strings",
                             s);
  ret = ref_split (s, &r, &name, err);
  if (ret < 0)
    goto fail;
  dlen = domain_len (name);
  remainder = dlen ? name + dlen + 1 : name;
  for (const char *p = remainder; *p; p++)
    if (isupper ((unsigned char)*p))
      {
        ret = berth_error_make (err, EINVAL,
                                "invalid reference \"%s\": repository name "
                                "must be lowercase",
                                s);
        goto fail;
      }
  if (dlen == 0 || (dlen == 15 && strncmp (name, "index.docker.io", 15) == 0))
    r.domain = strdup (IMAGE_REF_DEFAULT_DOMAIN);
  else
    r.domain = strndup (name, dlen);
  if (strcmp (r.domain, IMAGE_REF_DEFAULT_DOMAIN) == 0
      && strchr (remainder, '/') == NULL)
    ret = asprintf (&r.path, "library/%s", remainder);
  else
    ret = (r.path = strdup (remainder)) ? 0 : -1;
  if (ret < 0 || asprintf (&r.name, "%s/%s", r.domain, r.path) < 0)
    {
      ret = berth_error_sys (err, ENOMEM, "parse reference");
      goto fail;
    }
  if (!domain_valid (r.domain) || !path_valid (r.path))
    {
      ret = berth_error_make (err, EINVAL,
                              "invalid reference \"%s\": invalid reference "
                              "format",
                              s);
      goto fail;
    }
  if (strlen (r.name) > IMAGE_REF_NAME_MAX)
    {
      ret = berth_error_make (err, EINVAL,
                              "invalid reference \"%s\": repository name "
                              "must not be more than %d characters",
                              s, IMAGE_REF_NAME_MAX);
      goto fail;
    }
  if (asprintf (&r.full, "%s%s%s%s%s", r.name, r.tag || !r.digest ? ":" : "",
                r.tag      ? r.tag
                : r.digest ? ""
                           : IMAGE_REF_DEFAULT_TAG,
                r.digest ? "@" : "", r.digest ? r.digest : "")
      < 0)
    {
      ret = berth_error_sys (err, ENOMEM, "parse reference");
      goto fail;
    }
  *out = r;
  return 0;
fail:
  image_ref_clear (&r);
  return ret < 0 ? ret : -1;
}
