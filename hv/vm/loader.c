/* Starting a guest kernel the way the Multiboot v1 specification (section
 * 3.2, "Machine state") says any loader must: the ELF program headers
 * loaded at their physical addresses, a Multiboot information structure in
 * guest memory, then 32-bit protected mode with paging off, EAX = 0x2BADB002
 * and EBX = the information's guest-physical address. */
#include "arch/x86/msr.h"
#include "lib/multiboot.h"
#include "hv/vm/elf.h"
#include "hv/vm/mbhdr.h"
#include "hv/mem/phys.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

/* Guest-physical layout of the boot information, below 640 KiB. */
#define GUEST_INFO_GPA        0x8000ULL
#define GUEST_MMAP_GPA        0x8100ULL
#define GUEST_LOADER_NAME_GPA 0x8300ULL
#define GUEST_CMDLINE_GPA     0x8400ULL
#define GUEST_CMDLINE_MAX     0xc00ULL
#define GUEST_LOW_MEM_END     0x9f000ULL /* conventional memory the guest may use */
#define GUEST_KERNEL_MIN      (1 * MiB)

#define GUEST_MMAP_MAX 8 /* entries: 0x8100 + 8 * 24 bytes stays below the loader name */

static const char loader_name[] = "segvisor";

/* The Multiboot memory map the guest sees, from the guest memory map: conventional memory below
 * 640 KiB, then each run of RAM contiguous in gPA from 1 MiB up, so that a gap in the map (the
 * PCI hole, or pages ballooned out before a reboot) is a gap in the guest's map too. Returns the
 * entries written. */
static unsigned guest_mmap(const struct gmap *g, struct mb_mmap_entry *m)
{
	const u32 esize = sizeof(struct mb_mmap_entry) - sizeof(m->size);
	unsigned n = 0;
	m[n++] = (struct mb_mmap_entry){esize, 0, GUEST_LOW_MEM_END, MB_MMAP_AVAILABLE};
	const struct gmap_region *r;
	gmap_for_each_region (g, r) {
		u64 lo = r->gpa < 1 * MiB ? 1 * MiB : r->gpa, hi = gmap_region_end(r);
		if (r->type != GMAP_RAM || hi <= lo)
			continue;
		struct mb_mmap_entry *last = &m[n - 1];
		if (n > 1 && last->base_addr + last->length == lo)
			last->length = hi - last->base_addr;
		else if (n < GUEST_MMAP_MAX)
			m[n++] = (struct mb_mmap_entry){esize, lo, hi - lo, MB_MMAP_AVAILABLE};
	}
	return n;
}

int loader_check(const void *image, u64 size, u64 ram, struct elf_image *elf, char *why,
                 size_t why_size)
{
	struct mbhdr_info mh;
	enum mbhdr_err merr = mbhdr_find(image, size, MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO, &mh);
	if (merr != MBHDR_OK) {
		fmt_snprintf(why, why_size, "Multiboot header: %s", mbhdr_strerror(merr));
		return -1;
	}
	enum elf_err eerr = elf_validate(image, size, GUEST_KERNEL_MIN, ram, elf);
	if (eerr != ELF_OK) {
		int n = fmt_snprintf(why, why_size, "ELF: %s", elf_strerror(eerr));
		if (elf->bad_phdr >= 0 && n >= 0 && (size_t)n < why_size)
			fmt_snprintf(why + n, why_size - n, " (program header %d)", elf->bad_phdr);
		return -1;
	}
	con_printf("guest module: Multiboot header at offset 0x%x, flags 0x%x; ELF%u kernel, entry "
	           "0x%llx, %u segments:\n",
	           mh.offset, mh.flags, elf->elf_class == ELFCLASS64 ? 64 : 32, elf->entry_paddr,
	           elf->nsegments);
	for (unsigned i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->seg[i];
		con_printf("guest module:   paddr 0x%llx, 0x%llx bytes from the file, 0x%llx in "
		           "memory, %c%c%c\n",
		           s->paddr, s->filesz, s->memsz, s->flags & PF_R ? 'r' : '-',
		           s->flags & PF_W ? 'w' : '-', s->flags & PF_X ? 'x' : '-');
	}
	return 0;
}

int loader_load(struct vm *vm, const void *image, const struct elf_image *elf, const char *cmdline,
                struct vcpu_start *start)
{
	for (unsigned i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->seg[i];
		if (!vm_copy_to_guest(vm, s->paddr, (const u8 *)image + s->offset, s->filesz))
			return -1;
		static const u8 zeros[PAGE_SIZE_4K];
		for (u64 off = s->filesz; off < s->memsz; off += sizeof(zeros)) {
			u64 n = s->memsz - off < sizeof(zeros) ? s->memsz - off : sizeof(zeros);
			if (!vm_copy_to_guest(vm, s->paddr + off, zeros, n))
				return -1;
		}
	}

	/* Multiboot information (spec 3.3): memory, command line, memory map. */
	u64 len = strlen(cmdline);
	if (len >= GUEST_CMDLINE_MAX) {
		con_printf("guest module rejected: command line of %llu bytes (at most %llu)\n",
		           len, GUEST_CMDLINE_MAX - 1);
		return -1;
	}
	static struct mb_mmap_entry mmap[GUEST_MMAP_MAX];
	const unsigned entries = guest_mmap(&vm->gmap, mmap);
	struct mb_info info;
	memset(&info, 0, sizeof(info));
	info.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
	info.mem_lower = GUEST_LOW_MEM_END / KiB;
	/* Upper memory: from 1 MiB to the first hole (spec 3.3, mem_upper). */
	info.mem_upper = entries > 1 ? (u32)(mmap[1].length / KiB) : 0;
	info.cmdline = GUEST_CMDLINE_GPA;
	info.mmap_addr = GUEST_MMAP_GPA;
	info.mmap_length = entries * sizeof(mmap[0]);
	info.boot_loader_name = GUEST_LOADER_NAME_GPA;
	if (!vm_copy_to_guest(vm, GUEST_INFO_GPA, &info, sizeof(info)) ||
	    !vm_copy_to_guest(vm, GUEST_MMAP_GPA, mmap, sizeof(mmap)) ||
	    !vm_copy_to_guest(vm, GUEST_LOADER_NAME_GPA, loader_name, sizeof(loader_name)) ||
	    !vm_copy_to_guest(vm, GUEST_CMDLINE_GPA, cmdline, len + 1))
		return -1;

	*start = (struct vcpu_start){
	    .rip = elf->entry_paddr,
	    .rsp = 0,
	    .rflags = RFLAGS_FIXED1,
	    .rax = MB_LOADER_MAGIC,
	    .rbx = GUEST_INFO_GPA,
	    .cr0 = CR0_PE | CR0_ET,
	    .cr4 = 0,
	};
	return 0;
}
