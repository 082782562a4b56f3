/* Fixed-width types shared by hv, guest and host tests. Freestanding: only
 * the compiler's own headers are used. */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64; /* %llx and %llu print it */
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The entry i of a table of names (designated initializers, indexed by an
 * enum), or fallback when i is out of range or has no name. */
#define NAME_IN(table, i, fallback)                                                                \
	((unsigned long long)(i) < ARRAY_SIZE(table) && (table)[i] ? (table)[i] : (fallback))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#define PAGE_SIZE_4K (4 * KiB)
#define PAGE_SIZE_2M (2 * MiB)
#define PAGE_SIZE_1G (1 * GiB)

#endif
