/* validation.h - helpers shared by the validators: the API server's field
 * error forms (Required value, Invalid value, Duplicate value, Unsupported
 * value, Forbidden) and its name and label syntax checks
 * (k8s.io/apimachinery/pkg/util/validation). */
#ifndef BERTH_VALIDATION_H
#define BERTH_VALIDATION_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "types.h"

struct vctx
{
  struct diag_list *diags;
  struct path path;
};

/* Push FIELD ("name", "[3]" or "[key]" forms via the path_push_* calls),
 * or add an error at the current path plus FIELD (NULL: the path itself). */
#define VPUSH(v, field) path_push_field (&(v)->path, field)
#define VPUSH_INDEX(v, i) path_push_index (&(v)->path, i)
#define VPOP(v, mark) path_pop (&(v)->path, mark)

void v_error (struct vctx *v, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void v_required (struct vctx *v, const char *field, const char *detail);
void v_invalid (struct vctx *v, const char *field, const char *value,
                const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
void v_invalid_int (struct vctx *v, const char *field, int64_t value,
                    const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
void v_duplicate (struct vctx *v, const char *field, const char *value);
/* SUPPORTED is NULL-terminated. */
void v_unsupported (struct vctx *v, const char *field, const char *value,
                    const char *const *supported);
void v_forbidden (struct vctx *v, const char *field, const char *detail);
void v_warning (struct vctx *v, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Each returns NULL when S is valid, else the API server's explanation. */
const char *check_dns1123_label (const char *s);
const char *check_dns1123_subdomain (const char *s);
const char *check_dns1035_label (const char *s);
const char *check_qualified_name (const char *s);
const char *check_label_value (const char *s);
const char *check_iana_svc_name (const char *s);
const char *check_env_var_name (const char *s);
const char *check_config_map_key (const char *s);
bool is_ip_address (const char *s);

bool str_in (const char *s, const char *const *set);

/* Checks that take the path themselves. */
void v_object_meta (struct vctx *v, const struct object_meta *m,
                    bool namespaced, const char *(*name_check) (const char *));
void v_labels (struct vctx *v, const char *field, const struct strmap *labels);
void v_annotations (struct vctx *v, const struct strmap *a);
void v_non_negative (struct vctx *v, const char *field,
                     const struct opt_int *x);
/* A selector requirement: OPS lists the operators allowed. */
void v_requirement (struct vctx *v, const char *key, const char *op,
                    size_t nvalues, const char *const *ops);
void v_label_selector (struct vctx *v, const char *field,
                       const struct label_selector *s);
bool label_selector_matches (const struct label_selector *s,
                             const struct strmap *labels);

/* Pod specs, also inside templates (validate_pod.c).  RESTART_POLICIES
 * limits spec.restartPolicy (NULL: any of the three). */
void v_pod_spec (struct vctx *v, const struct pod_spec *s,
                 const char *const *restart_policies);
void v_resources (struct vctx *v, const struct resource_requirements *r);
void v_pod_template (struct vctx *v, const struct pod_template_spec *t,
                     const char *const *restart_policies);

#endif
