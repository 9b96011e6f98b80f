/* test_sandbox_etc.c - runtime/etc_files.c: the hosts file exactly as the
 * kubelet writes it (kubelet_pods_test.go TestManagedHostsFileContent),
 * hostname truncation, resolv.conf merging (dns_test.go). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "etc_files.h"
#include "manifest.h"

static struct manifest man;

static struct pod *
pod_from (const char *yaml)
{
  manifest_free (&man);
  memset (&man, 0, sizeof man);
  manifest_read_buffer ("test.yaml", yaml, strlen (yaml), &man);
  ck_assert_uint_ge (man.len, 1);
  ck_assert_ptr_nonnull (man.objects[0]->info);
  return man.objects[0]->data;
}

#define POD_HEAD                                                               \
  "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: ns1}\n"         \
  "spec:\n  containers: [{name: c, image: busybox}]\n"

START_TEST (hosts_plain)
{
  const char *ip = "10.88.0.5";
  cleanup_free char *h
      = etc_files_hosts_content (pod_from (POD_HEAD), &ip, 1, NULL);
  ck_assert_str_eq (h, "# Kubernetes-managed hosts file.\n"
                       "127.0.0.1\tlocalhost\n"
                       "::1\tlocalhost ip6-localhost ip6-loopback\n"
                       "fe00::0\tip6-localnet\n"
                       "fe00::0\tip6-mcastprefix\n"
                       "fe00::1\tip6-allnodes\n"
                       "fe00::2\tip6-allrouters\n"
                       "10.88.0.5\tweb\n");
}
END_TEST

START_TEST (hosts_subdomain_aliases)
{
  const char *ip = "10.88.0.5";
  struct pod *p = pod_from (
      POD_HEAD "  hostname: h1\n  subdomain: sub\n"
               "  hostAliases:\n"
               "  - {ip: 123.45.67.89, hostnames: [foo, bar, baz]}\n"
               "  - {ip: 456.78.90.123, hostnames: [park, doo, boo]}\n");
  cleanup_free char *h = etc_files_hosts_content (p, &ip, 1, NULL);
  ck_assert_str_eq (h, "# Kubernetes-managed hosts file.\n"
                       "127.0.0.1\tlocalhost\n"
                       "::1\tlocalhost ip6-localhost ip6-loopback\n"
                       "fe00::0\tip6-localnet\n"
                       "fe00::0\tip6-mcastprefix\n"
                       "fe00::1\tip6-allnodes\n"
                       "fe00::2\tip6-allrouters\n"
                       "10.88.0.5\th1.sub.ns1.svc.cluster.local\th1\n"
                       "\n"
                       "# Entries added by HostAliases.\n"
                       "123.45.67.89\tfoo\tbar\tbaz\n"
                       "456.78.90.123\tpark\tdoo\tboo\n");
}
END_TEST

START_TEST (hostname_truncated)
{
  struct pod *p = pod_from (
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: "
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-.bbb\n"
      "spec:\n  containers: [{name: c, image: busybox}]\n");
  cleanup_free char *h = etc_files_pod_hostname (p);
  ck_assert_uint_eq (strlen (h), 62);
  ck_assert_int_eq (h[61], 'a');
}
END_TEST

static char *
resolv (const char *spec, const char *host, size_t n_dns)
{
  static const char *const dns[] = { "10.96.0.10" };
  struct etc_files_dns d = { .cluster_dns = dns, .n_cluster_dns = n_dns };
  berth_error_t err = NULL;
  char *out = NULL;
  ck_assert_int_eq (
      etc_files_resolv_content (pod_from (spec), &d, host, &out, &err), 0);
  return out;
}

static const char host_conf[] = "# comment\nnameserver 192.168.1.1\n"
                                "nameserver 192.168.1.2\nsearch lan. "
                                "example.com\noptions timeout:2 edns0\n";

START_TEST (resolv_default)
{
  cleanup_free char *r
      = resolv (POD_HEAD "  dnsPolicy: Default\n", host_conf, 1);
  ck_assert_str_eq (r, "search lan example.com\nnameserver 192.168.1.1\n"
                       "nameserver 192.168.1.2\noptions timeout:2 edns0\n");
}
END_TEST

START_TEST (resolv_cluster_first_without_dns_falls_back)
{
  cleanup_free char *r = resolv (POD_HEAD, host_conf, 0);
  ck_assert_str_eq (r, "search lan example.com\nnameserver 192.168.1.1\n"
                       "nameserver 192.168.1.2\noptions timeout:2 edns0\n");
}
END_TEST

START_TEST (resolv_cluster_first)
{
  cleanup_free char *r = resolv (POD_HEAD, host_conf, 1);
  ck_assert_str_eq (r, "search ns1.svc.cluster.local svc.cluster.local "
                       "cluster.local lan example.com\n"
                       "nameserver 10.96.0.10\noptions ndots:5\n");
}
END_TEST

START_TEST (resolv_dns_config_merge)
{
  cleanup_free char *r
      = resolv (POD_HEAD "  dnsConfig:\n"
                         "    nameservers: [192.168.1.1, 1.2.3.4, 5.6.7.8]\n"
                         "    searches: [example.com, my.dns.search.suffix]\n"
                         "    options:\n"
                         "    - {name: ndots, value: \"2\"}\n"
                         "    - {name: edns0}\n",
                host_conf, 1);
  /* ClusterFirst: cluster server, then dnsConfig's, deduplicated and cut
   * to three; ndots replaced by dnsConfig's value. */
  ck_assert_str_eq (r, "search ns1.svc.cluster.local svc.cluster.local "
                       "cluster.local lan example.com my.dns.search.suffix\n"
                       "nameserver 10.96.0.10\nnameserver 192.168.1.1\n"
                       "nameserver 1.2.3.4\noptions ndots:2 edns0\n");
}
END_TEST

