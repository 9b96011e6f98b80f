/* qos.h - the pod QoS class, computed exactly as the kubelet does
 * (pkg/apis/core/v1/helper/qos ComputePodQOS). */
#ifndef BERTH_QOS_H
#define BERTH_QOS_H

#include "types.h"

enum qos_class
{
  QOS_BEST_EFFORT,
  QOS_BURSTABLE,
  QOS_GUARANTEED,
};

/* S must be defaulted (requests copied from limits). */
enum qos_class qos_compute (const struct pod_spec *s);
const char *qos_class_name (enum qos_class c); /* "Burstable" */

#endif
