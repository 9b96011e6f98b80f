/* test_runtime_command.c - runtime/command.c against Kubernetes.
 *
 * Vectors: k8s.io/kubernetes third_party/forked/golang/expansion
 * expand_test.go (TestMapping, TestMapReference); the docs pages
 * "Define a Command and Arguments for a Container" (the notes table and
 * the $(MESSAGE) example) and "Define Dependent Environment Variables".
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "command.h"

struct expand_case
{
  const char *input;
  const char *expected;
};

static const struct expand_case mapping_cases[] = {
  { "$(VAR_A)", "A" },
  { "$(VAR_A)-$(VAR_A)", "A-A" },
  { "$(VAR_A)-1", "A-1" },
  { "___$(VAR_B)___", "___B___" },
  { "___$(VAR_C)", "___C" },
  { "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C" },
  { "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A" },
  { "$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)" },
  { "f000-$$VAR_A", "f000-$VAR_A" },
  { "foo\\$(VAR_C)bar", "foo\\Cbar" },
  { "foo\\\\$(VAR_C)bar", "foo\\\\Cbar" },
  { "foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar" },
  { "$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))" },
  { "$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)" },
  { "$(VAR_REF)", "$(VAR_A)" },
  { "%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%" },
  { "foo$(VAR_EMPTY)bar", "foobar" },
  { "foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!" },
  { "f00__(VAR_A)__", "f00__(VAR_A)__" },
  { "$?_$#_$$_$1_$0", "$?_$#_$_$1_$0" },
  { "${VAR_A}", "${VAR_A}" },
  { "$(VAR_DNE)", "$(VAR_DNE)" },
  { "$(VAR_B)_______$(A", "B_______$(A" },
  { "$(VAR_C)_______$(", "C_______$(" },
  { "$(VAR_A)foobarzab$", "Afoobarzab$" },
  { "foo-\\$(VAR_A", "foo-\\$(VAR_A" },
  { "--$($($($($--", "--$($($($($--" },
  { "$($($($($--foo$(", "$($($($($--foo$(" },
  { "foo0--$($($($(", "foo0--$($($($(" },
  { "$(foo$$var)", "$(foo$$var)" },
  { "\n", "\n" },
  { "", "" },
  { "$", "$" },
  { "$()", "$()" },
};

START_TEST (test_expand_mapping)
{
  struct command_env ctx = { 0 };
  size_t i;

  command_env_set (&ctx, "VAR_A", "A");
  command_env_set (&ctx, "VAR_B", "B");
  command_env_set (&ctx, "VAR_C", "C");
  command_env_set (&ctx, "VAR_REF", "$(VAR_A)");
  command_env_set (&ctx, "VAR_EMPTY", "");
  for (i = 0; i < sizeof (mapping_cases) / sizeof (mapping_cases[0]); i++)
    {
      cleanup_free char *got = command_expand (mapping_cases[i].input, &ctx);
      ck_assert_msg (strcmp (got, mapping_cases[i].expected) == 0,
                     "expand(%s): got %s, want %s", mapping_cases[i].input, got,
                     mapping_cases[i].expected);
    }
  command_env_free (&ctx);
}
END_TEST

/* A container with env entries NAME=VALUE given as pairs. */
static void
set_env (struct container *c, const char *const *pairs, size_t n)
{
  size_t i;

  c->env.items = calloc (n, sizeof (struct env_var));
  c->env.len = n;
  for (i = 0; i < n; i++)
    {
      c->env.items[i].name = (char *)pairs[2 * i];
      c->env.items[i].value = (char *)pairs[2 * i + 1];
      c->env.items[i].value_set = true;
    }
}

START_TEST (test_map_reference)
{
  static const char *const pairs[]
      = { "FOO", "bar", "ZOO", "$(FOO)-1", "BLU", "$(ZOO)-2" };
  struct container c = { 0 };
  struct command_env env = { 0 };
  berth_error_t err = NULL;

  set_env (&c, pairs, 3);
  ck_assert_int_eq (command_build_env (&c, NULL, &env, &err), 0);
  ck_assert_int_eq (env.len, 3);
  ck_assert_str_eq (command_env_get (&env, "FOO"), "bar");
  ck_assert_str_eq (command_env_get (&env, "ZOO"), "bar-1");
  ck_assert_str_eq (command_env_get (&env, "BLU"), "bar-1-2");
  command_env_free (&env);
  free (c.env.items);
}
END_TEST

