UNIT_TESTS += test_apic
test_apic_SRCS := tests/unit/test_apic.c hv/platform/apic.c lib/mem.c
