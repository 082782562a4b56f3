/* lib/opts: every option type, every error with its exact message, bounds,
 * overflow, the kernel-path first word, and the boot-log formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/opts.h"
#include "lib/x86/uart.h"

enum mode { MODE_BASE, MODE_NATIVE, MODE_VMM_DIRECT, MODE_GUEST_DIRECT, MODE_DUAL_DIRECT };

static const char *const mode_names[] = {"base",         "native",      "vmm-direct",
                                         "guest-direct", "dual-direct", NULL};
static const char *const tlb_names[] = {"skylake", "tiny", NULL};

struct cfg {
	enum mode mode;
	u32 tlb;
	u64 cpus;
	u64 seed;
	u64 mem;
	bool pwc;
	struct opt_u64_list badpages;
	char name[8];
};

/* Table indices, for checking the `given` mask. */
enum { I_MODE, I_TLB, I_CPUS, I_SEED, I_MEM, I_PWC, I_BADPAGES, I_NAME };

static const struct opt_desc cfg_opts[] = {
    [I_MODE] = OPT_ENUM_ENTRY(struct cfg, mode, "mode", mode_names, "translation mode"),
    [I_TLB] = OPT_ENUM_ENTRY(struct cfg, tlb, "tlb", tlb_names, "TLB preset"),
    [I_CPUS] = OPT_UINT_ENTRY(struct cfg, cpus, "cpus", 1, 8, 0, "vCPUs"),
    [I_SEED] = OPT_UINT_ENTRY(struct cfg, seed, "seed", 0, UINT64_MAX, OPTF_HEX, "RNG seed"),
    [I_MEM] = OPT_SIZE_ENTRY(struct cfg, mem, "mem", 1 * MiB, 4 * GiB, "guest memory"),
    [I_PWC] = OPT_BOOL_ENTRY(struct cfg, pwc, "pwc", "page-walk caches"),
    [I_BADPAGES] = OPT_LIST_ENTRY(struct cfg, badpages, "badpages", 0, 0xffffffffULL, 4, OPTF_HEX,
                                  "bad frames"),
    [I_NAME] = OPT_STRING_ENTRY(struct cfg, name, "name", "run label"),
};
static const struct opt_table cfg_table = OPT_TABLE(cfg_opts);

static struct cfg defaults(void)
{
	struct cfg c;
	memset(&c, 0, sizeof(c)); /* padding too, so memcmp compares values */
	c.mode = MODE_BASE;
	c.tlb = 0;
	c.cpus = 1;
	c.seed = 0x2a;
	c.mem = 64 * MiB;
	c.pwc = false;
	strcpy(c.name, "run");
	return c;
}

/* Parses cmdline over defaults; checks the error and the message. */
static struct cfg parse(const char *cmdline, enum opts_err want, const char *want_msg,
                        struct opts_result *res)
{
	struct cfg c = defaults();
	enum opts_err e = opts_parse(&cfg_table, cmdline, &c, res);
	if (e != want || res->err != want)
		fail_msg("'%s': got %s (%s), want %s", cmdline ? cmdline : "(null)",
		         opts_strerror(e), res->msg, opts_strerror(want));
	if (want_msg)
		assert_string_equal(res->msg, want_msg);
	return c;
}

static struct cfg parse_ok(const char *cmdline, u64 want_given)
{
	struct opts_result res;
	struct cfg c = parse(cmdline, OPTS_OK, NULL, &res);
	assert_int_equal(res.given, want_given);
	return c;
}

static void parse_err(const char *cmdline, enum opts_err want, const char *want_msg)
{
	struct opts_result res;
	struct cfg before = defaults();
	struct cfg after = parse(cmdline, want, want_msg, &res);
	/* An error must leave every default in place. */
	assert_memory_equal(&after, &before, sizeof(before));
}

static void test_empty_cmdline(void **state)
{
	(void)state;
	struct cfg want = defaults();
	struct cfg c = parse_ok("", 0);
	assert_memory_equal(&c, &want, sizeof(c));
	c = parse_ok(NULL, 0);
	assert_memory_equal(&c, &want, sizeof(c));
	c = parse_ok(" \t\n ", 0);
	assert_memory_equal(&c, &want, sizeof(c));
}

