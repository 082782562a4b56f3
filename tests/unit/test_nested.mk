UNIT_TESTS += test_nested
test_nested_SRCS := tests/unit/test_nested.c hv/mem/nested.c hv/mem/gmap.c tests/unit/arena.c