START_TEST (test_dependent_env_docs)
{
  static const char *const pairs[] = {
    "SERVICE_PORT",
    "80",
    "SERVICE_IP",
    "172.17.0.1",
    "UNCHANGED_REFERENCE",
    "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)",
    "PROTOCOL",
    "https",
    "SERVICE_ADDRESS",
    "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)",
    "ESCAPED_REFERENCE",
    "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)",
  };
  struct container c = { 0 };
  struct command_env env = { 0 };
  berth_error_t err = NULL;

  set_env (&c, pairs, 6);
  ck_assert_int_eq (command_build_env (&c, NULL, &env, &err), 0);
  ck_assert_str_eq (command_env_get (&env, "UNCHANGED_REFERENCE"),
                    "$(PROTOCOL)://172.17.0.1:80");
  ck_assert_str_eq (command_env_get (&env, "SERVICE_ADDRESS"),
                    "https://172.17.0.1:80");
  ck_assert_str_eq (command_env_get (&env, "ESCAPED_REFERENCE"),
                    "$(PROTOCOL)://172.17.0.1:80");
  command_env_free (&env);
  free (c.env.items);
}
END_TEST

static int
fake_env_from (void *opaque, const struct env_from_source *src,
               struct command_env *out, berth_error_t *err)
{
  (void)opaque;
  (void)err;
  (void)src;
  command_env_set (out, "KEY1", "one");
  command_env_set (out, "1BAD", "skipped");
  command_env_set (out, "VAL", "$(KEY1)");
  return 0;
}

static int
fake_value_from (void *opaque, const struct env_var *var, char **value,
                 berth_error_t *err)
{
  (void)opaque;
  (void)err;
  if (strcmp (var->name, "MISSING") == 0)
    return 0;
  *value = strdup ("$(P_KEY1)-from-ref");
  return 0;
}

START_TEST (test_env_from_and_refs)
{
  struct container c = { 0 };
  struct env_from_source src = { .prefix = (char *)"P_" };
  struct env_var_source vs = { 0 };
  struct env_var vars[4] = {
    { .name = (char *)"A", .value = (char *)"$(P_KEY1)+$(P_VAL)" },
    { .name = (char *)"REF", .value_from = &vs },
    { .name = (char *)"MISSING", .value_from = &vs },
    { .name = (char *)"P_KEY1", .value = (char *)"override" },
  };
  struct command_resolver r = { NULL, fake_value_from, fake_env_from };
  struct command_env env = { 0 };
  berth_error_t err = NULL;
  char *first[] = { (char *)"1P", NULL };

  c.env_from.items = &src;
  c.env_from.len = 1;
  c.env.items = vars;
  c.env.len = 4;
  /* "1BAD" becomes "P_1BAD", a valid name; without a prefix it is not. */
  ck_assert_int_eq (command_build_env (&c, &r, &env, &err), 0);
  ck_assert_int_eq (env.skipped_len, 0);
  ck_assert_str_eq (command_env_get (&env, "P_1BAD"), "skipped");
  /* envFrom values are not expanded; env values are, from what is before. */
  ck_assert_str_eq (command_env_get (&env, "P_VAL"), "$(KEY1)");
  ck_assert_str_eq (command_env_get (&env, "A"), "one+$(KEY1)");
  /* valueFrom values are not expanded. */
  ck_assert_str_eq (command_env_get (&env, "REF"), "$(P_KEY1)-from-ref");
  ck_assert_ptr_null (command_env_get (&env, "MISSING"));
  /* A later entry replaces the value in place. */
  ck_assert_str_eq (env.names[0], "P_KEY1");
  ck_assert_str_eq (env.values[0], "override");
  command_env_free (&env);

  src.prefix = NULL;
  ck_assert_int_eq (command_build_env (&c, &r, &env, &err), 0);
  ck_assert_int_eq (env.skipped_len, 1);
  ck_assert_str_eq (env.skipped[0], "1BAD");
  command_env_free (&env);
  (void)first;
}
END_TEST

static char *
join (char **argv)
{
  size_t i, n = 1;
  char *s;

  for (i = 0; argv[i]; i++)
    n += strlen (argv[i]) + 1;
  s = calloc (1, n);
  for (i = 0; argv[i]; i++)
    {
      if (i)
        strcat (s, " ");
      strcat (s, argv[i]);
    }
  return s;
}

