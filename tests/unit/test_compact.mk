UNIT_TESTS += test_compact
test_compact_SRCS := tests/unit/test_compact.c hv/mem/compact.c hv/mem/frame.c hv/mem/memmap.c hv/mem/gmap.c hv/mem/nested.c lib/hash.c tests/unit/arena.c
