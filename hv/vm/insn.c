/* x86 instruction decoder: prefixes, REX/VEX, the opcode maps' ModRM and
 * immediate columns, ModRM/SIB/displacement, and the effective and linear
 * address of the memory operand. Contract in insn.h. */
#include "hv/vm/insn.h"

/* Per-opcode attributes: the columns of SDM Vol. 2 appendix A's tables that
 * the length and address computations need. */
enum {
	OP_MODRM = 1u << 0,      /* takes a ModRM byte */
	OP_IMM8 = 1u << 1,       /* Ib, Jb */
	OP_IMMZ = 1u << 2,       /* Iz: 2 bytes with 16-bit operands, else 4 */
	OP_IMM16 = 1u << 3,      /* Iw */
	OP_IMMV = 1u << 4,       /* Iv: 2, 4 or 8 bytes (B8-BF) */
	OP_MOFFS = 1u << 5,      /* Ob/Ov: address-size offset (A0-A3) */
	OP_RELZ = 1u << 6,       /* Jz: rel16/rel32; rel32 in 64-bit mode */
	OP_FAR = 1u << 7,        /* Ap: offset (2 or 4) and a 2-byte selector */
	OP_ENTER = 1u << 8,      /* Iw, Ib */
	OP_GRP3 = 1u << 9,       /* F6/F7: the immediate only for /0 and /1 */
	OP_UNDEF = 1u << 10,     /* undefined in the map */
	OP_INV64 = 1u << 11,     /* invalid in 64-bit mode */
	OP_STRING = 1u << 12,    /* rSI / rDI string operands */
	OP_XLAT = 1u << 13,      /* DS:[rBX + AL] */
	OP_REG_ONLY = 1u << 14,  /* ModRM.mod ignored: always registers (MOV CR/DR) */
	OP_ADDR_ONLY = 1u << 15, /* ModRM memory form computes, never accesses */
	OP_PREFIX = 1u << 16,    /* a legacy prefix (handled before the table) */
	OP_ESCAPE = 1u << 17,    /* 0F, 0F 38, 0F 3A */
	OP_3DNOW = 1u << 18,     /* 0F 0F */
};

#define M  OP_MODRM
#define I8 OP_IMM8
#define IZ OP_IMMZ