START_TEST (test_argv_table)
{
  static const char *const ep[] = { "/ep-1", NULL };
  static const char *const cmd[] = { "foo", "bar", NULL };
  char *ep2[] = { (char *)"/ep-2" };
  char *args[] = { (char *)"zoo", (char *)"boo" };
  struct
  {
    bool command, args;
    const char *want;
  } rows[] = {
    { false, false, "/ep-1 foo bar" },
    { true, false, "/ep-2" },
    { false, true, "/ep-1 zoo boo" },
    { true, true, "/ep-2 zoo boo" },
  };
  size_t i;

  for (i = 0; i < 4; i++)
    {
      struct container c = { .name = (char *)"c" };
      berth_error_t err = NULL;
      char **argv = NULL;
      cleanup_free char *got = NULL;

      if (rows[i].command)
        {
          c.command.items = ep2;
          c.command.len = 1;
        }
      if (rows[i].args)
        {
          c.args.items = args;
          c.args.len = 2;
        }
      ck_assert_int_eq (command_build_argv (&c, ep, cmd, NULL, &argv, &err), 0);
      got = join (argv);
      ck_assert_str_eq (got, rows[i].want);
      command_strv_free (argv);
    }
}
END_TEST

START_TEST (test_argv_expand_and_empty)
{
  static const char *const pairs[] = { "MESSAGE", "hello world" };
  char *command[] = { (char *)"/bin/echo" };
  char *args[] = { (char *)"$(MESSAGE)", (char *)"$(NOPE)", (char *)"$$(X)" };
  struct container c = { .name = (char *)"c" };
  struct command_env env = { 0 };
  berth_error_t err = NULL;
  char **argv = NULL;

  set_env (&c, pairs, 1);
  c.command.items = command;
  c.command.len = 1;
  c.args.items = args;
  c.args.len = 3;
  ck_assert_int_eq (command_build_env (&c, NULL, &env, &err), 0);
  ck_assert_int_eq (command_build_argv (&c, NULL, NULL, &env, &argv, &err), 0);
  ck_assert_str_eq (argv[0], "/bin/echo");
  ck_assert_str_eq (argv[1], "hello world");
  ck_assert_str_eq (argv[2], "$(NOPE)");
  ck_assert_str_eq (argv[3], "$(X)");
  ck_assert_ptr_null (argv[4]);
  command_strv_free (argv);

  c.command.len = 0;
  c.args.len = 0;
  ck_assert_int_lt (command_build_argv (&c, NULL, NULL, &env, &argv, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "container c"));
  berth_error_release (&err);
  command_env_free (&env);
  free (c.env.items);
}
END_TEST

START_TEST (test_envp_merge)
{
  static const char *const image_env[]
      = { "PATH=/usr/bin:/bin", "HOME=/root", "bogus", NULL };
  struct command_env env = { 0 };
  char **envp;

  command_env_set (&env, "HOME", "/home/x");
  command_env_set (&env, "NEW", "1");
  envp = command_envp (image_env, &env);
  ck_assert_str_eq (envp[0], "PATH=/usr/bin:/bin");
  ck_assert_str_eq (envp[1], "HOME=/home/x");
  ck_assert_str_eq (envp[2], "NEW=1");
  ck_assert_ptr_null (envp[3]);
  command_strv_free (envp);
  command_env_free (&env);
}
END_TEST

START_TEST (test_env_var_name)
{
  ck_assert (command_is_env_var_name ("FOO"));
  ck_assert (command_is_env_var_name ("foo.bar-baz_1"));
  ck_assert (command_is_env_var_name ("-x"));
  ck_assert (!command_is_env_var_name ("1x"));
  ck_assert (!command_is_env_var_name ("a b"));
  ck_assert (!command_is_env_var_name ("a=b"));
  ck_assert (!command_is_env_var_name (""));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runtime_command");
  TCase *tc = tcase_create ("command");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_expand_mapping);
  tcase_add_test (tc, test_map_reference);
  tcase_add_test (tc, test_dependent_env_docs);
  tcase_add_test (tc, test_env_from_and_refs);
  tcase_add_test (tc, test_argv_table);
  tcase_add_test (tc, test_argv_expand_and_empty);
  tcase_add_test (tc, test_envp_merge);
  tcase_add_test (tc, test_env_var_name);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
