#include "guest/vmchecks.h"

#include "guest/paging.h"
#include "guest/platchecks.h"

#include "guest/exc.h"
#include "guest/hypercall.h"
#include "lib/x86/cpuid.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/hash.h"
#include "lib/mem.h"

#define HC_NR_UNKNOWN  9999
#define PATTERN_STRIDE 64 /* one word per cache line */
#define PATTERN_SEED   0x5e9f0a11c0ffee42ULL
#define CANARY_BYTE    0xa5
/* boot.S maps the low 4 GiB, identity; the checks touch nothing above. */
#define GUEST_IDMAP_END (4 * GiB)
#define OOB_DISTANCE    (16 * MiB)
#define CHECK_NAME_MAX  64

static const char no_hv_reason[] = "no hypervisor (CPUID 0x40000000 has no segvisor signature)";

static u64 gpa_of(const void *p)
{
	return (u64)(uintptr_t)p;
}

static s64 read_counters(struct hv_counters *c)
{
	return hvcall(HC_READ_COUNTERS, gpa_of(c), sizeof(*c), 0, NULL);
}

/* The exception table itself, natively too: the VMX checks below rely on
 * it reporting the right vector. */
static void check_fixups(struct report *rep)
{
	unsigned v = guest_try_insn(GI_UD2);
	report_check(rep, v == VEC_UD + 1, "guest-exc-fixup-ud", "ud2 gave %u, want %u", v,
	             VEC_UD + 1);
	v = guest_try_insn(GI_NONCANONICAL);
	report_check(rep, v == VEC_GP + 1, "guest-exc-fixup-gp",
	             "non-canonical load gave %u, want %u", v, VEC_GP + 1);
}

static void check_cpuid(struct report *rep)
{
	const struct cpuid_regs sig = cpuid(HV_CPUID_LEAF_SIGNATURE, 0);
	report_pass(rep, "guest-cpuid-signature"); /* guest_has_hv() compared all 12 bytes */
	report_check(rep, sig.eax >= HV_CPUID_LEAF_MAX, "guest-cpuid-max-leaf",
	             "CPUID 0x%x EAX=0x%x, want >= 0x%x", HV_CPUID_LEAF_SIGNATURE, sig.eax,
	             HV_CPUID_LEAF_MAX);
	const struct cpuid_regs feat = cpuid(HV_CPUID_LEAF_FEATURES, 0);
	report_check(rep, feat.eax == HV_ABI_VERSION, "guest-cpuid-abi-version",
	             "CPUID 0x%x EAX=%u, want %u", HV_CPUID_LEAF_FEATURES, feat.eax,
	             HV_ABI_VERSION);
	const struct cpuid_regs f1 = cpuid(CPUID_LEAF_FEATURES, 0);
	report_check(rep, !(f1.ecx & CPUID_1_ECX_VMX), "guest-cpuid-vmx-hidden",
	             "CPUID.1:ECX=0x%08x has VMX (bit 5) set", f1.ecx);
	report_check(rep, f1.ecx & CPUID_1_ECX_HYPERVISOR, "guest-cpuid-hypervisor-bit",
	             "CPUID.1:ECX=0x%08x has bit 31 clear", f1.ecx);
}

static void check_status(struct report *rep, const char *name, s64 got, s64 want)
{
	report_check(rep, got == want, name, "status %lld, want %lld", got, want);
}

static void check_round_trip(struct report *rep)
{
	static const char msg[] = "guest: this line came through HC_CONSOLE_WRITE\n";
	u64 version = 0;
	s64 s = hvcall(HC_VERSION, 0, 0, 0, &version);
	report_check(rep, s == HC_OK && version == HV_ABI_VERSION, "guest-hc-version",
	             "status %lld, RDX %llu, want 0 and %u", s, version, HV_ABI_VERSION);
	s = hvcall(HC_CONSOLE_WRITE, gpa_of(msg), sizeof(msg) - 1, 0, NULL);
	check_status(rep, "guest-hc-console-write", s, HC_OK);
}

