UNIT_TESTS += test_uart16550
# The model alone, and through the exit handlers: the VM sources the hypercall test links.
test_uart16550_SRCS = tests/unit/test_uart16550.c $(filter-out tests/unit/test_hypercall.c,$(test_hypercall_SRCS))