/* SDM Vol. 2 table A-2 (one-byte opcode map). */
static const u32 one_byte[256] = {
    [0x00 ... 0x03] = M,
    [0x04] = I8,
    [0x05] = IZ,
    [0x06 ... 0x07] = OP_INV64,
    [0x08 ... 0x0b] = M,
    [0x0c] = I8,
    [0x0d] = IZ,
    [0x0e] = OP_INV64,
    [0x0f] = OP_ESCAPE,
    [0x10 ... 0x13] = M,
    [0x14] = I8,
    [0x15] = IZ,
    [0x16 ... 0x17] = OP_INV64,
    [0x18 ... 0x1b] = M,
    [0x1c] = I8,
    [0x1d] = IZ,
    [0x1e ... 0x1f] = OP_INV64,
    [0x20 ... 0x23] = M,
    [0x24] = I8,
    [0x25] = IZ,
    [0x26] = OP_PREFIX,
    [0x27] = OP_INV64,
    [0x28 ... 0x2b] = M,
    [0x2c] = I8,
    [0x2d] = IZ,
    [0x2e] = OP_PREFIX,
    [0x2f] = OP_INV64,
    [0x30 ... 0x33] = M,
    [0x34] = I8,
    [0x35] = IZ,
    [0x36] = OP_PREFIX,
    [0x37] = OP_INV64,
    [0x38 ... 0x3b] = M,
    [0x3c] = I8,
    [0x3d] = IZ,
    [0x3e] = OP_PREFIX,
    [0x3f] = OP_INV64,
    /* 40-4F INC/DEC (REX in 64-bit mode, taken before the table), 50-5F PUSH/POP. */
    [0x60 ... 0x61] = OP_INV64,
    [0x62] = M | OP_INV64,
    [0x63] = M,
    [0x64 ... 0x67] = OP_PREFIX,
    [0x68] = IZ,
    [0x69] = M | IZ,
    [0x6a] = I8,
    [0x6b] = M | I8,
    [0x6c ... 0x6f] = OP_STRING,
    [0x70 ... 0x7f] = I8,
    [0x80] = M | I8,
    [0x81] = M | IZ,
    [0x82] = M | I8 | OP_INV64,
    [0x83] = M | I8,
    [0x84 ... 0x8c] = M,
    [0x8d] = M | OP_ADDR_ONLY,
    [0x8e ... 0x8f] = M,
    [0x9a] = OP_FAR | OP_INV64,
    [0xa0 ... 0xa3] = OP_MOFFS,
    [0xa4 ... 0xa7] = OP_STRING,
    [0xa8] = I8,
    [0xa9] = IZ,
    [0xaa ... 0xaf] = OP_STRING,
    [0xb0 ... 0xb7] = I8,
    [0xb8 ... 0xbf] = OP_IMMV,
    [0xc0 ... 0xc1] = M | I8,
    [0xc2] = OP_IMM16,
    [0xc4 ... 0xc5] = M | OP_INV64,
    [0xc6] = M | I8,
    [0xc7] = M | IZ,
    [0xc8] = OP_ENTER,
    [0xca] = OP_IMM16,
    [0xcd] = I8,
    [0xce] = OP_INV64,
    [0xd0 ... 0xd3] = M,
    [0xd4 ... 0xd5] = I8 | OP_INV64,
    [0xd6] = OP_UNDEF,
    [0xd7] = OP_XLAT,
    [0xd8 ... 0xdf] = M,
    [0xe0 ... 0xe7] = I8,
    [0xe8 ... 0xe9] = OP_RELZ,
    [0xea] = OP_FAR | OP_INV64,
    [0xeb] = I8,
    [0xf0] = OP_PREFIX,
    [0xf2 ... 0xf3] = OP_PREFIX,
    [0xf6] = M | I8 | OP_GRP3,
    [0xf7] = M | IZ | OP_GRP3,
    [0xfe ... 0xff] = M,
};

/* SDM Vol. 2 table A-3 (two-byte map, 0F xx). */
static const u32 two_byte[256] = {
    [0x00 ... 0x03] = M,
    [0x04] = OP_UNDEF,
    [0x0a] = OP_UNDEF,
    [0x0c] = OP_UNDEF,
    [0x0d] = M | OP_ADDR_ONLY,
    [0x0f] = OP_3DNOW,
    [0x10 ... 0x17] = M,
    [0x18] = M | OP_ADDR_ONLY,
    [0x19 ... 0x1e] = M,
    [0x1f] = M | OP_ADDR_ONLY,
    [0x20 ... 0x23] = M | OP_REG_ONLY,
    [0x24 ... 0x27] = OP_UNDEF,
    [0x28 ... 0x2f] = M,
    [0x36] = OP_UNDEF,
    [0x38] = OP_ESCAPE,
    [0x39] = OP_UNDEF,
    [0x3a] = OP_ESCAPE,
    [0x3b ... 0x3f] = OP_UNDEF,
    [0x40 ... 0x6f] = M,
    [0x70 ... 0x73] = M | I8,
    [0x74 ... 0x76] = M,
    [0x78 ... 0x79] = M,
    [0x7a ... 0x7b] = OP_UNDEF,
    [0x7c ... 0x7f] = M,
    [0x80 ... 0x8f] = OP_RELZ,
    [0x90 ... 0x9f] = M,
    [0xa3] = M,
    [0xa4] = M | I8,
    [0xa5] = M,
    [0xa6 ... 0xa7] = OP_UNDEF,
    [0xab] = M,
    [0xac] = M | I8,
    [0xad ... 0xaf] = M,
    [0xb0 ... 0xb9] = M,
    [0xba] = M | I8,
    [0xbb ... 0xc1] = M,
    [0xc2] = M | I8,
    [0xc3] = M,
    [0xc4 ... 0xc6] = M | I8,
    [0xc7] = M,
    [0xd0 ... 0xff] = M,
};

#undef M
#undef I8
#undef IZ

