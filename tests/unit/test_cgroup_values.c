/* test_cgroup_values.c - cgroups/cgroup_values.c against the formulas of
 * the kubelet and the runtimes (kubelet-behaviour.md sections 4 and 5),
 * on the Kubernetes documentation's QoS and resource examples.  Every
 * expected number is worked out by hand in a comment next to it. */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_values.h"
#include "cleanup.h"
#include "manifest.h"
#include "qos.h"
#include "types.h"

#define MI (1024LL * 1024)
#define GI (1024LL * MI)

/* A manifest and its first object, a Pod. */
struct loaded
{
  struct manifest m;
  struct pod *pod;
};

static void
load_file (const char *name, struct loaded *l)
{
  cleanup_free char *path = NULL;
  berth_error_t err = NULL;
  ck_assert_int_ge (asprintf (&path, "%s/docs/%s", FIXTURE_DIR, name), 0);
  ck_assert_msg (manifest_read_file (path, &l->m, &err) == 0, "%s: %s", path,
                 berth_error_msg (&err));
  ck_assert_uint_ge (l->m.len, 1);
  ck_assert_msg (object_is_valid (l->m.objects[0]), "%s is invalid", name);
  l->pod = l->m.objects[0]->data;
}

static void
load_text (const char *text, struct loaded *l)
{
  manifest_read_buffer ("test.yaml", text, strlen (text), &l->m);
  ck_assert_uint_ge (l->m.len, 1);
  ck_assert_msg (object_is_valid (l->m.objects[0]), "test pod is invalid");
  l->pod = l->m.objects[0]->data;
}

/* The test node: 2 CPUs, 1 GiB, nothing reserved, kubelet defaults. */
static void
node_2cpu_1gi (struct cgroup_node_config *n)
{
  cgroup_node_config_init (n);
  n->cpu_capacity_milli = 2000;
  n->memory_capacity = GI;
}

static void
values_for (const char *file, struct loaded *l, struct cgroup_pod_values *v,
            const struct cgroup_node_config *node)
{
  berth_error_t err = NULL;
  load_file (file, l);
  ck_assert_msg (cgroup_values_for_pod (&l->pod->spec, node, v, &err) == 0,
                 "%s", berth_error_msg (&err));
}

static void
release (struct loaded *l, struct cgroup_pod_values *v)
{
  if (v != NULL)
    cgroup_pod_values_free (v);
  manifest_free (&l->m);
}

/* The file=value lines of V, joined by ';' for one-line comparisons. */
static void
entries (const struct cgroup_values *v, char *buf, size_t size)
{
  struct cgroup_entry e[CGROUP_MAX_ENTRIES];
  size_t n = cgroup_values_entries (v, e), used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    used += (size_t)snprintf (buf + used, size - used, "%s%s=%s", i ? ";" : "",
                              e[i].file, e[i].value);
}

#define ck_entries(v, want)                                                    \
  do                                                                           \
    {                                                                          \
      char buf_[512];                                                          \
      entries ((v), buf_, sizeof (buf_));                                      \
      ck_assert_str_eq (buf_, (want));                                         \
    }                                                                          \
  while (0)

/* The runc >= 1.3.2 formula, written out independently. */
static int64_t
quadratic (double shares)
{
  double l = log2 (shares);
  return (int64_t)ceil (pow (10, (l * l + 125 * l) / 612.0 - 7.0 / 34.0));
}

