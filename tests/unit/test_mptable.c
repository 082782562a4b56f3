/* hv/platform/mptable: the MP floating pointer and configuration table against the
 * MultiProcessor Specification 1.4 (Tables 4-1, 4-2, 4-4), read back the way a kernel's parser
 * reads them (Linux's arch/x86/kernel/mpparse.c checks the same fields): signatures, lengths,
 * the pointer to the table, each checksum over its own bytes, the entry count and the one
 * processor entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "hv/platform/mptable.h"

#define GPA 0x9fc00ull

static u32 rd32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u8 sum(const u8 *p, unsigned n)
{
	u8 s = 0;
	while (n--)
		s = (u8)(s + *p++);
	return s;
}

static const struct mptable_cpu cpu = {.apic_id = 0,
                                       .apic_version = 0x14,
                                       .signature = 0x000a0f11,
                                       .features = 0x178bfbff,
                                       .apic_base = 0xfee00000ull};

static void test_floating_pointer(void **state)
{
	(void)state;
	u8 t[MP_TABLE_SIZE];
	assert_true(mptable_build(t, GPA, &cpu));
	assert_memory_equal(t, "_MP_", 4);
	assert_int_equal(rd32(t + 4), GPA + MP_FLOATING_SIZE); /* the table follows it */
	assert_int_equal(t[8], 1);                             /* 16 bytes */
	assert_int_equal(t[9], 4);                             /* spec 1.4 */
	assert_int_equal(sum(t, 16), 0);
	for (unsigned i = 11; i < 16; i++)
		assert_int_equal(t[i], 0); /* a table is present; no IMCR */
	assert_int_equal(GPA % 16, 0);     /* the pointer is paragraph aligned (MP spec 4.1) */
}

static void test_config_table(void **state)
{
	(void)state;
	u8 t[MP_TABLE_SIZE];
	assert_true(mptable_build(t, GPA, &cpu));
	const u8 *c = t + MP_FLOATING_SIZE;
	assert_memory_equal(c, "PCMP", 4);
	const unsigned len = c[4] | c[5] << 8;
	assert_int_equal(len, 44 + 20);
	assert_int_equal(c[6], 4);
	assert_int_equal(sum(c, len), 0);
	assert_memory_equal(c + 8, "SEGVISOR", 8);
	assert_int_equal(c[34] | c[35] << 8, 1); /* one entry */
	assert_int_equal(rd32(c + 36), 0xfee00000u);
	assert_int_equal(c[40] | c[41] << 8, 0); /* no extended table */
	const u8 *e = c + 44;
	assert_int_equal(e[0], 0); /* processor */
	assert_int_equal(e[1], 0);
	assert_int_equal(e[2], 0x14);
	assert_int_equal(e[3], MP_CPU_ENABLED | MP_CPU_BSP);
	assert_int_equal(rd32(e + 4), cpu.signature);
	assert_int_equal(rd32(e + 8), cpu.features);
}

/* A changed field changes the checksum byte, so both sums stay 0. */
static void test_checksums_follow(void **state)
{
	(void)state;
	u8 a[MP_TABLE_SIZE], b[MP_TABLE_SIZE];
	struct mptable_cpu other = cpu;
	other.features ^= 0x200;
	assert_true(mptable_build(a, GPA, &cpu));
	assert_true(mptable_build(b, 0xf0000, &other));
	assert_int_not_equal(a[MP_FLOATING_SIZE + 7], b[MP_FLOATING_SIZE + 7]);
	assert_int_not_equal(a[10], b[10]);
	assert_int_equal(sum(b, 16), 0);
	assert_int_equal(sum(b + MP_FLOATING_SIZE, 64), 0);
}

static void test_refusals(void **state)
{
	(void)state;
	u8 t[MP_TABLE_SIZE];
	assert_false(mptable_build(t, 1ull << 32, &cpu));
	assert_false(mptable_build(t, (1ull << 32) - MP_TABLE_SIZE + 1, &cpu));
	struct mptable_cpu high = cpu;
	high.apic_base = 1ull << 32;
	assert_false(mptable_build(t, GPA, &high));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_floating_pointer),
	    cmocka_unit_test(test_config_table),
	    cmocka_unit_test(test_checksums_follow),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
