/* Test only (fault_test=, fault_test_bit=): a memory fault seeded on purpose, so that a memory
 * tester in the guest (memtest86+) has one to find and its report can be checked against the
 * address. The model is a weak cell that does not hold a 0: bit B of the byte at one gPA reads
 * 1 again by the time the hypervisor has handled an exit, whatever the guest wrote there. A
 * tester writes a pattern and reads it back later; with a host tick (host_tick=) between the
 * two, it reads the bit as 1 where it wrote 0, at that address, as it would on a failing DIMM.
 * The write goes through the guest memory map at each exit, so the cell stays at its gPA
 * whatever frame backs the page now (an escape, compaction, sharing). */
#include "hv/vm/vm.h"
#include "lib/console.h"

int vm_fault_test_init(struct vm *vm)
{
	const u64 gpa = vm->params.fault_gpa;
	u64 hpa;
	if (!gpa)
		return 0;
	if (!gmap_lookup(&vm->gmap, gpa, &hpa)) {
		con_printf("FAIL: fault-test: fault_test=0x%llx is not guest RAM\n", gpa);
		return -1;
	}
	if (!vm->params.host_tick_ms) {
		con_printf("FAIL: fault-test: fault_test=0x%llx needs host_tick= (the bit is set "
		           "again at exits; without a host tick nothing bounds the time between "
		           "them)\n",
		           gpa);
		return -1;
	}
	con_printf("fault_test: bit %u of the byte at gPA 0x%llx (hPA 0x%llx now) reads 1 "
	           "again at every exit, a host tick (%u ms) apart at most (test only)\n",
	           vm->params.fault_bit, gpa, hpa, vm->params.host_tick_ms);
	return 0;
}

void vm_fault_test_apply(struct vm *vm)
{
	const u64 gpa = vm->params.fault_gpa;
	const u8 mask = (u8)(1u << vm->params.fault_bit);
	u8 b;
	if (!gpa || !vm_copy_from_guest(vm, &b, gpa, 1))
		return;
	vm->fault_checks++;
	if (b & mask)
		return;
	b |= mask;
	if (vm_copy_to_guest(vm, gpa, &b, 1))
		vm->fault_sets++;
}
