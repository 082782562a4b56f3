/* The test guest's Multiboot v1 entry: into long mode through
 * lib/x86/long_mode.h (identity, first 4 GiB, 2 MiB pages), then
 * guest_main(magic, info). guest/paging.c replaces these tables with the
 * ones the workloads use. */
#include "lib/multiboot.h"
#include "lib/x86/long_mode.h"

	MULTIBOOT_START (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO)
	mov %eax, %edi /* kept across ENTER_LONG_MODE (eax, ecx, edx) */
	mov %ebx, %esi
	mov $gboot_stack_top, %esp

	ENTER_LONG_MODE
	mov $gboot_stack_top, %rsp
	/* edi = magic, esi = info: already the first two arguments. */
	call guest_main
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
gboot_stack: .space 32768
gboot_stack_top:

	.section .note.GNU-stack, "", @progbits