/* Legacy prefixes (SDM Vol. 2 2.1.1). */
#define PFX_LOCK     0xf0
#define PFX_REPNE    0xf2
#define PFX_REP      0xf3
#define PFX_OPSIZE   0x66
#define PFX_ADDRSIZE 0x67
#define ESCAPE_0F    0x0f
#define ESCAPE_0F38  0x38
#define ESCAPE_0F3A  0x3a
#define VEX3         0xc4
#define VEX2         0xc5
#define EVEX         0x62
#define XOP          0x8f

#define REX_BASE 0x40 /* 0100WRXB, SDM Vol. 2 2.2.1 */
#define REX_MASK 0xf0
#define REX_W    0x08
#define REX_R    0x04
#define REX_X    0x02
#define REX_B    0x01

#define MODRM_MOD(b)   ((u8)((b) >> 6))
#define MODRM_REG(b)   ((u8)(((b) >> 3) & 7))
#define MODRM_RM(b)    ((u8)((b)&7))
#define MOD_MEM_NODISP 0
#define MOD_MEM_DISP8  1
#define MOD_MEM_DISPW  2
#define MOD_REG        3
#define RM_SIB         4 /* 32/64-bit addressing: a SIB byte follows */
#define RM_DISP32      5 /* mod 00: disp32 (RIP-relative in 64-bit mode) */
#define RM16_DISP16    6 /* 16-bit addressing, mod 00: disp16 */
#define SIB_NO_INDEX   4
#define SIB_NO_BASE    5 /* with mod 00 */
#define XOP_MAP_MIN    8 /* AMD APM Vol. 3 1.8: XOP.map_select >= 8 */
#define VEX_MMMMM      0x1f

static const u8 seg_prefix[INSN_SEG_COUNT] = {
    [INSN_SEG_ES] = 0x26, [INSN_SEG_CS] = 0x2e, [INSN_SEG_SS] = 0x36,
    [INSN_SEG_DS] = 0x3e, [INSN_SEG_FS] = 0x64, [INSN_SEG_GS] = 0x65,
};

static const char *const error_names[INSN_ERR_COUNT] = {
    [INSN_OK] = "ok",
    [INSN_ERR_TRUNCATED] = "instruction bytes end inside the instruction",
    [INSN_ERR_TOO_LONG] = "instruction longer than 15 bytes",
    [INSN_ERR_UNDEFINED] = "undefined opcode",
    [INSN_ERR_INVALID_IN_MODE] = "opcode invalid in 64-bit mode",
    [INSN_ERR_EVEX] = "EVEX-encoded instruction not decoded",
    [INSN_ERR_XOP] = "XOP-encoded instruction not decoded",
    [INSN_ERR_3DNOW] = "3DNow! instruction not decoded",
    [INSN_ERR_VEX_MAP] = "VEX with a reserved opcode map",
    [INSN_ERR_BAD_MODE] = "not a code-segment mode",
    [INSN_ERR_NO_MEMORY] = "instruction has no such memory operand",
};

const char *insn_error_name(enum insn_error e)
{
	return NAME_IN(error_names, e, "unknown decoder error");
}

struct cursor {
	const u8 *bytes;
	unsigned avail, pos;
};

/* Room for n more bytes: the 15-byte limit first (hardware raises #GP
 * whatever follows), then the bytes the caller could fetch. */
static enum insn_error need(const struct cursor *c, unsigned n)
{
	if (c->pos + n > INSN_MAX_LENGTH)
		return INSN_ERR_TOO_LONG;
	if (c->pos + n > c->avail)
		return INSN_ERR_TRUNCATED;
	return INSN_OK;
}

static u64 take_le(struct cursor *c, unsigned n)
{
	u64 v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (u64)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	return v;
}

static s64 sign_extend(u64 v, unsigned bytes)
{
	unsigned shift = 64 - 8 * bytes;
	return (s64)(v << shift) >> shift;
}

static int seg_of_prefix(u8 b)
{
	for (int s = 0; s < INSN_SEG_COUNT; s++)
		if (seg_prefix[s] == b)
			return s;
	return -1;
}

