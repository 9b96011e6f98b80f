/* cmd_version.c - `berth version`. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

int
cmd_version (int argc, char **argv)
{
  if (argc > 1
      && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: berth version\n\nPrint berth's version.\n");
      return 0;
    }
  printf ("berth %s\n", PACKAGE_VERSION);
  return 0;
}
