/* A guest-linear address to its guest-physical address through the guest's
 * own page tables, in every paging mode a guest may be in (SDM Vol. 3A,
 * 4.1.1 and Table 4-1): no paging (CR0.PG = 0; the address's low 32 bits),
 * 32-bit paging (4 KiB pages, 4 MiB pages with CR4.PSE, PSE-36 address bits
 * 39:32 in PDE bits 20:13; 4.3), PAE paging (four PDPTEs at CR3[31:5], 2 MiB
 * and 4 KiB pages; 4.4) and 4-level or 5-level paging (CR4.LA57; 4.5) in
 * IA-32e mode. It reads table entries through the caller's reader and
 * checks present bits only: the hypervisor uses it to fetch the bytes of an
 * instruction the CPU has already fetched (an exit's RIP), not to enforce
 * access rights. */
#ifndef HV_VM_GWALK_H
#define HV_VM_GWALK_H

#include "lib/types.h"

struct gwalk_regs {
	u64 cr0, cr3, cr4, efer;
};

/* Copies len bytes of guest-physical memory at gpa into buf; false when the
 * range is not guest RAM. */
typedef bool (*gwalk_read_fn)(void *ctx, u64 gpa, void *buf, unsigned len);

/* True and *gpa when la is mapped; false when an entry on the way is not
 * present or unreadable. */
bool gwalk(const struct gwalk_regs *r, u64 la, gwalk_read_fn read, void *ctx, u64 *gpa);

#endif
