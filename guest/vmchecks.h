/* The guest side of segvisor's VT-x contract, each check one PASS/FAIL/SKIP
 * line: the CPUID view (signature, VMX hidden), hypercalls (round trip,
 * unknown numbers, bad pointers and lengths with their exact errors), VMX
 * instructions raising #UD, and a RAM pattern pass during which the
 * hypervisor must see no exit. Natively the hypervisor checks SKIP.
 * [free_start, ram_top) is identity-mapped guest RAM nobody uses yet; the
 * checks overwrite it. */
#ifndef GUEST_VMCHECKS_H
#define GUEST_VMCHECKS_H

#include "lib/report.h"
#include "lib/types.h"

/* pattern_bytes of RAM from free_start get the pattern test; 0: all of it. */
/* expect_hv: the boot loader said it is segvisor, so a missing CPUID
 * signature is a failure, not a native boot. */
/* ram_bytes: the RAM the Multiboot map describes (mb_ram_bytes). */
void vmchecks_run(struct report *rep, u64 ram_top, u64 ram_bytes, u64 free_start,
                  u64 pattern_bytes, bool expect_hv);
/* Reads guest-physical ram_top + 16 MiB: under segvisor the hypervisor stops
 * the guest at the read (nothing after it runs); natively a SKIP. */
void vmchecks_oob(struct report *rep, u64 ram_top);

#endif
