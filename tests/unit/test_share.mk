UNIT_TESTS += test_share
# hv/mem/share alone over the arena, and through the VM sources the hypercall test links.
test_share_SRCS = tests/unit/test_share.c tests/unit/vm_feat_fixture.c $(filter-out tests/unit/test_hypercall.c,$(test_hypercall_SRCS))
