/* The hypercall ABI between segvisor and its guest (DESIGN.md
 * "Hypercalls"): VMCALL (VMMCALL on AMD) with the call number in RAX and
 * arguments in RDI, RSI, RDX; the status comes back in RAX (0 or a negative
 * HC_E* error) and a value, where a call has one, in RDX. Guest pointers are
 * guest-physical addresses. This header is the only one, besides lib/,
 * that the guest and the hypervisor share. */
#ifndef LIB_HVCALL_H
#define LIB_HVCALL_H

#include "lib/modes.h"
#include "lib/types.h"

#define HV_CPUID_LEAF_SIGNATURE 0x40000000
#define HV_CPUID_LEAF_MAX       0x40000001     /* highest hypervisor leaf */
#define HV_CPUID_LEAF_FEATURES  0x40000001     /* EAX = ABI version */
#define HV_SIGNATURE            "SegVisorSegV" /* EBX, ECX, EDX of leaf 0x40000000 */
#define HV_ABI_VERSION          1

enum hvcall_nr {
	HC_VERSION = 0,       /* -> RDX = HV_ABI_VERSION */
	HC_CONSOLE_WRITE = 1, /* (gpa, len): print guest text, len <= HC_CONSOLE_MAX */
	HC_EXIT = 2,          /* (status): the guest ends; 0 is success */
	HC_READ_COUNTERS = 3, /* (gpa, len): copy struct hv_counters, len >= its size */
	HC_SET_MODE = 4,      /* (mode): rebuild the nested table for enum hv_mode */
	HC_SET_GSEG = 5,      /* (base, limit, offset): declare the guest segment */
	HC_TRACE_SETUP = 6,   /* (gpa, bytes): register the trace buffer */
	HC_TRACE_REPLAY = 7,  /* (count, workload, flags): replay trace entries 0..count-1,
	                       * in steps of HC_TRACE_STEP entries (below) */
	HC_ESCAPE_PAGE = 8,   /* (gpa): test only: mark the frame behind gpa bad */
	HC_CHECK_BAD = 9,     /* (): -> RDX = bad frames found written (must be 0) */
	/* Memory the guest gives back and gets (DESIGN.md "Memory management"). A list is
	 * an array of u64 entries at a gPA, at most HC_BALLOON_MAX of them: each the gPA
	 * of a 4 KiB page, or of a 2 MiB page with HC_BALLOON_2M in bit 0. */
	HC_BALLOON_OUT = 10,  /* (list, count): give these pages back; -> RDX = pages freed */
	HC_BALLOON_IN = 11,   /* (list, count): take ballooned-out gPAs back, fresh and zeroed,
	                       * out of the pages not yet hot-added; -> RDX = pages */
	HC_HOTADD = 12,       /* (range): hot-add as one contiguous gPA range the pages
	                       * ballooned out since the last hot-add; struct hv_mem_range
	                       * copied to range; -> RDX = its gPA. Resumable like
	                       * HC_TRACE_REPLAY: the new RAM is zeroed in steps, RDX
	                       * carrying the steps done into the same VMCALL again */
	HC_MEM_STATS = 13,    /* (gpa, len): copy struct hv_mem_stats, len >= its size */
	/* Page sharing and VMM swapping (DESIGN.md "What the modes cost a VMM"). */
	HC_SHARE_SCAN = 14,   /* (gpa, bytes): merge identical 4 KiB pages of the range, at most
	                       * HC_SHARE_MAX_BYTES, resumable in steps like HC_TRACE_REPLAY with
	                       * RDX = HC_SHARE_RESUME | seq << TRACE_SEQ_SHIFT; call with RDX 0;
	                       * -> RDX = pages merged */
	HC_SWAP_OUT = 15,     /* (gpa, pages): evict at most HC_SWAP_MAX pages to the
	                       * hypervisor's store; -> RDX = pages evicted */
	HC_VMM_HASH = 16,     /* (gpa, bytes): the hypervisor's hash_words (lib/hash.h) of the
	                       * range as the guest reads it, at most HC_VMM_HASH_MAX; -> RDX */
	HC_VMM_END = 17,      /* (kind, gva, bytes): RESULT kind=share or swap for this mode
	                       * with the walk model over one access per page of the range, then
	                       * every page unshared and swapped back in */
	HC_COUNT
};

#define HC_CONSOLE_MAX     4096
#define HC_TRACE_MAX_BYTES (64 * MiB)
/* HC_TRACE_REPLAY flags: BEGIN starts a measurement of (workload, current
 * mode) with an empty TLB and zero counters; END prints its RESULT line. */
