UNIT_TESTS += test_frame
test_frame_SRCS := tests/unit/test_frame.c hv/mem/frame.c hv/mem/memmap.c tests/unit/arena.c lib/hash.c
