/* What the VMX and SVM backends do alike: print the guest's general
 * registers, enable XSAVE in the host, load a guest XCR0 after checking it,
 * and the sample 64-bit start their entry-checker self-tests use. */
#ifndef ARCH_X86_VCPU_COMMON_H
#define ARCH_X86_VCPU_COMMON_H

#include "arch/x86/msr.h"
#include "arch/x86/vcpu.h"
#include "lib/x86/cr.h"

/* A 64-bit start as the Linux boot protocol's loader makes one, for the backends'
 * self-tests of their entry checkers: entry and tables at 2 MiB, the selectors
 * boot.rst names (__BOOT_CS 0x10, __BOOT_DS 0x18) in a 4-entry GDT. */
#define VCPU_START_64_SAMPLE                                                                       \
	{                                                                                          \
		.rip = 2 * MiB, .rflags = RFLAGS_FIXED1, .rsi = 64 * KiB,                          \
		.cr0 = CR0_PE | CR0_ET | CR0_PG, .cr3 = 2 * MiB, .cr4 = CR4_PAE,                   \
		.long_mode = true, .efer = EFER_LME | EFER_LMA, .code_sel = 0x10,                  \
		.data_sel = 0x18, .gdt_base = 68 * KiB, .gdt_limit = 4 * 8 - 1,                    \
	}

void guest_regs_print(const struct guest_regs *r);
/* CR4.OSXSAVE in the host, where the CPU has XSAVE, so that guest_xsetbv
 * can execute XSETBV at all (SDM Vol. 2D, XSETBV: #UD with OSXSAVE clear). */
void host_xsave_enable(void);
/* XSETBV on the guest's behalf; false when the value is invalid (#GP). */
bool guest_xsetbv(u32 xcr, u64 val);

#endif
