UNIT_TESTS += test_mptable
test_mptable_SRCS := tests/unit/test_mptable.c hv/platform/mptable.c lib/mem.c
