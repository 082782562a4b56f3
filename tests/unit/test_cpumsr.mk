UNIT_TESTS += test_cpumsr
test_cpumsr_SRCS := tests/unit/test_cpumsr.c hv/platform/platform.c hv/platform/cpumsr.c hv/platform/pit.c hv/platform/rtc.c hv/platform/uart16550.c hv/platform/fwcfg.c hv/platform/tsc.c hv/platform/apic.c hv/platform/cpuid.c lib/mem.c