static void test_kernel_path_first(void **state)
{
	(void)state;
	struct cfg c = parse_ok("/boot/segvisor.elf mode=native", BIT(I_MODE));
	assert_int_equal(c.mode, MODE_NATIVE);
	c = parse_ok("  /boot/segvisor.elf", 0);
	assert_int_equal(c.mode, MODE_BASE);
	/* A first word with '=' is an option, not a path. */
	c = parse_ok("mode=dual-direct\tcpus=2\n", BIT(I_MODE) | BIT(I_CPUS));
	assert_int_equal(c.mode, MODE_DUAL_DIRECT);
	assert_int_equal(c.cpus, 2);
	/* Only the first word may be bare. */
	parse_err("/boot/segvisor.elf mode=native stray", OPTS_ERR_NOT_KEY_VALUE,
	          "word 'stray' is not key=value");
	parse_err("mode=native /boot/segvisor.elf", OPTS_ERR_NOT_KEY_VALUE,
	          "word '/boot/segvisor.elf' is not key=value");
	parse_err("k =5", OPTS_ERR_NOT_KEY_VALUE, "word '=5' has no key");
}

static void test_enum(void **state)
{
	(void)state;
	for (u32 i = 0; mode_names[i]; i++) {
		char line[64];
		snprintf(line, sizeof(line), "mode=%s", mode_names[i]);
		struct cfg c = parse_ok(line, BIT(I_MODE));
		assert_int_equal(c.mode, i);
	}
	struct cfg c = parse_ok("tlb=tiny", BIT(I_TLB));
	assert_int_equal(c.tlb, 1);
	parse_err("mode=fast", OPTS_ERR_CHOICE,
	          "option 'mode': 'fast' is not one of base, native, vmm-direct, guest-direct, "
	          "dual-direct");
	parse_err("mode=BASE", OPTS_ERR_CHOICE, NULL);
	parse_err("mode=bas", OPTS_ERR_CHOICE, NULL);
	parse_err("mode=based", OPTS_ERR_CHOICE, NULL);
}

static void test_uint(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("cpus=1", BIT(I_CPUS)).cpus, 1);
	assert_int_equal(parse_ok("cpus=8", BIT(I_CPUS)).cpus, 8);
	assert_int_equal(parse_ok("cpus=0x8", BIT(I_CPUS)).cpus, 8);
	assert_int_equal(parse_ok("cpus=0X3", BIT(I_CPUS)).cpus, 3);
	assert_int_equal(parse_ok("cpus=007", BIT(I_CPUS)).cpus, 7);
	assert_int_equal(parse_ok("seed=0xDeadBeef", BIT(I_SEED)).seed, 0xdeadbeef);
	assert_true(parse_ok("seed=18446744073709551615", BIT(I_SEED)).seed == UINT64_MAX);
	assert_true(parse_ok("seed=0xffffffffffffffff", BIT(I_SEED)).seed == UINT64_MAX);
	assert_true(parse_ok("seed=0", BIT(I_SEED)).seed == 0);
}

static void test_uint_errors(void **state)
{
	(void)state;
	parse_err("cpus=0", OPTS_ERR_RANGE, "option 'cpus': 0 is outside [1, 8]");
	parse_err("cpus=9", OPTS_ERR_RANGE, "option 'cpus': 9 is outside [1, 8]");
	parse_err("cpus=12a", OPTS_ERR_MALFORMED, "option 'cpus': '12a' is not a number");
	parse_err("cpus=-1", OPTS_ERR_MALFORMED, "option 'cpus': '-1' is not a number");
	parse_err("cpus=+1", OPTS_ERR_MALFORMED, NULL);
	parse_err("cpus=0x", OPTS_ERR_MALFORMED, NULL);
	parse_err("cpus=1.5", OPTS_ERR_MALFORMED, NULL);
	parse_err("cpus=0xg", OPTS_ERR_MALFORMED, NULL);
	parse_err("cpus=", OPTS_ERR_EMPTY, "option 'cpus': empty value");
	parse_err("seed=18446744073709551616", OPTS_ERR_OVERFLOW,
	          "option 'seed': '18446744073709551616' overflows 64 bits");
	parse_err("seed=99999999999999999999999", OPTS_ERR_OVERFLOW, NULL);
	parse_err("seed=0x10000000000000000", OPTS_ERR_OVERFLOW,
	          "option 'seed': '0x10000000000000000' overflows 64 bits");
	/* Overflow, then range: the huge value is not silently wrapped into range. */
	parse_err("cpus=18446744073709551617", OPTS_ERR_OVERFLOW, NULL);
}

