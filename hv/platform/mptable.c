/* The MP tables of mptable.h; offsets from the MultiProcessor Specification 1.4, Tables 4-1
 * (floating pointer), 4-2 (configuration table header) and 4-4 (processor entry). */
#include "hv/platform/mptable.h"

#include "lib/mem.h"

/* Floating pointer structure. */
#define MPF_SIGNATURE 0 /* "_MP_" */
#define MPF_PHYSPTR   4 /* the configuration table's address */
#define MPF_LENGTH    8 /* in 16-byte paragraphs: 1 */
#define MPF_SPEC_REV  9
#define MPF_CHECKSUM  10 /* all 16 bytes sum to 0 */
#define MPF_FEATURE1  11 /* 0: a configuration table is present */
/* Configuration table header. */
#define MPC_SIGNATURE  0 /* "PCMP" */
#define MPC_LENGTH     4 /* the base table, header included */
#define MPC_SPEC_REV   6
#define MPC_CHECKSUM   7  /* the base table sums to 0 */
#define MPC_OEM_ID     8  /* 8 bytes, space padded */
#define MPC_PRODUCT_ID 16 /* 12 bytes, space padded */
#define MPC_ENTRIES    34
#define MPC_LAPIC      36 /* the local APIC's address */
/* Processor entry. */
#define CPU_TYPE      0
#define CPU_APIC_ID   1
#define CPU_APIC_VER  2
#define CPU_FLAGS     3
#define CPU_SIGNATURE 4
#define CPU_FEATURES  8

#define OEM_ID     "SEGVISOR"
#define PRODUCT_ID "ONE VCPU    "
#define U32_LIMIT  (1ULL << 32)

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put32(u8 *p, u32 v)
{
	put16(p, (u16)v);
	put16(p + 2, (u16)(v >> 16));
}

/* The byte that makes [p, p + n) sum to 0 modulo 256, with that byte counted as 0. */
static u8 checksum(const u8 *p, unsigned n)
{
	u8 sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum = (u8)(sum + p[i]);
	return (u8)-sum;
}

bool mptable_build(u8 *out, u64 gpa, const struct mptable_cpu *cpu)
{
	if (gpa + MP_TABLE_SIZE > U32_LIMIT || cpu->apic_base >= U32_LIMIT)
		return false;
	memset(out, 0, MP_TABLE_SIZE);
	u8 *mpf = out, *mpc = out + MP_FLOATING_SIZE, *e = mpc + MP_HEADER_SIZE;

	e[CPU_TYPE] = MP_ENTRY_CPU;
	e[CPU_APIC_ID] = cpu->apic_id;
	e[CPU_APIC_VER] = cpu->apic_version;
	e[CPU_FLAGS] = MP_CPU_ENABLED | MP_CPU_BSP;
	put32(e + CPU_SIGNATURE, cpu->signature);
	put32(e + CPU_FEATURES, cpu->features);

	memcpy(mpc + MPC_SIGNATURE, "PCMP", 4);
	put16(mpc + MPC_LENGTH, MP_HEADER_SIZE + MP_CPU_ENTRY_SIZE);
	mpc[MPC_SPEC_REV] = MP_SPEC_REV;
	memcpy(mpc + MPC_OEM_ID, OEM_ID, 8);
	memcpy(mpc + MPC_PRODUCT_ID, PRODUCT_ID, 12);
	put16(mpc + MPC_ENTRIES, 1);
	put32(mpc + MPC_LAPIC, (u32)cpu->apic_base);
	mpc[MPC_CHECKSUM] = checksum(mpc, MP_HEADER_SIZE + MP_CPU_ENTRY_SIZE);

	memcpy(mpf + MPF_SIGNATURE, "_MP_", 4);
	put32(mpf + MPF_PHYSPTR, (u32)(gpa + MP_FLOATING_SIZE));
	mpf[MPF_LENGTH] = 1;
	mpf[MPF_SPEC_REV] = MP_SPEC_REV;
	mpf[MPF_FEATURE1] = 0;
	mpf[MPF_CHECKSUM] = checksum(mpf, MP_FLOATING_SIZE);
	return true;
}
