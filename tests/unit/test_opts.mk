UNIT_TESTS += test_opts
test_opts_SRCS := tests/unit/test_opts.c lib/opts.c lib/fmt.c lib/x86/uart.c
