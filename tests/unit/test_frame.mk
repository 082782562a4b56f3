UNIT_TESTS += test_frame
test_frame_SRCS := tests/unit/test_frame.c hv/frame.c hv/memmap.c tests/unit/arena.c
