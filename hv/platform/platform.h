/* The devices and MSRs of one guest's platform, reached through two
 * constant tables (platform.c): I/O port ranges {first, last, handler} and
 * MSRs {msr, handler}. hv/vm/exits.c asks here first and keeps for itself
 * only what is not a device (the emulators' exit ports, port counting).
 *
 *   ports 0x3f8-0x3ff  COM1, a 16550 (uart16550.h)
 *   ports 0x510-0x511  fw_cfg selector and data (fwcfg.h)
 *   ports 0x42, 0x43, 0x61  the 8254's channel 2 and port B (pit.h), on the
 *                      clock platform_set_clock gives (still without one)
 *   ports 0x70, 0x71   the MC146818 RTC and CMOS RAM (rtc.h), on the same clock
 *   MSRs 0x10, 0x3b, 0xc0000103  the TSC (tsc.h)
 *   MSRs 0x8b, 0x1a0  IA32_BIOS_SIGN_ID and IA32_MISC_ENABLE, fixed (cpumsr.h)
 *   MSRs 0x1b, 0x6e0, 0x800-0x8ff  the local APIC (apic.h): IA32_APIC_BASE,
 *                    IA32_TSC_DEADLINE and x2APIC registers, each #GP where
 *                    CPUID does not offer it; the APIC's base is fixed at
 *                    APIC_DEFAULT_BASE (a move is #GP)
 *   MSRs 0xfe, 0x2ff  IA32_MTRRCAP (0: no variable or fixed ranges, no WC;
 *                    read only) and IA32_MTRR_DEF_TYPE (the guest's copy, from
 *                    E | WB; reserved bits and undefined types #GP), for
 *                    kernels that take MTRRs as given on x86-64 (Xen): the
 *                    guest's memory types come from the nested tables and its
 *                    PAT, never from these
 *
 * Pure logic: the caller passes the host's TSC and the console callback. */
#ifndef HV_PLATFORM_PLATFORM_H
#define HV_PLATFORM_PLATFORM_H

#include "hv/platform/apic.h"
#include "hv/platform/cpuid.h"
#include "hv/platform/cpumsr.h"
#include "hv/platform/fwcfg.h"
#include "hv/platform/pit.h"
#include "hv/platform/rtc.h"
#include "hv/platform/tsc.h"
#include "hv/platform/uart16550.h"

struct platform_config {
	u64 ram_bytes;           /* guest RAM, for fw_cfg */
	u32 cpuid_offers;        /* enum cpuid_offer: what the backend and platform give */
	u64 tsc_hz;              /* the guest's TSC rate for the APIC timer; 0 unknown */
	uart16550_tx_fn console; /* COM1's transmitted bytes */
	void *console_ctx;
};

struct platform {
	u32 cpuid_offers;
	struct uart16550 com1;
	struct fwcfg fwcfg;
	struct vtsc tsc;
	struct apic apic; /* the one vCPU's local APIC; its time is the guest's TSC */
	struct pit pit;
	struct rtc rtc;
	u64 mtrr_def_type;  /* IA32_MTRR_DEF_TYPE as the guest last wrote it */
	u64 (*clock)(void); /* the host TSC, for the devices that keep time; NULL none */
};

void platform_init(struct platform *p, const struct platform_config *cfg);
/* The clock the timer devices read (the host TSC) and its rate in Hz. */
void platform_set_clock(struct platform *p, u64 (*clock)(void), u64 tsc_hz);

/* One port access of `size` bytes (1, 2 or 4). True when a device owns the
 * port; then for IN *value is the result (the bytes of consecutive ports,
 * the lowest port in the low byte, as an ISA bus gives them). */
bool platform_io(struct platform *p, u16 port, u8 size, bool in, u32 *value);

enum platform_msr_result {
	PLATFORM_MSR_NOT_MINE, /* the backend's or nobody's */
	PLATFORM_MSR_OK,
	PLATFORM_MSR_GP, /* the guest gets #GP */
};
/* RDMSR/WRMSR at host TSC `host_tsc`. */
enum platform_msr_result platform_msr(struct platform *p, u32 msr, bool write, u64 *val,
                                      u64 host_tsc);

/* CPUID as this vCPU answers it, given the guest's CR4. */
struct cpuid_regs platform_cpuid_for(const struct platform *p, u64 guest_cr4, u32 leaf,
                                     u32 subleaf);

#endif
