UNIT_TESTS += test_watchdog
test_watchdog_SRCS := tests/unit/test_watchdog.c
