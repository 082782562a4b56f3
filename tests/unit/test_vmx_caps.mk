UNIT_TESTS += test_vmx_caps
test_vmx_caps_SRCS := tests/unit/test_vmx_caps.c arch/x86/vmx_caps.c lib/console.c lib/fmt.c
