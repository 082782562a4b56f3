/* The guest's workloads (GUPS random update, sequential stream, pointer
 * chase) over its workload region, run in each translation mode with the
 * hypervisor replaying their address traces through the walk model. */
#ifndef GUEST_WORKLOADS_H
#define GUEST_WORKLOADS_H

#include "guest/options.h"
#include "lib/report.h"

/* Bytes above free_start that workloads_run takes for its page tables and trace buffer. */
u64 workloads_reserved_bytes(const struct guest_opts *o, u64 ram_top);
/* Puts the workload region at gpa (a hot-added range) instead of above the trace buffer. */
void workloads_place_region(u64 gpa);
void workloads_run(struct report *rep, const struct guest_opts *o, u64 ram_top, u64 free_start);

#endif
