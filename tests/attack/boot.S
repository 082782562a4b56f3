/* The attack kernel's Multiboot v1 entry, as the test guest's: into long
 * mode through lib/x86/long_mode.h (identity, first 4 GiB, 2 MiB pages),
 * then attack_main(magic, info). */
#include "lib/multiboot.h"
#include "lib/x86/long_mode.h"

	MULTIBOOT_START (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO)
	mov %eax, %edi /* kept across ENTER_LONG_MODE (eax, ecx, edx) */
	mov %ebx, %esi
	mov $attack_stack_top, %esp

	ENTER_LONG_MODE
	mov $attack_stack_top, %rsp
	call attack_main
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
attack_stack: .space 32768
attack_stack_top:

	.section .note.GNU-stack, "", @progbits
