/* The attack kernel (tests/attack/README.md): a Multiboot v1 guest that
 * runs one attack on the hypervisor per boot, chosen by `attack=NAME`, and
 * reports each expectation as a PASS/FAIL/SKIP line. */
#ifndef TESTS_ATTACK_ATTACK_H
#define TESTS_ATTACK_ATTACK_H

#include "lib/hvcall.h"
#include "lib/report.h"
#include "lib/types.h"
#include "tests/attack/attack_defs.h"

/* What every attack gets. */
struct attack_env {
	struct report rep;
	u64 ram_top;   /* the end of guest RAM, from the Multiboot memory map */
	u64 seed;      /* of the hypercall fuzzer */
	u64 calls;     /* hypercalls the fuzzer makes */
	bool vmmcall;  /* AMD: VMMCALL is the hypercall instruction, else VMCALL */
	bool under_hv; /* segvisor's CPUID signature is present */
};

typedef void (*attack_fn)(struct attack_env *env);

/* Each attack; those that end the guest on purpose return only when the
 * hypervisor failed to stop it, after a FAIL line saying so. */
void attack_oob_read(struct attack_env *env);
void attack_oob_write(struct attack_env *env);
void attack_oob_exec(struct attack_env *env);
void attack_oob_high(struct attack_env *env);
void attack_virt_insns(struct attack_env *env);
void attack_reserved_bits(struct attack_env *env);
void attack_msr_sweep(struct attack_env *env);
void attack_cpuid_sweep(struct attack_env *env);
void attack_port_sweep(struct attack_env *env);
void attack_hypercall_fuzz(struct attack_env *env);
void attack_triple_fault(struct attack_env *env);
void attack_reset(struct attack_env *env);
void attack_spin(struct attack_env *env);
void attack_dirty_halves(struct attack_env *env);
void attack_apic(struct attack_env *env);
void attack_x2apic(struct attack_env *env);

/* A hypercall with every other register watched (tests/attack/probe.S). */
struct hc_frame {
	u64 rax, rdi, rsi, rdx;
	u64 canary;
	u64 after[16]; /* by SDM register number; [4] RSP, [10] R10, [11] R11 unused */
};
_Static_assert(__builtin_offsetof(struct hc_frame, after) == HC_AFTER, "attack_defs.h");
void atk_hvcall_frame(struct hc_frame *f, u64 how);
/* The registers the call must leave as they were: the canaries (RCX, RBX,
 * RBP, R8, R9, R12-R15) and the arguments RDI and RSI. 0 if all did, else
 * a mask of SDM register numbers that changed. */
u32 hc_frame_clobbered(const struct hc_frame *f);

/* Fault probes (probe.S): vector + 1 when the instruction faulted, else 0. */
unsigned atk_write_cr0(u64 v);
unsigned atk_write_cr3(u64 v);
unsigned atk_write_cr4(u64 v);
unsigned atk_write_cr8(u64 v);
u64 atk_read_cr8(void);
unsigned atk_rdmsr(u32 msr, u64 *value);
unsigned atk_wrmsr(u32 msr, u64 value);
unsigned atk_xsetbv(u32 xcr, u64 value);

/* "no fault", "#GP" and the like, for a probe's result. */
const char *atk_fault_name(unsigned probe_result);

/* Ends the guest through the exit ports (0xf4, Bochs' 0x8900). */
__attribute__((noreturn)) void attack_exit(bool success);

#endif
