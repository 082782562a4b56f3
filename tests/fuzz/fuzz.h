/* What the libFuzzer targets of tests/fuzz/ share: the entry point libFuzzer calls, a reader
 * that takes typed values from the input (zeros once it runs out, so every input is a valid
 * program for a target), and the check that abort()s on a broken invariant, naming it, so that
 * libFuzzer records the input as a crash. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/types.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: invariant broken at %s:%d: %s: ", __FILE__,         \
			        __LINE__, #cond);                                                  \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct fuzz_in {
	const u8 *p;
	size_t left;
};

static inline u64 fuzz_bytes(struct fuzz_in *in, unsigned n)
{
	u64 v = 0;
	for (unsigned i = 0; i < n; i++) {
		u64 b = 0;
		if (in->left) {
			b = *in->p++;
			in->left--;
		}
		v |= b << (8 * i);
	}
	return v;
}

static inline u8 fuzz_u8(struct fuzz_in *in)
{
	return (u8)fuzz_bytes(in, 1);
}
static inline u32 fuzz_u32(struct fuzz_in *in)
{
	return (u32)fuzz_bytes(in, 4);
}
static inline u64 fuzz_u64(struct fuzz_in *in)
{
	return fuzz_bytes(in, 8);
}

/* A heap copy of exactly n bytes (n may be 0), so that AddressSanitizer catches a read one
 * byte past what the code under test was given. */
static inline u8 *fuzz_dup(const u8 *p, size_t n)
{
	u8 *c = malloc(n); /* AddressSanitizer's malloc(0) is a valid pointer to no bytes */
	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	return c;
}

#endif