/* Legacy prefixes and REX. A REX followed by a legacy prefix is ignored
 * (SDM Vol. 2 2.2.1: REX must immediately precede the opcode or escape). */
static enum insn_error decode_prefixes(struct cursor *c, struct insn *in)
{
	for (;;) {
		enum insn_error e = need(c, 1);
		if (e)
			return e;
		u8 b = c->bytes[c->pos];
		int seg = seg_of_prefix(b);
		if (seg >= 0) {
			/* 64-bit mode ignores ES/CS/SS/DS overrides (SDM Vol. 1 3.3.7.1). */
			if (in->mode != INSN_MODE_64 || seg == INSN_SEG_FS || seg == INSN_SEG_GS)
				in->seg_override = (u8)seg;
		} else if (b == PFX_OPSIZE) {
			in->opsize_prefix = true;
		} else if (b == PFX_ADDRSIZE) {
			in->addrsize_prefix = true;
		} else if (b == PFX_LOCK) {
			in->lock = true;
		} else if (b == PFX_REPNE || b == PFX_REP) {
			in->rep = b;
		} else if (in->mode == INSN_MODE_64 && (b & REX_MASK) == REX_BASE) {
			in->rex = b;
			c->pos++;
			continue;
		} else {
			return INSN_OK;
		}
		in->rex = 0;
		c->pos++;
	}
}

static void set_sizes(struct insn *in)
{
	static const u8 default_size[] = {
	    [INSN_MODE_16] = 2, [INSN_MODE_32] = 4, [INSN_MODE_64] = 4};
	static const u8 default_addr[] = {
	    [INSN_MODE_16] = 2, [INSN_MODE_32] = 4, [INSN_MODE_64] = 8};
	static const u8 other_addr[] = {[INSN_MODE_16] = 4, [INSN_MODE_32] = 2, [INSN_MODE_64] = 4};
	u8 osz = default_size[in->mode];
	if (in->opsize_prefix)
		osz = osz == 2 ? 4 : 2;
	if (in->rex & REX_W)
		osz = 8;
	in->operand_size = osz;
	in->address_size = in->addrsize_prefix ? other_addr[in->mode] : default_addr[in->mode];
}

/* VEX (SDM Vol. 2 2.3.5): C5 RvvvvLpp, C4 RXBmmmmm WvvvvLpp. Outside 64-bit
 * mode C4/C5 are LES/LDS unless the next byte's top two bits are 11. */
static enum insn_error decode_vex(struct cursor *c, struct insn *in, bool *is_vex)
{
	u8 b = c->bytes[c->pos];
	*is_vex = false;
	if (b != VEX3 && b != VEX2)
		return INSN_OK;
	enum insn_error e = need(c, 2);
	if (in->mode != INSN_MODE_64) {
		if (e)
			return e; /* LES/LDS or VEX: undecidable without the next byte */
		if (MODRM_MOD(c->bytes[c->pos + 1]) != MOD_REG)
			return INSN_OK;
	} else if (e) {
		return e;
	}
	*is_vex = true;
	/* VEX with 66, F2, F3, LOCK or REX is #UD (SDM Vol. 2 2.3.2). */
	if (in->opsize_prefix || in->rep || in->lock || in->rex)
		return INSN_ERR_UNDEFINED;
	in->vex = true;
	u8 p1 = c->bytes[c->pos + 1];
	u8 rex = 0;
	if (!(p1 & 0x80))
		rex |= REX_R;
	if (b == VEX2) {
		in->vex_size = 2;
		in->map = INSN_MAP_0F;
		c->pos += 2;
	} else {
		e = need(c, 3);
		if (e)
			return e;
		u8 p2 = c->bytes[c->pos + 2];
		if (!(p1 & 0x40))
			rex |= REX_X;
		if (!(p1 & 0x20))
			rex |= REX_B;
		if (p2 & 0x80)
			rex |= REX_W;
		u8 map = p1 & VEX_MMMMM;
		if (map < INSN_MAP_0F || map > INSN_MAP_0F3A)
			return INSN_ERR_VEX_MAP;
		in->vex_size = 3;
		in->map = map;
		c->pos += 3;
	}
	/* The inverted R/X/B bits extend registers only in 64-bit mode. */
	if (in->mode == INSN_MODE_64)
		in->rex = (u8)(rex | REX_BASE);
	return INSN_OK;
}

