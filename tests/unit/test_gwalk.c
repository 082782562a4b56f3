/* hv/vm/gwalk: guest-linear to guest-physical in each paging mode, over
 * tables written here entry by entry from the SDM's formats (Vol. 3A, 4.3
 * Tables 4-4 to 4-6 for 32-bit paging, 4.4 Tables 4-7 to 4-11 for PAE, 4.5
 * for 4- and 5-level paging). Each expected address is the frame of the
 * leaf entry (bits the format defines as address) plus the linear
 * address's offset bits below the page size, worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "hv/vm/gwalk.h"
#include "lib/x86/cr.h"

#define MEM_BYTES 0x10000 /* guest-physical [0, 64 KiB) holds the tables */
#define P         0x1ull
#define RW        0x2ull
#define PS        0x80ull
#define A         0x20ull
#define NX        (1ull << 63)

static u8 mem[MEM_BYTES];
static unsigned reads;

static bool rd(void *ctx, u64 gpa, void *buf, unsigned len)
{
	(void)ctx;
	reads++;
	if (gpa >= MEM_BYTES || len > MEM_BYTES - gpa)
		return false;
	memcpy(buf, &mem[gpa], len);
	return true;
}

static void put32(u64 gpa, u32 v)
{
	memcpy(&mem[gpa], &v, sizeof(v));
}

static void put64(u64 gpa, u64 v)
{
	memcpy(&mem[gpa], &v, sizeof(v));
}

static int setup(void **st)
{
	(void)st;
	memset(mem, 0, sizeof(mem));
	reads = 0;
	return 0;
}

static u64 walk_ok(const struct gwalk_regs *r, u64 la)
{
	u64 gpa = 0xdead;
	assert_true(gwalk(r, la, rd, NULL, &gpa));
	return gpa;
}

static void walk_fails(const struct gwalk_regs *r, u64 la)
{
	u64 gpa = 0xdead;
	assert_false(gwalk(r, la, rd, NULL, &gpa));
	assert_int_equal(gpa, 0xdead);
}

/* CR0.PG = 0: the linear address's low 32 bits, no table read. */
static void test_no_paging(void **st)
{
	(void)st;
	const struct gwalk_regs r = {.cr0 = CR0_PE, .cr3 = 0x1000, .cr4 = CR4_PAE};
	assert_int_equal(walk_ok(&r, 0x123456789ull), 0x23456789);
	assert_int_equal(reads, 0);
}

/* 32-bit paging, 4 KiB: PDE = CR3[31:12] + la[31:22] * 4, PTE = PDE[31:12] + la[21:12] * 4,
 * la 0x00423456: PDE 1, PTE 0x23, offset 0x456. */
static void test_32bit_4k(void **st)
{
	(void)st;
	put32(0x1000 + 1 * 4, 0x2000 | P | RW);
	put32(0x2000 + 0x23 * 4, 0xabc000 | P | A);
	const struct gwalk_regs r = {.cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000 | 0x18};
	assert_int_equal(walk_ok(&r, 0x00423456), 0xabc456);
	/* the upper 32 bits of a linear address play no part outside IA-32e mode */
	assert_int_equal(walk_ok(&r, 0xffffffff00423456ull), 0xabc456);
	walk_fails(&r, 0x00424000); /* PTE 0x24: not present */
	walk_fails(&r, 0x00823456); /* PDE 2: not present */
}

/* 32-bit paging, 4 MiB with CR4.PSE: frame bits 31:22 from PDE[31:22], bits 39:32 from
 * PDE[20:13] (PSE-36). la 0x00812345: PDE 2, offset 0x012345; PDE bits 14:13 = 3. */
static void test_32bit_4m(void **st)
{
	(void)st;
	put32(0x1000 + 2 * 4, 0xfec00000u | (3u << 13) | PS | P);
	const struct gwalk_regs pse = {.cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PSE};
	assert_int_equal(walk_ok(&pse, 0x00812345), 0x3fec12345ull);
	/* without CR4.PSE the PS bit is ignored: the PDE names a page table at 0xfec00000,
	 * outside guest memory here */
	const struct gwalk_regs nopse = {.cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000};
	walk_fails(&nopse, 0x00812345);
}

/* PAE paging: PDPTE = CR3[31:5] + la[31:30] * 8; then a PD of 8-byte entries. CR3 0x3020
 * is 32-byte aligned, not page aligned. la 0x40a01234: PDPTE 1, PDE 5 (2 MiB); la 0x40c07abc:
 * PDE 6 -> PT, PTE 7 (4 KiB, NX set: not an address bit). */
