UNIT_TESTS += test_elf
test_elf_SRCS := tests/unit/test_elf.c hv/vm/elf.c hv/vm/mbhdr.c
