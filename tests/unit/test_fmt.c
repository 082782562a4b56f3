/* lib/fmt: the printf subset used for every console and RESULT line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/fmt.h"

static void expect(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_integers(void **state)
{
	(void)state;
	expect("0", "%d", 0);
	expect("-42", "%d", -42);
	expect("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
	expect("18446744073709551615", "%llu", 18446744073709551615ULL);
	expect("ffffffff", "%x", 0xffffffffu);
	expect("0x00001000", "0x%08llx", 0x1000ULL);
	expect("DEAD", "%X", 0xdead);
	expect("17", "%o", 15);
	expect("255", "%hhu", 0x1ff);
	expect("[   7]", "[%4d]", 7);
	expect("[7   ]", "[%-4d]", 7);
	expect("[-007]", "[%04d]", -7);
	expect("12345", "%zu", (size_t)12345);
}

static void test_strings(void **state)
{
	(void)state;
	expect("ab", "%s", "ab");
	expect("(null)", "%s", (char *)NULL);
	expect("[  ab]", "[%4s]", "ab");
	expect("[ab  ]", "[%-4s]", "ab");
	expect("abc", "%.3s", "abcdef");
	expect("ab", "%.*s", 2, "abcdef");
	expect("x%y", "x%%y");
	expect("c", "%c", 'c');
	expect("0x10", "%p", (void *)0x10);
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[5];
	memset(buf, 'z', sizeof(buf));
	int n = fmt_snprintf(buf, sizeof(buf), "%s", "abcdefgh");
	assert_int_equal(n, 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(fmt_snprintf(NULL, 0, "%d", 123456), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
