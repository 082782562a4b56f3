#include "tests/unit/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mem/phys.h"

static u8 *arena;
static u64 arena_bytes;
static u64 arena_next;

void *arena_create(u64 size)
{
	arena = aligned_alloc(PAGE_SIZE_4K, size);
	if (!arena)
		abort();
	memset(arena, 0, size);
	arena_bytes = size;
	arena_next = 0;
	return arena;
}

void arena_destroy(void)
{
	free(arena);
	arena = NULL;
	arena_bytes = 0;
}

u64 arena_size(void)
{
	return arena_bytes;
}

u64 arena_alloc_frame(void)
{
	if (arena_next + PAGE_SIZE_4K > arena_bytes)
		return 0;
	u64 pa = ARENA_BASE + arena_next;
	memset(arena + arena_next, 0, PAGE_SIZE_4K);
	arena_next += PAGE_SIZE_4K;
	return pa;
}

u64 arena_frames_used(void)
{
	return arena_next / PAGE_SIZE_4K;
}

void *phys_to_virt(u64 pa)
{
	if (pa < ARENA_BASE || pa - ARENA_BASE >= arena_bytes) {
		fprintf(stderr, "arena: physical address 0x%llx outside the arena\n",
		        (unsigned long long)pa);
		abort();
	}
	return arena + (pa - ARENA_BASE);
}
