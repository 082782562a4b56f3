UNIT_TESTS += test_walk
test_walk_SRCS := tests/unit/test_walk.c hv/model/walk.c hv/model/tlb.c hv/mem/nested.c hv/mem/gmap.c hv/dseg/bloom.c hv/dseg/segment.c lib/hash.c lib/modes.c tests/unit/arena.c
