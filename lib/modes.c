#include "lib/modes.h"

#include "lib/bits.h"

static const char *const mode_names[] = {HV_MODE_NAMES};
_Static_assert(ARRAY_SIZE(mode_names) == MODE_COUNT, "one name per enum hv_mode");
static const char *const workload_names[] = {HV_WORKLOAD_NAMES};
_Static_assert(ARRAY_SIZE(workload_names) == WL_COUNT, "one name per enum hv_workload");

const char *hv_mode_name(unsigned mode)
{
	return NAME_IN(mode_names, mode, "?");
}

const char *hv_workload_name(unsigned workload)
{
	return NAME_IN(workload_names, workload, "?");
}
