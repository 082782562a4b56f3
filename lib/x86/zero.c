#include "lib/x86/zero.h"

/* The first nonzero word of [p, p + words), or p + words. REPE SCASQ
 * compares RAX with [RDI] while RCX counts down (SDM Vol. 2B, SCAS): one
 * instruction per page, which an emulator also runs as one. */
static u64 *first_nonzero(u64 *p, u64 words)
{
#if defined(__x86_64__)
	if (!words)
		return p;
	u64 *d = p;
	__asm__ volatile("repe scasq" : "+D"(d), "+c"(words) : "a"(0ULL) : "memory", "cc");
	/* RDI has moved past the word that stopped the scan, or past the end. */
	return d[-1] ? d - 1 : d;
#else
	while (words && !*p)
		p++, words--;
	return p;
#endif
}

/* REP STOSQ stores RAX to [RDI] RCX times (SDM Vol. 2B, STOS). */
static void fill_zero(u64 *p, u64 words)
{
#if defined(__x86_64__)
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(words) : "a"(0ULL) : "memory");
#else
	while (words--)
		*p++ = 0;
#endif
}

u64 zero_range(void *dst, u64 n)
{
	u64 *p = dst, written = 0;
	u64 words = n / sizeof(u64);
	while (words) {
		/* Page by page from dst, the first piece up to a page boundary. */
		u64 chunk =
		    (ZERO_PAGE_BYTES - ((uintptr_t)p & (ZERO_PAGE_BYTES - 1))) / sizeof(u64);
		if (chunk > words)
			chunk = words;
		u64 *nz = first_nonzero(p, chunk);
		u64 rest = (u64)(p + chunk - nz);
		if (rest) {
			fill_zero(nz, rest);
			written += rest * sizeof(u64);
		}
		p += chunk;
		words -= chunk;
	}
	return written;
}
