/* The tp kernel (tests/tp/): a Multiboot v1 kernel that uses the machine the
 * way kernels from elsewhere do, with nothing of segvisor's but COM1: its
 * own IDT, the local APIC through MMIO and x2APIC MSRs, fw_cfg, its second
 * module, XSAVE and reserved control-register writes. Each area is a
 * function of its own file that adds PASS/FAIL/SKIP lines to the report. */
#ifndef TESTS_TP_TP_H
#define TESTS_TP_TP_H

/* Interrupt vectors of the tp kernel's IDT (idt.S has a stub for each). */
#define TP_VEC_TIMER    0x40 /* the xAPIC one-shot timer */
#define TP_VEC_IPI      0x41 /* the xAPIC self-IPI */
#define TP_VEC_X2_ICR   0x42 /* the x2APIC self-IPI through the ICR (MSR 0x830) */
#define TP_VEC_X2_SELF  0x43 /* the x2APIC SELF IPI register (MSR 0x83f) */
#define TP_VEC_SPURIOUS 0xff

/* early.S: the xAPIC page's linear address under paging in 32-bit mode, 1 GiB - 2 MiB, and
 * the rows of what it read there (u32 words): one per paging mode. */
#define TP_APIC_ALIAS     0x3fe00000
#define TP_EARLY_TPR      0
#define TP_EARLY_VERSION  4
#define TP_EARLY_DONE     8
#define TP_EARLY_ROW      12
#define TP_EARLY_NOPAGING 0
#define TP_EARLY_PAGING32 1
#define TP_EARLY_PAE      2
#define TP_EARLY_CODE16   3 /* 16-bit protected mode, CS based at tp_code16 */
#define TP_EARLY_ROWS     4

#ifndef __ASSEMBLY__
#include "lib/multiboot.h"
#include "lib/report.h"
#include "lib/types.h"

#define TP_IDT_ENTRIES 256

struct tp_early_row {
	u32 tpr, version, done;
};
_Static_assert(sizeof(struct tp_early_row) == TP_EARLY_ROW, "early.S row layout");
extern volatile struct tp_early_row tp_early_rows[TP_EARLY_ROWS];

/* Saved by idt.S, lowest address first. */
struct tp_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* What the command line says to expect (main.c). */
struct tp_expect {
	u64 ram;      /* bytes of RAM fw_cfg and the memory map must give */
	u64 cpus;     /* fw_cfg's CPU count */
	u64 mod2_crc; /* CRC-32 of module 2 */
	char mod2_name[32];
};

/* Probes of idt.S: 0 when the instruction completed, its fault's vector + 1
 * when it faulted. */
unsigned tp_write_cr0(u64 value);
unsigned tp_write_cr4(u64 value);
unsigned tp_xsetbv(u32 xcr, u64 value);
unsigned tp_rdmsr(u32 msr, u64 *value);
unsigned tp_wrmsr(u32 msr, u64 value);
#define TP_FAULT_GP 14 /* #GP (vector 13) + 1 */

void tp_trap(struct tp_frame *f);
/* Interrupts seen per vector, counted by tp_trap. */
extern volatile u32 tp_irq_count[TP_IDT_ENTRIES];
/* The interrupt handlers' EOI: by MMIO until x2APIC is on, then by MSR. */
extern volatile bool tp_x2apic;
/* The name of a probe's result: "no fault", "#GP", ... */
const char *tp_fault_name(unsigned probe);

u64 tp_rdtsc(void);
u32 tp_crc32(const u8 *p, u64 len);

void tp_check_early(struct report *r);
void tp_check_boot(struct report *r, const struct mb_info *mbi, const struct tp_expect *x);
void tp_check_apic(struct report *r);
void tp_check_fwcfg(struct report *r, const struct mb_info *mbi, const struct tp_expect *x);
void tp_check_xsave(struct report *r);
void tp_check_reserved(struct report *r);
#endif

#endif
