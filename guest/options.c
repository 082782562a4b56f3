#include "guest/options.h"

#include "guest/balloon.h"
#include "guest/gswap.h"
#include "lib/hvcall.h"
#include "lib/mem.h"

static const char *const workload_names[] = {HV_WORKLOAD_NAMES, "all", "none", NULL};
_Static_assert((int)WORKLOADS_ALL == (int)WL_COUNT, "workload names follow enum hv_workload");
static const char *const mode_names[] = {HV_MODE_NAMES, "all", NULL};
_Static_assert((int)MODES_ALL == (int)MODE_COUNT, "mode names follow enum hv_mode");
static const char *const gpage_names[] = {"4k", "2m", "1g", NULL};
static const char *const crash_names[] = {"none", "triple-fault", "halt", "spin", NULL};
static const char *const vmmfeat_names[] = {"none", "share", "swap", NULL};

static const struct opt_desc guest_opt_descs[] = {
    OPT_BOOL_ENTRY(struct guest_opts, checks, "checks", "VM checks"),
    OPT_SIZE_ENTRY(struct guest_opts, pattern, "pattern", 0, 64 * GiB,
                   "bytes for the RAM pattern test (0: all free RAM)"),
    OPT_BOOL_ENTRY(struct guest_opts, oob, "oob", "touch memory outside the guest's map"),
    OPT_ENUM_ENTRY(struct guest_opts, crash, "crash", crash_names,
                   "misbehave after the checks: triple-fault, halt or spin"),
    OPT_ENUM_ENTRY(struct guest_opts, workloads, "workloads", workload_names, "workloads"),
    OPT_ENUM_ENTRY(struct guest_opts, modes, "modes", mode_names, "modes to run them in"),
    OPT_ENUM_ENTRY(struct guest_opts, gpage, "gpage", gpage_names,
                   "guest page size of the workload region in paging modes"),
    OPT_SIZE_ENTRY(struct guest_opts, region, "region", 4 * MiB, 32 * GiB,
                   "workload region (guest segment) bytes"),
    OPT_SIZE_ENTRY(struct guest_opts, gups_table, "gups_table", 4 * KiB, 32 * GiB,
                   "GUPS table bytes"),
    OPT_UINT_ENTRY(struct guest_opts, gups_updates, "gups_updates", 1, 1ULL << 32, 0,
                   "GUPS updates"),
    OPT_SIZE_ENTRY(struct guest_opts, stream_bytes, "stream_bytes", 4 * KiB, 32 * GiB,
                   "bytes streamed"),
    OPT_SIZE_ENTRY(struct guest_opts, pchase_bytes, "pchase_bytes", 4 * KiB, 32 * GiB,
                   "pointer-chase ring bytes"),
    OPT_UINT_ENTRY(struct guest_opts, pchase_steps, "pchase_steps", 1, 1ULL << 32, 0,
                   "pointer-chase steps"),
    OPT_UINT_ENTRY(struct guest_opts, seed, "seed", 0, ~0ULL, OPTF_HEX, "random seed"),
    OPT_UINT_ENTRY(struct guest_opts, trace, "trace", 1024, HC_TRACE_MAX_BYTES / sizeof(u64), 0,
                   "trace buffer entries"),
    OPT_BOOL_ENTRY(struct guest_opts, escape_test, "escape_test",
                   "mark region pages bad by hypercall and check the data"),
    OPT_UINT_ENTRY(struct guest_opts, fragment, "fragment", 0, BALLOON_MAX_PINNED, 0,
                   "pinned pages scattered over free RAM, fragmenting it"),
    OPT_BOOL_ENTRY(struct guest_opts, balloon, "balloon",
                   "self-balloon free RAM and put the region on the hot-added range"),
    OPT_LIST_ENTRY(struct guest_opts, modsum, "modsum", 0, 0xffffffffULL, OPT_LIST_MAX, OPTF_HEX,
                   "CRC-32 of each module the guest must receive, in order"),
    OPT_UINT_ENTRY(struct guest_opts, gswap, "gswap", 0, GSWAP_MAX_PAGES, 0,
                   "pages of the region the guest swaps out to its own store and back, per mode"),
    OPT_BOOL_ENTRY(struct guest_opts, iohole, "iohole",
                   "move the RAM below the PCI hole above 4 GiB and run the workloads there"),
    OPT_BOOL_ENTRY(struct guest_opts, iohole_touch, "iohole_touch",
                   "read a gPA inside the PCI hole (the hypervisor must stop the guest)"),
    OPT_ENUM_ENTRY(struct guest_opts, vmmfeat, "vmmfeat", vmmfeat_names,
                   "the hypervisor's page sharing or VMM swapping, checked (guest/share.c)"),
};

const struct opt_table guest_opts_table = OPT_TABLE(guest_opt_descs);

/* Field by field over a zeroed struct: a struct assignment may copy padding bytes from a
 * temporary, and the options' fuzz target compares whole structs. */
void guest_opts_defaults(struct guest_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->checks = true;
	o->pattern = 0;
	o->workloads = WORKLOADS_NONE;
	o->modes = MODES_ALL;
	o->gpage = GPAGE_4K;
	o->region = 64 * MiB;
	o->gups_table = 32 * MiB;
	o->gups_updates = 20000;
	o->stream_bytes = 32 * MiB;
	o->pchase_bytes = 16 * MiB;
	o->pchase_steps = 20000;
	o->seed = 0x5e9f;
	o->trace = 65536;
}