static void test_size(void **state)
{
	(void)state;
	assert_true(parse_ok("mem=64M", BIT(I_MEM)).mem == 64 * MiB);
	assert_true(parse_ok("mem=64m", BIT(I_MEM)).mem == 64 * MiB);
	assert_true(parse_ok("mem=1G", BIT(I_MEM)).mem == GiB);
	assert_true(parse_ok("mem=4g", BIT(I_MEM)).mem == 4 * GiB);
	assert_true(parse_ok("mem=2048K", BIT(I_MEM)).mem == 2 * MiB);
	assert_true(parse_ok("mem=1048576", BIT(I_MEM)).mem == MiB);
	assert_true(parse_ok("mem=0x100000", BIT(I_MEM)).mem == MiB);
	assert_true(parse_ok("mem=0x10M", BIT(I_MEM)).mem == 16 * MiB);
	parse_err("mem=512K", OPTS_ERR_RANGE, "option 'mem': 512K is outside [1M, 4G]");
	parse_err("mem=4097M", OPTS_ERR_RANGE, "option 'mem': 4097M is outside [1M, 4G]");
	parse_err("mem=1048575", OPTS_ERR_RANGE, "option 'mem': 1048575 is outside [1M, 4G]");
	parse_err("mem=64MB", OPTS_ERR_MALFORMED,
	          "option 'mem': '64MB' is not a size (a number with optional K, M or G)");
	parse_err("mem=64T", OPTS_ERR_MALFORMED, NULL);
	parse_err("mem=M", OPTS_ERR_MALFORMED, NULL);
	parse_err("mem=-64M", OPTS_ERR_MALFORMED, NULL);
	/* 2^34 G = 2^64 bytes: the suffix overflows although the number fits. */
	parse_err("mem=17179869184G", OPTS_ERR_OVERFLOW,
	          "option 'mem': '17179869184G' overflows 64 bits");
	parse_err("mem=17592186044416M", OPTS_ERR_OVERFLOW, NULL);
	/* The largest multiple that fits is a range error, not an overflow. */
	parse_err("mem=17179869183G", OPTS_ERR_RANGE,
	          "option 'mem': 17179869183G is outside [1M, 4G]");
	parse_err("mem=18446744073709551616", OPTS_ERR_OVERFLOW, NULL);
}

static void test_bool(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		bool value;
	} cases[] = {
	    {"pwc=on", true}, {"pwc=off", false}, {"pwc=1", true},
	    {"pwc=0", false}, {"pwc=yes", true},  {"pwc=no", false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cfg c = defaults();
		struct opts_result res;
		c.pwc = !cases[i].value;
		assert_int_equal(opts_parse(&cfg_table, cases[i].line, &c, &res), OPTS_OK);
		assert_int_equal(c.pwc, cases[i].value);
	}
	parse_err("pwc=maybe", OPTS_ERR_CHOICE,
	          "option 'pwc': 'maybe' is not one of on, off, 1, 0, yes, no");
	parse_err("pwc=true", OPTS_ERR_CHOICE, NULL);
	parse_err("pwc=2", OPTS_ERR_CHOICE, NULL);
}

