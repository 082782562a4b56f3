UNIT_TESTS += test_uart16550
test_uart16550_SRCS := tests/unit/test_uart16550.c hv/platform/platform.c hv/platform/uart16550.c hv/platform/fwcfg.c hv/platform/tsc.c hv/platform/cpuid.c lib/mem.c
