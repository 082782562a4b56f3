/* What the attack kernel's C and assembly share: the selector of its
 * 32-bit code segment and the layout of struct hc_frame (tests/attack/attack.h). */
#ifndef TESTS_ATTACK_ATTACK_DEFS_H
#define TESTS_ATTACK_ATTACK_DEFS_H

/* The kernel's GDT: lib/x86/desc.h's flat null, 64-bit code and data, then
 * a flat 32-bit code segment for compatibility mode (SDM Vol. 3A, 5.2.1). */
#define SEL_CODE32 0x18

/* struct hc_frame, in bytes. */
#define HC_RAX    0
#define HC_RDI    8
#define HC_RSI    16
#define HC_RDX    24
#define HC_CANARY 32
#define HC_AFTER  40 /* u64 after[16], by SDM register number */

/* atk_hvcall_frame's `how`. */
#define HC_HOW_VMCALL  0
#define HC_HOW_VMMCALL 1
#define HC_HOW_COMPAT  2

#endif
