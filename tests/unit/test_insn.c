/* hv/vm/insn: lengths and fields of encodings written from the SDM's tables
 * (Vol. 2 chapter 2 and appendix A), the effective and linear addresses of
 * their memory operands (tables 2-1..2-3, RIP-relative addressing 2.2.1.6,
 * segment bases Vol. 1 3.3.7.1), and the named refusals. Each expected
 * length is counted by hand from the encoding: prefixes + opcode bytes +
 * ModRM + SIB + displacement + immediate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "hv/vm/insn.h"

#define MAXB 16

struct form {
	const char *name;
	enum insn_mode mode;
	u8 bytes[MAXB];
	unsigned n;   /* bytes given */
	unsigned len; /* expected length */
	u8 map;       /* expected opcode map */
	u8 opcode;    /* expected opcode */
	u8 mem;       /* expected enum insn_mem_kind */
	u8 imm_size;  /* expected bytes of the first immediate */
	u8 disp_size; /* expected displacement bytes */
	u8 operand_size;
};

#define B(...) {__VA_ARGS__}, sizeof((u8[]){__VA_ARGS__})
#define M64    INSN_MODE_64
#define M32    INSN_MODE_32
#define M16    INSN_MODE_16
#define ONE    INSN_MAP_ONE_BYTE
#define TWO    INSN_MAP_0F
#define T38    INSN_MAP_0F38
#define T3A    INSN_MAP_0F3A
#define NOM    INSN_MEM_NONE
#define MRM    INSN_MEM_MODRM
#define MOF    INSN_MEM_MOFFS
#define STR    INSN_MEM_STRING
#define XLT    INSN_MEM_XLAT

