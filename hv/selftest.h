/* Boot self-tests (selftest=on): the allocator over the real memory map,
 * the direct map, exceptions caught and reported, option parsing. */
#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

#include "hv/mem/frame.h"
#include "hv/mem/memmap.h"
#include "lib/report.h"

void selftest_run(struct report *rep, const struct memmap *mem, struct frame_alloc *fa);

#endif
