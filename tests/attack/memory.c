/* Attacks on memory: accesses outside the guest's memory map (each must end
 * the guest with a named stop: an EPT violation or nested page fault
 * "outside its memory map"), and hypercall fuzzing, after which the guest's
 * own memory and registers must be as they were. */
#include "lib/console.h"
#include "lib/hash.h"
#include "lib/mem.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "lib/x86/paging.h"
#include "tests/attack/attack.h"

#define IDMAP_END    (4 * GiB) /* the boot tables map [0, 4 GiB) */
#define OOB_DISTANCE (16 * MiB)
/* oob-high: a gPA far above any RAM the emulators give, below every
 * MAXPHYADDR (36 bits at least), mapped by one 1 GiB page at the same gVA. */
#define OOB_HIGH_GPA     (64 * GiB)
#define PATTERN_U64S     8192 /* 64 KiB the fuzzer must not change */
#define SCRATCH_SIZE     8192 /* what the fuzzer's calls may read and write */
#define HC_STATUS_LOWEST HC_ELOWEST

static u64 pattern[PATTERN_U64S];
static u8 scratch[SCRATCH_SIZE] __attribute__((aligned(4096)));

static bool oob_gpa(struct attack_env *env, const char *name, u64 gpa)
{
	if (!env->ram_top || gpa + sizeof(u64) > IDMAP_END) {
		report_skip(&env->rep, name, "GPA 0x%llx is not below the boot identity map", gpa);
		return false;
	}
	con_printf("attack: %s: GPA 0x%llx, outside RAM [0, 0x%llx): the hypervisor must stop "
	           "the guest here\n",
	           name, gpa, env->ram_top);
	return true;
}

void attack_oob_read(struct attack_env *env)
{
	const u64 gpa = env->ram_top + OOB_DISTANCE;
	if (!oob_gpa(env, "oob-read", gpa))
		return;
	const u64 v = *(volatile const u64 *)(uintptr_t)gpa;
	report_fail(&env->rep, "oob-read", "read 0x%llx at GPA 0x%llx: the guest was not stopped",
	            v, gpa);
}

void attack_oob_write(struct attack_env *env)
{
	const u64 gpa = env->ram_top; /* the first byte past RAM */
	if (!oob_gpa(env, "oob-write", gpa))
		return;
	*(volatile u64 *)(uintptr_t)gpa = 0x5e9f5e9f5e9f5e9full;
	report_fail(&env->rep, "oob-write", "wrote GPA 0x%llx: the guest was not stopped", gpa);
}

void attack_oob_exec(struct attack_env *env)
{
	const u64 gpa = env->ram_top + OOB_DISTANCE;
	if (!oob_gpa(env, "oob-exec", gpa))
		return;
	void (*fn)(void) = (void (*)(void))(uintptr_t)gpa;
	fn();
	report_fail(&env->rep, "oob-exec", "returned from GPA 0x%llx: the guest was not stopped",
	            gpa);
}

void attack_oob_high(struct attack_env *env)
{
	const struct cpuid_regs e = cpuid(CPUID_LEAF_EXT_FEATURES, 0);
	if (!(e.edx & CPUID_80000001_EDX_PAGE1GB)) {
		report_skip(&env->rep, "oob-high", "no 1 GiB pages (CPUID.80000001H:EDX.Page1GB)");
		return;
	}
	/* The boot tables: CR3 -> PML4[0] -> PDPT, identity; PDPT[64] is free. */
	u64 *pml4 = (u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	u64 *pdpt = (u64 *)(uintptr_t)(pml4[0] & PTE_ADDR_MASK);
	pdpt[OOB_HIGH_GPA / GiB] = OOB_HIGH_GPA | PTE_P | PTE_RW | PTE_PS;
	invlpg(OOB_HIGH_GPA);
	con_printf("attack: oob-high: GPA 0x%llx through a 1 GiB page: the hypervisor must stop "
	           "the guest here\n",
	           (u64)OOB_HIGH_GPA);
	const u64 v = *(volatile const u64 *)(uintptr_t)OOB_HIGH_GPA;
	report_fail(&env->rep, "oob-high", "read 0x%llx at GPA 0x%llx: the guest was not stopped",
	            v, (u64)OOB_HIGH_GPA);
}

/* ---- hypercall fuzzing ---- */

static u64 rng_next(u64 *s)
{
	*s = hash_mix64(*s + 0x9e3779b97f4a7c15ull);
	return *s;
}

static u64 pattern_sum(void)
{
	u64 h = 0;
	for (unsigned i = 0; i < PATTERN_U64S; i++)
		h = hash_mix64(h ^ pattern[i]);
	return h;
}

/* A guest-physical address the calls may be given: inside the scratch page,
 * straddling or past the end of RAM, a small number, or anything. */
static u64 fuzz_pointer(const struct attack_env *env, u64 *s)
{
	const u64 r = rng_next(s);
	switch (r % 7) {
	case 0:
		return (u64)(uintptr_t)scratch + (r >> 8) % (SCRATCH_SIZE / 2);
	case 1:
		return env->ram_top - 1 - (r >> 8) % 4096; /* top of RAM, straddles with a length */
	case 2:
		return env->ram_top + (r >> 8) % (64 * MiB);
	case 3:
		return (r >> 8) % 8; /* small integers: modes, counts, workloads */
	case 4:
		return ~0ull - (r >> 8) % 64; /* wraps with any length */
	case 5:
		return BIT(63) | r;
	default:
		return r;
	}
}

static u64 fuzz_length(u64 *s)
{
	const u64 r = rng_next(s);
	static const u64 fixed[] = {0,       1,     HC_CONSOLE_MAX, HC_CONSOLE_MAX + 1,
	                            4 * GiB, ~0ull, BIT(63),        HC_TRACE_MAX_BYTES + 8};
	if (r % 2)
		return (r >> 8) % 64;
	return fixed[(r >> 8) % ARRAY_SIZE(fixed)];
}

static u64 fuzz_number(u64 *s)
{
	const u64 r = rng_next(s);
	u64 nr = (r >> 8) % (HC_COUNT + 4);
	if (nr == HC_EXIT)
		nr = HC_VERSION; /* the one call that ends the guest */
	if (r % 8 == 0)
		nr |= r & ~0xffffffffull; /* a dirty upper half: an unknown number */
	if (r % 32 == 1)
		nr = r | BIT(40);
	return nr;
}

u32 hc_frame_clobbered(const struct hc_frame *f)
{
	static const unsigned watched[] = {1, 3, 5, 8, 9, 12, 13, 14, 15};
	u32 bad = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(watched); i++)
		if (f->after[watched[i]] != (f->canary ^ watched[i]))
			bad |= 1u << watched[i];
	if (f->after[6] != f->rsi)
		bad |= 1u << 6;
	if (f->after[7] != f->rdi)
		bad |= 1u << 7;
	return bad;
}