static const struct form forms[] = {
    /* 64-bit mode */
    {"mov eax,[rbx]", M64, B(0x8b, 0x03), 2, ONE, 0x8b, MRM, 0, 0, 4},
    {"mov rax,[rsp]", M64, B(0x48, 0x8b, 0x04, 0x24), 4, ONE, 0x8b, MRM, 0, 0, 8},
    {"mov eax,[rip+d32]", M64, B(0x8b, 0x05, 0x10, 0, 0, 0), 6, ONE, 0x8b, MRM, 0, 4, 4},
    {"mov eax,[eip+d32]", M64, B(0x67, 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff), 7, ONE, 0x8b, MRM, 0, 4,
     4},
    {"mov qword [rax+8],imm32", M64, B(0x48, 0xc7, 0x40, 0x08, 1, 2, 3, 4), 8, ONE, 0xc7, MRM, 4, 1,
     8},
    {"mov rax,imm64", M64, B(0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), 10, ONE, 0xb8, NOM, 8, 0, 8},
    {"mov ax,imm16", M64, B(0x66, 0xb8, 1, 2), 4, ONE, 0xb8, NOM, 2, 0, 2},
    {"mov eax,imm32", M64, B(0xb8, 1, 2, 3, 4), 5, ONE, 0xb8, NOM, 4, 0, 4},
    {"mov rax,moffs64", M64, B(0x48, 0xa1, 8, 7, 6, 5, 4, 3, 2, 1), 10, ONE, 0xa1, MOF, 8, 0, 8},
    {"mov eax,moffs32 (67)", M64, B(0x67, 0xa1, 4, 3, 2, 1), 6, ONE, 0xa1, MOF, 4, 0, 4},
    {"mov [rax+rcx*4+d32],imm32", M64, B(0xc7, 0x84, 0x88, 0, 1, 0, 0, 9, 9, 9, 9), 11, ONE, 0xc7,
     MRM, 4, 4, 4},
    {"mov rax,[r12*8+d32]", M64, B(0x4a, 0x8b, 0x04, 0xe5, 0, 0x10, 0, 0), 8, ONE, 0x8b, MRM, 0, 4,
     8},
    {"mov eax,[r13+0]", M64, B(0x41, 0x8b, 0x45, 0x00), 4, ONE, 0x8b, MRM, 0, 1, 4},
    {"mov rax,gs:[d32]", M64, B(0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0), 9, ONE, 0x8b, MRM, 0,
     4, 8},
    {"rep movsb", M64, B(0xf3, 0xa4), 2, ONE, 0xa4, STR, 0, 0, 4},
    {"stosb", M64, B(0xaa), 1, ONE, 0xaa, STR, 0, 0, 4},
    {"lodsb fs:", M64, B(0x64, 0xac), 2, ONE, 0xac, STR, 0, 0, 4},
    {"lock cmpxchg [rsi],ecx", M64, B(0xf0, 0x0f, 0xb1, 0x0e), 4, TWO, 0xb1, MRM, 0, 0, 4},
    {"palignr xmm0,xmm1,8", M64, B(0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08), 6, T3A, 0x0f, NOM, 1, 0, 2},
    {"pshufb xmm0,xmm1", M64, B(0x66, 0x0f, 0x38, 0x00, 0xc1), 5, T38, 0x00, NOM, 0, 0, 2},
    {"vmovdqa xmm0,[rdi]", M64, B(0xc5, 0xf9, 0x6f, 0x07), 4, TWO, 0x6f, MRM, 0, 0, 4},
    {"vpalignr xmm0,xmm0,xmm1,8", M64, B(0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x08), 6, T3A, 0x0f, NOM, 1,
     0, 4},
    {"vpshufb xmm0,xmm0,[rsp]", M64, B(0xc4, 0xe2, 0x79, 0x00, 0x04, 0x24), 6, T38, 0x00, MRM, 0, 0,
     4},
    {"vzeroupper", M64, B(0xc5, 0xf8, 0x77), 3, TWO, 0x77, NOM, 0, 0, 4},
    {"call rel32", M64, B(0xe8, 1, 2, 3, 4), 5, ONE, 0xe8, NOM, 4, 0, 4},
    {"66 call rel32 (64-bit)", M64, B(0x66, 0xe8, 1, 2, 3, 4), 6, ONE, 0xe8, NOM, 4, 0, 2},
    {"je rel32", M64, B(0x0f, 0x84, 1, 2, 3, 4), 6, TWO, 0x84, NOM, 4, 0, 4},
    {"jne rel8", M64, B(0x75, 0xfe), 2, ONE, 0x75, NOM, 1, 0, 4},
    {"test al,1", M64, B(0xf6, 0xc0, 0x01), 3, ONE, 0xf6, NOM, 1, 0, 4},
    {"not al", M64, B(0xf6, 0xd0), 2, ONE, 0xf6, NOM, 0, 0, 4},
    {"test eax,imm32", M64, B(0xf7, 0xc0, 1, 2, 3, 4), 6, ONE, 0xf7, NOM, 4, 0, 4},
    {"test ax,imm16", M64, B(0x66, 0xf7, 0xc0, 1, 2), 5, ONE, 0xf7, NOM, 2, 0, 2},
    {"neg qword [rbx]", M64, B(0x48, 0xf7, 0x1b), 3, ONE, 0xf7, MRM, 0, 0, 8},
    {"enter 16,1", M64, B(0xc8, 0x10, 0x00, 0x01), 4, ONE, 0xc8, NOM, 2, 0, 4},
    {"ret imm16", M64, B(0xc2, 0x08, 0x00), 3, ONE, 0xc2, NOM, 2, 0, 4},
    {"REX before 66 is ignored", M64, B(0x48, 0x66, 0x89, 0xc0), 4, ONE, 0x89, NOM, 0, 0, 2},
    {"mov rax,cr0", M64, B(0x0f, 0x20, 0xc0), 3, TWO, 0x20, NOM, 0, 0, 4},
    {"mov cr3,rax (mod ignored)", M64, B(0x0f, 0x22, 0x18), 3, TWO, 0x22, NOM, 0, 0, 4},
    {"lea rax,[rax+rcx]", M64, B(0x48, 0x8d, 0x04, 0x08), 4, ONE, 0x8d, MRM, 0, 0, 8},
    {"xlatb", M64, B(0xd7), 1, ONE, 0xd7, XLT, 0, 0, 4},
    {"pop rax (8F /0)", M64, B(0x8f, 0xc0), 2, ONE, 0x8f, NOM, 0, 0, 4},
    {"add [rax],al", M64, B(0x00, 0x00), 2, ONE, 0x00, MRM, 0, 0, 4},
    {"add eax,imm32", M64, B(0x05, 1, 2, 3, 4), 5, ONE, 0x05, NOM, 4, 0, 4},
    {"cmp byte [rdi+d8],imm8", M64, B(0x80, 0x7f, 0x10, 0x01), 4, ONE, 0x80, MRM, 1, 1, 4},
    {"bt dword [rax],imm8", M64, B(0x0f, 0xba, 0x20, 0x05), 4, TWO, 0xba, MRM, 1, 0, 4},
    {"shld [rax],ecx,imm8", M64, B(0x0f, 0xa4, 0x08, 0x03), 4, TWO, 0xa4, MRM, 1, 0, 4},
    {"fld qword [rax]", M64, B(0xdd, 0x00), 2, ONE, 0xdd, MRM, 0, 0, 4},
    {"cpuid", M64, B(0x0f, 0xa2), 2, TWO, 0xa2, NOM, 0, 0, 4},
    {"vmcall", M64, B(0x0f, 0x01, 0xc1), 3, TWO, 0x01, NOM, 0, 0, 4},
    {"14 prefixes + nop = 15", M64,
     B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90),
     15, ONE, 0x90, NOM, 0, 0, 2},
    /* 32-bit mode */
    {"mov eax,[d32] (absolute)", M32, B(0x8b, 0x05, 0x00, 0x20, 0, 0), 6, ONE, 0x8b, MRM, 0, 4, 4},
    {"mov ax,[edi]", M32, B(0x66, 0x8b, 0x07), 3, ONE, 0x8b, MRM, 0, 0, 2},
    {"mov eax,[bx] (67)", M32, B(0x67, 0x8b, 0x07), 3, ONE, 0x8b, MRM, 0, 0, 4},
    {"inc eax (not REX)", M32, B(0x40), 1, ONE, 0x40, NOM, 0, 0, 4},
    {"les eax,[esi]", M32, B(0xc4, 0x06), 2, ONE, 0xc4, MRM, 0, 0, 4},
    {"vzeroupper (32-bit)", M32, B(0xc5, 0xf8, 0x77), 3, TWO, 0x77, NOM, 0, 0, 4},
    {"bound eax,[esi]", M32, B(0x62, 0x06), 2, ONE, 0x62, MRM, 0, 0, 4},
    {"call far ptr16:32", M32, B(0x9a, 1, 2, 3, 4, 5, 6), 7, ONE, 0x9a, NOM, 4, 0, 4},
    {"call far ptr16:16", M32, B(0x66, 0x9a, 1, 2, 3, 4), 6, ONE, 0x9a, NOM, 2, 0, 2},
    {"mov eax,moffs32", M32, B(0xa1, 1, 2, 3, 4), 5, ONE, 0xa1, MOF, 4, 0, 4},
    {"mov eax,moffs16 (67)", M32, B(0x67, 0xa1, 1, 2), 4, ONE, 0xa1, MOF, 2, 0, 4},
    {"call rel32 (32-bit)", M32, B(0xe8, 1, 2, 3, 4), 5, ONE, 0xe8, NOM, 4, 0, 4},
    {"call rel16 (66)", M32, B(0x66, 0xe8, 1, 2), 4, ONE, 0xe8, NOM, 2, 0, 2},
    {"push es", M32, B(0x06), 1, ONE, 0x06, NOM, 0, 0, 4},
    {"mov eax,[esp+8]", M32, B(0x8b, 0x44, 0x24, 0x08), 4, ONE, 0x8b, MRM, 0, 1, 4},
    {"aam", M32, B(0xd4, 0x0a), 2, ONE, 0xd4, NOM, 1, 0, 4},
    /* 16-bit mode */
    {"mov ax,[bx+si]", M16, B(0x8b, 0x00), 2, ONE, 0x8b, MRM, 0, 0, 2},
    {"mov ax,[bp-2]", M16, B(0x8b, 0x46, 0xfe), 3, ONE, 0x8b, MRM, 0, 1, 2},
    {"mov ax,[d16]", M16, B(0x8b, 0x06, 0x34, 0x12), 4, ONE, 0x8b, MRM, 0, 2, 2},
    {"mov ax,[bx+d16]", M16, B(0x8b, 0x87, 0x00, 0x80), 4, ONE, 0x8b, MRM, 0, 2, 2},
    {"mov eax,imm32 (66)", M16, B(0x66, 0xb8, 1, 2, 3, 4), 6, ONE, 0xb8, NOM, 4, 0, 4},
    {"mov ax,imm16", M16, B(0xb8, 1, 2), 3, ONE, 0xb8, NOM, 2, 0, 2},
    {"mov ax,[esp] (67)", M16, B(0x67, 0x8b, 0x04, 0x24), 4, ONE, 0x8b, MRM, 0, 0, 2},
    {"call rel16", M16, B(0xe8, 1, 2), 3, ONE, 0xe8, NOM, 2, 0, 2},
    {"rep movsw", M16, B(0xf3, 0xa5), 2, ONE, 0xa5, STR, 0, 0, 2},
    {"mov ax,moffs16", M16, B(0xa1, 0x00, 0x10), 3, ONE, 0xa1, MOF, 2, 0, 2},
};

