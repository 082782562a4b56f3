/* Starting a guest kernel: a Linux boot-protocol bzImage (hv/vm/bzload.c), or a Multiboot v1
 * kernel (Multiboot spec 0.6.96) with all its boot information:
 * the image checked (ELF program headers, or the header's address fields when flag 16 is set),
 * every piece placed in guest RAM (hv/vm/mbplace.h), then copied in: the image, the boot
 * information (memory, command line, memory map, loader name, modules and their strings, and
 * the EGA text framebuffer when the header asks for video), the guest's own modules (the
 * hypervisor's modules 2 and up) and an initial stack. loader_check refuses with a reason;
 * loader_load puts a checked plan into the VM. */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include "arch/x86/vcpu.h"
#include "hv/vm/bzimage.h"
#include "hv/vm/elf.h"
#include "hv/vm/mbplace.h"
#include "lib/types.h"

/* The text buffer a guest asking for video gets (spec 3.3, framebuffer_type 2). */
#define LOADER_TEXT_GPA     0xb8000ULL
#define LOADER_TEXT_COLUMNS 80
#define LOADER_TEXT_ROWS    25
#define LOADER_TEXT_CELL    2 /* character, attribute */

/* No BIOS: each real-mode interrupt vector points at a placeholder of its own, HLT then a jump
 * back to it, in the BIOS area [LOADER_BIOS_STUBS_GPA, + 256 * LOADER_BIOS_STUB_SIZE); a guest
 * that calls a BIOS service (or takes an exception in real mode) halts there and is stopped
 * with the vector's name (hv/vm/exits.c). */
#define LOADER_BIOS_STUBS_GPA 0xf0000ULL
#define LOADER_BIOS_STUB_SIZE 4
#define LOADER_IVT_VECTORS    256

/* The longest command line a bzImage guest gets, NUL included (Linux takes 2048 on x86). */
#define LOADER_BZ_CMDLINE_MAX 4096

struct loader_module {
	const void *data;
	u64 size;
	const char *string; /* "" when the boot loader gave none */
};

/* What the hypervisor was given for its guest. */
struct loader_guest {
	const void *image;
	u64 size;
	const char *cmdline;
	unsigned nmodules; /* the guest's modules as given; only the first MBPLACE_MAX_MODULES
	                    * are read, and more are refused */
	struct loader_module mod[MBPLACE_MAX_MODULES];
};

struct loader_plan {
	/* Module 1 carries a Linux setup header ("HdrS" at 0x202): started by the Linux boot
	 * protocol's 64-bit entry (hv/vm/bzload.c) with bz and bz_layout, not by Multiboot. */
	bool linux_boot;
	struct bzimage bz;
	struct bzimage_layout bz_layout;
	char bz_cmdline[LOADER_BZ_CMDLINE_MAX]; /* the kernel's: "BOOT_IMAGE=PATH ARGS" */
	struct elf_image img; /* what is loaded: ELF segments, or one from the address fields */
	bool aout_kludge;     /* loaded by the header's address fields (flag 16) */
	bool text_mode;       /* header flag 2: the guest gets the EGA text framebuffer */
	struct mbplace_layout layout;
};

struct vm;
/* Either protocol: module 1 with a setup header goes to bzload_*, any other to Multiboot. */
int loader_check(const struct loader_guest *g, u64 ram, struct loader_plan *plan, char *why,
                 size_t why_size);
int loader_load(struct vm *vm, const struct loader_guest *g, const struct loader_plan *plan,
                struct vcpu_start *start);
/* The Linux boot protocol's side (hv/vm/bzload.c): the checks, naming each refusal in why; the
 * copy into guest RAM and the 64-bit start. */
int bzload_check(const struct loader_guest *g, u64 ram, struct loader_plan *plan, char *why,
                 size_t why_size);
int bzload_load(struct vm *vm, const struct loader_guest *g, const struct loader_plan *plan,
                struct vcpu_start *start);
/* After the guest ended: the rows of the text buffer it wrote, one `vga: ` line each. */
void loader_report_text(struct vm *vm);

#endif
