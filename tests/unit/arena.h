/* A memory arena that stands for physical memory in host unit tests:
 * phys_to_virt(pa) maps [ARENA_BASE, ARENA_BASE + size) into a host buffer. */
#ifndef TESTS_UNIT_ARENA_H
#define TESTS_UNIT_ARENA_H

#include "lib/types.h"

#define ARENA_BASE (16 * MiB) /* a non-zero base catches pa/offset mix-ups */

/* Allocates (zeroed, 1 GiB-aligned host address not required) and installs
 * an arena of the given size; returns its host address. */
void *arena_create(u64 size);
void arena_destroy(void);
u64 arena_size(void);
/* A bump allocator of zeroed 4 KiB frames inside the arena, for tests that
 * build tables. Returns 0 when the arena is exhausted. */
u64 arena_alloc_frame(void);
u64 arena_frames_used(void);

#endif
