UNIT_TESTS += test_memmap
test_memmap_SRCS := tests/unit/test_memmap.c hv/mem/memmap.c
