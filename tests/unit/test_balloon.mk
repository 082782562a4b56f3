UNIT_TESTS += test_balloon
test_balloon_SRCS := tests/unit/test_balloon.c hv/mem/balloon.c hv/mem/gmap.c hv/mem/frame.c hv/mem/memmap.c tests/unit/arena.c lib/hash.c lib/x86/zero.c
