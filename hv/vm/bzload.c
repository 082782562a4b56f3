/* Starting a guest given as a bzImage, by the Linux boot protocol's 64-bit entry
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): the header checked and the pieces
 * placed by hv/vm/bzimage.c, then the protected-mode kernel copied to its load address, the zero
 * page (the setup header, the loader's fields and an E820 table of the guest memory map's RAM),
 * the command line, the initrd (the hypervisor's module 2, the guest's first), the identity page
 * tables and the GDT; the vCPU starts in 64-bit mode at the load address + 0x200 with RSI the
 * zero page, paging on through those tables, CS = __BOOT_CS and the data segments __BOOT_DS of
 * that GDT, interrupts off. */
#include "hv/vm/loader.h"

#include "arch/x86/msr.h"
#include "hv/platform/mptable.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/x86/cr.h"

#define PAGE BZ_ZP_SIZE
/* The loader's own name for the first word of a module string, which is the image's path on
 * every engine (tools/mkiso.sh): the kernel gets "BOOT_IMAGE=PATH ARGS", as from GRUB's `linux`. */
#define BOOT_IMAGE  "BOOT_IMAGE="
#define MAX_INITRDS 1 /* the guest's module 1: the initrd; no later modules */
/* A command-line word the loader fills in: Linux's tsc_early_khz= (kernel-parameters.txt) with
 * the guest's TSC rate in kHz, which the hypervisor measured against the PIT. A guest on an AMD
 * CPU has no CPUID leaf that gives it (Linux reads leaves 0x15/0x16 on Intel only), and its own
 * PIT calibration needs a port read every few microseconds, which a vCPU whose every port access
 * exits to the hypervisor does not get under emulation. */
#define TSC_KHZ_WORD   "tsc_early_khz="
#define TSC_KHZ_AUTO   TSC_KHZ_WORD "auto"
#define TSC_KHZ_DIGITS 20 /* a u64 in decimal */

/* Module string "PATH ARGS" as the kernel's command line "BOOT_IMAGE=PATH ARGS"; "" stays "". */
static bool make_cmdline(const char *s, char *out, size_t size)
{
	if (!*s) {
		out[0] = '\0';
		return true;
	}
	int n = fmt_snprintf(out, size, "%s%s", BOOT_IMAGE, s);
	return n >= 0 && (size_t)n < size;
}