START_TEST (test_shares_and_quota)
{
  /* MilliCPUToShares: 0 -> 2; 1 * 1024 / 1000 = 1 -> 2; 700 -> 716 (716.8);
   * 1000 -> 1024; 300000 -> 307200 -> capped at 262144. */
  ck_assert_int_eq (cgroup_milli_cpu_to_shares (0), 2);
  ck_assert_int_eq (cgroup_milli_cpu_to_shares (1), 2);
  ck_assert_int_eq (cgroup_milli_cpu_to_shares (700), 716);
  ck_assert_int_eq (cgroup_milli_cpu_to_shares (1000), 1024);
  ck_assert_int_eq (cgroup_milli_cpu_to_shares (100000), 102400);
  ck_assert_int_eq (cgroup_milli_cpu_to_shares (300000), 262144);
  /* MilliCPUToQuota: 0 -> none; 5m -> 500 -> min 1000; 700m -> 70000. */
  ck_assert_int_eq (cgroup_milli_cpu_to_quota (0, 100000), 0);
  ck_assert_int_eq (cgroup_milli_cpu_to_quota (5, 100000), 1000);
  ck_assert_int_eq (cgroup_milli_cpu_to_quota (10, 100000), 1000);
  ck_assert_int_eq (cgroup_milli_cpu_to_quota (11, 100000), 1100);
  ck_assert_int_eq (cgroup_milli_cpu_to_quota (700, 100000), 70000);
  ck_assert_int_eq (cgroup_milli_cpu_to_quota (100000, 100000), 10000000);
}
END_TEST

START_TEST (test_weight_table)
{
  const enum cgroup_weight_formula Q = CGROUP_WEIGHT_QUADRATIC;
  const enum cgroup_weight_formula L = CGROUP_WEIGHT_LINEAR;
  /* opencontainers/cgroups TestConvertCPUSharesToCgroupV2Value. */
  ck_assert_int_eq (cgroup_shares_to_weight (0, Q), 0);
  ck_assert_int_eq (cgroup_shares_to_weight (1, Q), 1);
  ck_assert_int_eq (cgroup_shares_to_weight (2, Q), 1);
  ck_assert_int_eq (cgroup_shares_to_weight (3, Q), 2);
  ck_assert_int_eq (cgroup_shares_to_weight (1024, Q), 100);
  ck_assert_int_eq (cgroup_shares_to_weight (262143, Q), 10000);
  ck_assert_int_eq (cgroup_shares_to_weight (262144, Q), 10000);
  ck_assert_int_eq (cgroup_shares_to_weight (262145, Q), 10000);
  /* In between: L = log2 (512) = 9: (81 + 1125) / 612 - 7/34 = 1.7647,
   * 10^1.7647 = 58.17 -> 59; 2048: L = 11 -> 2.2386 -> 173.2 -> 174;
   * 716: 75.5 -> 76; 102400: 10^3.21 -> 1625 (computed below). */
  ck_assert_int_eq (cgroup_shares_to_weight (512, Q), 59);
  ck_assert_int_eq (cgroup_shares_to_weight (2048, Q), 174);
  ck_assert_int_eq (cgroup_shares_to_weight (716, Q), 76);
  ck_assert_int_eq (cgroup_shares_to_weight (102400, Q), quadratic (102400));
  for (int64_t s = 3; s < 262144; s = s * 3 / 2 + 1)
    ck_assert_int_eq (cgroup_shares_to_weight (s, Q), quadratic ((double)s));

  /* Linear: 1 + ((shares - 2) * 9999) / 262142. */
  ck_assert_int_eq (cgroup_shares_to_weight (2, L), 1);
  ck_assert_int_eq (cgroup_shares_to_weight (512, L), 20);      /* 1 + 19.45 */
  ck_assert_int_eq (cgroup_shares_to_weight (716, L), 28);      /* 1 + 27.23 */
  ck_assert_int_eq (cgroup_shares_to_weight (1024, L), 39);     /* 1 + 38.98 */
  ck_assert_int_eq (cgroup_shares_to_weight (2048, L), 79);     /* 1 + 78.04 */
  ck_assert_int_eq (cgroup_shares_to_weight (102400, L), 3906); /* +3905.8 */
  ck_assert_int_eq (cgroup_shares_to_weight (262143, L), 9999);
  ck_assert_int_eq (cgroup_shares_to_weight (262144, L), 10000);
}
END_TEST

/* qos-pod.yaml and qos-pod-5.yaml: cpu 700m and memory 200Mi, requests ==
 * limits: Guaranteed. */
