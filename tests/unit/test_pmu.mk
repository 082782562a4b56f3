UNIT_TESTS += test_pmu
test_pmu_SRCS := tests/unit/test_pmu.c arch/x86/pmu.c hv/config.c hv/model/tlb.c lib/opts.c lib/console.c lib/fmt.c
