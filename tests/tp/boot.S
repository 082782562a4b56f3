/* The tp kernel's Multiboot v1 entry: a header asking for page-aligned
 * modules and the memory map, then from 32-bit protected mode into long
 * mode over an identity map of the first 4 GiB (lib/x86/long_mode.h) and
 * tp_main(magic, info) on the kernel's own stack, all below 1 MiB. The
 * 32-bit part first runs tp_early (early.S). */
#include "lib/multiboot.h"
#include "lib/x86/long_mode.h"

	MULTIBOOT_START (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO)
	mov %eax, %edi /* kept across ENTER_LONG_MODE (eax, ecx, edx) */
	mov %ebx, %esi
	mov $tp_stack_top, %esp
	call tp_early /* the APIC in 32-bit mode (early.S) */

	ENTER_LONG_MODE
	mov $tp_stack_top, %rsp
	call tp_main
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
tp_stack: .space 16384
tp_stack_top:

	.section .note.GNU-stack, "", @progbits
