UNIT_TESTS += test_vmx_check
test_vmx_check_SRCS := tests/unit/test_vmx_check.c arch/x86/vmx_check.c arch/x86/vmx_caps.c lib/console.c lib/fmt.c
