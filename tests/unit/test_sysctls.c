/* test_sysctls.c - model/sysctl_ns.c and the admission half of
 * runtime/sysctls.c: the namespaces of sysctls in both name forms, the
 * kubelet's safe set, --allowed-unsafe-sysctls patterns, and its
 * SysctlForbidden messages.  (Writing them needs the VM: test_sandbox.sh.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "sysctls.h"

static struct manifest man;

static struct pod *
pod_with (const char *sysctls, const char *extra)
{
  char *yaml = NULL;
  manifest_free (&man);
  memset (&man, 0, sizeof man);
  ck_assert_int_ge (asprintf (&yaml,
                              "apiVersion: v1\nkind: Pod\nmetadata: {name: "
                              "p}\nspec:\n%s  securityContext:\n    "
                              "sysctls: %s\n  containers: [{name: c, image: "
                              "busybox}]\n",
                              extra, sysctls),
                    0);
  manifest_read_buffer ("t.yaml", yaml, strlen (yaml), &man);
  free (yaml);
  ck_assert_ptr_nonnull (man.objects[0]->info);
  return man.objects[0]->data;
}

START_TEST (namespaces)
{
  ck_assert_int_eq (sysctl_namespace ("kernel.shm_rmid_forced"), SYSCTL_NS_IPC);
  ck_assert_int_eq (sysctl_namespace ("kernel.sem"), SYSCTL_NS_IPC);
  ck_assert_int_eq (sysctl_namespace ("kernel.msgmax"), SYSCTL_NS_IPC);
  ck_assert_int_eq (sysctl_namespace ("fs.mqueue.msg_max"), SYSCTL_NS_IPC);
  ck_assert_int_eq (sysctl_namespace ("net.core.somaxconn"), SYSCTL_NS_NET);
  ck_assert_int_eq (sysctl_namespace ("net/ipv4/conf/eth0.100/forwarding"),
                    SYSCTL_NS_NET);
  ck_assert_int_eq (sysctl_namespace ("kernel.hostname"), SYSCTL_NS_UNKNOWN);
  ck_assert_int_eq (sysctl_namespace ("vm.swappiness"), SYSCTL_NS_UNKNOWN);
  char *d = sysctl_dots ("net/ipv4/conf/eth0.100/forwarding");
  ck_assert_str_eq (d, "net.ipv4.conf.eth0/100.forwarding");
  free (d);
}
END_TEST

START_TEST (admission)
{
  struct sysctl_allowlist w;
  berth_error_t err = NULL;
  char *m;

  ck_assert_ptr_null (sysctl_admit (
      NULL, pod_with ("[{name: kernel.shm_rmid_forced, value: '1'}, {name: "
                      "net.ipv4.ip_local_port_range, value: '1024 65000'}]",
                      "")));
  m = sysctl_admit (NULL, pod_with ("[{name: kernel.msgmax, value: '1'}]", ""));
  ck_assert_str_eq (m, "forbidden sysctl: \"kernel.msgmax\" not allowlisted");
  free (m);
  /* a safe net sysctl on the host's network */
  m = sysctl_admit (NULL, pod_with ("[{name: net.ipv4.tcp_syncookies, value: "
                                    "'1'}]",
                                    "  hostNetwork: true\n"));
  ck_assert_str_eq (m, "forbidden sysctl: \"net.ipv4.tcp_syncookies\" not "
                       "allowed with host net enabled");
  free (m);
  /* --allowed-unsafe-sysctls */
  ck_assert_int_eq (
      sysctl_allowlist_parse ("kernel.msg*,net.core.somaxconn", &w, &err), 0);
  ck_assert_ptr_null (
      sysctl_admit (&w, pod_with ("[{name: kernel.msgmax, value: '1'}, {name: "
                                  "net/core/somaxconn, value: '1'}]",
                                  "")));
  m = sysctl_admit (&w, pod_with ("[{name: kernel.sem, value: '1'}]", ""));
  ck_assert_str_eq (m, "forbidden sysctl: \"kernel.sem\" not allowlisted");
  free (m);
  sysctl_allowlist_free (&w);
  ck_assert_int_lt (sysctl_allowlist_parse ("vm.swappiness", &w, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "the sysctl \"vm.swappiness\" are not known to be "
                    "namespaced");
  berth_error_release (&err);
  ck_assert_int_lt (sysctl_allowlist_parse ("kernel.*", &w, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "the sysctls \"kernel.*\" are not known to be namespaced");
  berth_error_release (&err);
  manifest_free (&man);
  memset (&man, 0, sizeof man);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("sysctls");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, namespaces);
  tcase_add_test (tc, admission);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
