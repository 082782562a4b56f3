UNIT_TESTS += test_loader
test_loader_SRCS := tests/unit/test_loader.c hv/vm/mbplace.c hv/vm/mbhdr.c hv/vm/elf.c
