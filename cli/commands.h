/* commands.h - the subcommands of the berth binary.  Each takes the
 * arguments after its own name (argv[0] is the subcommand) and returns the
 * process exit status. */
#ifndef BERTH_COMMANDS_H
#define BERTH_COMMANDS_H

int cmd_version (int argc, char **argv);
int cmd_validate (int argc, char **argv);
int cmd_run (int argc, char **argv);
int cmd_image (int argc, char **argv);
int cmd_agent (int argc, char **argv);
int cmd_apply (int argc, char **argv);
int cmd_delete (int argc, char **argv);
int cmd_describe (int argc, char **argv);
int cmd_get (int argc, char **argv);
int cmd_exec (int argc, char **argv);
int cmd_top (int argc, char **argv);
int cmd_logs (int argc, char **argv);

#endif
