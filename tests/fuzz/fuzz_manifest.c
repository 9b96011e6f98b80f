/* fuzz_manifest.c - libFuzzer target for the manifest reader: any input must
 * be read or rejected with an error; whatever is read is written back as
 * JSON and YAML, and decoded, defaulted and validated as Kubernetes objects,
 * whose defaulted form is encoded again - without crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "manifest.h"
#include "node.h"
#include "qos.h"

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

static void
fuzz_objects (const uint8_t *data, size_t size)
{
  struct manifest m;

  manifest_read_buffer ("fuzz.yaml", (const char *)data, size, &m);
  for (size_t i = 0; i < m.len; i++)
    {
      struct object *o = m.objects[i];
      char *ref = object_ref (o);
      free (ref);
      if (!object_is_valid (o))
        continue;
      if (o->info->id == KIND_POD)
        (void)qos_compute (&((struct pod *)o->data)->spec);
      {
        struct node *n = object_encode (o);
        fuzz_node_writers (n);
        node_unref (n);
      }
    }
  manifest_free (&m);
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
  fuzz_objects (data, size);
  return 0;
}
