/* The TSC MSRs of tsc.h (SDM Vol. 3B, 18.17.3; Vol. 4, Table 2-2 for the
 * MSR layouts). */
#include "hv/platform/tsc.h"

#include "arch/x86/msr.h"
#include "lib/bits.h"

#define TSC_AUX_RESERVED BITS(63, 32)

void vtsc_init(struct vtsc *t, bool has_aux)
{
	*t = (struct vtsc){.has_aux = has_aux};
}

bool vtsc_owns_msr(u32 msr)
{
	return msr == IA32_TSC || msr == IA32_TSC_ADJUST || msr == IA32_TSC_AUX;
}

bool vtsc_msr(struct vtsc *t, u32 msr, bool write, u64 *val, u64 host)
{
	switch (msr) {
	case IA32_TSC:
		if (write) {
			const u64 delta = *val - vtsc_guest(t, host);
			t->offset += delta;
			t->adjust += delta;
		} else {
			*val = vtsc_guest(t, host);
		}
		return true;
	case IA32_TSC_ADJUST:
		if (write) {
			t->offset += *val - t->adjust;
			t->adjust = *val;
		} else {
			*val = t->adjust;
		}
		return true;
	case IA32_TSC_AUX:
		if (!t->has_aux || (write && (*val & TSC_AUX_RESERVED)))
			return false;
		if (write)
			t->aux = (u32)*val;
		else
			*val = t->aux;
		return true;
	}
	return false;
}
