UNIT_TESTS += test_insn
test_insn_SRCS := tests/unit/test_insn.c hv/vm/insn.c
