/* The fixed MSRs of cpumsr.h. */
#include "hv/platform/cpumsr.h"

bool cpumsr_misc_enable(bool write, u64 *val)
{
	if (!write) {
		*val = MISC_ENABLE_VALUE;
		return true;
	}
	return *val == MISC_ENABLE_VALUE;
}
