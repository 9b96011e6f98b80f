/* fuzz_manifest.c - libFuzzer target for the manifest reader: any input must
 * be read or rejected with an error, and whatever is read must be written
 * back out as JSON and YAML, without crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "node.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fuzz_node_writers (const struct node *doc)
{
  berth_error_t err = NULL;
  char *out = NULL;
  size_t len;

  if (node_write_json (doc, true, &out, &len, &err) == 0)
    free (out);
  berth_error_release (&err);
  if (node_write_yaml (doc, &out, &len, &err) == 0)
    free (out);
  berth_error_release (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct node_stream s = { 0 };
  berth_error_t err = NULL;
  size_t i;

  if (node_stream_read ((const char *)data, size, &s, &err) < 0)
    {
      berth_error_release (&err);
      return 0;
    }
  for (i = 0; i < s.len; i++)
    if (s.docs[i] != NULL)
      fuzz_node_writers (s.docs[i]);
  node_stream_free (&s);
  return 0;
}