static void test_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		const struct form *f = &forms[i];
		struct insn in;
		enum insn_error e = insn_decode(f->bytes, f->n, f->mode, &in);
		if (e != INSN_OK || in.length != f->len || in.map != f->map ||
		    in.opcode != f->opcode || in.mem != f->mem || in.imm_size != f->imm_size ||
		    in.disp_size != f->disp_size || in.operand_size != f->operand_size)
			print_message("form '%s': %s len %u map %u op %02x mem %u imm %u disp %u "
			              "osz %u\n",
			              f->name, insn_error_name(e), in.length, in.map, in.opcode,
			              in.mem, in.imm_size, in.disp_size, in.operand_size);
		assert_int_equal(e, INSN_OK);
		assert_int_equal(in.length, f->len);
		assert_int_equal(in.map, f->map);
		assert_int_equal(in.opcode, f->opcode);
		assert_int_equal(in.mem, f->mem);
		assert_int_equal(in.imm_size, f->imm_size);
		assert_int_equal(in.disp_size, f->disp_size);
		assert_int_equal(in.operand_size, f->operand_size);
		/* Given one byte fewer, every form is truncated. */
		assert_int_equal(insn_decode(f->bytes, f->len - 1, f->mode, &in),
		                 INSN_ERR_TRUNCATED);
	}
}

