UNIT_TESTS += test_svm_check
test_svm_check_SRCS := tests/unit/test_svm_check.c tests/unit/svm_stub.c arch/x86/svm.c arch/x86/vcpu_common.c arch/x86/vmx_check.c arch/x86/vmx_caps.c lib/console.c lib/fmt.c lib/report.c
