UNIT_TESTS += test_swap
# hv/mem/swap alone over the arena, and through the VM sources the hypercall test links.
test_swap_SRCS = tests/unit/test_swap.c tests/unit/vm_feat_fixture.c $(filter-out tests/unit/test_hypercall.c,$(test_hypercall_SRCS))
