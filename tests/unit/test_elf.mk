UNIT_TESTS += test_elf
test_elf_SRCS := tests/unit/test_elf.c hv/elf.c hv/mbhdr.c
