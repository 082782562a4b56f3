UNIT_TESTS += test_walk
test_walk_SRCS := tests/unit/test_walk.c hv/walk.c hv/tlb.c hv/bloom.c hv/segment.c lib/hash.c tests/unit/arena.c