#define TRACE_BEGIN 1u
#define TRACE_END   2u
#define TRACE_FLAGS (TRACE_BEGIN | TRACE_END)
/* Bounded work per exit: one exit replays at most HC_TRACE_STEP entries.
 * When entries remain, the hypervisor keeps where it stopped (entries done,
 * count, workload, flags) in its own state and returns to the same VMCALL
 * without advancing RIP, with RAX (the call number), RDI and RSI unchanged
 * and RDX = flags | TRACE_RESUME | (steps done mod 2^16) << TRACE_SEQ_SHIFT,
 * so the instruction runs again and goes on where it stopped. Every field
 * lies in the low 32 bits, which a guest outside 64-bit mode keeps (its
 * upper halves are ignored, SDM Vol. 1, 3.4.1.1), so a replay of any length
 * the ABI allows (HC_TRACE_MAX_BYTES / 8 entries, 8192 steps) resumes in
 * either mode. The guest sees only the final status and issues the call
 * with RDX = flags. A resumption is taken only if it matches what the
 * hypervisor recorded: a replay pending, the same count, workload and
 * flags, and the step number it handed out; anything else, or a bit of RDX
 * outside these fields, is refused (HC_EINVAL). */
#define HC_TRACE_STEP   1024
#define TRACE_RESUME    0x8000u
#define TRACE_SEQ_SHIFT 16
#define TRACE_SEQ_MASK  0xffffu

/* Errors. */
#define HC_OK        0
#define HC_ENOSYS    (-1) /* unknown call number */
#define HC_EINVAL    (-2) /* a malformed argument */
#define HC_EFAULT    (-3) /* a pointer outside guest memory or straddling its end */
#define HC_E2BIG     (-4) /* a length over its bound or one that overflows */
#define HC_ENOMEM    (-5) /* the hypervisor has no memory for it */
#define HC_ENODEV    (-6) /* the feature is absent in this configuration */
#define HC_EPERM     (-7) /* called from guest user mode (CPL > 0) */
#define HC_EMISMATCH (-8) /* the guest's page tables do not map its declared guest segment */
#define HC_EEXIST    (-9) /* a page named twice in one list */
#define HC_ESEGMENT                                                                                \
	(-10)           /* a page inside the declared guest segment (DESIGN.md: the guest          \
	                 * can neither balloon nor swap there) */
#define HC_EALIGN (-11) /* a gPA not aligned to its page size */
#define HC_ELOWEST HC_EALIGN /* the most negative status: every error lies in [HC_ELOWEST, -1] */

/* Balloon lists (HC_BALLOON_OUT, HC_BALLOON_IN). */
#define HC_BALLOON_MAX   512
/* Bounded work per exit: the pages of one list (zeroed as they are given back or taken) add
 * up to at most this many bytes, 32 entries of 2 MiB or all 512 of 4 KiB; more is HC_E2BIG. */
#define HC_BALLOON_MAX_BYTES (64ull << 20)
#define HC_BALLOON_2M    1ull
#define HC_BALLOON_FLAGS HC_BALLOON_2M

/* Sharing and swapping. */
#define HC_SHARE_MAX_BYTES (256 * MiB)
#define HC_SHARE_RESUME    TRACE_RESUME
#define HC_SWAP_MAX        512
#define HC_VMM_HASH_MAX    (4 * MiB) /* as much as a compaction step copies */
enum hv_vmm_kind { HC_VMM_SHARE, HC_VMM_SWAP, HC_VMM_KINDS };

/* What HC_HOTADD copies out: the new RAM, [gpa, gpa + bytes). */
struct hv_mem_range {
	u64 gpa;
	u64 bytes;
};

/* What HC_MEM_STATS copies out (pages are 4 KiB). */
struct hv_mem_stats {
	u64 ram_bytes;     /* guest RAM in the memory map */
	u64 regions;       /* its regions */
	u64 ballooned_out; /* pages returned in all */
	u64 pending;       /* returned, not yet hot-added or taken back */
	u64 hotadded;      /* pages hot-added in all */
	u64 taken_back;    /* pages taken back in all */
	u64 shared;        /* guest pages now sharing a frame with another */
	u64 cow_breaks;    /* copy-on-write faults served */
	u64 swapped_out;   /* guest pages now in the hypervisor's backing store */
	u64 swap_faults;   /* pages faulted back in */
	u64 escaped;       /* pages escaped from the VMM segment */
};

/* What HC_READ_COUNTERS copies out. */
struct hv_counters {
	u64 abi_version;
	u64 exits_total;
	u64 exits_by_kind[32];
	u64 hypercalls;
	u64 hypercall_errors;
	u64 unknown_hypercalls;
};

#endif
