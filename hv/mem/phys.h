/* The one way hv/ code reaches physical memory. The hypervisor maps all RAM
 * in a direct map; host unit tests back it with a memory arena. */
#ifndef HV_PHYS_H
#define HV_PHYS_H

#include "lib/types.h"

void *phys_to_virt(u64 pa);

static inline u64 phys_read64(u64 pa)
{
	return *(volatile u64 *)phys_to_virt(pa);
}
static inline void phys_write64(u64 pa, u64 v)
{
	*(volatile u64 *)phys_to_virt(pa) = v;
}

#endif
