UNIT_TESTS += test_pmu
test_pmu_SRCS := tests/unit/test_pmu.c arch/x86/pmu.c lib/console.c lib/fmt.c