START_TEST (test_docs_guaranteed)
{
  static const char *const files[]
      = { "pods-qos-qos-pod.yaml", "pods-qos-qos-pod-5.yaml" };
  struct cgroup_node_config node;
  node_2cpu_1gi (&node);
  for (size_t i = 0; i < 2; i++)
    {
      struct loaded l;
      struct cgroup_pod_values v;
      values_for (files[i], &l, &v, &node);
      ck_assert_int_eq (v.qos, QOS_GUARANTEED);
      ck_assert_uint_eq (v.n_containers, 1);
      /* shares 716 -> weight 76 (quadratic); quota 700 * 100000 / 1000;
       * memory 200 * 2^20 = 209715200. */
      ck_entries (&v.containers[0].values,
                  "cpu.weight=76;cpu.max=70000 100000;memory.max=209715200;"
                  "memory.swap.max=0;memory.oom.group=1;pids.max=max");
      ck_assert_int_eq (v.containers[0].oom_score_adj, -997);
      /* The pod: shares 716 -> weight 28 (linear), quota, memory. */
      ck_entries (&v.pod,
                  "cpu.weight=28;cpu.max=70000 100000;memory.max=209715200");
      release (&l, &v);
    }
}
END_TEST

/* qos-pod-2.yaml: memory request 100Mi, limit 200Mi, no cpu: Burstable. */
START_TEST (test_docs_burstable)
{
  struct cgroup_node_config node;
  struct loaded l;
  struct cgroup_pod_values v;
  node_2cpu_1gi (&node);
  values_for ("pods-qos-qos-pod-2.yaml", &l, &v, &node);
  ck_assert_int_eq (v.qos, QOS_BURSTABLE);
  /* No cpu request or limit: shares 2 -> weight 1, cpu.max max. */
  ck_entries (&v.containers[0].values,
              "cpu.weight=1;cpu.max=max 100000;memory.max=209715200;"
              "memory.swap.max=0;memory.oom.group=1;pids.max=max");
  /* 1000 - 1000 * 104857600 / 1073741824 = 1000 - 97 (97.66) = 903. */
  ck_assert_int_eq (v.containers[0].oom_score_adj, 903);
  /* Pod: shares 2 -> weight 1; no cpu limit anywhere -> no cpu.max; every
   * container has a memory limit -> memory.max. */
  ck_entries (&v.pod, "cpu.weight=1;memory.max=209715200");
  release (&l, &v);

  /* memory-request-limit.yaml is the same shape. */
  values_for ("pods-resource-memory-request-limit.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].oom_score_adj, 903);
  ck_entries (&v.pod, "cpu.weight=1;memory.max=209715200");
  release (&l, &v);

  /* cpu-request-limit.yaml: cpu request 500m, limit 1: shares 512 -> 59
   * (quadratic) / 20 (linear); quota 100000; no memory anywhere. */
  values_for ("pods-resource-cpu-request-limit.yaml", &l, &v, &node);
  ck_assert_int_eq (v.qos, QOS_BURSTABLE);
  ck_entries (&v.containers[0].values,
              "cpu.weight=59;cpu.max=100000 100000;memory.max=max;"
              "memory.swap.max=0;memory.oom.group=1;pids.max=max");
  /* No memory request: 1000 - 0 = 1000 -> 999. */
  ck_assert_int_eq (v.containers[0].oom_score_adj, 999);
  ck_entries (&v.pod, "cpu.weight=20;cpu.max=100000 100000");
  release (&l, &v);

  /* memory-request-limit-3.yaml: 1000Gi: 1000 - 1000 * 1000 = -999000 ->
   * at least 3. */
  values_for ("pods-resource-memory-request-limit-3.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].oom_score_adj, 3);
  ck_entries (&v.pod, "cpu.weight=1;memory.max=1073741824000");
  release (&l, &v);
}
END_TEST

/* qos-pod-4.yaml: one container requests 200Mi, the other nothing. */
START_TEST (test_docs_burstable_two_containers)
{
  struct cgroup_node_config node;
  struct loaded l;
  struct cgroup_pod_values v;
  node_2cpu_1gi (&node);
  values_for ("pods-qos-qos-pod-4.yaml", &l, &v, &node);
  ck_assert_int_eq (v.qos, QOS_BURSTABLE);
  ck_assert_uint_eq (v.n_containers, 2);
  ck_assert_str_eq (v.containers[0].name, "qos-demo-4-ctr-1");
  ck_entries (&v.containers[0].values,
              "cpu.weight=1;cpu.max=max 100000;memory.max=max;"
              "memory.swap.max=0;memory.oom.group=1;pids.max=max");
  /* 1000 - 1000 * 209715200 / 1073741824 = 1000 - 195 = 805. */
  ck_assert_int_eq (v.containers[0].oom_score_adj, 805);
  ck_assert_int_eq (v.containers[1].oom_score_adj, 999);
  /* Neither limit is declared by every container: shares only. */
  ck_entries (&v.pod, "cpu.weight=1");
  release (&l, &v);
}
END_TEST

/* qos-pod-3.yaml: nothing at all: BestEffort. */
START_TEST (test_docs_besteffort)
{
  struct cgroup_node_config node;
  struct loaded l;
  struct cgroup_pod_values v;
  node_2cpu_1gi (&node);
  node.pod_pids_limit = 1024;
  values_for ("pods-qos-qos-pod-3.yaml", &l, &v, &node);
  ck_assert_int_eq (v.qos, QOS_BEST_EFFORT);
  ck_entries (&v.containers[0].values,
              "cpu.weight=1;cpu.max=max 100000;memory.max=max;"
              "memory.swap.max=0;memory.oom.group=1;pids.max=1024");
  ck_assert_int_eq (v.containers[0].oom_score_adj, 1000);
  /* Shares 2 -> linear weight 1; podPidsLimit > 0 is written. */
  ck_entries (&v.pod, "cpu.weight=1;pids.max=1024");
  release (&l, &v);
}
END_TEST

/* cpu-request-limit-2.yaml: 100 CPUs, request == limit, no memory. */
START_TEST (test_docs_100_cpus)
{
  struct cgroup_node_config node;
  struct loaded l;
  struct cgroup_pod_values v;
  char want[256];
  node_2cpu_1gi (&node);
  values_for ("pods-resource-cpu-request-limit-2.yaml", &l, &v, &node);
  ck_assert_int_eq (v.qos, QOS_BURSTABLE);
  /* shares 100000 * 1024 / 1000 = 102400; quota 100000 * 100000 / 1000. */
  snprintf (want, sizeof (want),
            "cpu.weight=%" PRId64 ";cpu.max=10000000 100000;memory.max=max;"
            "memory.swap.max=0;memory.oom.group=1;pids.max=max",
            quadratic (102400));
  ck_entries (&v.containers[0].values, want);
  ck_entries (&v.pod, "cpu.weight=3906;cpu.max=10000000 100000");
  release (&l, &v);

  /* Linear container weights when asked for (older runtimes). */
  node.container_weight = CGROUP_WEIGHT_LINEAR;
  values_for ("pods-resource-cpu-request-limit-2.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].values.cpu_weight, 3906);
  release (&l, &v);

  /* cpuCFSQuota=false: no cpu.max anywhere. */
  node.cpu_cfs_quota = false;
  values_for ("pods-resource-cpu-request-limit-2.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].values.cpu_quota, CGROUP_UNSET);
  ck_assert_int_eq (v.pod.cpu_quota, CGROUP_MAX);
  release (&l, &v);
}
END_TEST

START_TEST (test_memory_qos)
{
  struct cgroup_node_config node;
  struct loaded l;
  struct cgroup_pod_values v;
  node_2cpu_1gi (&node);

  /* Off by default. */
  values_for ("pods-qos-qos-pod-2.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].values.memory_min, CGROUP_UNSET);
  ck_assert_int_eq (v.containers[0].values.memory_high, CGROUP_UNSET);
  release (&l, &v);

  node.memory_qos = true;
  values_for ("pods-qos-qos-pod-2.yaml", &l, &v, &node);
  /* min = request; high = floor ((100Mi + 0.9 * (200Mi - 100Mi)) / 4096)
   * * 4096 = floor (199229440 / 4096) * 4096 = 48640 * 4096. */
  ck_assert_int_eq (v.containers[0].values.memory_min, 100 * MI);
  ck_assert_int_eq (v.containers[0].values.memory_high, 48640LL * 4096);
  ck_assert_int_eq (v.containers[0].values.memory_high, 199229440);
  ck_assert_int_eq (v.pod.memory_min, 100 * MI);
  release (&l, &v);

  /* No limit: node allocatable 1Gi - 100Mi = 968884224 stands in:
   * (209715200 + 0.9 * (968884224 - 209715200)) / 4096 = 218009.6. */
  values_for ("pods-qos-qos-pod-4.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].values.memory_min, 200 * MI);
  ck_assert_int_eq (v.containers[0].values.memory_high, 218009LL * 4096);
  /* The container with neither request nor limit: request == limit (both
   * 0), so the kubelet writes neither memory.min nor memory.high. */
  ck_assert_int_eq (v.containers[1].values.memory_min, CGROUP_UNSET);
  ck_assert_int_eq (v.containers[1].values.memory_high, CGROUP_UNSET);
  release (&l, &v);

  /* Guaranteed: request == limit, no memory.high. */
  values_for ("pods-qos-qos-pod.yaml", &l, &v, &node);
  ck_assert_int_eq (v.containers[0].values.memory_min, 200 * MI);
  ck_assert_int_eq (v.containers[0].values.memory_high, CGROUP_UNSET);
  release (&l, &v);
}
END_TEST

START_TEST (test_qos_and_root)
{
  struct cgroup_node_config node;
  struct loaded g, b1, b2, be;
  struct cgroup_qos_values q;
  berth_error_t err = NULL;
  node_2cpu_1gi (&node);
  load_file ("pods-qos-qos-pod.yaml", &g);                 /* G 700m */
  load_file ("pods-qos-qos-pod-2.yaml", &b1);              /* B, 0 cpu */
  load_file ("pods-resource-cpu-request-limit.yaml", &b2); /* B, 500m */
  load_file ("pods-qos-qos-pod-3.yaml", &be);              /* BE */
  const struct pod_spec *pods[]
      = { &g.pod->spec, &b1.pod->spec, &b2.pod->spec, &be.pod->spec };

  ck_assert_int_eq (cgroup_values_for_qos (pods, 4, &node, &q, &err), 0);
  /* besteffort: shares 2 -> 1. burstable: 0 + 500m -> shares 512 -> 20. */
  ck_entries (&q.besteffort, "cpu.weight=1");
  ck_entries (&q.burstable, "cpu.weight=20");
  /* Root: 2000m -> 2048 shares -> 79; memory capacity - reserved (no
   * eviction threshold, as getNodeAllocatableInternalAbsolute). */
  ck_entries (&q.root, "cpu.weight=79;memory.max=1073741824");

  node.cpu_reserved_milli = 500;
  node.memory_reserved = 256 * MI;
  node.pids_capacity = 4194304;
  node.pids_reserved = 1000;
  node.memory_qos = true;
  ck_assert_int_eq (cgroup_values_for_qos (pods, 4, &node, &q, &err), 0);
  /* 1500m -> 1536 shares -> 1 + 1534 * 9999 / 262142 = 1 + 58.5 = 59;
   * memory.min: burstable 100Mi; root 200Mi (G) + 100Mi (B). */
  ck_entries (&q.root, "cpu.weight=59;memory.min=314572800;"
                       "memory.max=805306368;pids.max=4193304");
  ck_entries (&q.burstable, "cpu.weight=20;memory.min=104857600");
  ck_entries (&q.besteffort, "cpu.weight=1");
  release (&g, NULL);
  release (&b1, NULL);
  release (&b2, NULL);
  release (&be, NULL);
}
END_TEST

START_TEST (test_admission)
{
  struct cgroup_node_config node;
  struct loaded mem, cpu, g, be;
  struct cgroup_admission a;
  berth_error_t err = NULL;
  node_2cpu_1gi (&node);
  load_file ("pods-resource-memory-request-limit-3.yaml", &mem);
  load_file ("pods-resource-cpu-request-limit-2.yaml", &cpu);
  load_file ("pods-qos-qos-pod.yaml", &g);
  load_file ("pods-qos-qos-pod-3.yaml", &be);

  /* Allocatable memory: 1Gi - 100Mi = 968884224. */
  ck_assert_int_eq (cgroup_admit (&mem.pod->spec, NULL, 0, &node, &a, &err), 0);
  ck_assert (!a.admit);
  ck_assert_str_eq (a.reason, "OutOfmemory");
  ck_assert_str_eq (a.message, "Node didn't have enough resource: memory, "
                               "requested: 1073741824000, used: 0, "
                               "capacity: 968884224");

  ck_assert_int_eq (cgroup_admit (&cpu.pod->spec, NULL, 0, &node, &a, &err), 0);
  ck_assert (!a.admit);
  ck_assert_str_eq (a.reason, "OutOfcpu");
  ck_assert_str_eq (a.message, "Node didn't have enough resource: cpu, "
                               "requested: 100000, used: 0, capacity: 2000");

  /* 700m fits twice on 2000m; the third finds 600m left. */
  const struct pod_spec *two[] = { &g.pod->spec, &g.pod->spec };
  ck_assert_int_eq (cgroup_admit (&g.pod->spec, two, 1, &node, &a, &err), 0);
  ck_assert (a.admit);
  ck_assert_int_eq (cgroup_admit (&g.pod->spec, two, 2, &node, &a, &err), 0);
  ck_assert (!a.admit);
  ck_assert_str_eq (a.reason, "OutOfcpu");
  ck_assert_str_eq (a.message, "Node didn't have enough resource: cpu, "
                               "requested: 700, used: 1400, capacity: 2000");

  /* Reserved cpu lowers allocatable. */
  node.cpu_reserved_milli = 700;
  ck_assert_int_eq (cgroup_admit (&g.pod->spec, two, 1, &node, &a, &err), 0);
  ck_assert (!a.admit);
  ck_assert_str_eq (a.message, "Node didn't have enough resource: cpu, "
                               "requested: 700, used: 700, capacity: 1300");
  node.cpu_reserved_milli = 0;

  /* Pods are counted first, even for a pod that requests nothing. */
  node.max_pods = 2;
  ck_assert_int_eq (cgroup_admit (&be.pod->spec, two, 2, &node, &a, &err), 0);
  ck_assert (!a.admit);
  ck_assert_str_eq (a.reason, "OutOfpods");
  ck_assert_str_eq (a.message, "Node didn't have enough resource: pods, "
                               "requested: 1, used: 2, capacity: 2");
  node.max_pods = 110;
  ck_assert_int_eq (cgroup_admit (&be.pod->spec, two, 2, &node, &a, &err), 0);
  ck_assert (a.admit);

  release (&mem, NULL);
  release (&cpu, NULL);
  release (&g, NULL);
  release (&be, NULL);
}
END_TEST

static const char sidecar_pod[]
    = "apiVersion: v1\n"
      "kind: Pod\n"
      "metadata: {name: sc}\n"
      "spec:\n"
      "  initContainers:\n"
      "  - name: init\n"
      "    image: busybox\n"
      "    resources: {requests: {memory: 400Mi, cpu: 1}}\n"
      "  - name: log\n"
      "    image: busybox\n"
      "    restartPolicy: Always\n"
      "    resources: {requests: {memory: %s}}\n"
      "  containers:\n"
      "  - name: a\n"
      "    image: busybox\n"
      "    resources: {requests: {memory: 100Mi, cpu: 100m}}\n"
      "  - name: b\n"
      "    image: busybox\n"
      "    resources: {requests: {memory: 300Mi, cpu: 200m}}\n";

static int
sidecar_adj (const char *request, const char *name)
{
  char text[1024];
  struct loaded l;
  int adj = 0;
  berth_error_t err = NULL;
  snprintf (text, sizeof (text), sidecar_pod, request);
  load_text (text, &l);
  const struct pod_spec *s = &l.pod->spec;
  const struct container *c = NULL;
  for (size_t i = 0; i < s->init_containers.len; i++)
    if (strcmp (s->init_containers.items[i].name, name) == 0)
      c = &s->init_containers.items[i];
  for (size_t i = 0; i < s->containers.len; i++)
    if (strcmp (s->containers.items[i].name, name) == 0)
      c = &s->containers.items[i];
  ck_assert_ptr_nonnull (c);
  ck_assert_int_eq (cgroup_oom_score_adj (s, c, GI, &adj, &err), 0);
  manifest_free (&l.m);
  return adj;
}

START_TEST (test_oom_score_sidecar)
{
  /* App a: 1000 - 1000 * 100Mi / 1Gi = 1000 - 97 = 903. */
  ck_assert_int_eq (sidecar_adj ("50Mi", "a"), 903);
  /* b: 1000 - 292 (292.97) = 708. */
  ck_assert_int_eq (sidecar_adj ("50Mi", "b"), 708);
  /* Sidecar 50Mi: min (50Mi, min (100Mi, 300Mi)) = 50Mi -> 1000 - 48 =
   * 952, and 50Mi <= its own 50Mi -> +1 = 953. */
  ck_assert_int_eq (sidecar_adj ("50Mi", "log"), 953);
  /* Sidecar 200Mi: min = 100Mi -> 903, 100Mi <= 200Mi -> 904. */
  ck_assert_int_eq (sidecar_adj ("200Mi", "log"), 904);
  /* A regular init container: its own request, 1000 - 390 = 610. */
  ck_assert_int_eq (sidecar_adj ("50Mi", "init"), 610);
}
END_TEST

START_TEST (test_pod_requests_init)
{
  /* PodRequests: app 100m + 200m + sidecar; init steps: init 1000m (+ no
   * sidecar before it) -> max (300m + 0, 1000m) = 1000m.  Memory: apps
   * 400Mi + sidecar 50Mi = 450Mi vs init 400Mi -> 450Mi. */
  char text[1024];
  struct loaded l;
  struct cgroup_pod_resources r;
  berth_error_t err = NULL;
  snprintf (text, sizeof (text), sidecar_pod, "50Mi");
  load_text (text, &l);
  ck_assert_int_eq (cgroup_pod_requests (&l.pod->spec, &r, &err), 0);
  ck_assert_int_eq (r.cpu_milli, 1000);
  ck_assert_int_eq (r.memory, 450 * MI);
  manifest_free (&l.m);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("cgroup_values");
  TCase *tc = tcase_create ("values");
  tcase_add_test (tc, test_shares_and_quota);
  tcase_add_test (tc, test_weight_table);
  tcase_add_test (tc, test_docs_guaranteed);
  tcase_add_test (tc, test_docs_burstable);
  tcase_add_test (tc, test_docs_burstable_two_containers);
  tcase_add_test (tc, test_docs_besteffort);
  tcase_add_test (tc, test_docs_100_cpus);
  tcase_add_test (tc, test_memory_qos);
  tcase_add_test (tc, test_qos_and_root);
  tcase_add_test (tc, test_admission);
  tcase_add_test (tc, test_oom_score_sidecar);
  tcase_add_test (tc, test_pod_requests_init);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