/* The opcode attributes after the escapes: one-byte, 0F, 0F 38, 0F 3A. */
static u32 attrs_of(u8 map, u8 opcode)
{
	if (map == INSN_MAP_ONE_BYTE)
		return one_byte[opcode];
	if (map == INSN_MAP_0F)
		return two_byte[opcode];
	/* SDM Vol. 2 tables: every opcode takes ModRM; 0F 3A adds Ib. */
	return OP_MODRM | (map == INSN_MAP_0F3A ? OP_IMM8 : 0);
}

static enum insn_error decode_modrm(struct cursor *c, struct insn *in, u32 attrs)
{
	enum insn_error e = need(c, 1);
	if (e)
		return e;
	u8 m = (u8)take_le(c, 1);
	in->has_modrm = true;
	in->modrm = m;
	in->mod = MODRM_MOD(m);
	in->reg = (u8)(MODRM_REG(m) | (in->rex & REX_R ? 8 : 0));
	in->rm = (u8)(MODRM_RM(m) | (in->rex & REX_B ? 8 : 0));
	if (attrs & OP_REG_ONLY) {
		in->mod = MOD_REG;
		return INSN_OK;
	}
	if (in->mod == MOD_REG)
		return INSN_OK;
	in->mem = INSN_MEM_MODRM;
	unsigned disp = 0;
	if (in->address_size == 2) {
		/* SDM Vol. 2 table 2-1. */
		if (in->mod == MOD_MEM_DISP8)
			disp = 1;
		else if (in->mod == MOD_MEM_DISPW || MODRM_RM(m) == RM16_DISP16)
			disp = 2;
	} else {
		/* SDM Vol. 2 tables 2-2, 2-3. */
		if (MODRM_RM(m) == RM_SIB) {
			if ((e = need(c, 1)))
				return e;
			u8 s = (u8)take_le(c, 1);
			in->has_sib = true;
			in->sib = s;
			in->scale = (u8)(s >> 6);
			in->index = (u8)(((s >> 3) & 7) | (in->rex & REX_X ? 8 : 0));
			in->base = (u8)((s & 7) | (in->rex & REX_B ? 8 : 0));
			if (in->mod == MOD_MEM_NODISP && (s & 7) == SIB_NO_BASE)
				disp = 4;
		} else if (in->mod == MOD_MEM_NODISP && MODRM_RM(m) == RM_DISP32) {
			disp = 4;
			in->rip_relative = in->mode == INSN_MODE_64;
		}
		if (in->mod == MOD_MEM_DISP8)
			disp = 1;
		else if (in->mod == MOD_MEM_DISPW)
			disp = 4;
	}
	if ((e = need(c, disp)))
		return e;
	in->disp_size = (u8)disp;
	in->disp = disp ? sign_extend(take_le(c, disp), disp) : 0;
	return INSN_OK;
}

/* Immediate sizes (SDM Vol. 2 A.2.2 operand-size codes b, w, z, v, p). */
static void immediate_sizes(const struct insn *in, u32 attrs, u8 *first, u8 *second)
{
	u8 z = in->operand_size == 2 ? 2 : 4;
	*first = *second = 0;
	if (attrs & OP_GRP3) {
		if (MODRM_REG(in->modrm) > 1)
			return; /* /2../7 (NOT, NEG, MUL, IMUL, DIV, IDIV) take none */
	}
	if (attrs & OP_IMM8)
		*first = 1;
	else if (attrs & OP_IMMZ)
		*first = z;
	else if (attrs & OP_IMM16)
		*first = 2;
	else if (attrs & OP_IMMV)
		*first = in->operand_size;
	else if (attrs & OP_MOFFS)
		*first = in->address_size;
	else if (attrs & OP_RELZ)
		/* 64-bit mode: rel32 whatever the operand size (Intel ignores 66
		 * on near branches, SDM Vol. 2 JMP/Jcc/CALL). */
		*first = in->mode == INSN_MODE_64 ? 4 : z;
	else if (attrs & OP_FAR) {
		*first = z;
		*second = 2;
	} else if (attrs & OP_ENTER) {
		*first = 2;
		*second = 1;
	}
}

