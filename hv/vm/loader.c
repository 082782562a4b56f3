/* Starting a guest kernel: one with a Linux setup header goes to hv/vm/bzload.c; any other the
 * way the Multiboot v1 specification (section 3.2, "Machine state") says any loader must: the image
 * at its physical addresses, the boot information and the modules in guest memory, then 32-bit
 * protected mode with paging off, EAX = 0x2BADB002 and EBX = the information's guest-physical
 * address. */
#include "hv/vm/loader.h"

#include "arch/x86/msr.h"
#include "hv/vm/mbhdr.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/multiboot.h"
#include "lib/x86/uart.h"

/* Header requirements this loader meets (spec 3.1.2): modules on page boundaries, memory
 * information, and video (as the EGA text mode: the spec lets the loader pick the mode). */
#define LOADER_FLAGS_SUPPORTED (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO | MB_HDR_VIDEO_MODE)
#define TEXT_BPP               16 /* bits per character cell */
#define TEXT_BLANK             ' '

static const char loader_name[] = MBPLACE_LOADER_NAME;

/* The BIOS data area a PC BIOS leaves at 0x400 (IBM PC AT Technical Reference, "BIOS Data
 * Area"; Ralf Brown's MEMORY.LST, 0040:0000 to 0040:0013): kernels read the EBDA's segment and
 * the base memory size there to place their real-mode trampolines (Xen's head.S puts its own
 * 64 KiB below the smaller of them and of mem_lower; with both 0 it used [-64 KiB, 4 GiB)), and
 * the COM1 base. The guest's EBDA is the 4 KiB below the legacy area the map reserves; its
 * first byte is its size in KiB. */
#define BDA_COM1_PORT   0x400 /* u16: I/O base of COM1 */
#define BDA_EBDA_SEG    0x40e /* u16: real-mode segment of the EBDA */
#define BDA_BASE_KIB    0x413 /* u16: conventional memory below the EBDA, KiB */
#define GUEST_EBDA      MBPLACE_LOW_END
#define VGA_START       0xa0000ULL /* the EBDA ends where the VGA window starts */
#define REAL_MODE_SHIFT 4          /* segment = address >> 4 */

#define OPC_HLT         0xf4
#define OPC_JMP_REL8    0xeb
#define OPC_NOP         0x90
#define IVT_OFFSET_BITS 16 /* an IVT entry: offset in the low word, segment in the high */

/* The BDA, the EBDA's size byte, and the IVT with its placeholders (loader.h). */
static bool write_bda(struct vm *vm)
{
	const u16 com1 = COM1_BASE, seg = GUEST_EBDA >> REAL_MODE_SHIFT, kib = GUEST_EBDA / KiB;
	const u8 ebda_kib = (VGA_START - GUEST_EBDA) / KiB;
	/* HLT; JMP back to the HLT (rel8 -3 from the end of the jump); NOP. */
	static const u8 stub[LOADER_BIOS_STUB_SIZE] = {OPC_HLT, OPC_JMP_REL8, (u8)-3, OPC_NOP};
	const u32 stub_seg = (u32)(LOADER_BIOS_STUBS_GPA >> REAL_MODE_SHIFT);
	for (u32 v = 0; v < LOADER_IVT_VECTORS; v++) {
		const u32 entry = stub_seg << IVT_OFFSET_BITS | v * LOADER_BIOS_STUB_SIZE;
		if (!vm_copy_to_guest(vm, v * sizeof(entry), &entry, sizeof(entry)) ||
		    !vm_copy_to_guest(vm, LOADER_BIOS_STUBS_GPA + v * LOADER_BIOS_STUB_SIZE, stub,
		                      sizeof(stub)))
			return false;
	}
	return vm_copy_to_guest(vm, BDA_COM1_PORT, &com1, sizeof(com1)) &&
	       vm_copy_to_guest(vm, BDA_EBDA_SEG, &seg, sizeof(seg)) &&
	       vm_copy_to_guest(vm, BDA_BASE_KIB, &kib, sizeof(kib)) &&
	       vm_copy_to_guest(vm, GUEST_EBDA, &ebda_kib, sizeof(ebda_kib));
}