static bool all_bytes(const u8 *p, size_t n, u8 v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* HC_READ_COUNTERS refused: the exact status, and the canary bytes it had
 * access to unchanged. */
static void check_counters_refused(struct report *rep, const char *name, u64 gpa, u64 len,
                                   u8 *canary, size_t canary_len, s64 want)
{
	memset(canary, CANARY_BYTE, canary_len);
	s64 s = hvcall(HC_READ_COUNTERS, gpa, len, 0, NULL);
	bool intact = all_bytes(canary, canary_len, CANARY_BYTE);
	report_check(rep, s == want && intact, name,
	             "gpa 0x%llx len %llu: status %lld (want %lld), canary %s", gpa, len, s, want,
	             intact ? "intact" : "overwritten");
}

/* Each call is refused with its exact error; the hypervisor's own counts of
 * calls, errors and unknown numbers must move by exactly these calls. */
static void check_refusals(struct report *rep, u64 ram_top)
{
	static const char msg[] = "guest: must not appear\n";
	struct hv_counters before, after;
	u8 small[sizeof(struct hv_counters)];
	unsigned calls = 0;

	s64 s = read_counters(&before);
	report_check(rep,
	             s == HC_OK && before.abi_version == HV_ABI_VERSION && before.exits_total > 0,
	             "guest-hc-read-counters", "status %lld, abi_version %llu, exits_total %llu", s,
	             before.abi_version, before.exits_total);

	check_status(rep, "guest-hc-unknown-9999", hvcall(HC_NR_UNKNOWN, 0, 0, 0, NULL), HC_ENOSYS);
	check_status(rep, "guest-hc-unknown-count", hvcall(HC_COUNT, 0, 0, 0, NULL), HC_ENOSYS);
	const unsigned unknown = 2;
	calls += unknown;

	check_status(rep, "guest-hc-console-beyond-ram",
	             hvcall(HC_CONSOLE_WRITE, ram_top, sizeof(msg) - 1, 0, NULL), HC_EFAULT);
	check_status(rep, "guest-hc-console-straddles-ram-top",
	             hvcall(HC_CONSOLE_WRITE, ram_top - 8, 16, 0, NULL), HC_EFAULT);
	check_status(rep, "guest-hc-console-too-long",
	             hvcall(HC_CONSOLE_WRITE, gpa_of(msg), HC_CONSOLE_MAX + 1, 0, NULL), HC_E2BIG);
	check_status(rep, "guest-hc-console-length-overflows",
	             hvcall(HC_CONSOLE_WRITE, ram_top - 16, ~0ULL - 8, 0, NULL), HC_E2BIG);
	/* gmap_check_range refuses an empty range (GMAP_ERR_EMPTY), which the
	 * hypercall layer reports as a bad pointer. */
	check_status(rep, "guest-hc-console-zero-length",
	             hvcall(HC_CONSOLE_WRITE, gpa_of(msg), 0, 0, NULL), HC_EFAULT);
	calls += 5;

	check_counters_refused(rep, "guest-hc-counters-short-buffer", gpa_of(small),
	                       sizeof(small) - 1, small, sizeof(small), HC_EINVAL);
	check_counters_refused(rep, "guest-hc-counters-beyond-ram", ram_top, sizeof(small), small,
	                       sizeof(small), HC_EFAULT);
	calls += 2;
	if (ram_top <= GUEST_IDMAP_END) {
		u8 *tail = (u8 *)(uintptr_t)(ram_top - 8);
		check_counters_refused(rep, "guest-hc-counters-straddles-ram-top", ram_top - 8,
		                       sizeof(small), tail, 8, HC_EFAULT);
		calls++;
	} else {
		report_skip(rep, "guest-hc-counters-straddles-ram-top",
		            "RAM top 0x%llx is above the boot identity map (0x%llx)", ram_top,
		            GUEST_IDMAP_END);
	}

	s = read_counters(&after);
	const u64 d_calls = after.hypercalls - before.hypercalls;
	const u64 d_errors = after.hypercall_errors - before.hypercall_errors;
	const u64 d_unknown = after.unknown_hypercalls - before.unknown_hypercalls;
	report_check(
	    rep, s == HC_OK && d_calls == calls + 1 && d_errors == calls && d_unknown == unknown,
	    "guest-hc-refusals-counted",
	    "status %lld; calls +%llu (want %u), errors +%llu (want %u), unknown +%llu "
	    "(want %u)",
	    s, d_calls, calls + 1, d_errors, calls, d_unknown, unknown);
}

/* MSRs outside the hypervisor's short list exit and are refused with #GP,
 * as on a CPU that lacks them. */
static void check_msr_refused(struct report *rep)
{
	unsigned v = guest_try_insn(GI_RDMSR_UNKNOWN);
	report_check(rep, v == VEC_GP + 1, "guest-msr-unknown-gp",
	             "rdmsr 0xbad gave %u, want %u (#GP)", v, VEC_GP + 1);
}

/* The direct-segment calls refuse hostile values with their exact error. */
static void check_segment_refusals(struct report *rep, u64 ram_top)
{
	const u64 va = REGION_VA, big = 1ULL << 30;
	check_status(rep, "guest-hc-set-mode-unknown", hvcall(HC_SET_MODE, MODE_COUNT, 0, 0, NULL),
	             HC_EINVAL);
	check_status(rep, "guest-hc-gseg-empty", hvcall(HC_SET_GSEG, va, va, 0, NULL), HC_EINVAL);
	check_status(rep, "guest-hc-gseg-unaligned", hvcall(HC_SET_GSEG, va + 1, va + big, 0, NULL),
	             HC_EINVAL);
	check_status(rep, "guest-hc-gseg-noncanonical",
	             hvcall(HC_SET_GSEG, 1ULL << 47, (1ULL << 47) + big, 0, NULL), HC_EINVAL);
	check_status(rep, "guest-hc-gseg-beyond-ram",
	             hvcall(HC_SET_GSEG, va, va + 2 * ram_top, -va, NULL), HC_EFAULT);
	check_status(rep, "guest-hc-trace-replay-unset",
	             hvcall(HC_TRACE_REPLAY, 1, WL_GUPS, TRACE_BEGIN, NULL), HC_ENODEV);
	check_status(rep, "guest-hc-trace-setup-beyond-ram",
	             hvcall(HC_TRACE_SETUP, ram_top, 4096, 0, NULL), HC_EFAULT);
	check_status(rep, "guest-hc-trace-setup-too-big",
	             hvcall(HC_TRACE_SETUP, 0, HC_TRACE_MAX_BYTES + 8, 0, NULL), HC_E2BIG);
	check_status(rep, "guest-hc-trace-setup-unaligned", hvcall(HC_TRACE_SETUP, 4, 64, 0, NULL),
	             HC_EINVAL);
	check_status(rep, "guest-hc-escape-beyond-ram",
	             hvcall(HC_ESCAPE_PAGE, ram_top + PAGE_SIZE_4K, 0, 0, NULL), HC_EFAULT);
}

static void check_vmx_insns(struct report *rep)
{
	char name[CHECK_NAME_MAX];
	for (unsigned i = GI_VMXON; i < GI_COUNT; i++) {
		const unsigned got = guest_try_insn(i);
		fmt_snprintf(name, sizeof(name), "guest-vmx-%s-ud", guest_insn_name(i));
		if (got == 0)
			report_fail(rep, name, "completed without a fault, want #UD");
		else
			report_check(rep, got == VEC_UD + 1, name,
			             "raised vector %u (%s), want %u (#UD)", got - 1,
			             exc_name(got - 1), VEC_UD);
	}
}

static u64 pattern_word(u64 addr)
{
	return hash_mix64(addr ^ PATTERN_SEED);
}

struct pattern_result {
	u64 mismatches;
	u64 first_addr, first_got, first_want;
};

/* Write then read back one word per PATTERN_STRIDE over [start, end). */
static struct pattern_result pattern_pass(u64 start, u64 end)
{
	struct pattern_result r = {0};
	for (u64 a = start; a < end; a += PATTERN_STRIDE)
		*(volatile u64 *)(uintptr_t)a = pattern_word(a);
	for (u64 a = start; a < end; a += PATTERN_STRIDE) {
		const u64 got = *(volatile u64 *)(uintptr_t)a, want = pattern_word(a);
		if (got != want && r.mismatches++ == 0) {
			r.first_addr = a;
			r.first_got = got;
			r.first_want = want;
		}
	}
	return r;
}

static void check_pattern(struct report *rep, bool hv, u64 ram_top, u64 free_start,
                          u64 pattern_bytes)
{
	static const char name[] = "guest-ram-pattern";
	if (free_start >= ram_top) {
		report_fail(rep, name, "no free RAM: free start 0x%llx, RAM top 0x%llx", free_start,
		            ram_top);
		return;
	}
	const u64 free_bytes = ram_top - free_start;
	u64 end = ram_top;
	if (pattern_bytes) {
		if (pattern_bytes > free_bytes) {
			report_fail(rep, name, "pattern=%llu bytes exceeds the %llu free bytes",
			            pattern_bytes, free_bytes);
			return;
		}
		end = free_start + pattern_bytes;
	}
	if (end > GUEST_IDMAP_END) {
		report_fail(rep, name, "[0x%llx, 0x%llx) runs above the boot identity map (0x%llx)",
		            free_start, end, GUEST_IDMAP_END);
		return;
	}
	const u64 bytes = end - free_start;
	con_printf("guest RAM pattern: %llu MiB at [0x%llx, 0x%llx), one word every %u bytes\n",
	           bytes / MiB, free_start, end, PATTERN_STRIDE);

	struct hv_counters c0, c1;
	s64 s0 = HC_OK, s1 = HC_OK;
	/* Nothing between the two reads may exit: no console output. */
	if (hv)
		s0 = read_counters(&c0);
	const struct pattern_result r = pattern_pass(free_start, end);
	if (hv)
		s1 = read_counters(&c1);

	if (r.mismatches)
		report_fail(rep, name,
		            "%llu of %llu words differ; first at 0x%llx: read 0x%llx, wrote 0x%llx",
		            r.mismatches, bytes / PATTERN_STRIDE, r.first_addr, r.first_got,
		            r.first_want);
	else
		report_pass(rep, name);

	static const char steady[] = "guest-steady-state-zero-exits";
	if (!hv) {
		report_skip(rep, steady, "%s", no_hv_reason);
		return;
	}
	if (s0 != HC_OK || s1 != HC_OK) {
		report_fail(rep, steady, "HC_READ_COUNTERS status %lld before, %lld after", s0, s1);
		return;
	}
	/* The second read's own exit is the one expected. */
	const u64 during = c1.exits_total - c0.exits_total - 1;
	con_printf("RESULT kind=steady-exits source=hypervisor bytes=%llu exits_during=%llu\n",
	           bytes, during);
	report_check(rep, during == 0, steady,
	             "%llu exits while the guest touched %llu bytes of its own RAM "
	             "(exits_total %llu -> %llu)",
	             during, bytes, c0.exits_total, c1.exits_total);
}

void vmchecks_run(struct report *rep, u64 ram_top, u64 ram_bytes, u64 free_start,
                  u64 pattern_bytes, bool expect_hv)
{
	guest_exc_set_report(rep);
	check_fixups(rep);
	const bool hv = guest_has_hv();
	if (hv) {
		check_cpuid(rep);
		check_round_trip(rep);
		check_refusals(rep, ram_top);
		check_segment_refusals(rep, ram_top);
		check_msr_refused(rep);
	} else if (expect_hv) {
		report_fail(rep, "guest-cpuid-signature",
		            "loaded by segvisor, but CPUID 0x%x has no segvisor signature",
		            HV_CPUID_LEAF_SIGNATURE);
	} else {
		report_skip(rep, "guest-vm-checks", "%s", no_hv_reason);
	}
	platchecks_run(rep, ram_bytes, hv, expect_hv);
	/* Natively CR4.VMXE is clear, so these raise #UD as well. */
	check_vmx_insns(rep);
	check_pattern(rep, hv, ram_top, free_start, pattern_bytes);
}

void vmchecks_oob(struct report *rep, u64 ram_top)
{
	static const char name[] = "guest-oob-read";
	const u64 gpa = ram_top + OOB_DISTANCE;
	if (!guest_has_hv()) {
		report_skip(rep, name, "%s", no_hv_reason);
		return;
	}
	if (gpa + sizeof(u64) > GUEST_IDMAP_END) {
		report_skip(rep, name, "GPA 0x%llx is above the boot identity map (0x%llx)", gpa,
		            GUEST_IDMAP_END);
		return;
	}
	con_printf("guest: reading GPA 0x%llx, %llu MiB above RAM top 0x%llx; the hypervisor "
	           "must stop the guest here\n",
	           gpa, OOB_DISTANCE / MiB, ram_top);
	const u64 v = *(volatile const u64 *)(uintptr_t)gpa;
	report_fail(rep, name, "the read of GPA 0x%llx returned 0x%llx: the guest was not stopped",
	            gpa, v);
}
