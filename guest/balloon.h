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

#endif