static void test_list(void **state)
{
	(void)state;
	struct cfg c = parse_ok("badpages=0x1000,0x5000", BIT(I_BADPAGES));
	assert_int_equal(c.badpages.count, 2);
	assert_int_equal(c.badpages.v[0], 0x1000);
	assert_int_equal(c.badpages.v[1], 0x5000);
	c = parse_ok("badpages=4096", BIT(I_BADPAGES));
	assert_int_equal(c.badpages.count, 1);
	assert_int_equal(c.badpages.v[0], 0x1000);
	c = parse_ok("badpages=1,2,3,0xffffffff", BIT(I_BADPAGES));
	assert_int_equal(c.badpages.count, 4);
	assert_int_equal(c.badpages.v[3], 0xffffffff);
	parse_err("badpages=1,2,3,4,5", OPTS_ERR_LIST_TOO_LONG,
	          "option 'badpages': more than 4 values");
	parse_err("badpages=0x1000,,0x2000", OPTS_ERR_EMPTY, "option 'badpages': element 2: empty");
	parse_err("badpages=0x1000,", OPTS_ERR_EMPTY, "option 'badpages': element 2: empty");
	parse_err("badpages=,0x1000", OPTS_ERR_EMPTY, "option 'badpages': element 1: empty");
	parse_err("badpages=0x1000,0x100000000", OPTS_ERR_RANGE,
	          "option 'badpages': element 2: 0x100000000 is outside [0x0, 0xffffffff]");
	parse_err("badpages=0x1000,zz", OPTS_ERR_MALFORMED,
	          "option 'badpages': element 2: 'zz' is not a number");
	parse_err("badpages=18446744073709551616", OPTS_ERR_OVERFLOW,
	          "option 'badpages': element 1: '18446744073709551616' overflows 64 bits");
}

static void test_string(void **state)
{
	(void)state;
	struct cfg c = parse_ok("name=gups-1", BIT(I_NAME));
	assert_string_equal(c.name, "gups-1");
	c = parse_ok("name=abcdefg", BIT(I_NAME));
	assert_string_equal(c.name, "abcdefg");
	c = parse_ok("name=x", BIT(I_NAME));
	assert_memory_equal(c.name, "x\0\0\0\0\0\0\0", sizeof(c.name));
	parse_err("name=abcdefgh", OPTS_ERR_STRING_TOO_LONG,
	          "option 'name': 'abcdefgh' is longer than 7 characters");
	/* Values may hold '=' and ','; only the first '=' splits. */
	c = parse_ok("name=a=b,c", BIT(I_NAME));
	assert_string_equal(c.name, "a=b,c");
}

static void test_unknown_and_duplicate(void **state)
{
	(void)state;
	parse_err("frobnicate=1", OPTS_ERR_UNKNOWN, "unknown option 'frobnicate'");
	parse_err("mod=base", OPTS_ERR_UNKNOWN, "unknown option 'mod'");
	parse_err("Mode=base", OPTS_ERR_UNKNOWN, "unknown option 'Mode'");
	parse_err("mode=base mode=native", OPTS_ERR_DUPLICATE, "option 'mode' given twice");
	parse_err("mode=base cpus=2 mode=base", OPTS_ERR_DUPLICATE, "option 'mode' given twice");
	/* The first error wins. */
	parse_err("frobnicate=1 mode=fast", OPTS_ERR_UNKNOWN, "unknown option 'frobnicate'");
	parse_err("mode=fast frobnicate=1", OPTS_ERR_CHOICE, NULL);
	/* A bad value after good ones leaves the good ones unstored too. */
	parse_err("/k mode=native cpus=2 mem=64Q", OPTS_ERR_MALFORMED, NULL);
	/* Long user text is clipped in the message. */
	char line[160];
	memset(line, 'k', 100);
	strcpy(line + 100, "=1");
	parse_err(line, OPTS_ERR_UNKNOWN,
	          "unknown option 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk'");
}

static void test_all_options(void **state)
{
	(void)state;
	struct cfg c = parse_ok("/boot/hv mode=vmm-direct tlb=tiny cpus=4 seed=0x99 mem=1G pwc=yes "
	                        "badpages=0x1000 name=all",
	                        BITS(I_NAME, I_MODE));
	assert_int_equal(c.mode, MODE_VMM_DIRECT);
	assert_int_equal(c.tlb, 1);
	assert_int_equal(c.cpus, 4);
	assert_int_equal(c.seed, 0x99);
	assert_true(c.mem == GiB);
	assert_true(c.pwc);
	assert_int_equal(c.badpages.count, 1);
	assert_string_equal(c.name, "all");
}