enum insn_error insn_decode(const u8 *bytes, unsigned avail, enum insn_mode mode, struct insn *out)
{
	struct insn in = {0};
	struct cursor c = {bytes, avail, 0};
	enum insn_error e;
	if (mode != INSN_MODE_16 && mode != INSN_MODE_32 && mode != INSN_MODE_64)
		return INSN_ERR_BAD_MODE;
	in.mode = (u8)mode;
	in.seg_override = INSN_SEG_NONE;
	if ((e = decode_prefixes(&c, &in)))
		return e;
	bool is_vex;
	if ((e = decode_vex(&c, &in, &is_vex)))
		return e;
	set_sizes(&in);
	if (!is_vex) {
		u8 b = bytes[c.pos];
		if (b == EVEX && (mode == INSN_MODE_64 ||
		                  (c.pos + 1 < avail && MODRM_MOD(bytes[c.pos + 1]) == MOD_REG)))
			return INSN_ERR_EVEX;
		if (b == XOP) {
			if ((e = need(&c, 2)))
				return e;
			if ((bytes[c.pos + 1] & VEX_MMMMM) >= XOP_MAP_MIN)
				return INSN_ERR_XOP;
		}
		in.map = INSN_MAP_ONE_BYTE;
		if (b == ESCAPE_0F) {
			c.pos++;
			if ((e = need(&c, 1)))
				return e;
			in.map = INSN_MAP_0F;
			b = bytes[c.pos];
			if (b == ESCAPE_0F38 || b == ESCAPE_0F3A) {
				in.map = b == ESCAPE_0F38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
				c.pos++;
			}
		}
	}
	if ((e = need(&c, 1)))
		return e;
	in.opcode = (u8)take_le(&c, 1);
	u32 attrs = attrs_of(in.map, in.opcode);
	if (attrs & OP_3DNOW)
		return INSN_ERR_3DNOW;
	if (attrs & OP_UNDEF)
		return INSN_ERR_UNDEFINED;
	if ((attrs & OP_INV64) && mode == INSN_MODE_64)
		return INSN_ERR_INVALID_IN_MODE;
	if (in.vex && in.map == INSN_MAP_0F && (attrs & OP_ESCAPE))
		return INSN_ERR_UNDEFINED;
	if (attrs & OP_MODRM) {
		if ((e = decode_modrm(&c, &in, attrs)))
			return e;
	}
	if (attrs & OP_STRING)
		in.mem = INSN_MEM_STRING;
	else if (attrs & OP_XLAT)
		in.mem = INSN_MEM_XLAT;
	else if (attrs & OP_MOFFS)
		in.mem = INSN_MEM_MOFFS;
	immediate_sizes(&in, attrs, &in.imm_size, &in.imm2_size);
	if ((e = need(&c, (unsigned)in.imm_size + in.imm2_size)))
		return e;
	in.imm = take_le(&c, in.imm_size);
	in.imm2 = take_le(&c, in.imm2_size);
	in.length = (u8)c.pos;
	*out = in;
	return INSN_OK;
}

