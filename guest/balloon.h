/* The test guest's balloon driver (DESIGN.md "Memory management", self-ballooning): it can
 * fragment its own free RAM by pinning pages scattered over it (fragment=N), so that no free gPA
 * run is large enough for its workload region; then it returns every free page to segvisor
 * (HC_BALLOON_OUT, lists of at most HC_BALLOON_MAX entries), takes a few back and returns them
 * again (HC_BALLOON_IN), and asks for the same amount back as one contiguous range (HC_HOTADD),
 * where the workload region and its guest segment then go. Each refused list (out of the map,
 * named twice, unaligned, too many, inside the guest segment) is checked to have its own error
 * and to change nothing; the pinned pages' data is checked after every step. */
#ifndef GUEST_BALLOON_H
#define GUEST_BALLOON_H

#include "guest/options.h"
#include "lib/report.h"

#define BALLOON_MAX_PINNED 64

/* Runs the above over [start, ram_top); on success returns true with the hot-added range in
 * *gpa, *bytes. */
bool balloon_run(struct report *rep, const struct guest_opts *o, u64 start, u64 ram_top, u64 *gpa,
                 u64 *bytes);

/* The PCI hole (DESIGN.md "Memory management"): a guest of more than 3 GiB finds RAM [1 MiB,
 * 3 GiB) and [4 GiB, top) in its Multiboot map, the hole [3 GiB, 4 GiB) between. iohole_run
 * checks that map against the hypervisor's (HC_MEM_STATS), then moves the RAM below the hole above
 * it by self-ballooning, so that all the RAM the workloads use is one run above 4 GiB:
 *   stays below the hole: [0, keep_end) - the first MiB (the boot information), the guest's
 *     image (code, data, stack, boot page tables), rounded up to 2 MiB (keep_end = free_start);
 *   moves: every page of [keep_end, 3 GiB), returned in 2 MiB entries; the hypervisor hot-adds
 *     as many pages at the top of RAM, contiguous with the RAM above 4 GiB.
 * The RAM above 4 GiB is filled with a pattern first and checked after; the hot-added range must
 * read as zero and keep what is written; a take-back or balloon-out inside the hole is refused.
 * On success *free_start becomes 4 GiB (the workloads' tables, trace buffer and region go above
 * the hole) and *ram_top the new top of RAM. */
struct mb_info;
bool iohole_run(struct report *rep, const struct mb_info *mbi, u64 keep_end, u64 *free_start,
                u64 *ram_top);
/* Reads a gPA inside the PCI hole: the hypervisor must stop the guest, as for any gPA outside
 * its memory map. */
void iohole_touch(struct report *rep, const struct mb_info *mbi);

#endif
