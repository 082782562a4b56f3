UNIT_TESTS += test_pit
test_pit_SRCS := tests/unit/test_pit.c hv/platform/pit.c lib/mem.c
