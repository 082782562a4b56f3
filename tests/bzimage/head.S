/* The bzImage test kernel's setup header and entry points. The real-mode part (.setup) holds
 * only the header, at the offsets boot.rst gives: this kernel has no 16-bit or 32-bit boot path
 * of its own (its 32-bit entry halts), only the 64-bit one at the load address + 0x200, which
 * the loader enters with RSI = the zero page. The linker script (linker/bzimage.ld) puts .setup
 * right before the kernel in the file and defines bzt_syssize and bzt_init_size. */
#include "tests/bzimage/bzhdr.h"

	.section .setup, "a"
	.org 0x1f1
	.byte BZT_SETUP_SECTS          /* 0x1f1 setup_sects */
	.word 0                        /* 0x1f2 root_flags */
	.long bzt_syssize              /* 0x1f4 syssize, in 16-byte paragraphs */
	.word 0                        /* 0x1f8 ram_size */
	.word 0                        /* 0x1fa vid_mode */
	.word 0                        /* 0x1fc root_dev */
	.word 0xaa55                   /* 0x1fe boot_flag */
	.byte 0xeb, hdr_end - hdr_magic /* 0x200 jump over the header: its end */
hdr_magic:
	.ascii "HdrS"                  /* 0x202 header magic */
	.word BZT_VERSION              /* 0x206 version */
	.long 0                        /* 0x208 realmode_swtch */
	.word 0                        /* 0x20c start_sys_seg */
	.word 0                        /* 0x20e kernel_version */
	.byte 0                        /* 0x210 type_of_loader */
	.byte BZT_LOADED_HIGH          /* 0x211 loadflags */
	.word 0                        /* 0x212 setup_move_size */
	.long BZT_LOAD_ADDR            /* 0x214 code32_start */
	.long 0                        /* 0x218 ramdisk_image */
	.long 0                        /* 0x21c ramdisk_size */
	.long 0                        /* 0x220 bootsect_kludge */
	.word 0                        /* 0x224 heap_end_ptr */
	.byte 0                        /* 0x226 ext_loader_ver */
	.byte 0                        /* 0x227 ext_loader_type */
	.long 0                        /* 0x228 cmd_line_ptr */
	.long BZT_INITRD_MAX           /* 0x22c initrd_addr_max */
	.long BZT_ALIGN                /* 0x230 kernel_alignment */
	.byte 0                        /* 0x234 relocatable_kernel */
	.byte 0                        /* 0x235 min_alignment */
	.word BZT_XLF_KERNEL_64        /* 0x236 xloadflags */
	.long BZT_CMDLINE_SIZE         /* 0x238 cmdline_size */
	.long 0                        /* 0x23c hardware_subarch */
	.quad 0                        /* 0x240 hardware_subarch_data */
	.long 0                        /* 0x248 payload_offset */
	.long 0                        /* 0x24c payload_length */
	.quad 0                        /* 0x250 setup_data */
	.quad BZT_LOAD_ADDR            /* 0x258 pref_address */
	.long bzt_init_size            /* 0x260 init_size */
	.long 0                        /* 0x264 handover_offset */
	.long 0                        /* 0x268 kernel_info_offset */
hdr_end:
	.org BZT_SETUP_BYTES

	.section .text.head, "ax"
	.code32
startup_32:	/* the 32-bit protocol: not supported by this kernel */
	cli
1:	hlt
	jmp 1b

	.org BZT_ENTRY64_OFF
	.code64
	.global startup_64
startup_64:
	lea bzt_stack_top(%rip), %rsp
	mov %rsi, %rdi /* the zero page */
	call bzt_main
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
bzt_stack: .space 16384
bzt_stack_top:

	.section .note.GNU-stack, "", @progbits