static void test_pae(void **st)
{
	(void)st;
	put64(0x3020 + 1 * 8, 0x4000 | P);
	put64(0x4000 + 5 * 8, 0x123400000ull | PS | P | RW);
	put64(0x4000 + 6 * 8, 0x5000 | P | RW);
	put64(0x5000 + 7 * 8, 0x987654000ull | NX | P);
	const struct gwalk_regs r = {
	    .cr0 = CR0_PE | CR0_PG, .cr3 = 0x3020 | 0x7, .cr4 = CR4_PAE | CR4_PSE};
	assert_int_equal(walk_ok(&r, 0x40a01234), 0x123401234ull);
	assert_int_equal(walk_ok(&r, 0x40c07abc), 0x987654abcull);
	walk_fails(&r, 0x00a01234); /* PDPTE 0: not present */
	walk_fails(&r, 0x40e00000); /* PDE 7: not present */
	/* EFER.LME with PG is IA-32e mode, not PAE: the same CR3 is then a PML4 at 0x3000 */
	const struct gwalk_regs lm = {
	    .cr0 = r.cr0, .cr3 = 0x3000, .cr4 = r.cr4, .efer = EFER_LME | EFER_LMA};
	walk_fails(&lm, 0x40a01234);
}

/* 4-level paging: PML4E la[47:39], PDPTE la[38:30] (PS: 1 GiB), PDE la[29:21] (PS: 2 MiB),
 * PTE la[20:12]. la 0x0000008040201abc: PML4E 1, PDPTE 1, PDE 1, PTE 1. */
static void test_4level(void **st)
{
	(void)st;
	put64(0x1000 + 1 * 8, 0x2000 | P | RW);
	put64(0x2000 + 1 * 8, 0x3000 | P | RW);
	put64(0x3000 + 1 * 8, 0x4000 | P | RW);
	put64(0x4000 + 1 * 8, 0x7777000ull | NX | P);
	put64(0x2000 + 2 * 8, 0x80000000ull | PS | P); /* 1 GiB at PDPTE 2 */
	put64(0x3000 + 2 * 8, 0x00600000ull | PS | P); /* 2 MiB at PDE 2 */
	const struct gwalk_regs r = {
	    .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA};
	assert_int_equal(walk_ok(&r, 0x0000008040201abcull), 0x7777abcull);
	assert_int_equal(walk_ok(&r, 0x0000008087654321ull), 0x87654321ull);
	assert_int_equal(walk_ok(&r, 0x0000008040554321ull), 0x754321ull);
	walk_fails(&r, 0x0000000040201abcull); /* PML4E 0 */
}

/* 5-level paging (CR4.LA57): one more level, la[56:48]. la 0x0001008040201abc: PML5E 1. */
static void test_5level(void **st)
{
	(void)st;
	put64(0x6000 + 1 * 8, 0x1000 | P);
	put64(0x1000 + 1 * 8, 0x2000 | P);
	put64(0x2000 + 1 * 8, 0x3000 | P);
	put64(0x3000 + 1 * 8, 0x4000 | P);
	put64(0x4000 + 1 * 8, 0x5555000ull | P);
	const struct gwalk_regs r = {.cr0 = CR0_PE | CR0_PG,
	                             .cr3 = 0x6000,
	                             .cr4 = CR4_PAE | CR4_LA57,
	                             .efer = EFER_LME | EFER_LMA};
	assert_int_equal(walk_ok(&r, 0x0001008040201abcull), 0x5555abcull);
	const struct gwalk_regs four = {
	    .cr0 = r.cr0, .cr3 = 0x6000, .cr4 = CR4_PAE, .efer = r.efer};
	/* 4-level: bits 56:48 are not an index; PML4E 1 at 0x6000 starts a chain one level
	 * shorter, whose last entry (0x4000 at 0x3000 + 8) is the leaf */
	assert_int_equal(walk_ok(&four, 0x0001008040201abcull), 0x4abcull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_no_paging, setup),
	    cmocka_unit_test_setup(test_32bit_4k, setup),
	    cmocka_unit_test_setup(test_32bit_4m, setup),
	    cmocka_unit_test_setup(test_pae, setup),
	    cmocka_unit_test_setup(test_4level, setup),
	    cmocka_unit_test_setup(test_5level, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