struct refusal {
	const char *name;
	enum insn_mode mode;
	u8 bytes[MAXB];
	unsigned n;
	enum insn_error error;
};

static const struct refusal refusals[] = {
    {"push es (64-bit)", M64, B(0x06), INSN_ERR_INVALID_IN_MODE},
    {"pusha (64-bit)", M64, B(0x60), INSN_ERR_INVALID_IN_MODE},
    {"call far (64-bit)", M64, B(0x9a, 1, 2, 3, 4, 5, 6), INSN_ERR_INVALID_IN_MODE},
    {"aam (64-bit)", M64, B(0xd4, 0x0a), INSN_ERR_INVALID_IN_MODE},
    {"EVEX (64-bit)", M64, B(0x62, 0xf1, 0x7c, 0x48, 0x10, 0x07), INSN_ERR_EVEX},
    {"EVEX (32-bit, mod 11)", M32, B(0x62, 0xf1, 0x7c, 0x48, 0x10, 0x07), INSN_ERR_EVEX},
    {"XOP map 8", M64, B(0x8f, 0xe8, 0x78, 0xc0, 0xc1, 0x00), INSN_ERR_XOP},
    {"3DNow!", M64, B(0x0f, 0x0f, 0xc1, 0x9e), INSN_ERR_3DNOW},
    {"D6 (SALC)", M32, B(0xd6), INSN_ERR_UNDEFINED},
    {"0F 04", M64, B(0x0f, 0x04), INSN_ERR_UNDEFINED},
    {"0F 0B UD2 is defined, 0F 0A is not", M64, B(0x0f, 0x0a), INSN_ERR_UNDEFINED},
    {"VEX map 4", M64, B(0xc4, 0xe4, 0x79, 0x00, 0xc1), INSN_ERR_VEX_MAP},
    {"VEX after 66", M64, B(0x66, 0xc5, 0xf9, 0x6f, 0x07), INSN_ERR_UNDEFINED},
    {"VEX after REX", M64, B(0x40, 0xc5, 0xf9, 0x6f, 0x07), INSN_ERR_UNDEFINED},
    {"15 prefixes + nop = 16 bytes", M64,
     B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
       0x90),
     INSN_ERR_TOO_LONG},
    {"imm past 15 bytes", M64,
     B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4),
     INSN_ERR_TOO_LONG},
    {"mov with no ModRM byte", M64, B(0x8b), INSN_ERR_TRUNCATED},
    {"prefixes only", M64, B(0x66, 0xf3), INSN_ERR_TRUNCATED},
    {"SIB missing", M64, B(0x8b, 0x04), INSN_ERR_TRUNCATED},
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		const struct refusal *r = &refusals[i];
		struct insn in;
		enum insn_error e = insn_decode(r->bytes, r->n, r->mode, &in);
		if (e != r->error)
			print_message("refusal '%s': got %s\n", r->name, insn_error_name(e));
		assert_int_equal(e, r->error);
		assert_string_not_equal(insn_error_name(e), "unknown decoder error");
	}
	struct insn in;
	const u8 nop = 0x90;
	assert_int_equal(insn_decode(&nop, 1, (enum insn_mode)7, &in), INSN_ERR_BAD_MODE);
	assert_string_equal(insn_error_name((enum insn_error)99), "unknown decoder error");
}

