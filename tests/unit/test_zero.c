/* lib/zero: every word ends zero, and only the pages that were not already
 * zero are written, from their first nonzero word on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/x86/zero.h"

#define PAGES          8
#define WORDS_PER_PAGE (ZERO_PAGE_BYTES / sizeof(u64))

static u64 *pages(void)
{
	u64 *p = aligned_alloc(ZERO_PAGE_BYTES, PAGES * ZERO_PAGE_BYTES);
	assert_non_null(p);
	memset(p, 0, PAGES * ZERO_PAGE_BYTES);
	return p;
}

static void assert_all_zero(const u64 *p, u64 words)
{
	for (u64 i = 0; i < words; i++)
		assert_int_equal(p[i], 0);
}

static void test_zero_memory_is_not_written(void **state)
{
	(void)state;
	u64 *p = pages();
	assert_int_equal(zero_range(p, PAGES * ZERO_PAGE_BYTES), 0);
	assert_all_zero(p, PAGES * WORDS_PER_PAGE);
	free(p);
}

static void test_dirty_words_are_cleared(void **state)
{
	(void)state;
	u64 *p = pages();
	p[0] = 1;                         /* page 0 from its first word: a whole page */
	p[WORDS_PER_PAGE * 2 + 100] = ~0; /* page 2 from word 100 */
	p[WORDS_PER_PAGE * 5 - 1] = 7;    /* the last word of page 4 */
	p[WORDS_PER_PAGE * PAGES - 1] = 9;
	u64 want = ZERO_PAGE_BYTES + (WORDS_PER_PAGE - 100) * 8 + 8 + 8;
	assert_int_equal(zero_range(p, PAGES * ZERO_PAGE_BYTES), want);
	assert_all_zero(p, PAGES * WORDS_PER_PAGE);
	free(p);
}

/* A range that starts and ends inside pages: nothing outside it changes. */
static void test_unaligned_ends(void **state)
{
	(void)state;
	u64 *p = pages();
	for (u64 i = 0; i < PAGES * WORDS_PER_PAGE; i++)
		p[i] = i | 1;
	const u64 first = 3, last = WORDS_PER_PAGE * 3 + 5; /* [first, last) */
	assert_int_equal(zero_range(p + first, (last - first) * 8), (last - first) * 8);
	for (u64 i = 0; i < PAGES * WORDS_PER_PAGE; i++)
		assert_int_equal(p[i], i >= first && i < last ? 0 : (i | 1));
	assert_int_equal(zero_range(p + first, 0), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zero_memory_is_not_written),
	    cmocka_unit_test(test_dirty_words_are_cleared),
	    cmocka_unit_test(test_unaligned_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
