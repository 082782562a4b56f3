/* Multiboot v1 entry: checks that the CPU has long mode, enters it through
 * lib/x86/long_mode.h (the first 4 GiB identity mapped with 2 MiB pages),
 * then calls hv_main(magic, info). hv/ builds the final direct map of all
 * RAM. */
#include "lib/multiboot.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/long_mode.h"
#include "lib/x86/uart.h"

	MULTIBOOT_START (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO)
	mov %eax, boot_magic
	mov %ebx, boot_info
	mov $boot_stack_top, %esp

	/* Long mode must exist: CPUID.80000001H:EDX.LM[bit 29]. */
	mov $CPUID_LEAF_EXT_MAX, %eax
	cpuid
	cmp $CPUID_LEAF_EXT_FEATURES, %eax
	jb no_long_mode
	mov $CPUID_LEAF_EXT_FEATURES, %eax
	cpuid
	test $CPUID_80000001_EDX_LM, %edx
	jz no_long_mode

	ENTER_LONG_MODE
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov boot_magic, %edi
	mov boot_info, %esi
	call hv_main
1:	cli
	hlt
	jmp 1b

	.code32
no_long_mode:
	/* No console yet: print a short message on COM1 raw and stop. */
	mov $msg_no_lm, %esi
2:	lodsb
	test %al, %al
	jz 3f
	mov $COM1_BASE, %dx
	out %al, %dx
	jmp 2b
3:	hlt
	jmp 3b

	.section .rodata
msg_no_lm:
	.asciz "FAIL: boot: CPU has no long mode\nSUMMARY: 1 tests, 1 failures, 0 skipped\n"

	.data
boot_magic: .long 0
boot_info: .long 0

	.bss
	.align 16
	.global boot_stack_top
boot_stack: .space 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
