/* main.c - dispatch `berth COMMAND ...` to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
};

static const struct command commands[] = {
  { "agent", cmd_agent, "run the node agent (API, manifest directory)" },
  { "apply", cmd_apply, "create or update objects in the agent from files" },
  { "delete", cmd_delete, "delete objects from the agent" },
  { "describe", cmd_describe, "show a pod in detail, with its events" },
  { "exec", cmd_exec, "run a command in a running container" },
  { "get", cmd_get, "list the agent's objects as kubectl does" },
  { "image", cmd_image, "import, list and remove images in the local store" },
  { "logs", cmd_logs, "print the log of a pod's container" },
  { "run", cmd_run,
    "run the Pods of a file in the foreground and report on them" },
  { "top", cmd_top,
    "show the CPU and memory of pods, with CPU throttling and OOM kills" },
  { "validate", cmd_validate,
    "check manifests as the API server would, print defaulted objects" },
  { "version", cmd_version, "print the version" },
};

static void
usage (FILE *f)
{
  fprintf (f, "Usage: berth COMMAND [OPTIONS]\n\n"
              "berth runs Kubernetes manifests on one Linux machine.\n\n"
              "Commands:\n");
  for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    fprintf (f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nRun 'berth COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    return cmd_version (argc - 1, argv + 1);
  for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "berth: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
