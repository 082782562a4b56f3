/* The attack kernel's entry: console, exceptions, GDT, its command line
 * (`attack=NAME seed=N calls=N`), then the one attack it names. Natively
 * (no segvisor signature in CPUID) every attack is a SKIP. */
#include "lib/console.h"
#include "lib/mem.h"
#include "lib/multiboot.h"
#include "lib/opts.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "lib/x86/desc.h"
#include "lib/x86/exc.h"
#include "lib/x86/io.h"
#include "lib/x86/emu_exit.h"
#include "lib/x86/uart.h"
#include "tests/attack/attack.h"

/* A flat 32-bit code segment (SDM Vol. 3A, 3.4.5): compatibility mode. */
#define DESC_CODE32_FLAT (DESC_TYPE_CODE_XR | DESC_S | DESC_P | DESC_DB | DESC_G | DESC_LIMIT_MAX)

void attack_main(u32 magic, u32 info_pa);
extern const u8 _image_end[];

static const struct {
	const char *name;
	attack_fn fn;
} attacks[] = {
    {"none", NULL},
    {"oob-read", attack_oob_read},
    {"oob-write", attack_oob_write},
    {"oob-exec", attack_oob_exec},
    {"oob-high", attack_oob_high},
    {"virt-insns", attack_virt_insns},
    {"reserved-bits", attack_reserved_bits},
    {"msr-sweep", attack_msr_sweep},
    {"cpuid-sweep", attack_cpuid_sweep},
    {"port-sweep", attack_port_sweep},
    {"hypercall-fuzz", attack_hypercall_fuzz},
    {"triple-fault", attack_triple_fault},
    {"reset", attack_reset},
    {"spin", attack_spin},
    {"dirty-halves", attack_dirty_halves},
    {"apic", attack_apic},
    {"x2apic", attack_x2apic},
};
static const char *const attack_names[] = {
    "none",          "oob-read",  "oob-write",    "oob-exec",   "oob-high",       "virt-insns",
    "reserved-bits", "msr-sweep", "cpuid-sweep",  "port-sweep", "hypercall-fuzz", "triple-fault",
    "reset",         "spin",      "dirty-halves", "apic",       "x2apic",         NULL,
};
_Static_assert(ARRAY_SIZE(attack_names) == ARRAY_SIZE(attacks) + 1, "one name per attack");

struct attack_opts {
	u32 attack;
	u64 seed;
	u64 calls;
};
static const struct opt_desc attack_opt_descs[] = {
    OPT_ENUM_ENTRY(struct attack_opts, attack, "attack", attack_names, "the attack to run"),
    OPT_UINT_ENTRY(struct attack_opts, seed, "seed", 0, ~0ULL, OPTF_HEX, "fuzzer seed"),
    OPT_UINT_ENTRY(struct attack_opts, calls, "calls", 1, 1000000, 0, "fuzzer hypercalls"),
};
static const struct opt_table attack_opts_table = OPT_TABLE(attack_opt_descs);

static const u64 gdt[] __attribute__((aligned(16))) = {
    0,
    DESC_CODE64_FLAT,
    DESC_DATA_FLAT,
    DESC_CODE32_FLAT,
};
_Static_assert(SEL_CODE64 == 1 * 8 && SEL_DATA == 2 * 8 && SEL_CODE32 == 3 * 8, "GDT slots");
static struct idt_gate idt[EXC_VECTORS] __attribute__((aligned(16)));
static const struct report *exc_report;

static void uart_write_all(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}

void attack_exit(bool success)
{
	emu_exit(success);
}

/* The same descriptors at 0x08 and 0x10 as the boot GDT, so the loaded
 * selectors stay valid; 0x18 is new. */
static void descriptors_init(void)
{
	const struct desc_ptr g = {sizeof(gdt) - 1, (u64)(uintptr_t)gdt};
	__asm__ volatile("lgdt %0" ::"m"(g));
	for (unsigned v = 0; v < EXC_VECTORS; v++)
		idt[v] = idt_interrupt_gate(exc_stubs[v], SEL_CODE64, 0);
	const struct desc_ptr p = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

void exc_handle(struct exc_frame *f)
{
	if (exc_fixup(f))
		return;
	con_printf(
	    "\nFAIL: attack-exception: vector %llu (%s) error 0x%llx rip 0x%llx cr2 0x%llx\n",
	    f->vector, exc_name((unsigned)f->vector), f->error, f->rip, read_cr2());
	exc_print_frame(f);
	struct report r = exc_report ? *exc_report : (struct report){0};
	r.tests++;
	r.failures++;
	report_summary(&r);
	attack_exit(false);
}

const char *atk_fault_name(unsigned probe_result)
{
	return probe_result ? exc_name(probe_result - 1) : "no fault";
}

static bool has_segvisor(void)
{
	const struct cpuid_regs r = cpuid(HV_CPUID_LEAF_SIGNATURE, 0);
	const u32 sig[3] = {r.ebx, r.ecx, r.edx};
	return memcmp(sig, HV_SIGNATURE, 12) == 0;
}

static bool vendor_is_amd(void)
{
	const struct cpuid_regs v = cpuid(0, 0);
	const u32 vendor[3] = {v.ebx, v.edx, v.ecx};
	return memcmp(vendor, "AuthenticAMD", sizeof(vendor)) == 0;
}

void attack_main(u32 magic, u32 info_pa)
{
	static struct attack_env env;
	uart_init();
	con_init(uart_write_all);
	descriptors_init();
	exc_report = &env.rep;
	con_printf("segvisor attack kernel starting\n");
	if (!report_check(&env.rep, magic == MB_LOADER_MAGIC, "attack-multiboot-magic", "EAX=0x%x",
	                  magic)) {
		report_summary(&env.rep);
		attack_exit(false);
	}
	const struct mb_info *mbi = (const void *)(uintptr_t)info_pa;
	const char *cmdline =
	    (mbi->flags & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";
	struct attack_opts o = {.attack = 0, .seed = 0x5e9f, .calls = 2000};
	struct opts_result res;
	if (opts_parse(&attack_opts_table, cmdline, &o, &res) != OPTS_OK) {
		report_fail(&env.rep, "attack-options", "%s", res.msg);
		report_summary(&env.rep);
		attack_exit(false);
	}
	char buf[256];
	opts_format(buf, sizeof(buf), &attack_opts_table, &o, res.given);
	con_printf("attack options: %s\n", buf);
	env.ram_top = mb_ram_top(mbi, (u64)(uintptr_t)_image_end - 1);
	env.seed = o.seed;
	env.calls = o.calls;
	env.vmmcall = vendor_is_amd();
	env.under_hv = has_segvisor();
	con_printf("attack: RAM top 0x%llx, hypercall %s\n", env.ram_top,
	           env.vmmcall ? "VMMCALL" : "VMCALL");
	const char *name = attacks[o.attack].name;
	if (!attacks[o.attack].fn)
		report_skip(&env.rep, "attack", "no attack= given");
	else if (!env.under_hv)
		report_skip(&env.rep, name, "no hypervisor (segvisor's CPUID signature absent)");
	else
		attacks[o.attack].fn(&env);
	report_summary(&env.rep);
	attack_exit(env.rep.failures == 0);
}