static u64 address_mask(u8 size)
{
	return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* Segment base + offset: only FS and GS bases count in 64-bit mode; other
 * modes wrap at 4 GiB (SDM Vol. 3 3.4). */
static u64 linear_of(const struct insn *in, const struct insn_regs *r, u8 seg, u64 ea)
{
	if (in->mode == INSN_MODE_64)
		return (seg == INSN_SEG_FS || seg == INSN_SEG_GS) ? r->seg_base[seg] + ea : ea;
	return (r->seg_base[seg] + ea) & address_mask(4);
}

/* 16-bit addressing, SDM Vol. 2 table 2-1: rm -> base + index, SS for BP. */
static u64 ea16(const struct insn *in, const struct insn_regs *r, u8 *seg)
{
	static const s8 base16[8] = {INSN_RBX, INSN_RBX, INSN_RBP, INSN_RBP,
	                             -1,       -1,       INSN_RBP, INSN_RBX};
	static const s8 index16[8] = {INSN_RSI, INSN_RDI, INSN_RSI, INSN_RDI,
	                              INSN_RSI, INSN_RDI, -1,       -1};
	u8 rm = MODRM_RM(in->modrm);
	s8 base = base16[rm], index = index16[rm];
	if (in->mod == MOD_MEM_NODISP && rm == RM16_DISP16)
		base = -1;
	u64 ea = (u64)in->disp;
	if (base >= 0)
		ea += r->gpr[base];
	if (index >= 0)
		ea += r->gpr[index];
	*seg = base == INSN_RBP ? INSN_SEG_SS : INSN_SEG_DS;
	return ea & address_mask(2);
}

/* 32/64-bit addressing, SDM Vol. 2 tables 2-2, 2-3 and 2.2.1.6. */
static u64 ea32(const struct insn *in, const struct insn_regs *r, u8 *seg)
{
	u64 ea = (u64)in->disp;
	int base = -1;
	*seg = INSN_SEG_DS;
	if (in->rip_relative) {
		ea += r->rip + in->length;
	} else if (in->has_sib) {
		if (!(in->mod == MOD_MEM_NODISP && (in->base & 7) == SIB_NO_BASE))
			base = in->base;
		if (in->index != SIB_NO_INDEX)
			ea += r->gpr[in->index] << in->scale;
	} else if (!(in->mod == MOD_MEM_NODISP && (in->rm & 7) == RM_DISP32)) {
		base = in->rm;
	}
	if (base >= 0) {
		ea += r->gpr[base];
		if (base == INSN_RSP || base == INSN_RBP)
			*seg = INSN_SEG_SS;
	}
	return ea & address_mask(in->address_size);
}

enum insn_error insn_mem_operand(const struct insn *in, const struct insn_regs *r, u64 *linear)
{
	u8 seg = INSN_SEG_DS;
	u64 ea;
	if (in->mem == INSN_MEM_MODRM)
		ea = in->address_size == 2 ? ea16(in, r, &seg) : ea32(in, r, &seg);
	else if (in->mem == INSN_MEM_MOFFS)
		ea = in->imm & address_mask(in->address_size);
	else if (in->mem == INSN_MEM_XLAT)
		ea =
		    (r->gpr[INSN_RBX] + (r->gpr[INSN_RAX] & 0xff)) & address_mask(in->address_size);
	else
		return INSN_ERR_NO_MEMORY;
	if (in->seg_override != INSN_SEG_NONE)
		seg = in->seg_override;
	*linear = linear_of(in, r, seg, ea);
	return INSN_OK;
}

/* Which string operands each string opcode uses (SDM Vol. 1 7.3.9, Vol. 2
 * INS/OUTS/MOVS/CMPS/STOS/LODS/SCAS). */
static unsigned string_use(u8 opcode)
{
	switch (opcode & 0xfe) {
	case 0x6c: /* INS: ES:rDI */
	case 0xaa: /* STOS */
	case 0xae: /* SCAS */
		return INSN_STRING_DST;
	case 0x6e: /* OUTS: DS:rSI */
	case 0xac: /* LODS */
		return INSN_STRING_SRC;
	default: /* A4 MOVS, A6 CMPS */
		return INSN_STRING_SRC | INSN_STRING_DST;
	}
}

enum insn_error insn_string_operands(const struct insn *in, const struct insn_regs *r, u64 *src,
                                     u64 *dst, unsigned *used)
{
	if (in->mem != INSN_MEM_STRING)
		return INSN_ERR_NO_MEMORY;
	u64 mask = address_mask(in->address_size);
	u8 sseg = in->seg_override != INSN_SEG_NONE ? in->seg_override : INSN_SEG_DS;
	*src = linear_of(in, r, sseg, r->gpr[INSN_RSI] & mask);
	*dst = linear_of(in, r, INSN_SEG_ES, r->gpr[INSN_RDI] & mask);
	*used = string_use(in->opcode);
	return INSN_OK;
}
