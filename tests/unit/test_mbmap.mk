UNIT_TESTS += test_mbmap
test_mbmap_SRCS := tests/unit/test_mbmap.c hv/mem/mbmap.c hv/mem/memmap.c
