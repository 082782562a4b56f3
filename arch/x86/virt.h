/* Choosing the virtualization backend this CPU offers: VT-x with EPT first,
 * then AMD SVM with nested paging, each probed, reported feature by feature
 * and enabled. The boot flow (hv/main.c) gets a struct vcpu_ops and the
 * nested-table limits, never a vendor's own types. */
#ifndef ARCH_X86_VIRT_H
#define ARCH_X86_VIRT_H

#include "arch/x86/cpuinfo.h"
#include "arch/x86/vcpu.h"
#include "lib/report.h"
#include "lib/types.h"

struct virt_request {
	bool enable;            /* vm=on: turn the backend on (VMXON / EFER.SVME) */
	bool selftest;          /* run the backend's entry-checker self-tests */
	bool nested_ad;         /* nested accessed/dirty bits wanted, where the CPU has them */
	const char *entry_test; /* test only: a rule to break at entry, "" none */
};

struct virt_backend {
	const struct vcpu_ops *ops; /* NULL: none usable */
	const char *why;            /* why not, when ops is NULL */
	bool failed;                /* enabling it failed: already reported as a FAIL */
	u64 max_page;               /* largest nested-table leaf the CPU maps */
	bool nested_ad;             /* nested accessed/dirty bits in use */
};

struct virt_backend virt_select(struct report *rep, const struct cpuinfo *ci,
                                const struct virt_request *req);

/* Whether name is a rule one of the backends can break (vm_entry_test=);
 * when not, why gets the list of those there are. */
bool virt_entry_test_known(const char *name, char *why, size_t why_size);

#endif
