UNIT_TESTS += test_faulttest
# hv/vm/faulttest.c (fault_test=, test only) over the 16 MiB VM fixture, with the VM sources the
# hypercall test links.
test_faulttest_SRCS = tests/unit/test_faulttest.c tests/unit/vm_feat_fixture.c $(filter-out tests/unit/test_hypercall.c,$(test_hypercall_SRCS))
