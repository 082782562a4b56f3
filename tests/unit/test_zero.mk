UNIT_TESTS += test_zero
test_zero_SRCS := tests/unit/test_zero.c lib/zero.c
