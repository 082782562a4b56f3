/* The guest side of the platform a kernel can ask about (DESIGN.md,
 * "Guests"), each check one PASS/FAIL/SKIP line: the fw_cfg signature, RAM
 * size and CPU count against the Multiboot memory map, the 16550's divisor
 * latch and scratch register, CPUID.1:ECX.OSXSAVE against CR4, and (under
 * segvisor) the TSC MSRs. They run
 * natively too: under QEMU its own fw_cfg answers; where no fw_cfg answers
 * (Bochs) the fw_cfg checks SKIP, unless the guest was loaded by segvisor. */
#ifndef GUEST_PLATCHECKS_H
#define GUEST_PLATCHECKS_H

#include "lib/report.h"
#include "lib/types.h"

/* ram_top: the end of the Multiboot map's available region holding the
 * image; hv: under segvisor; expect_hv: the loader said it is segvisor. */
void platchecks_run(struct report *rep, u64 ram_bytes, bool hv, bool expect_hv);

#endif
