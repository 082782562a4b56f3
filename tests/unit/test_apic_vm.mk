UNIT_TESTS += test_apic_vm
# The xAPIC trap, injection and HLT through the exit handlers: the VM sources the hypercall test links.
test_apic_vm_SRCS = tests/unit/test_apic_vm.c $(filter-out tests/unit/test_hypercall.c,$(test_hypercall_SRCS))