/* The image's segments from the address fields (flag 16), as one ELF-like segment. */
static int kludge_image(const struct mbhdr_info *mh, u64 size, struct elf_image *img, char *why,
                        size_t why_size)
{
	struct mbhdr_load ld;
	enum mbhdr_err err = mbhdr_load(mh, size, &ld);
	if (err != MBHDR_OK) {
		fmt_snprintf(why, why_size, "Multiboot header: %s", mbhdr_strerror(err));
		return -1;
	}
	memset(img, 0, sizeof(*img));
	img->bad_phdr = -1;
	img->entry = img->entry_paddr = ld.entry;
	img->nsegments = 1;
	img->seg[0] = (struct elf_segment){
	    .paddr = ld.load_addr,
	    .vaddr = ld.load_addr,
	    .offset = ld.file_offset,
	    .filesz = ld.file_size,
	    .memsz = ld.mem_size,
	    .flags = PF_R | PF_W | PF_X,
	};
	return 0;
}

static void placement_why(const struct loader_guest *g, const struct loader_plan *p,
                          enum mbplace_err err, char *why, size_t why_size)
{
	const struct mbplace_layout *l = &p->layout;
	int n = fmt_snprintf(why, why_size, "placement: %s", mbplace_strerror(err));
	if (n < 0 || (size_t)n >= why_size)
		return;
	if (err == MBPLACE_ERR_RESERVED)
		fmt_snprintf(why + n, why_size - n, ": segment %d [0x%llx, +0x%llx) overlaps %s",
		             l->bad, p->img.seg[l->bad].paddr, p->img.seg[l->bad].memsz,
		             mbplace_reserved_name((unsigned)l->bad_reserved));
	else if (err == MBPLACE_ERR_SEGMENT_OUTSIDE_RAM)
		fmt_snprintf(why + n, why_size - n, ": segment %d [0x%llx, +0x%llx)", l->bad,
		             p->img.seg[l->bad].paddr, p->img.seg[l->bad].memsz);
	else if (err == MBPLACE_ERR_MODULE_TOO_LARGE)
		fmt_snprintf(why + n, why_size - n,
		             ": module %d, %llu bytes; the guest's map offers %llu below 4 GiB",
		             l->bad + 2, g->mod[l->bad].size, l->usable);
	else if (l->bad >= 0) /* a module: the hypervisor's numbering, module 1 the guest */
		fmt_snprintf(why + n, why_size - n, ": module %d", l->bad + 2);
}

int loader_check(const struct loader_guest *g, u64 ram, struct loader_plan *p, char *why,
                 size_t why_size)
{
	struct mbhdr_info mh;
	if (bzimage_detect(g->image, g->size))
		return bzload_check(g, ram, p, why, why_size);
	memset(p, 0, sizeof(*p));
	enum mbhdr_err merr = mbhdr_find(g->image, g->size, LOADER_FLAGS_SUPPORTED, &mh);
	/* No Multiboot header but a boot sector's flag: a bzImage whose setup header is broken. */
	if (merr == MBHDR_ERR_NOT_FOUND && bzimage_has_boot_flag(g->image, g->size))
		return bzload_check(g, ram, p, why, why_size);
	if (merr != MBHDR_OK) {
		fmt_snprintf(why, why_size, "Multiboot header: %s", mbhdr_strerror(merr));
		return -1;
	}
	p->text_mode = mh.flags & MB_HDR_VIDEO_MODE;
	/* Spec 3.1.2: with flag 16 the address fields are used instead of the executable's
	 * own header, whatever the format. */
	p->aout_kludge = mh.has_addresses;
	if (p->aout_kludge) {
		if (kludge_image(&mh, g->size, &p->img, why, why_size))
			return -1;
	} else {
		enum elf_err eerr = elf_validate(g->image, g->size, 0, ram, &p->img);
		if (eerr != ELF_OK) {
			int n = fmt_snprintf(why, why_size, "ELF: %s", elf_strerror(eerr));
			if (p->img.bad_phdr >= 0 && n >= 0 && (size_t)n < why_size)
				fmt_snprintf(why + n, why_size - n, " (program header %d)",
				             p->img.bad_phdr);
			return -1;
		}
	}

	if (g->nmodules > MBPLACE_MAX_MODULES) {
		fmt_snprintf(why, why_size, "placement: %s: %u given",
		             mbplace_strerror(MBPLACE_ERR_TOO_MANY_MODULES), g->nmodules);
		return -1;
	}
	struct mbplace_request req = {
	    .ram = ram,
	    .nsegments = p->img.nsegments,
	    .cmdline_len = strlen(g->cmdline),
	    .nmodules = g->nmodules,
	};
	for (unsigned i = 0; i < p->img.nsegments; i++)
		req.seg[i] = (struct mbplace_range){p->img.seg[i].paddr, p->img.seg[i].memsz};
	for (unsigned i = 0; i < g->nmodules; i++) {
		req.module_size[i] = g->mod[i].size;
		req.string_len[i] = strlen(g->mod[i].string);
	}
	enum mbplace_err perr = mbplace_plan(&req, &p->layout);
	if (perr != MBPLACE_OK) {
		placement_why(g, p, perr, why, why_size);
		return -1;
	}

	con_printf("guest module: Multiboot header at offset 0x%x, flags 0x%x; %s, entry 0x%llx, "
	           "%u segments:\n",
	           mh.offset, mh.flags,
	           p->aout_kludge                   ? "loaded by the header's address fields"
	           : p->img.elf_class == ELFCLASS64 ? "ELF64 kernel"
	                                            : "ELF32 kernel",
	           p->img.entry_paddr, p->img.nsegments);
	for (unsigned i = 0; i < p->img.nsegments; i++) {
		const struct elf_segment *s = &p->img.seg[i];
		con_printf("guest module:   paddr 0x%llx, 0x%llx bytes from the file, 0x%llx in "
		           "memory, %c%c%c\n",
		           s->paddr, s->filesz, s->memsz, s->flags & PF_R ? 'r' : '-',
		           s->flags & PF_W ? 'w' : '-', s->flags & PF_X ? 'x' : '-');
	}
	const struct mbplace_layout *l = &p->layout;
	con_printf("guest boot information at 0x%llx (0x%llx bytes), stack [0x%llx, 0x%llx)%s\n",
	           l->block.base, l->block.len, l->stack.base, l->stack.base + l->stack.len,
	           p->text_mode ? ", EGA text mode 80x25 at 0xb8000" : "");
	for (unsigned i = 0; i < l->nmodules; i++)
		con_printf("guest's module %u (module %u): [0x%llx, 0x%llx) %llu bytes: \"%s\"\n",
		           i + 1, i + 2, l->module[i].base, l->module[i].base + l->module[i].len,
		           l->module[i].len, g->mod[i].string);
	return 0;
}

