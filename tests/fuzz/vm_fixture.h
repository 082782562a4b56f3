/* A guest VM in the test arena (tests/unit/arena.h) with the vendor backend stubbed
 * (tests/unit/vcpu_stub.h), as tests/unit/test_hypercall.c builds it, for the fuzz targets
 * that drive a VM. Small, so that one is built for every input:
 *   hPA [16M, 32M)  the arena: the frame bitmap first, then guest RAM (the first 2 MiB-aligned
 *                   run of FUZZ_GUEST_RAM), nested tables and alternate frames
 *   gPA [0, 4M)     guest RAM */
#ifndef TESTS_FUZZ_VM_FIXTURE_H
#define TESTS_FUZZ_VM_FIXTURE_H

#include "hv/config.h"
#include "hv/vm/vm.h"
#include "tests/unit/vcpu_stub.h"

#define FUZZ_ARENA_SIZE (16 * MiB)
#define FUZZ_GUEST_RAM  (4 * MiB)

struct vm_fixture {
	struct memmap map;
	struct frame_alloc fa;
	struct vm_params params;
	struct vcpu_ops ops; /* the stub's, with the nested format asked for */
	struct vcpu_stub cpu;
	struct vm *vm;
};

/* Creates the arena once; fills f->params with the defaults for FUZZ_GUEST_RAM. */
void vm_fixture_init(struct vm_fixture *f);
/* A fresh frame allocator and VM from f->params with the CPU's largest nested leaf
 * cpu_max_page, in format fmt (NESTED_FORMAT_EPT or _NPT); 0 on success. */
int vm_fixture_create(struct vm_fixture *f, u64 cpu_max_page, enum nested_format fmt);

#endif
