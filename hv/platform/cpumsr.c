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

bool cpumsr_bios_sign_id(bool write, u64 *val)
{
	if (!write) {
		*val = 0; /* revision 0 in EDX: no microcode update */
		return true;
	}
	return *val == 0;
}
