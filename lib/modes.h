/* The translation modes of DESIGN.md's table and the workloads, by number
 * and by name: the one list both kernels, the model and the options use.
 * The numbers are also the hypercall ABI's (lib/hvcall.h). */
#ifndef LIB_MODES_H
#define LIB_MODES_H

#include "lib/types.h"

enum hv_mode {
	MODE_BASE = 0,
	MODE_NATIVE = 1,
	MODE_VMM_DIRECT = 2,
	MODE_GUEST_DIRECT = 3,
	MODE_DUAL_DIRECT = 4,
	MODE_COUNT
};

/* Workloads named in RESULT lines. */
enum hv_workload { WL_GUPS = 0, WL_STREAM = 1, WL_PCHASE = 2, WL_COUNT };

/* The names in enum order, for option tables that add their own words
 * ("all", "none") after them: {HV_MODE_NAMES, "all", NULL}. */
#define HV_MODE_NAMES     "base", "native", "vmm-direct", "guest-direct", "dual-direct"
#define HV_WORKLOAD_NAMES "gups", "stream", "pchase"

const char *hv_mode_name(unsigned mode);         /* "?" when out of range */
const char *hv_workload_name(unsigned workload); /* "?" when out of range */

/* Which segments a mode uses (DESIGN.md, "The problem and the design"). */
static inline bool mode_has_vmm_seg(unsigned mode)
{
	return mode == MODE_VMM_DIRECT || mode == MODE_DUAL_DIRECT;
}
static inline bool mode_has_guest_seg(unsigned mode)
{
	return mode == MODE_GUEST_DIRECT || mode == MODE_DUAL_DIRECT;
}

#endif
