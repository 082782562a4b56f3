UNIT_TESTS += test_gmap
test_gmap_SRCS := tests/unit/test_gmap.c hv/mem/gmap.c
