/* XSAVE and control-register checks.
 *
 * XSAVE (SDM Vol. 1, 13): CPUID.1:ECX.XSAVE, CR4.OSXSAVE set and mirrored in
 * CPUID.1:ECX.OSXSAVE, XSETBV XCR0 = 3 (x87 | SSE) read back by XGETBV,
 * CPUID.0xD:EBX the 576 bytes XCR0 = 3 needs (512 legacy + 64 header),
 * XCR0 without x87 refused with #GP, and an XSAVE/XRSTOR round trip of FCW
 * and XMM0.
 *
 * Reserved writes (SDM Vol. 3A, 2.5 and Vol. 2B, MOV to CR): CR4 bit 15
 * (reserved), bit 32 (the upper half is reserved), CR4.VMXE while CPUID.1:
 * ECX.VMX is 0, CR0.NW = 1 with CD = 0, and CR0 bit 32 each take #GP(0) and
 * leave the register as it was. */
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "tests/tp/tp.h"

#define LEAF_XSAVE     0xd
#define XCR0_X87       (1ull << 0)
#define XCR0_SSE       (1ull << 1)
#define XCR0_TP        (XCR0_X87 | XCR0_SSE)
#define XSAVE_3_BYTES  576 /* legacy area 512 + XSAVE header 64 (SDM Vol. 1, 13.4) */
#define XS_FCW         0   /* legacy area offsets (SDM Vol. 1, Table 13-1) */
#define XS_XMM0        160
#define XS_XSTATE_BV   512
#define FCW_TEST       0x27fu /* double precision, all exceptions masked */
#define FCW_INIT       0x37fu
#define XMM_A          0x0123456789abcdefull
#define XMM_B          0xfedcba9876543210ull
#define CR4_RESERVED15 (1ull << 15)
#define CR4_UPPER      (1ull << 32)
#define CR0_UPPER      (1ull << 32)

/* The kernel is built without SSE code (-mgeneral-regs-only), so XMM0 is the asm statements' alone.
 */
static u8 xsave_area[4096] __attribute__((aligned(64)));

static u64 xgetbv0(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

static void set_xmm0(u64 lo, u64 hi)
{
	const u64 v[2] = {lo, hi};
	__asm__ volatile("movdqu %0, %%xmm0" ::"m"(v));
}

static u64 xmm0_lo(void)
{
	u64 v[2];
	__asm__ volatile("movdqu %%xmm0, %0" : "=m"(v));
	return v[0];
}

static u16 fcw(void)
{
	u16 w;
	__asm__ volatile("fnstcw %0" : "=m"(w));
	return w;
}

static void xsave(void *area, u64 mask)
{
	__asm__ volatile("xsave (%0)" ::"r"(area), "a"((u32)mask), "d"((u32)(mask >> 32))
	                 : "memory");
}

static void xrstor(const void *area, u64 mask)
{
	__asm__ volatile("xrstor (%0)" ::"r"(area), "a"((u32)mask), "d"((u32)(mask >> 32))
	                 : "memory");
}

void tp_check_xsave(struct report *r)
{
	if (!(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_XSAVE)) {
		report_skip(r, "tp-xsave", "CPUID.1:ECX.XSAVE is 0");
		return;
	}
	/* SSE on (CR0.EM clear, MP set; CR4.OSFXSR), then OSXSAVE. */
	const u64 cr0 = (read_cr0() & ~CR0_EM) | CR0_MP;
	unsigned f = tp_write_cr0(cr0);
	f = f ? f : tp_write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
	const bool os = cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_OSXSAVE;
	if (!report_check(r, !f && (read_cr4() & CR4_OSXSAVE) && os, "tp-xsave-osxsave",
	                  "CR4 0x%llx, CPUID.1:ECX.OSXSAVE %d, %s", read_cr4(), os,
	                  tp_fault_name(f)))
		return;
	f = tp_xsetbv(0, XCR0_TP);
	const u64 xcr0 = f ? 0 : xgetbv0();
	const u32 size = cpuid(LEAF_XSAVE, 0).ebx;
	report_check(r, !f && xcr0 == XCR0_TP && size == XSAVE_3_BYTES, "tp-xsetbv",
	             "XSETBV 0x%llx: %s, XGETBV 0x%llx, CPUID.0xD:EBX %u bytes (expected %u)",
	             XCR0_TP, tp_fault_name(f), xcr0, size, XSAVE_3_BYTES);
	const unsigned bad = tp_xsetbv(0, XCR0_SSE);
	report_check(r, bad == TP_FAULT_GP && xgetbv0() == XCR0_TP, "tp-xsetbv-no-x87",
	             "XSETBV 0x%llx: %s, XCR0 then 0x%llx", XCR0_SSE, tp_fault_name(bad),
	             xgetbv0());
	if (f)
		return;

	__asm__ volatile("fninit");
	const u16 w = FCW_TEST;
	__asm__ volatile("fldcw %0" ::"m"(w));
	set_xmm0(XMM_A, ~XMM_A);
	xsave(xsave_area, XCR0_TP);
	const u16 saved_fcw = *(const u16 *)&xsave_area[XS_FCW];
	const u64 saved_xmm = *(const u64 *)&xsave_area[XS_XMM0];
	const u64 bv = *(const u64 *)&xsave_area[XS_XSTATE_BV];
	__asm__ volatile("fninit");
	set_xmm0(XMM_B, ~XMM_B);
	const u16 clobbered = fcw();
	xrstor(xsave_area, XCR0_TP);
	const u16 back_fcw = fcw();
	const u64 back_xmm = xmm0_lo();
	report_check(r,
	             saved_fcw == FCW_TEST && saved_xmm == XMM_A && (bv & XCR0_SSE) &&
	                 clobbered == FCW_INIT && back_fcw == FCW_TEST && back_xmm == XMM_A,
	             "tp-xsave-round-trip",
	             "saved FCW 0x%x XMM0 0x%llx XSTATE_BV 0x%llx; after XRSTOR FCW 0x%x (0x%x "
	             "before) XMM0 0x%llx",
	             saved_fcw, saved_xmm, bv, back_fcw, clobbered, back_xmm);
}

static void expect_gp(struct report *r, const char *name, bool cr4, u64 value)
{
	const u64 before = cr4 ? read_cr4() : read_cr0();
	const unsigned f = cr4 ? tp_write_cr4(value) : tp_write_cr0(value);
	const u64 after = cr4 ? read_cr4() : read_cr0();
	report_check(r, f == TP_FAULT_GP && after == before, name,
	             "MOV CR%d, 0x%llx: %s, CR%d 0x%llx -> 0x%llx", cr4 ? 4 : 0, value,
	             tp_fault_name(f), cr4 ? 4 : 0, before, after);
}

void tp_check_reserved(struct report *r)
{
	const u64 cr4 = read_cr4(), cr0 = read_cr0();
	expect_gp(r, "tp-cr4-reserved-bit15", true, cr4 | CR4_RESERVED15);
	expect_gp(r, "tp-cr4-reserved-bit32", true, cr4 | CR4_UPPER);
	if (cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_VMX)
		report_skip(r, "tp-cr4-vmxe", "CPUID.1:ECX.VMX is 1");
	else
		expect_gp(r, "tp-cr4-vmxe", true, cr4 | CR4_VMXE);
	expect_gp(r, "tp-cr0-nw-without-cd", false, (cr0 & ~CR0_CD) | CR0_NW);
	expect_gp(r, "tp-cr0-reserved-bit32", false, cr0 | CR0_UPPER);
}
