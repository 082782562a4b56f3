/* Zeroing large ranges (guest RAM): a page that already reads as zero is
 * left unwritten, so the cost is one read of it; any other page is filled
 * with zeros from its first nonzero word on. On dirty memory that costs
 * about a plain fill; on memory already zero (an emulator's fresh RAM, or
 * a fresh VM's) it costs a read and commits nothing. */
#ifndef LIB_X86_ZERO_H
#define LIB_X86_ZERO_H

#include "lib/types.h"

#define ZERO_PAGE_BYTES PAGE_SIZE_4K

/* Zeroes [dst, dst + n); dst and n multiples of 8. Returns the bytes that
 * had to be written (from the first nonzero word of each page on). */
u64 zero_range(void *dst, u64 n);

#endif
