#include "hv/selftest.h"

#include "arch/x86/cpu.h"
#include "arch/x86/dmap.h"
#include "hv/config.h"
#include "hv/mem/phys.h"
#include "lib/hvcall.h"
#include "lib/mem.h"

#define VEC_UD          6
#define VEC_GP          13
#define PATTERN         0x5e9f15a7c0ffee00ULL
#define MSR_NONEXISTENT 0x00000bad /* no CPU defines it (SDM Vol. 4, Table 2-2) */

static void test_allocator(struct report *rep, const struct memmap *mem, struct frame_alloc *fa)
{
	const char *why = "";
	report_check(rep, frame_check(fa, mem, &why) == FRAME_OK, "selftest-frame-invariants", "%s",
	             why);

	u64 before = frame_count_free(fa), a, b;
	bool ok = frame_alloc(fa, &a) == FRAME_OK && frame_alloc(fa, &b) == FRAME_OK && a != b &&
	          frame_count_free(fa) == before - 2;
	if (ok) {
		/* The frames are real memory: write through the direct map. */
		phys_write64(a, PATTERN);
		phys_write64(b, ~PATTERN);
		ok = phys_read64(a) == PATTERN && phys_read64(b) == ~PATTERN;
	}
	ok = ok && frame_free(fa, a) == FRAME_OK && frame_free(fa, b) == FRAME_OK;
	report_check(rep, ok && frame_count_free(fa) == before, "selftest-frame-alloc-free",
	             "free count %llu, expected %llu", frame_count_free(fa), before);

	enum frame_err err = ok ? frame_free(fa, a) : FRAME_OK;
	report_check(rep, err == FRAME_ERR_DOUBLE_FREE, "selftest-frame-double-free",
	             "second free returned %s", frame_strerror(err));

	static const u64 aligns[] = {PAGE_SIZE_2M, PAGE_SIZE_1G};
	for (unsigned i = 0; i < ARRAY_SIZE(aligns); i++) {
		u64 align = aligns[i], n = align / PAGE_SIZE_4K, pa = 0;
		const char *name =
		    align == PAGE_SIZE_1G ? "selftest-frame-run-1g" : "selftest-frame-run-2m";
		if (frame_largest_free_run(fa, align) < n) {
			report_skip(rep, name,
			            "no free %s-aligned run of %s in this machine's memory",
			            align == PAGE_SIZE_1G ? "1 GiB" : "2 MiB",
			            align == PAGE_SIZE_1G ? "1 GiB" : "2 MiB");
			continue;
		}
		err = frame_alloc_run(fa, n, align, &pa);
		bool good = err == FRAME_OK && is_aligned(pa, align);
		if (good)
			good = frame_free_run(fa, pa, n) == FRAME_OK;
		report_check(rep, good && frame_count_free(fa) == before, name, "%s, pa 0x%llx",
		             frame_strerror(err), pa);
	}
	report_check(rep, frame_check(fa, mem, &why) == FRAME_OK, "selftest-frame-invariants-after",
	             "%s", why);
}

static void test_exceptions(struct report *rep)
{
	int v = probe_ud2();
	report_check(rep, v == VEC_UD + 1, "selftest-exception-ud", "ud2 gave %d, expected #UD",
	             v - 1);
	v = probe_noncanonical();
	report_check(rep, v == VEC_GP + 1, "selftest-exception-gp",
	             "non-canonical load gave %d, expected #GP", v - 1);
	u64 val;
	v = rdmsr_safe(MSR_NONEXISTENT, &val);
	/* Bochs with ignore_bad_msrs=0 and real CPUs raise #GP; QEMU TCG reads 0. */
	if (v == 0)
		report_skip(rep, "selftest-exception-rdmsr",
		            "this CPU reads MSR 0x%x without #GP (returned 0x%llx)",
		            MSR_NONEXISTENT, val);
	else
		report_check(rep, v == VEC_GP + 1, "selftest-exception-rdmsr",
		             "rdmsr 0x%x gave vector %d", MSR_NONEXISTENT, v - 1);
}

static void test_options(struct report *rep)
{
	struct hv_config c;
	struct opts_result res;
	hv_config_defaults(&c);
	enum opts_err e =
	    opts_parse(&hv_config_table, "/boot/hv.elf mode=dual-direct guest_ram=64M", &c, &res);
	report_check(rep, e == OPTS_OK && c.mode == MODE_DUAL_DIRECT && c.guest_ram == 64 * MiB,
	             "selftest-options-parse", "%s", res.msg);
	e = opts_parse(&hv_config_table, "ept_page=3k", &c, &res);
	report_check(rep, e == OPTS_ERR_CHOICE && strstr(res.msg, "ept_page"),
	             "selftest-options-reject", "got %s: %s", opts_strerror(e), res.msg);
}

void selftest_run(struct report *rep, const struct memmap *mem, struct frame_alloc *fa)
{
	test_allocator(rep, mem, fa);
	unsigned bad = dmap_verify();
	report_check(rep, bad == 0, "selftest-direct-map", "%u wrong entries", bad);
	test_exceptions(rep);
	test_options(rep);
}
