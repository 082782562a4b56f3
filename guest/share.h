/* The guest side of the hypervisor's page sharing and VMM swapping (vmmfeat=): a region filled
 * with known contents, checked by the guest (every word) and against the hypervisor's hash of the
 * same range after every operation. */
#ifndef GUEST_SHARE_H
#define GUEST_SHARE_H

#include "guest/options.h"
#include "lib/report.h"

enum vmmfeat_opt { VMMFEAT_NONE, VMMFEAT_SHARE, VMMFEAT_SWAP };

void vmmfeat_run(struct report *rep, const struct guest_opts *o, u64 free_start, u64 ram_top);

#endif
