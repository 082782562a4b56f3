/* x86 instruction decoder for the hypervisor's emulation paths (MMIO
 * accesses, trap tracing). Pure C, no memory access of its own: the caller
 * gives the bytes fetched at the guest's RIP (up to 15, SDM Vol. 2 2.3.11)
 * and the code-segment mode (CS.L / CS.D, SDM Vol. 3 3.4.5). insn_decode
 * fills a struct insn with the prefixes, REX, opcode map and opcode, ModRM,
 * SIB, displacement, immediate and the total length, or returns a named
 * error. insn_mem_operand computes the linear address of the instruction's
 * explicit memory operand from the guest registers (SDM Vol. 1 3.7.5,
 * Vol. 2 2.1.5 tables 2-1..2-3); insn_string_operands gives the DS:rSI and
 * ES:rDI operands of the string instructions (SDM Vol. 1 7.3.9).
 *
 * Maps decoded: one-byte (SDM Vol. 2 A.3 table A-2), 0F (table A-3), 0F 38
 * and 0F 3A (tables; lengths only: every opcode takes ModRM, 0F 3A
 * adds imm8), VEX C4/C5 (SDM Vol. 2 2.3.5; same maps). Refused by name:
 * EVEX, XOP, 3DNow!, undefined opcodes and those invalid in the mode. */
#ifndef HV_VM_INSN_H
#define HV_VM_INSN_H

#include "lib/types.h"

#define INSN_MAX_LENGTH 15 /* SDM Vol. 2 2.3.11 */

enum insn_mode {
	INSN_MODE_16, /* CS.D = 0 outside 64-bit mode (and real mode, vm86) */
	INSN_MODE_32, /* CS.D = 1 */
	INSN_MODE_64, /* IA-32e and CS.L = 1 */
};

enum insn_error {
	INSN_OK = 0,
	INSN_ERR_TRUNCATED,       /* the bytes given end inside the instruction */
	INSN_ERR_TOO_LONG,        /* more than 15 bytes (#GP on hardware) */
	INSN_ERR_UNDEFINED,       /* opcode undefined in the map (#UD) */
	INSN_ERR_INVALID_IN_MODE, /* opcode invalid in 64-bit mode (#UD) */
	INSN_ERR_EVEX,            /* 62 as the EVEX prefix: refused */
	INSN_ERR_XOP,             /* 8F as AMD's XOP prefix: refused */
	INSN_ERR_3DNOW,           /* 0F 0F (AMD 3DNow!): refused */
	INSN_ERR_VEX_MAP,         /* VEX with a reserved opcode map (#UD) */
	INSN_ERR_BAD_MODE,        /* the mode argument is not an insn_mode */
	INSN_ERR_NO_MEMORY,       /* the instruction has no such memory operand */
	INSN_ERR_COUNT
};

/* Opcode maps, numbered as VEX.mmmmm numbers them (SDM Vol. 2 2.3.6.1). */
enum insn_map {
	INSN_MAP_ONE_BYTE = 0,
	INSN_MAP_0F = 1,
	INSN_MAP_0F38 = 2,
	INSN_MAP_0F3A = 3,
};

/* Segment registers in the SDM's Sreg encoding (Vol. 2 table 3-5). */
enum insn_seg {
	INSN_SEG_ES = 0,
	INSN_SEG_CS = 1,
	INSN_SEG_SS = 2,
	INSN_SEG_DS = 3,
	INSN_SEG_FS = 4,
	INSN_SEG_GS = 5,
	INSN_SEG_COUNT,
	INSN_SEG_NONE = 0xff,
};

/* General-purpose registers in ModRM/REX order (SDM Vol. 2 table 2-2). */
enum insn_gpr {
	INSN_RAX,
	INSN_RCX,
	INSN_RDX,
	INSN_RBX,
	INSN_RSP,
	INSN_RBP,
	INSN_RSI,
	INSN_RDI,
	INSN_R8,
	INSN_R9,
	INSN_R10,
	INSN_R11,
	INSN_R12,
	INSN_R13,
	INSN_R14,
	INSN_R15,
	INSN_GPR_COUNT
};

/* The explicit memory operand's kind. */
enum insn_mem_kind {
	INSN_MEM_NONE,   /* no memory operand, or ModRM.mod = 11 */
	INSN_MEM_MODRM,  /* ModRM (+SIB, displacement) operand */
	INSN_MEM_MOFFS,  /* A0-A3: the address is the moffs immediate */
	INSN_MEM_STRING, /* MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS */
	INSN_MEM_XLAT,   /* D7: DS:[rBX + unsigned AL] */
};

struct insn {
	u8 length;            /* bytes, prefixes included */
	u8 mode;              /* enum insn_mode */
	u8 operand_size;      /* 2, 4 or 8 bytes (SDM Vol. 1 3.6, Vol. 2 2.2.1.2) */
	u8 address_size;      /* 2, 4 or 8 bytes */
	u8 seg_override;      /* enum insn_seg, INSN_SEG_NONE without one */
	u8 rep;               /* 0, 0xF2 (REPNE) or 0xF3 (REP/REPE): the last given */
	bool lock;            /* F0 */
	bool opsize_prefix;   /* 66 */
	bool addrsize_prefix; /* 67 */
	u8 rex;               /* the REX byte, 0 without one (64-bit mode only) */
	bool vex;             /* C4/C5 prefix */
	u8 vex_size;          /* 2 or 3 bytes */
	u8 map;               /* enum insn_map */
	u8 opcode;            /* the byte after the escape bytes / VEX prefix */
	bool has_modrm;
	u8 modrm, mod, reg, rm; /* reg and rm extended by REX.R / REX.B */
	bool has_sib;
	u8 sib, scale, index, base; /* index and base extended by REX.X / REX.B */
	u8 disp_size;               /* 0, 1, 2 or 4 bytes */
	s64 disp;                   /* sign-extended */
	u8 imm_size;                /* bytes of the first immediate (moffs included) */
	u8 imm2_size;               /* ENTER's second immediate, far pointers' selector */
	u64 imm;                    /* zero-extended as encoded */
	u64 imm2;
	bool rip_relative; /* 64-bit mode, mod = 00, rm = 101 */
	u8 mem;            /* enum insn_mem_kind */
};

/* The guest state an address computation needs: the GPRs, RIP of the
 * instruction (not of the next one) and the segment bases (only FS and GS
 * are used in 64-bit mode, SDM Vol. 1 3.3.7.1). */
struct insn_regs {
	u64 gpr[INSN_GPR_COUNT];
	u64 rip;
	u64 seg_base[INSN_SEG_COUNT];
};

/* Decodes the instruction at bytes[0..avail). */
enum insn_error insn_decode(const u8 *bytes, unsigned avail, enum insn_mode mode, struct insn *out);

/* Linear address of the explicit memory operand (ModRM, moffs or XLAT);
 * INSN_ERR_NO_MEMORY for the rest (string instructions included). */
enum insn_error insn_mem_operand(const struct insn *insn, const struct insn_regs *regs,
                                 u64 *linear);

/* String instructions: the linear address of the DS:rSI source (segment
 * overridable) and of the ES:rDI destination (never overridden), and which
 * of them the instruction uses (bit 0 source, bit 1 destination). */
#define INSN_STRING_SRC (1u << 0)
#define INSN_STRING_DST (1u << 1)
enum insn_error insn_string_operands(const struct insn *insn, const struct insn_regs *regs,
                                     u64 *src, u64 *dst, unsigned *used);

const char *insn_error_name(enum insn_error e);

#endif