static struct insn decode_ok(const u8 *b, unsigned n, enum insn_mode mode)
{
	struct insn in;
	assert_int_equal(insn_decode(b, n, mode, &in), INSN_OK);
	return in;
}

#define DECODE(mode, ...) decode_ok((const u8[]){__VA_ARGS__}, sizeof((u8[]){__VA_ARGS__}), mode)

static u64 linear(const struct insn *in, const struct insn_regs *r)
{
	u64 a = 0;
	assert_int_equal(insn_mem_operand(in, r, &a), INSN_OK);
	return a;
}

static void test_addresses_64(void **state)
{
	(void)state;
	struct insn_regs r = {0};
	r.gpr[INSN_RAX] = 0x1000;
	r.gpr[INSN_RCX] = 0x10;
	r.gpr[INSN_RBX] = 0x7f0000001234ULL;
	r.gpr[INSN_RSP] = 0x8000;
	r.gpr[INSN_R12] = 0x3;
	r.gpr[INSN_R13] = 0x44440000ULL;
	r.rip = 0x400000;
	r.seg_base[INSN_SEG_DS] = 0x55550000; /* ignored in 64-bit mode */
	r.seg_base[INSN_SEG_SS] = 0x66660000; /* ignored */
	r.seg_base[INSN_SEG_FS] = 0x10000000;
	r.seg_base[INSN_SEG_GS] = 0xffff800000000000ULL;

	struct insn in = DECODE(M64, 0x8b, 0x03);
	assert_int_equal(linear(&in, &r), 0x7f0000001234ULL);
	in = DECODE(M64, 0x48, 0x8b, 0x04, 0x24);
	assert_int_equal(linear(&in, &r), 0x8000);
	/* RIP-relative: from the next instruction's RIP (SDM Vol. 2 2.2.1.6). */
	in = DECODE(M64, 0x8b, 0x05, 0x10, 0, 0, 0);
	assert_int_equal(linear(&in, &r), 0x400000 + 6 + 0x10);
	/* 67: the sum is cut to 32 bits. */
	struct insn_regs hi = r;
	hi.rip = 0x1fffffff0ULL;
	in = DECODE(M64, 0x67, 0x8b, 0x05, 0x20, 0, 0, 0);
	assert_int_equal(linear(&in, &hi), (0x1fffffff0ULL + 7 + 0x20) & 0xffffffffULL);
	in = DECODE(M64, 0xc7, 0x84, 0x88, 0, 1, 0, 0, 9, 9, 9, 9);
	assert_int_equal(linear(&in, &r), 0x1000 + 0x10 * 4 + 0x100);
	/* SIB base 101 with mod 00: no base; index r12 (REX.X) scaled by 8. */
	in = DECODE(M64, 0x4a, 0x8b, 0x04, 0xe5, 0, 0x10, 0, 0);
	assert_int_equal(linear(&in, &r), 3 * 8 + 0x1000);
	/* REX.B r13 with mod 01 is a base, not RIP-relative. */
	in = DECODE(M64, 0x41, 0x8b, 0x45, 0xf8);
	assert_int_equal(linear(&in, &r), 0x44440000ULL - 8);
	/* REX.B with mod 00 rm 101 is still RIP-relative (SDM Vol. 2 table 2-5). */
	in = DECODE(M64, 0x41, 0x8b, 0x05, 0, 0, 0, 0);
	assert_true(in.rip_relative);
	assert_int_equal(linear(&in, &r), 0x400000 + 7);
	/* SIB index 100 with REX.X is r12, not "no index". */
	in = DECODE(M64, 0x42, 0x8b, 0x04, 0x20); /* [rax + r12] */
	assert_int_equal(linear(&in, &r), 0x1000 + 3);
	in = DECODE(M64, 0x8b, 0x04, 0x20); /* [rax], index none */
	assert_int_equal(linear(&in, &r), 0x1000);
	/* Segment bases: GS and FS count, DS override is ignored. */
	in = DECODE(M64, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0);
	assert_int_equal(linear(&in, &r), 0xffff800000000028ULL);
	in = DECODE(M64, 0x3e, 0x8b, 0x03);
	assert_int_equal(linear(&in, &r), 0x7f0000001234ULL);
	in = DECODE(M64, 0x48, 0xa1, 8, 7, 6, 5, 4, 3, 2, 1);
	assert_int_equal(linear(&in, &r), 0x0102030405060708ULL);
	in = DECODE(M64, 0x64, 0x67, 0xa1, 0x00, 0x10, 0, 0);
	assert_int_equal(linear(&in, &r), 0x10001000);
	/* Disp8 is sign-extended. */
	in = DECODE(M64, 0x8b, 0x40, 0x80);
	assert_int_equal(linear(&in, &r), 0x1000 - 0x80);
	/* XLAT: rBX + unsigned AL. */
	struct insn_regs x = r;
	x.gpr[INSN_RAX] = 0xff;
	in = DECODE(M64, 0xd7);
	assert_int_equal(linear(&in, &x), 0x7f0000001234ULL + 0xff);
	/* VEX ModRM operand with the VEX's inverted B: c4 c1 -> REX.B, [r13+0]. */
	in = DECODE(M64, 0xc4, 0xc1, 0x79, 0x6f, 0x45, 0x00);
	assert_int_equal(linear(&in, &r), 0x44440000ULL);
	/* No memory operand. */
	u64 a;
	in = DECODE(M64, 0x89, 0xc0);
	assert_int_equal(insn_mem_operand(&in, &r, &a), INSN_ERR_NO_MEMORY);
	in = DECODE(M64, 0x90);
	assert_int_equal(insn_mem_operand(&in, &r, &a), INSN_ERR_NO_MEMORY);
	in = DECODE(M64, 0xa4);
	assert_int_equal(insn_mem_operand(&in, &r, &a), INSN_ERR_NO_MEMORY);
}

