/* The guest's workloads (GUPS random update, sequential stream, pointer
 * chase) over its workload region, run in each translation mode with the
 * hypervisor replaying their address traces through the walk model. */
#ifndef GUEST_WORKLOADS_H
#define GUEST_WORKLOADS_H

#include "guest/options.h"
#include "lib/report.h"

void workloads_run(struct report *rep, const struct guest_opts *o, u64 ram_top, u64 free_start);

#endif