START_TEST (resolv_none)
{
  cleanup_free char *r = resolv (
      POD_HEAD "  dnsPolicy: None\n  dnsConfig:\n    nameservers: [1.1.1.1]\n"
               "    searches: [a.b]\n",
      host_conf, 1);
  ck_assert_str_eq (r, "search a.b\nnameserver 1.1.1.1\n");
}
END_TEST

static char *
slurp (const char *path)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = fopen (path, "re"), *m = open_memstream (&buf, &len);
  int c;
  while (f && (c = fgetc (f)) != EOF)
    fputc (c, m);
  if (f)
    fclose (f);
  fclose (m);
  return buf;
}

START_TEST (write_files)
{
  char dir[] = "/tmp/test_sandbox_etc.XXXXXX", p[128];
  struct etc_files_dns dns = { .host_resolv_conf = p };
  berth_error_t err = NULL;
  cleanup_free char *hosts = NULL, *node = NULL, *name = NULL, *rc = NULL;
  FILE *f;

  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (p, sizeof p, "%s/host-resolv", dir);
  f = fopen (p, "we");
  fputs ("nameserver 9.9.9.9\n", f);
  fclose (f);
  ck_assert_int_eq (
      etc_files_write (pod_from (POD_HEAD "  hostNetwork: true\n"
                                          "  hostAliases: [{ip: 1.2.3.4, "
                                          "hostnames: [one]}]\n"),
                       dir, NULL, &dns, &err),
      0);
  snprintf (p, sizeof p, "%s/hosts", dir);
  hosts = slurp (p);
  node = slurp ("/etc/hosts");
  ck_assert_int_eq (strncmp (hosts, node, strlen (node)), 0);
  ck_assert_str_eq (hosts + strlen (node),
                    "\n# Entries added by HostAliases.\n1.2.3.4\tone\n");
  snprintf (p, sizeof p, "%s/hostname", dir);
  name = slurp (p);
  ck_assert_str_eq (name, "web\n");
  snprintf (p, sizeof p, "%s/resolv.conf", dir);
  rc = slurp (p);
  /* ClusterFirst with hostNetwork is Default: the host's resolvers */
  ck_assert_str_eq (rc, "nameserver 9.9.9.9\n");
  ck_assert_int_eq (etc_files_remove (dir, &err), 0);
  snprintf (p, sizeof p, "%s/host-resolv", dir);
  ck_assert_int_eq (unlink (p), 0);
  ck_assert_int_eq (rmdir (dir), 0); /* nothing else was left */
}
END_TEST

static Suite *
etc_suite (void)
{
  Suite *s = suite_create ("sandbox_etc");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, hosts_plain);
  tcase_add_test (tc, hosts_subdomain_aliases);
  tcase_add_test (tc, hostname_truncated);
  tcase_add_test (tc, resolv_default);
  tcase_add_test (tc, resolv_cluster_first_without_dns_falls_back);
  tcase_add_test (tc, resolv_cluster_first);
  tcase_add_test (tc, resolv_dns_config_merge);
  tcase_add_test (tc, resolv_none);
  tcase_add_test (tc, write_files);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (etc_suite ());
  int failed;
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  manifest_free (&man);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