static void test_addresses_32_16(void **state)
{
	(void)state;
	struct insn_regs r = {0};
	r.gpr[INSN_RAX] = 0xffffffff00000010ULL; /* upper half unused */
	r.gpr[INSN_RSP] = 0x9000;
	r.gpr[INSN_RBX] = 0x100;
	r.gpr[INSN_RBP] = 0x1;
	r.gpr[INSN_RSI] = 0x20;
	r.gpr[INSN_RDI] = 0xfffe;
	r.seg_base[INSN_SEG_DS] = 0xfffff000;
	r.seg_base[INSN_SEG_SS] = 0x30000;
	r.seg_base[INSN_SEG_ES] = 0x50000;

	/* 32-bit: absolute disp32 through DS, wrapping at 4 GiB. */
	struct insn in = DECODE(M32, 0x8b, 0x05, 0x00, 0x20, 0, 0);
	assert_int_equal(linear(&in, &r), (0xfffff000ULL + 0x2000) & 0xffffffffULL);
	/* ESP base: SS. */
	in = DECODE(M32, 0x8b, 0x44, 0x24, 0x08);
	assert_int_equal(linear(&in, &r), 0x30000 + 0x9000 + 8);
	/* EAX's upper half is not part of a 32-bit address. */
	in = DECODE(M32, 0x8b, 0x00);
	assert_int_equal(linear(&in, &r), (0xfffff000ULL + 0x10) & 0xffffffffULL);
	/* 16-bit addressing (SDM Vol. 2 table 2-1). */
	in = DECODE(M16, 0x8b, 0x00); /* [bx+si] */
	assert_int_equal(linear(&in, &r), (0xfffff000ULL + 0x120) & 0xffffffffULL);
	in = DECODE(M16, 0x8b, 0x46, 0xfe); /* [bp-2]: SS, 16-bit wrap */
	assert_int_equal(linear(&in, &r), 0x30000 + 0xffff);
	in = DECODE(M16, 0x26, 0x8b, 0x06, 0x34, 0x12); /* es:[0x1234] */
	assert_int_equal(linear(&in, &r), 0x50000 + 0x1234);
	in = DECODE(M16, 0x26, 0x8b, 0x87, 0x00, 0x80); /* es:[bx-0x8000] */
	assert_int_equal(linear(&in, &r), 0x50000 + ((0x100 - 0x8000) & 0xffff));
	in = DECODE(M16, 0x26, 0x8b, 0x02); /* es:[bp+si] */
	assert_int_equal(linear(&in, &r), 0x50000 + 0x21);
	in = DECODE(M16, 0x26, 0x8b, 0x05); /* es:[di] */
	assert_int_equal(linear(&in, &r), 0x50000 + 0xfffe);
	in = DECODE(M32, 0x26, 0x67, 0x8b, 0x07); /* 32-bit code, 67: es:[bx] */
	assert_int_equal(linear(&in, &r), 0x50000 + 0x100);
	in = DECODE(M16, 0x26, 0x67, 0x8b, 0x04, 0x24); /* 16-bit code, 67: [esp], es */
	assert_int_equal(linear(&in, &r), 0x50000 + 0x9000);
}