void attack_hypercall_fuzz(struct attack_env *env)
{
	struct report *rep = &env->rep;
	u64 s = env->seed;
	for (unsigned i = 0; i < PATTERN_U64S; i++)
		pattern[i] = rng_next(&s);
	const u64 sum = pattern_sum();
	u64 by_status[1 - HC_STATUS_LOWEST] = {0};
	u64 odd = 0, clobbered = 0, first_odd_nr = 0, first_clobber_nr = 0;
	s64 first_odd = 0;
	u32 first_clobber = 0;
	con_printf("attack: %llu hypercalls, seed 0x%llx, pattern checksum 0x%llx\n", env->calls,
	           env->seed, sum);
	for (u64 n = 0; n < env->calls; n++) {
		struct hc_frame f = {0};
		f.rax = fuzz_number(&s);
		f.rdi = fuzz_pointer(env, &s);
		f.rsi = rng_next(&s) % 2 ? fuzz_length(&s) : fuzz_pointer(env, &s);
		f.rdx = rng_next(&s) % 2 ? fuzz_length(&s) : fuzz_pointer(env, &s);
		f.canary = rng_next(&s);
		atk_hvcall_frame(&f, env->vmmcall ? HC_HOW_VMMCALL : HC_HOW_VMCALL);
		const s64 st = (s64)f.after[0];
		if (st > 0 || st < HC_STATUS_LOWEST) {
			if (!odd++) {
				first_odd = st;
				first_odd_nr = f.rax;
			}
		} else {
			by_status[-st]++;
		}
		const u32 bad = hc_frame_clobbered(&f);
		if (bad && !clobbered++) {
			first_clobber = bad;
			first_clobber_nr = f.rax;
		}
	}
	/* A console write may have left a line unfinished. */
	con_printf("\nattack: statuses: ok %llu enosys %llu einval %llu efault %llu e2big %llu "
	           "enomem %llu enodev %llu eperm %llu emismatch %llu\n",
	           by_status[0], by_status[1], by_status[2], by_status[3], by_status[4],
	           by_status[5], by_status[6], by_status[7], by_status[8]);
	report_check(rep, odd == 0, "hypercall-fuzz-status",
	             "%llu calls returned a status that is neither 0 nor an HC_E* error (first: "
	             "%lld for call 0x%llx)",
	             odd, (long long)first_odd, first_odd_nr);
	report_check(rep, clobbered == 0, "hypercall-fuzz-registers",
	             "%llu calls changed registers the ABI keeps (first: mask 0x%x by SDM number, "
	             "call 0x%llx)",
	             clobbered, first_clobber, first_clobber_nr);
	const u64 after = pattern_sum();
	report_check(rep, after == sum, "hypercall-fuzz-memory",
	             "the pattern region's checksum went from 0x%llx to 0x%llx", sum, after);
	struct hc_frame v = {.rax = HC_VERSION, .canary = s};
	atk_hvcall_frame(&v, env->vmmcall ? HC_HOW_VMMCALL : HC_HOW_VMCALL);
	report_check(rep, v.after[0] == HC_OK && v.after[2] == HV_ABI_VERSION,
	             "hypercall-fuzz-still-answers", "HC_VERSION afterwards: status %lld, RDX %llu",
	             (long long)v.after[0], v.after[2]);
}
