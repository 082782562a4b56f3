/* A 16 MiB VM over the host-test arena for the tests of hv/mem/share and hv/mem/swap through the
 * VM: the stub vCPU, the guest's tables for the walk model (gVA = gPA over [4 MiB, 6 MiB) in
 * 4 KiB pages, at GPT_GPA) and the console captured in vmf_con_buf. */
#ifndef TESTS_UNIT_VM_FEAT_FIXTURE_H
#define TESTS_UNIT_VM_FEAT_FIXTURE_H

#include <stddef.h>

#include "hv/config.h"
#include "hv/mem/frame.h"
#include "hv/mem/memmap.h"
#include "hv/vm/vm.h"
#include "tests/unit/vcpu_stub.h"

#define VM_RAM  (16 * MiB)
#define GPT_GPA (1 * MiB)

struct vm_fixture {
	struct memmap map;
	struct frame_alloc fa;
	struct hv_config cfg;
	struct vm_params params;
	struct vm *vm;
	struct vcpu_stub cpu;
};

extern char vmf_con_buf[64 * KiB];
extern size_t vmf_con_len;

/* cmocka setup and teardown: *state is the struct vm_fixture. */
int vm_setup(void **state);
int vm_teardown(void **state);

#endif