static void test_strings(void **state)
{
	(void)state;
	struct insn_regs r = {0};
	r.gpr[INSN_RSI] = 0x11111000;
	r.gpr[INSN_RDI] = 0x22222000;
	r.seg_base[INSN_SEG_DS] = 0x100;
	r.seg_base[INSN_SEG_ES] = 0x200;
	r.seg_base[INSN_SEG_FS] = 0x7000000000ULL;
	u64 s, d;
	unsigned used;
	struct insn in = DECODE(M64, 0xf3, 0x48, 0xa5); /* rep movsq */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_SRC | INSN_STRING_DST);
	assert_int_equal(s, 0x11111000);
	assert_int_equal(d, 0x22222000);
	in = DECODE(M64, 0x64, 0xac); /* lods fs: */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_SRC);
	assert_int_equal(s, 0x7011111000ULL);
	in = DECODE(M64, 0x64, 0xaa); /* stos: ES:rDI, the override does not apply */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_DST);
	assert_int_equal(d, 0x22222000);
	in = DECODE(M64, 0xa6); /* cmpsb */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_SRC | INSN_STRING_DST);
	in = DECODE(M64, 0x6c); /* insb */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_DST);
	in = DECODE(M64, 0x6f); /* outsd */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_SRC);
	in = DECODE(M64, 0xae); /* scasb */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(used, INSN_STRING_DST);
	/* 32-bit: segment bases apply, 16-bit addresses cut SI/DI. */
	in = DECODE(M32, 0xa4);
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(s, 0x11111100);
	assert_int_equal(d, 0x22222200);
	in = DECODE(M16, 0x26, 0xa4); /* movsb es:[si] -> es:[di] */
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_OK);
	assert_int_equal(s, 0x200 + 0x1000);
	assert_int_equal(d, 0x200 + 0x2000);
	in = DECODE(M64, 0x8b, 0x03);
	assert_int_equal(insn_string_operands(&in, &r, &s, &d, &used), INSN_ERR_NO_MEMORY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),        cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_addresses_64), cmocka_unit_test(test_addresses_32_16),
	    cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
