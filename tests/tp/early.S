/* The tp kernel's 32-bit start, before long mode: the local APIC's version
 * and TPR through the xAPIC page in the three paging modes a 32-bit kernel
 * may run in (SDM Vol. 3A, 4.1.1), and once from a 16-bit code segment with
 * a base of its own (paging off) - paging off (linear = physical), 32-bit
 * paging with a 4 MiB page (CR4.PSE) and PAE paging with a 2 MiB page -
 * the page mapped in each at linear TP_APIC_ALIAS, not at its physical
 * address, so that the access's linear and physical addresses differ. In
 * each mode it writes TPR (MOV m32, imm32), reads it back and the version
 * (MOV EAX, moffs32) and sets then clears CR0.TS and CR4.PGE by MOV to CR.
 * Paging is turned on by one MOV to CR0 that sets PG and NE together, as a
 * kernel that writes its whole CR0 at once does (NE is 0 at the Multiboot
 * entry), and off by one that clears both.
 * The values land in tp_early_rows (tp.h) for tp_check_early. */
#include "lib/x86/cr.h"
#include "lib/x86/paging.h"
#include "tests/tp/tp.h"

#define APIC_PHYS     0xfee00000
#define APIC_4M_FRAME 0xfec00000 /* the 4 MiB frame that holds it */
#define REG_VERSION   0x030
#define REG_TPR       0x080
#define PAGE_4M       0x400000
#define PAGE_2M       0x200000
#define IDENT_4M      4 /* 16 MiB identity mapped with 4 MiB pages */
#define IDENT_2M      8 /* 16 MiB identity mapped with 2 MiB pages */
#define SEL_FLAT_CODE 0x08
#define SEL_FLAT_DATA 0x10
#define SEL_CODE16    0x18

	.text
	.code32

/* One mode's accesses; \base is the APIC's linear address, \slot its row in tp_early_rows. */
.macro APIC_ACCESSES base, slot, tpr
	movl $\tpr, \base + REG_TPR
	mov \base + REG_TPR, %eax
	mov %eax, tp_early_data + \slot * TP_EARLY_ROW + TP_EARLY_TPR
	mov \base + REG_VERSION, %eax
	mov %eax, tp_early_data + \slot * TP_EARLY_ROW + TP_EARLY_VERSION
	movl $0, \base + REG_TPR
	mov %cr0, %eax
	or $CR0_TS, %eax
	mov %eax, %cr0
	clts
	mov %cr4, %eax
	or $CR4_PGE, %eax
	mov %eax, %cr4
	and $~CR4_PGE, %eax
	mov %eax, %cr4
	movl $1, tp_early_data + \slot * TP_EARLY_ROW + TP_EARLY_DONE
.endm

/* void tp_early(void): 32-bit, paging off on entry and on return; EDI and ESI kept. */
	.global tp_early
tp_early:
	APIC_ACCESSES APIC_PHYS, TP_EARLY_NOPAGING, 0x20

	/* 16-bit protected mode: a code segment (D = 0) based at tp_code16, so that CS:IP is not
	 * the linear address; the kernel's own GDT from here on. */
	mov $tp_code16, %eax
	mov %ax, tp_gdt + SEL_CODE16 + 2
	shr $16, %eax
	mov %al, tp_gdt + SEL_CODE16 + 4
	mov %ah, tp_gdt + SEL_CODE16 + 7
	lgdt tp_gdt_ptr
	ljmp $SEL_FLAT_CODE, $1f
1:	mov $SEL_FLAT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	ljmp $SEL_CODE16, $0
tp_back32:

	/* 32-bit paging: PDE i maps 4 MiB page i; the alias PDE maps the APIC's frame. */
	xor %ecx, %ecx
	mov $(PTE_P | PTE_RW | PTE_PS), %eax
1:	mov %eax, tp_pd32(, %ecx, 4)
	add $PAGE_4M, %eax
	inc %ecx
	cmp $IDENT_4M, %ecx
	jne 1b
	movl $(APIC_4M_FRAME | PTE_P | PTE_RW | PTE_PS | PTE_PCD), tp_pd32 + (TP_APIC_ALIAS >> 22) * 4
	mov %cr4, %eax
	or $CR4_PSE, %eax
	mov %eax, %cr4
	mov $tp_pd32, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $(CR0_PG | CR0_NE), %eax
	mov %eax, %cr0
	APIC_ACCESSES TP_APIC_ALIAS, TP_EARLY_PAGING32, 0x30
	mov %cr0, %eax
	and $~(CR0_PG | CR0_NE), %eax
	mov %eax, %cr0
	mov %cr4, %eax
	and $~CR4_PSE, %eax
	mov %eax, %cr4

	/* PAE paging: PDPTE 0 -> one PD of 2 MiB pages; the alias PDE maps the APIC's page. */
	xor %ecx, %ecx
	mov $(PTE_P | PTE_RW | PTE_PS), %eax
1:	mov %eax, tp_pd_pae(, %ecx, 8)
	add $PAGE_2M, %eax
	inc %ecx
	cmp $IDENT_2M, %ecx
	jne 1b
	movl $(APIC_PHYS | PTE_P | PTE_RW | PTE_PS | PTE_PCD), tp_pd_pae + ((TP_APIC_ALIAS >> 21) % 512) * 8
	movl $(tp_pd_pae + PTE_P), tp_pdpt_pae /* PDPTEs have no RW or US bit */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $tp_pdpt_pae, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $(CR0_PG | CR0_NE), %eax
	mov %eax, %cr0
	APIC_ACCESSES TP_APIC_ALIAS, TP_EARLY_PAE, 0x40
	mov %cr0, %eax
	and $~(CR0_PG | CR0_NE), %eax
	mov %eax, %cr0
	mov %cr4, %eax
	and $~CR4_PAE, %eax
	mov %eax, %cr4
	ret

/* Entered at CS:0 with CS based here; DS flat. MOV to CR is 32-bit in any mode; the APIC
 * accesses take operand- and address-size prefixes (66, 67). */
	.code16
	.align 16
tp_code16:
	addr32 movl $0x50, APIC_PHYS + REG_TPR
	addr32 movl APIC_PHYS + REG_TPR, %eax
	addr32 movl %eax, tp_early_data + TP_EARLY_CODE16 * TP_EARLY_ROW + TP_EARLY_TPR
	addr32 movl APIC_PHYS + REG_VERSION, %eax
	addr32 movl %eax, tp_early_data + TP_EARLY_CODE16 * TP_EARLY_ROW + TP_EARLY_VERSION
	addr32 movl $0, APIC_PHYS + REG_TPR
	mov %cr0, %eax
	or $CR0_TS, %eax
	mov %eax, %cr0
	clts
	addr32 movl $1, tp_early_data + TP_EARLY_CODE16 * TP_EARLY_ROW + TP_EARLY_DONE
	ljmpl $SEL_FLAT_CODE, $tp_back32
	.code32

	.data
	.align 16
/* null, flat 32-bit code, flat data, 16-bit code (base filled in by tp_early) */
tp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00009a000000ffff
tp_gdt_end:
tp_gdt_ptr:
	.word tp_gdt_end - tp_gdt - 1
	.long tp_gdt

	.bss
	.align 4096
tp_pd32: .space 4096
tp_pd_pae: .space 4096
	.align 32
tp_pdpt_pae: .space 32
	.global tp_early_rows
	.align 4
tp_early_rows:
tp_early_data: .space TP_EARLY_ROWS * TP_EARLY_ROW

	.section .note.GNU-stack, "", @progbits
