/* The tp kernel's 32-bit start, before long mode: the local APIC's version
 * and TPR through the xAPIC page in the three paging modes a 32-bit kernel
 * may run in (SDM Vol. 3A, 4.1.1) - paging off (linear = physical), 32-bit
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
