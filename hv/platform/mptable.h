/* The MultiProcessor Specification's tables (Intel, MultiProcessor Specification 1.4, chapter
 * 4) for a one-CPU guest with a local APIC and no I/O APIC: the MP floating pointer structure
 * (16 bytes, "_MP_") and the MP configuration table ("PCMP" header, one processor entry), each
 * with its checksum. They are how a guest without ACPI learns that it has a local APIC: Linux
 * booted with acpi=off and no MP table sets up no local APIC timer (apic_intr_mode_select,
 * "APIC_VIRTUAL_WIRE_NO_CONFIG") and keeps the 8259s and the PIT, which this platform does not
 * have. The floating pointer's feature bytes are 0 (the configuration table is present; no
 * IMCR, so no PIC mode). Pure logic: the caller places the bytes in the guest. */
#ifndef HV_PLATFORM_MPTABLE_H
#define HV_PLATFORM_MPTABLE_H

#include "lib/types.h"

#define MP_FLOATING_SIZE  16u
#define MP_HEADER_SIZE    44u
#define MP_CPU_ENTRY_SIZE 20u
#define MP_TABLE_SIZE     (MP_FLOATING_SIZE + MP_HEADER_SIZE + MP_CPU_ENTRY_SIZE)
#define MP_SPEC_REV       4 /* specification 1.4 */
#define MP_ENTRY_CPU      0
#define MP_CPU_ENABLED    0x1u /* CPU flags: EN */
#define MP_CPU_BSP        0x2u /* CPU flags: BP */

/* Where Linux and other MP-aware kernels look first (MP spec 4: "in the first kilobyte of the
 * Extended BIOS Data Area" or "within the last kilobyte of system base memory"): the last KiB
 * below 640 KiB, which the guest's E820 map keeps reserved. */
#define MP_TABLE_GPA (639 * KiB)

struct mptable_cpu {
	u8 apic_id, apic_version;
	u32 signature; /* CPUID.1:EAX (stepping, model, family) */
	u32 features;  /* CPUID.1:EDX */
	u64 apic_base; /* the local APIC's physical address */
};

/* Writes the floating pointer followed by the configuration table, MP_TABLE_SIZE bytes, for a
 * table placed at guest-physical `gpa` (below 4 GiB). False when gpa does not fit 32 bits or
 * the APIC base does not. */
bool mptable_build(u8 *out, u64 gpa, const struct mptable_cpu *cpu);

#endif
