UNIT_TESTS += test_lapic_rate
test_lapic_rate_SRCS := tests/unit/test_lapic_rate.c