static bool load_segments(struct vm *vm, const void *image, const struct elf_image *img)
{
	static const u8 zeros[PAGE_SIZE_4K];
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (!vm_copy_to_guest(vm, s->paddr, (const u8 *)image + s->offset, s->filesz))
			return false;
		for (u64 off = s->filesz; off < s->memsz; off += sizeof(zeros)) {
			u64 n = s->memsz - off < sizeof(zeros) ? s->memsz - off : sizeof(zeros);
			if (!vm_copy_to_guest(vm, s->paddr + off, zeros, n))
				return false;
		}
	}
	return true;
}

/* The Multiboot memory map the guest sees, from the guest memory map: conventional memory below
 * 640 KiB, then each run of RAM contiguous in gPA from 1 MiB up (at most MBPLACE_MMAP_ENTRIES in
 * all), so that a gap in the memory map, the PCI hole, is a gap in the guest's map too. Returns
 * the entries written. */
static unsigned guest_mmap(const struct gmap *g, struct mb_mmap_entry *m)
{
	const u32 esize = sizeof(struct mb_mmap_entry) - sizeof(m->size);
	unsigned n = 0;
	m[n++] = (struct mb_mmap_entry){esize, 0, MBPLACE_LOW_END, MB_MMAP_AVAILABLE};
	const struct gmap_region *r;
	gmap_for_each_region (g, r) {
		u64 lo = r->gpa < MBPLACE_HIGH_START ? MBPLACE_HIGH_START : r->gpa;
		u64 hi = gmap_region_end(r);
		if (r->type != GMAP_RAM || hi <= lo)
			continue;
		struct mb_mmap_entry *last = &m[n - 1];
		if (n > 1 && last->base_addr + last->length == lo)
			last->length = hi - last->base_addr;
		else if (n < MBPLACE_MMAP_ENTRIES)
			m[n++] = (struct mb_mmap_entry){esize, lo, hi - lo, MB_MMAP_AVAILABLE};
	}
	return n;
}

