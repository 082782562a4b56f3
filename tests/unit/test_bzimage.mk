UNIT_TESTS += test_bzimage
test_bzimage_SRCS := tests/unit/test_bzimage.c hv/vm/bzimage.c