static void test_format(void **state)
{
	(void)state;
	char buf[256];
	struct cfg c = defaults();
	int n = opts_format(buf, sizeof(buf), &cfg_table, &c, 0);
	const char *want_defaults =
	    "mode=base(default) tlb=skylake(default) cpus=1(default) seed=0x2a(default) "
	    "mem=64M(default) pwc=off(default) badpages=(none)(default) name=run(default)";
	assert_string_equal(buf, want_defaults);
	assert_int_equal(n, (int)strlen(want_defaults));

	struct opts_result res;
	assert_int_equal(opts_parse(&cfg_table,
	                            "/k mode=guest-direct mem=1536K pwc=on "
	                            "badpages=0x1000,0x5000 seed=18446744073709551615",
	                            &c, &res),
	                 OPTS_OK);
	opts_format(buf, sizeof(buf), &cfg_table, &c, res.given);
	assert_string_equal(buf, "mode=guest-direct tlb=skylake(default) cpus=1(default) "
	                         "seed=0xffffffffffffffff mem=1536K pwc=on "
	                         "badpages=0x1000,0x5000 name=run(default)");

	/* Sizes without an exact suffix print as bytes; empty strings as (none). */
	c.mem = MiB + 1;
	c.name[0] = '\0';
	c.mode = 7; /* out of the choices: shown, not hidden */
	opts_format(buf, sizeof(buf), &cfg_table, &c, BIT(I_MEM) | BIT(I_NAME) | BIT(I_MODE));
	assert_non_null(strstr(buf, "mem=1048577 "));
	assert_non_null(strstr(buf, "name=(none)"));
	assert_non_null(strstr(buf, "mode=(invalid 7) "));

	/* Truncation keeps a terminated prefix and reports the full length. */
	char small[10];
	c = defaults();
	n = opts_format(small, sizeof(small), &cfg_table, &c, 0);
	assert_string_equal(small, "mode=base");
	assert_int_equal(n, (int)strlen(want_defaults));
	assert_int_equal(opts_format(NULL, 0, &cfg_table, &c, 0), (int)strlen(want_defaults));
}

struct small {
	u64 a;
	u32 e;
	struct opt_u64_list l;
	char s[4];
};

static void expect_bad_table(const struct opt_desc *opts, size_t count, const char *want_msg)
{
	struct opt_table t = {opts, count};
	struct opts_result res;
	struct small s = {0};
	assert_int_equal(opts_check_table(&t, &res), OPTS_ERR_BAD_TABLE);
	assert_string_equal(res.msg, want_msg);
	assert_int_equal(opts_parse(&t, "a=1", &s, &res), OPTS_ERR_BAD_TABLE);
}

