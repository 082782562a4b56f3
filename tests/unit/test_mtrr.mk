UNIT_TESTS += test_mtrr
test_mtrr_SRCS := tests/unit/test_mtrr.c arch/x86/mtrr.c arch/x86/dmap_build.c lib/fmt.c
