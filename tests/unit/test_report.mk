UNIT_TESTS += test_report
test_report_SRCS := tests/unit/test_report.c lib/report.c lib/console.c lib/fmt.c
