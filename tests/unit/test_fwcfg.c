/* hv/platform/fwcfg: the fw_cfg-compatible ports against QEMU's
 * docs/specs/fw_cfg.rst: selector 0x510 (16-bit write), data 0x511 (byte
 * reads advancing an offset, reset by a selector write, 0 past the end);
 * keys 0x0000 signature "QEMU", 0x0001 ID (bit 0 traditional interface),
 * 0x0003 RAM size (64-bit LE), 0x0005 NB_CPUS (16-bit LE), 0x000f MAX_CPUS,
 * 0x0019 file directory (big-endian count). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hv/platform/platform.h"

#define RAM 0x123456789000ull /* bytes: every byte of the LE encoding differs */

static void mk(struct platform *p)
{
	const struct platform_config cfg = {.ram_bytes = RAM};
	platform_init(p, &cfg);
}

static void sel(struct platform *p, u16 key)
{
	u32 v = key;
	assert_true(platform_io(p, 0x510, 2, false, &v));
}

static u8 rd(struct platform *p)
{
	u32 v = 0xdeadbeef;
	assert_true(platform_io(p, 0x511, 1, true, &v));
	assert_true(v <= 0xff);
	return (u8)v;
}

static void expect_bytes(struct platform *p, u16 key, const u8 *want, unsigned n)
{
	sel(p, key);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(rd(p), want[i]);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rd(p), 0); /* past the item's end */
}

static void test_signature(void **st)
{
	(void)st;
	struct platform p;
	mk(&p);
	static const u8 qemu[] = {'Q', 'E', 'M', 'U'};
	expect_bytes(&p, 0x0000, qemu, sizeof(qemu));
	static const u8 id[] = {0x01, 0x00, 0x00, 0x00}; /* traditional, no DMA */
	expect_bytes(&p, 0x0001, id, sizeof(id));
}

static void test_ram_size(void **st)
{
	(void)st;
	struct platform p;
	mk(&p);
	static const u8 le[] = {0x00, 0x90, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00};
	expect_bytes(&p, 0x0003, le, sizeof(le));
}

static void test_cpus_and_dir(void **st)
{
	(void)st;
	struct platform p;
	mk(&p);
	static const u8 one16[] = {0x01, 0x00};
	expect_bytes(&p, 0x0005, one16, sizeof(one16)); /* NB_CPUS */
	expect_bytes(&p, 0x000f, one16, sizeof(one16)); /* MAX_CPUS */
	static const u8 zero32[] = {0, 0, 0, 0};
	expect_bytes(&p, 0x0019, zero32, sizeof(zero32)); /* FW_CFG_FILE_DIR count */
}

static void test_offset_reset_on_select(void **st)
{
	(void)st;
	struct platform p;
	mk(&p);
	sel(&p, 0x0000);
	assert_int_equal(rd(&p), 'Q');
	assert_int_equal(rd(&p), 'E');
	sel(&p, 0x0000); /* the same key again: back to offset 0 */
	assert_int_equal(rd(&p), 'Q');
	sel(&p, 0x0005);
	assert_int_equal(rd(&p), 0x01);
	sel(&p, 0x0000);
	assert_int_equal(rd(&p), 'Q');
	/* Bit 14 (write channel) selects the same item. */
	sel(&p, 0x4000);
	assert_int_equal(rd(&p), 'Q');
}

static void test_unknown_and_arch(void **st)
{
	(void)st;
	struct platform p;
	mk(&p);
	static const u16 keys[] = {0x0002, 0x0004, 0x0020, 0x3fff, 0x8000, 0x8003};
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		sel(&p, keys[i]);
		for (unsigned j = 0; j < 8; j++)
			assert_int_equal(rd(&p), 0);
	}
}

static void test_wide_reads_and_writes(void **st)
{
	(void)st;
	struct platform p;
	mk(&p);
	sel(&p, 0x0000);
	u32 v = 0;
	/* The data port is one byte wide (x86 I/O ports): a 4-byte IN there
	 * takes one byte of the item; ports 0x512-0x514 answer all ones. */
	assert_true(platform_io(&p, 0x511, 4, true, &v));
	assert_int_equal(v, 'Q' | 0xffffff00u);
	assert_int_equal(rd(&p), 'E');
	/* Data-port writes are ignored; the selector port reads 0. */
	sel(&p, 0x0000);
	v = 0xff;
	assert_true(platform_io(&p, 0x511, 1, false, &v));
	assert_int_equal(rd(&p), 'Q');
	assert_true(platform_io(&p, 0x510, 1, true, &v));
	assert_int_equal(v, 0);
	/* Ports around it are not fw_cfg's. */
	assert_false(platform_io(&p, 0x50f, 1, true, &v));
	assert_false(platform_io(&p, 0x514, 4, true, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signature),        cmocka_unit_test(test_ram_size),
	    cmocka_unit_test(test_cpus_and_dir),     cmocka_unit_test(test_offset_reset_on_select),
	    cmocka_unit_test(test_unknown_and_arch), cmocka_unit_test(test_wide_reads_and_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
