UNIT_TESTS += test_nested
test_nested_SRCS := tests/unit/test_nested.c hv/nested.c hv/gmap.c tests/unit/arena.c