static void test_bad_tables(void **state)
{
	(void)state;
	static const char *const none[] = {NULL};
	const struct opt_desc twice[] = {
	    OPT_UINT_ENTRY(struct small, a, "a", 0, 1, 0, "h"),
	    OPT_UINT_ENTRY(struct small, a, "a", 0, 1, 0, "h"),
	};
	expect_bad_table(twice, 2, "option table entry 1: name used twice");
	const struct opt_desc inverted[] = {OPT_UINT_ENTRY(struct small, a, "a", 2, 1, 0, "h")};
	expect_bad_table(inverted, 1, "option table entry 0: min above max");
	const struct opt_desc no_choices[] = {OPT_ENUM_ENTRY(struct small, e, "e", none, "h")};
	expect_bad_table(no_choices, 1, "option table entry 0: enum without choices");
	const struct opt_desc null_choices[] = {OPT_ENUM_ENTRY(struct small, e, "e", NULL, "h")};
	expect_bad_table(null_choices, 1, "option table entry 0: enum without choices");
	const struct opt_desc list0[] = {OPT_LIST_ENTRY(struct small, l, "l", 0, 1, 0, 0, "h")};
	expect_bad_table(list0, 1, "option table entry 0: list limit not in 1..OPT_LIST_MAX");
	const struct opt_desc list17[] = {
	    OPT_LIST_ENTRY(struct small, l, "l", 0, 1, OPT_LIST_MAX + 1, 0, "h")};
	expect_bad_table(list17, 1, "option table entry 0: list limit not in 1..OPT_LIST_MAX");
	const struct opt_desc eq[] = {OPT_UINT_ENTRY(struct small, a, "a=b", 0, 1, 0, "h")};
	expect_bad_table(eq, 1, "option table entry 0: name contains '=' or a space");
	const struct opt_desc nohelp[] = {OPT_UINT_ENTRY(struct small, a, "a", 0, 1, 0, NULL)};
	expect_bad_table(nohelp, 1, "option table entry 0: no name or help");

	struct opt_desc many[OPTS_MAX + 1];
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct opt_desc)OPT_UINT_ENTRY(struct small, a, "a", 0, 1, 0, "h");
	expect_bad_table(many, ARRAY_SIZE(many), "option table has 65 entries, at most 64");

	struct opt_table ok = OPT_TABLE(inverted);
	ok.count = 0;
	struct opts_result res;
	assert_int_equal(opts_check_table(&ok, &res), OPTS_OK);
	assert_int_equal(opts_check_table(&cfg_table, &res), OPTS_OK);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int i = 0; i < OPTS_ERR_COUNT; i++) {
		assert_non_null(opts_strerror(i));
		assert_true(strlen(opts_strerror(i)) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(opts_strerror(i), opts_strerror(j));
	}
	assert_string_equal(opts_strerror(OPTS_OK), "ok");
	assert_string_equal(opts_strerror(OPTS_ERR_UNKNOWN), "unknown option");
	assert_string_equal(opts_strerror(OPTS_ERR_COUNT), "unknown error");
}

/* opts_peek finds one key before the full parse, skipping the kernel path,
 * without judging the rest of the line. */
static void test_peek(void **state)
{
	(void)state;
	size_t len = 0;
	const char *v = opts_peek("/boot/hv.elf mode=base console=com2 x", "console", &len);
	assert_non_null(v);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "com2", 4);
	assert_null(opts_peek("/boot/hv.elf consoles=com2 console mode=base", "console", &len));
	assert_null(opts_peek(NULL, "console", &len));
	v = opts_peek("console= mode=base", "console", &len);
	assert_non_null(v);
	assert_int_equal(len, 0);
}

/* The console= values (lib/x86/uart.h): the four PC ports by name, a base
 * I/O port in hex; anything else is refused and leaves the port untouched. */
static void test_console_port(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
		u16 base;
	} cases[] = {
	    {"com1", true, 0x3f8}, {"com2", true, 0x2f8},    {"com3", true, 0x3e8},
	    {"com4", true, 0x2e8}, {"0x2f8", true, 0x2f8},   {"0X3F8", true, 0x3f8},
	    {"0x8", true, 0x8},    {"0xfff8", true, 0xfff8}, {"com5", false, 0},
	    {"COM1", false, 0},    {"com", false, 0},        {"", false, 0},
	    {"0x", false, 0},      {"0x0", false, 0},        {"0x2f9", false, 0},
	    {"0x10000", false, 0}, {"0xfffc", false, 0},     {"1016", false, 0},
	    {"0x2fg", false, 0},   {"com1x", false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u16 base = 0x1234;
		bool ok = uart_parse_port(cases[i].s, strlen(cases[i].s), &base);
		if (ok != cases[i].ok)
			fail_msg("'%s': %d", cases[i].s, ok);
		assert_int_equal(base, cases[i].ok ? cases[i].base : 0x1234);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_cmdline), cmocka_unit_test(test_kernel_path_first),
	    cmocka_unit_test(test_enum),          cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_uint_errors),   cmocka_unit_test(test_size),
	    cmocka_unit_test(test_bool),          cmocka_unit_test(test_list),
	    cmocka_unit_test(test_string),        cmocka_unit_test(test_unknown_and_duplicate),
	    cmocka_unit_test(test_all_options),   cmocka_unit_test(test_format),
	    cmocka_unit_test(test_bad_tables),    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_peek),          cmocka_unit_test(test_console_port),
	};
	return cmocka_run_group_tests_name("opts", tests, NULL, NULL);
}
