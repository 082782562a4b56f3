UNIT_TESTS += test_zero
test_zero_SRCS := tests/unit/test_zero.c lib/x86/zero.c
