/* The dispatch tables of platform.h. */
#include "hv/platform/platform.h"

#include "arch/x86/msr.h"
#include "lib/mem.h"
#include "lib/x86/uart.h"

#define BYTE_BITS 8
#define NB_CPUS   1
/* The guest's RTC starts at 2026-01-01 00:00:00 UTC (seconds since 1970): the hypervisor keeps
 * no wall clock, and a fixed date makes every run read the same. */
#define RTC_START_S 1767225600ull

typedef u32 (*port_fn)(struct platform *p, u16 port, u8 size, bool in, u32 value);
typedef bool (*msr_fn)(struct platform *p, u32 msr, bool write, u64 *val, u64 host_tsc);

struct port_range {
	u16 first, last;
	port_fn io;
};

struct msr_entry {
	u32 first, last;
	msr_fn access;
};

/* COM1: each byte of a wider access goes to the next register, as on the
 * ISA bus; bytes past the UART's 8 ports read as all ones and are dropped. */
static u32 com1_io(struct platform *p, u16 port, u8 size, bool in, u32 value)
{
	u32 result = 0;
	for (unsigned i = 0; i < size; i++) {
		const unsigned off = port + i - COM1_BASE;
		const unsigned shift = BYTE_BITS * i;
		if (in)
			result |= (u32)uart16550_read(&p->com1, off) << shift;
		else
			uart16550_write(&p->com1, off, (u8)(value >> shift));
	}
	return result;
}

/* fw_cfg: a write at the selector port sets the 16-bit key (a byte write
 * the low byte, the high byte 0); a read of the one-byte data port gives
 * the next byte of the item (docs/specs/fw_cfg.rst, "Data Register": 8-bit
 * on I/O ports); the selector reads 0 and data-port writes are ignored. */
static u32 fwcfg_io(struct platform *p, u16 port, u8 size, bool in, u32 value)
{
	u32 result = 0;
	if (port == FWCFG_PORT_SELECTOR && !in)
		fwcfg_select(&p->fwcfg, (u16)value);
	else if (port == FWCFG_PORT_DATA && in)
		for (unsigned i = 0; i < size; i++)
			result |= (u32)fwcfg_read_byte(&p->fwcfg) << (BYTE_BITS * i);
	return result;
}

/* The 8254's channel 2 and port B, byte by byte at the clock's time. */
static u32 pit_io(struct platform *p, u16 port, u8 size, bool in, u32 value)
{
	const u64 now = p->clock ? p->clock() : 0;
	u32 result = 0;
	for (unsigned i = 0; i < size; i++) {
		if (in)
			result |= (u32)pit_read(&p->pit, (u16)(port + i), now) << (BYTE_BITS * i);
		else
			pit_write(&p->pit, (u16)(port + i), (u8)(value >> (BYTE_BITS * i)), now);
	}
	return result;
}

/* The RTC's index and data ports, byte by byte at the clock's time. */
static u32 rtc_io(struct platform *p, u16 port, u8 size, bool in, u32 value)
{
	const u64 now = p->clock ? p->clock() : 0;
	u32 result = 0;
	for (unsigned i = 0; i < size; i++) {
		if (in)
			result |= (u32)rtc_read(&p->rtc, (u16)(port + i), now) << (BYTE_BITS * i);
		else
			rtc_write(&p->rtc, (u16)(port + i), (u8)(value >> (BYTE_BITS * i)), now);
	}
	return result;
}

static const struct port_range port_table[] = {
    {COM1_BASE, COM1_BASE + UART16550_PORTS - 1, com1_io},
    {FWCFG_PORT_SELECTOR, FWCFG_PORT_DATA, fwcfg_io},
    {PIT_PORT_CH2, PIT_PORT_CONTROL, pit_io},
    {PIT_PORT_B, PIT_PORT_B, pit_io},
    {RTC_PORT_INDEX, RTC_PORT_DATA, rtc_io},
};

static bool tsc_msr(struct platform *p, u32 msr, bool write, u64 *val, u64 host_tsc)
{
	return vtsc_msr(&p->tsc, msr, write, val, host_tsc);
}

/* The APIC runs on the guest's TSC (timer counts, TSC deadline). */
static bool apic_msr_access(struct platform *p, u32 msr, bool write, u64 *val, u64 host_tsc)
{
	if (!(p->cpuid_offers & CPUID_OFFER_APIC))
		return false; /* no local APIC in this guest (hv/vm/vm.c) */
	return apic_msr(&p->apic, msr, write, val, vtsc_guest(&p->tsc, host_tsc));
}

static bool misc_enable_msr(struct platform *p, u32 msr, bool write, u64 *val, u64 host_tsc)
{
	(void)p, (void)msr, (void)host_tsc;
	return cpumsr_misc_enable(write, val);
}

static bool bios_sign_id_msr(struct platform *p, u32 msr, bool write, u64 *val, u64 host_tsc)
{
	(void)p, (void)msr, (void)host_tsc;
	return cpumsr_bios_sign_id(write, val);
}