/* Multiboot information (spec 3.3) for the plan's layout. */
static bool load_info(struct vm *vm, const struct loader_guest *g, const struct loader_plan *p)
{
	const struct mbplace_layout *l = &p->layout;
	struct mb_mmap_entry mmap[MBPLACE_MMAP_ENTRIES];
	const unsigned entries = guest_mmap(&vm->gmap, mmap);
	struct mb_info info;
	memset(&info, 0, sizeof(info));
	info.flags =
	    MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
	info.mem_lower = MBPLACE_LOW_END / KiB;
	/* Upper memory: from 1 MiB to the first hole (spec 3.3, mem_upper). */
	info.mem_upper = entries > 1 ? (u32)(mmap[1].length / KiB) : 0;
	info.cmdline = (u32)l->cmdline;
	info.mods_count = l->nmodules;
	info.mods_addr = (u32)l->mods;
	info.mmap_addr = (u32)l->mmap;
	info.mmap_length = entries * sizeof(mmap[0]);
	info.boot_loader_name = (u32)l->loader_name;
	if (p->text_mode) {
		info.flags |= MB_INFO_FRAMEBUFFER;
		info.framebuffer_addr = LOADER_TEXT_GPA;
		info.framebuffer_pitch = LOADER_TEXT_COLUMNS * LOADER_TEXT_CELL;
		info.framebuffer_width = LOADER_TEXT_COLUMNS;
		info.framebuffer_height = LOADER_TEXT_ROWS;
		info.framebuffer_bpp = TEXT_BPP;
		info.framebuffer_type = MB_FRAMEBUFFER_TYPE_EGA_TEXT;
	}
	if (!vm_copy_to_guest(vm, l->info, &info, sizeof(info)) ||
	    !vm_copy_to_guest(vm, l->mmap, mmap, entries * sizeof(mmap[0])) ||
	    !vm_copy_to_guest(vm, l->loader_name, loader_name, sizeof(loader_name)) ||
	    !vm_copy_to_guest(vm, l->cmdline, g->cmdline, strlen(g->cmdline) + 1))
		return false;
	for (unsigned i = 0; i < l->nmodules; i++) {
		const struct mb_module m = {
		    .mod_start = (u32)l->module[i].base,
		    .mod_end = (u32)(l->module[i].base + l->module[i].len),
		    .string = (u32)l->string[i],
		};
		if (!vm_copy_to_guest(vm, l->mods + i * sizeof(m), &m, sizeof(m)) ||
		    !vm_copy_to_guest(vm, l->string[i], g->mod[i].string,
		                      strlen(g->mod[i].string) + 1) ||
		    !vm_copy_to_guest(vm, m.mod_start, g->mod[i].data, l->module[i].len))
			return false;
	}
	return true;
}

int loader_load(struct vm *vm, const struct loader_guest *g, const struct loader_plan *p,
                struct vcpu_start *start)
{
	if (!write_bda(vm)) {
		con_printf(
		    "guest: the BIOS data area could not be written (page 0 outside guest RAM)\n");
		return -1;
	}
	if (p->linux_boot)
		return bzload_load(vm, g, p, start);
	if (!load_segments(vm, g->image, &p->img) || !load_info(vm, g, p)) {
		con_printf("guest module: a copy into guest RAM failed (outside its memory map)\n");
		return -1;
	}
	/* The text buffer starts blank, as a loader leaves the screen it hands over. */
	if (p->text_mode) {
		static const u8 blank[LOADER_TEXT_COLUMNS * LOADER_TEXT_CELL] = {0};
		for (unsigned row = 0; row < LOADER_TEXT_ROWS; row++)
			if (!vm_copy_to_guest(vm, LOADER_TEXT_GPA + row * sizeof(blank), blank,
			                      sizeof(blank)))
				return -1;
	}
	*start = (struct vcpu_start){
	    .rip = p->img.entry_paddr,
	    .rsp = p->layout.stack.base + p->layout.stack.len,
	    .rflags = RFLAGS_FIXED1,
	    .rax = MB_LOADER_MAGIC,
	    .rbx = p->layout.info,
	    .cr0 = CR0_PE | CR0_ET,
	    .cr4 = 0,
	};
	return 0;
}

void loader_report_text(struct vm *vm)
{
	u8 cells[LOADER_TEXT_COLUMNS * LOADER_TEXT_CELL];
	char row_text[LOADER_TEXT_COLUMNS + 1];
	bool said = false;
	for (unsigned row = 0; row < LOADER_TEXT_ROWS; row++) {
		if (!vm_copy_from_guest(vm, cells, LOADER_TEXT_GPA + row * sizeof(cells),
		                        sizeof(cells)))
			return;
		unsigned len = 0;
		for (unsigned c = 0; c < LOADER_TEXT_COLUMNS; c++) {
			u8 ch = cells[c * LOADER_TEXT_CELL];
			row_text[c] = ch >= ' ' && ch < 0x7f ? (char)ch : TEXT_BLANK;
			if (row_text[c] != TEXT_BLANK)
				len = c + 1;
		}
		if (!len)
			continue;
		row_text[len] = '\0';
		if (!said)
			con_printf("vga: the guest's text screen (0x%llx, %ux%u), rows written:\n",
			           LOADER_TEXT_GPA, LOADER_TEXT_COLUMNS, LOADER_TEXT_ROWS);
		said = true;
		con_printf("vga: %2u |%s\n", row, row_text);
	}
}
