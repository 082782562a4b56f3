UNIT_TESTS += test_multiboot
test_multiboot_SRCS := tests/unit/test_multiboot.c lib/multiboot.c
