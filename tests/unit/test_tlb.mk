UNIT_TESTS += test_tlb
test_tlb_SRCS := tests/unit/test_tlb.c hv/model/tlb.c