/* SDM Vol. 3A, "Memory Type Range Registers": with VCNT = 0 and FIX = 0 the ranges do not
 * exist (#GP) and FE is reserved; the default type is one of UC, WC, WT, WP, WB. */
static bool mtrr_msr(struct platform *p, u32 msr, bool write, u64 *val, u64 host_tsc)
{
	(void)host_tsc;
	if (msr == IA32_MTRRCAP) {
		if (write)
			return false;
		*val = 0;
		return true;
	}
	if (!write) {
		*val = p->mtrr_def_type;
		return true;
	}
	const u64 type = *val & MTRR_DEF_TYPE_TYPE_MASK;
	if ((*val & ~(MTRR_DEF_TYPE_TYPE_MASK | MTRR_DEF_TYPE_E)) ||
	    (type != PAT_MT_UC && type != PAT_MT_WC && type != PAT_MT_WT && type != PAT_MT_WP &&
	     type != PAT_MT_WB))
		return false;
	p->mtrr_def_type = *val;
	return true;
}

static const struct msr_entry msr_table[] = {
    {IA32_TSC, IA32_TSC, tsc_msr},
    {IA32_TSC_ADJUST, IA32_TSC_ADJUST, tsc_msr},
    {IA32_TSC_AUX, IA32_TSC_AUX, tsc_msr},
    {IA32_APIC_BASE, IA32_APIC_BASE, apic_msr_access},
    {IA32_MISC_ENABLE, IA32_MISC_ENABLE, misc_enable_msr},
    {IA32_BIOS_SIGN_ID, IA32_BIOS_SIGN_ID, bios_sign_id_msr},
    {IA32_MTRRCAP, IA32_MTRRCAP, mtrr_msr},
    {IA32_MTRR_DEF_TYPE, IA32_MTRR_DEF_TYPE, mtrr_msr},
    {APIC_MSR_TSC_DEADLINE, APIC_MSR_TSC_DEADLINE, apic_msr_access},
    {APIC_MSR_X2_FIRST, APIC_MSR_X2_LAST, apic_msr_access},
};

void platform_init(struct platform *p, const struct platform_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cpuid_offers = cfg->cpuid_offers;
	p->mtrr_def_type = MTRR_DEF_TYPE_E | PAT_MT_WB; /* as firmware leaves it */
	uart16550_init(&p->com1, cfg->console, cfg->console_ctx);
	const struct fwcfg_config fc = {
	    .ram_bytes = cfg->ram_bytes, .nb_cpus = NB_CPUS, .max_cpus = NB_CPUS};
	fwcfg_init(&p->fwcfg, &fc);
	/* TSC_AUX exists where RDTSCP or RDPID does (SDM Vol. 4, Table 2-2). */
	vtsc_init(&p->tsc, cfg->cpuid_offers & CPUID_OFFER_RDTSCP);
	/* The timer's input clock is the TSC itself (tsc_hz = bus_hz): one
	 * count per TSC cycle before the divider. */
	const struct apic_config ac = {
	    .id = 0,
	    .x2apic = cfg->cpuid_offers & CPUID_OFFER_X2APIC,
	    .tsc_deadline = cfg->cpuid_offers & CPUID_OFFER_TSC_DEADLINE,
	    .tsc_hz = cfg->tsc_hz,
	    .bus_hz = cfg->tsc_hz,
	    .base_fixed = true,
	};
	apic_init(&p->apic, &ac);
	pit_init(&p->pit, 0);
	const struct rtc_config rc = {.start_s = RTC_START_S, .tsc_hz = 0};
	rtc_init(&p->rtc, &rc);
}

void platform_set_clock(struct platform *p, u64 (*clock)(void), u64 tsc_hz)
{
	p->clock = clock;
	p->pit.tsc_hz = tsc_hz;
	p->rtc.cfg.tsc_hz = tsc_hz;
}

bool platform_io(struct platform *p, u16 port, u8 size, bool in, u32 *value)
{
	for (unsigned i = 0; i < ARRAY_SIZE(port_table); i++) {
		const struct port_range *r = &port_table[i];
		if (port < r->first || port > r->last)
			continue;
		/* A wider access is cut at the end of the device's range. */
		u8 n = size;
		if (port + n - 1u > r->last)
			n = (u8)(r->last - port + 1u);
		const u32 result = r->io(p, port, n, in, in ? 0 : *value);
		if (in)
			*value = n == size ? result : result | (~0u << (BYTE_BITS * n));
		return true;
	}
	return false;
}

enum platform_msr_result platform_msr(struct platform *p, u32 msr, bool write, u64 *val,
                                      u64 host_tsc)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr >= msr_table[i].first && msr <= msr_table[i].last)
			return msr_table[i].access(p, msr, write, val, host_tsc) ? PLATFORM_MSR_OK
			                                                         : PLATFORM_MSR_GP;
	return PLATFORM_MSR_NOT_MINE;
}

struct cpuid_regs platform_cpuid_for(const struct platform *p, u64 guest_cr4, u32 leaf, u32 subleaf)
{
	const struct cpuid_vcpu vc = {.cr4 = guest_cr4, .offers = p->cpuid_offers};
	return platform_cpuid(&vc, leaf, subleaf);
}
