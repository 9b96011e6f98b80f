/* bench/api-post.c - POST one object to the agent's API over its unix
 * socket and print the wall clock (ms since the epoch) at which the
 * request went out, after the process and libcurl are loaded, so that a
 * bench measures the agent's work from "create pod" and not the client's
 * start.  Built by bench/pod-start.sh:
 *
 *   api-post SOCKET PATH FILE   (FILE: the JSON body)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t
discard (char *p, size_t size, size_t n, void *d)
{
  (void)p;
  (void)d;
  return size * n;
}

int
main (int argc, char **argv)
{
  char url[512], body[65536];
  struct curl_slist *h = NULL;
  struct timespec ts;
  long code = 0;
  size_t len;
  FILE *f;
  CURL *c;

  if (argc != 4 || (f = fopen (argv[3], "re")) == NULL)
    return 2;
  len = fread (body, 1, sizeof body - 1, f);
  fclose (f);
  body[len] = '\0';
  snprintf (url, sizeof url, "http://localhost%s", argv[2]);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  c = curl_easy_init ();
  h = curl_slist_append (h, "Content-Type: application/json");
  curl_easy_setopt (c, CURLOPT_UNIX_SOCKET_PATH, argv[1]);
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, discard);
  clock_gettime (CLOCK_REALTIME, &ts);
  if (curl_easy_perform (c) != CURLE_OK)
    return 1;
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all (h);
  curl_easy_cleanup (c);
  if (code != 201)
    return 1;
  printf ("%lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
  return 0;
}
