/* Whether the guest runs under segvisor: the signature in CPUID leaf
 * 0x40000000 (lib/hvcall.h). Natively that leaf is another hypervisor's or
 * out of range (then the CPU returns some other leaf's data), never ours. */
#include "guest/hypercall.h"

#include "lib/x86/cpuid.h"
#include "lib/mem.h"

#define HV_SIGNATURE_LEN 12

_Static_assert(sizeof(HV_SIGNATURE) - 1 == HV_SIGNATURE_LEN, "signature fills EBX, ECX, EDX");

bool guest_has_hv(void)
{
	const struct cpuid_regs r = cpuid(HV_CPUID_LEAF_SIGNATURE, 0);
	const u32 sig[3] = {r.ebx, r.ecx, r.edx};
	return memcmp(sig, HV_SIGNATURE, HV_SIGNATURE_LEN) == 0;
}

bool guest_hv_vmmcall;

void guest_hv_init(void)
{
	/* The vendor string of CPUID leaf 0 comes in EBX, EDX, ECX. */
	const struct cpuid_regs v = cpuid(0, 0);
	const u32 vendor[3] = {v.ebx, v.edx, v.ecx};
	guest_hv_vmmcall = memcmp(vendor, "AuthenticAMD", sizeof(vendor)) == 0;
}
