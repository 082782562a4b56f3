/* Guest swapping (DESIGN.md "Memory management", what the modes cost a VMM): the test guest
 * pages part of its own workload region out to a store of its own and back. gswap_run picks n
 * pages of the region at REGION_VA, spread over it, and fills each with a pattern of its own; for
 * each page it copies it into a store slot, poisons the frame behind it (reached through the
 * identity map, gVA = gPA), clears the present bit of its 4 KiB PTE and flushes that translation
 * (INVLPG); then it reads each page, which takes a not-present #PF: the fault handler copies the
 * store slot back into the frame, sets the PTE present again and flushes it, and the read runs
 * again. One page then goes out once more and comes back by a write. The data is checked after
 * every step: the store slot after a page-out, the poison behind the unmapped page, the whole page
 * after a fault-in, the written word after the write.
 *
 * Inside the guest segment (guest-direct, dual-direct) the region is translated by the segment,
 * not by the guest's page tables, so the guest cannot swap it: every page-out is refused by name
 * and the page stays as it was. Every mode prints
 * RESULT kind=gswap source=guest mode=M pages_out= pages_in= faults= refused= (pages are 4 KiB). */
#ifndef GUEST_GSWAP_H
#define GUEST_GSWAP_H

#include "lib/report.h"
#include "lib/types.h"

#define GSWAP_MAX_PAGES 64 /* store slots, 4 KiB each, in the guest's image */

/* The region [REGION_VA, REGION_VA + bytes) is mapped onto gPA region_gpa (guest/paging.h). */
void gswap_run(struct report *rep, u32 mode, u64 region_gpa, u64 bytes, u64 pages);

#endif