/* The "tsc_early_khz=auto" word of s, as a whole word; NULL when s has none. */
static const char *tsc_auto_word(const char *s)
{
	const size_t n = strlen(TSC_KHZ_AUTO);
	for (const char *at = strstr(s, TSC_KHZ_AUTO); at; at = strstr(at + 1, TSC_KHZ_AUTO))
		if ((at == s || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0'))
			return at;
	return NULL;
}

/* The command line the kernel gets: s with its "tsc_early_khz=auto" word, if any, given the
 * guest's TSC rate in kHz. False when the result does not fit `size`. */
static bool fill_cmdline(const char *s, u64 tsc_khz, char *out, size_t size)
{
	const char *at = tsc_auto_word(s);
	int n = at ? fmt_snprintf(out, size, "%.*s%s%llu%s", (int)(at - s), s, TSC_KHZ_WORD,
	                          tsc_khz, at + strlen(TSC_KHZ_AUTO))
	           : fmt_snprintf(out, size, "%s", s);
	return n >= 0 && (size_t)n < size;
}

static void refusal(const struct loader_guest *g, const struct loader_plan *p, enum bzimage_err err,
                    u64 ram, char *why, size_t why_size)
{
	const struct bzimage *bz = &p->bz;
	const char *name = bzimage_err_name(err);
	switch (err) {
	case BZ_ETRUNCATED:
		fmt_snprintf(why, why_size, "Linux boot protocol: %s (%llu bytes)", name, g->size);
		break;
	case BZ_EVERSION:
		fmt_snprintf(why, why_size, "Linux boot protocol: %s: version %u.%02u", name,
		             bz->version >> 8, bz->version & 0xff);
		break;
	case BZ_ESETUPSIZE:
		fmt_snprintf(why, why_size,
		             "Linux boot protocol: %s: %llu bytes of setup, the image has %llu",
		             name, bz->setup_bytes, g->size);
		break;
	case BZ_ETOOLARGE:
		fmt_snprintf(why, why_size,
		             "Linux boot protocol: %s: init_size 0x%llx at 0x%llx%s, guest RAM "
		             "[0, 0x%llx)",
		             name, bz->init_size, bz->pref_address,
		             bz->relocatable ? " or above" : "", ram);
		break;
	case BZ_ECMDLINE:
		fmt_snprintf(why, why_size,
		             "Linux boot protocol: %s: %llu bytes, the kernel takes at most %u",
		             name, (u64)strlen(p->bz_cmdline), bz->cmdline_size);
		break;
	case BZ_EINITRD:
		fmt_snprintf(why, why_size,
		             "Linux boot protocol: %s: module 2, %llu bytes, initrd_addr_max 0x%x",
		             name, g->mod[0].size, bz->initrd_addr_max);
		break;
	default:
		fmt_snprintf(why, why_size, "Linux boot protocol: %s", name);
		break;
	}
}

int bzload_check(const struct loader_guest *g, u64 ram, struct loader_plan *p, char *why,
                 size_t why_size)
{
	memset(p, 0, sizeof(*p));
	p->linux_boot = true;
	enum bzimage_err err = bzimage_parse(g->image, g->size, &p->bz);
	if (err != BZ_OK) {
		refusal(g, p, err, ram, why, why_size);
		return -1;
	}
	if (g->nmodules > MAX_INITRDS) {
		fmt_snprintf(
		    why, why_size,
		    "Linux boot protocol: the guest takes one module, its initrd: %u given",
		    g->nmodules);
		return -1;
	}
	if (!make_cmdline(g->cmdline, p->bz_cmdline, sizeof(p->bz_cmdline))) {
		fmt_snprintf(
		    why, why_size,
		    "Linux boot protocol: %s: more than %u bytes, the kernel takes at most %u",
		    bzimage_err_name(BZ_ECMDLINE), (unsigned)sizeof(p->bz_cmdline) - 1,
		    p->bz.cmdline_size);
		return -1;
	}
	const u64 initrd = g->nmodules ? g->mod[0].size : 0;
	/* Room for the TSC rate that replaces "auto" at load time. */
	u64 cmdline_len = strlen(p->bz_cmdline);
	if (tsc_auto_word(p->bz_cmdline))
		cmdline_len += TSC_KHZ_DIGITS - strlen("auto");
	err = bzimage_plan(&p->bz, ram, cmdline_len, initrd, &p->bz_layout);
	if (err != BZ_OK) {
		refusal(g, p, err, ram, why, why_size);
		return -1;
	}
	const struct bzimage *bz = &p->bz;
	const struct bzimage_layout *l = &p->bz_layout;
	con_printf("guest module: Linux boot protocol %u.%02u bzImage, %llu bytes of setup, "
	           "%llu of kernel; init_size 0x%llx, %s, alignment 0x%x\n",
	           bz->version >> 8, bz->version & 0xff, bz->setup_bytes, bz->kernel_bytes,
	           bz->init_size, bz->relocatable ? "relocatable" : "not relocatable",
	           bz->alignment);
	con_printf("guest module: kernel at 0x%llx, 64-bit entry 0x%llx; zero page 0x%llx, "
	           "command line 0x%llx, GDT 0x%llx, page tables 0x%llx (identity [0, 0x%llx))\n",
	           l->kernel, l->entry, l->zero_page, l->cmdline, l->gdt, l->tables,
	           l->identity_top);
	if (l->initrd_size)
		con_printf("guest module: initrd (module 2) [0x%llx, 0x%llx) %llu bytes\n",
		           l->initrd, l->initrd + l->initrd_size, l->initrd_size);
	return 0;
}

/* The MP tables at MP_TABLE_GPA when the guest has a local APIC (hv/platform/mptable.h): the
 * firmware's word that it exists, for a kernel booted without ACPI. */
static int place_mptable(struct vm *vm)
{
	static u8 mp[MP_TABLE_SIZE];
	if (!(vm->platform.cpuid_offers & CPUID_OFFER_APIC))
		return 0;
	const struct cpuid_regs leaf1 =
	    platform_cpuid_for(&vm->platform, 0, CPUID_LEAF_FEATURES, 0);
	const struct mptable_cpu cpu = {.apic_id = 0,
	                                .apic_version = APIC_VERSION_INTEGRATED,
	                                .signature = leaf1.eax,
	                                .features = leaf1.edx,
	                                .apic_base = APIC_DEFAULT_BASE};
	if (!mptable_build(mp, MP_TABLE_GPA, &cpu) ||
	    !vm_copy_to_guest(vm, MP_TABLE_GPA, mp, sizeof(mp))) {
		con_printf("guest module: the MP table does not fit at gPA 0x%llx\n", MP_TABLE_GPA);
		return -1;
	}
	con_printf("guest MP table: floating pointer at gPA 0x%llx, one CPU (APIC ID 0), no I/O "
	           "APIC\n",
	           MP_TABLE_GPA);
	return 0;
}

/* The guest memory map's RAM regions, in gPA order, as the E820 table's input. */
static unsigned ram_ranges(const struct vm *vm, struct bzimage_e820 *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < gmap_count(&vm->gmap) && n < max; i++) {
		const struct gmap_region *r = gmap_get(&vm->gmap, i);
		if (r->type == GMAP_RAM)
			out[n++] = (struct bzimage_e820){r->gpa, r->size, BZ_E820_RAM};
	}
	return n;
}

int bzload_load(struct vm *vm, const struct loader_guest *g, const struct loader_plan *p,
                struct vcpu_start *start)
{
	static struct bzimage_e820 ram[GMAP_MAX_REGIONS], e820[BZ_ZP_E820_MAX];
	static u8 zero_page[BZ_ZP_SIZE];
	static u8 tables[BZ_TABLE_PAGES * PAGE];
	static char cmdline[LOADER_BZ_CMDLINE_MAX + TSC_KHZ_DIGITS];
	u64 gdt[BZ_GDT_ENTRIES];
	const struct bzimage_layout *l = &p->bz_layout;
	const u8 *img = g->image;

	unsigned nram = ram_ranges(vm, ram, ARRAY_SIZE(ram)), n = 0;
	enum bzimage_err err = bzimage_e820(ram, nram, e820, ARRAY_SIZE(e820), &n);
	if (err == BZ_OK)
		err = bzimage_zero_page(zero_page, img, &p->bz, l, e820, n);
	if (err != BZ_OK) {
		con_printf("guest module: Linux boot protocol: %s\n", bzimage_err_name(err));
		return -1;
	}
	if (tsc_auto_word(p->bz_cmdline) && !vm->tsc_hz) {
		con_printf(
		    "guest module: Linux boot protocol: %s: the guest's TSC rate is unknown\n",
		    TSC_KHZ_AUTO);
		return -1;
	}
	if (!fill_cmdline(p->bz_cmdline, vm->tsc_hz / 1000, cmdline, sizeof(cmdline))) {
		con_printf("guest module: Linux boot protocol: %s\n",
		           bzimage_err_name(BZ_ECMDLINE));
		return -1;
	}
	const u64 cr3 = bzimage_page_tables(tables, l);
	bzimage_gdt(gdt);
	if (!vm_copy_to_guest(vm, l->kernel, img + p->bz.setup_bytes, p->bz.kernel_bytes) ||
	    !vm_copy_to_guest(vm, l->zero_page, zero_page, sizeof(zero_page)) ||
	    !vm_copy_to_guest(vm, l->cmdline, cmdline, strlen(cmdline) + 1) ||
	    !vm_copy_to_guest(vm, l->tables, tables, sizeof(tables)) ||
	    !vm_copy_to_guest(vm, l->gdt, gdt, sizeof(gdt)) ||
	    (l->initrd_size && !vm_copy_to_guest(vm, l->initrd, g->mod[0].data, l->initrd_size))) {
		con_printf("guest module: a copy into guest RAM failed (outside its memory map)\n");
		return -1;
	}
	if (place_mptable(vm))
		return -1;
	for (unsigned i = 0; i < n; i++)
		con_printf("guest e820: [0x%012llx, 0x%012llx) %s\n", e820[i].base,
		           e820[i].base + e820[i].length,
		           e820[i].type == BZ_E820_RAM ? "RAM" : "reserved");
	con_printf("guest command line: \"%s\"\n", cmdline);
	/* boot.rst, 64-bit boot protocol: paging on with the range identity-mapped, a GDT with
	 * __BOOT_CS and __BOOT_DS flat, interrupts off, RSI the zero page. */
	*start = (struct vcpu_start){
	    .rip = l->entry,
	    .rflags = RFLAGS_FIXED1,
	    .rsi = l->zero_page,
	    .cr0 = CR0_PE | CR0_ET | CR0_PG,
	    .cr3 = cr3,
	    .cr4 = CR4_PAE,
	    .long_mode = true,
	    .efer = EFER_LME | EFER_LMA,
	    .code_sel = BZ_BOOT_CS,
	    .data_sel = BZ_BOOT_DS,
	    .gdt_base = l->gdt,
	    .gdt_limit = sizeof(gdt) - 1,
	};
	return 0;
}
