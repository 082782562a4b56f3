/* The guest's own Multiboot modules (spec 0.6.96, 3.3): with modsum= on its command line the
 * test guest checks that it got exactly that many modules, each page-aligned (its header asks
 * for it), with a string, clear of its image, of the boot information and of each other, and
 * with the CRC-32 (IEEE 802.3, the one of zlib and PNG) of its bytes the option gives; and that
 * the information structure, module list and memory map are clear of its image. Run first:
 * later checks write over free RAM, where a loader may have put the modules. */
#ifndef GUEST_MODCHECK_H
#define GUEST_MODCHECK_H

#include "lib/multiboot.h"
#include "lib/opts.h"
#include "lib/report.h"

u32 modcheck_crc32(const u8 *p, u64 len);
void modcheck_run(struct report *rep, const struct mb_info *mbi, const struct opt_u64_list *sums,
                  u64 image_start, u64 image_end);

#endif
