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
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#define PAGE_SIZE_4K (4 * KiB)
#define PAGE_SIZE_2M (2 * MiB)
#define PAGE_SIZE_1G (1 * GiB)

#endif
