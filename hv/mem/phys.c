#include "hv/mem/phys.h"

/* The direct map is an identity map of all RAM (hv/dmap.c). */
void *phys_to_virt(u64 pa)
{
	return (void *)(uintptr_t)pa;
}
