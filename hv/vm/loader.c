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

static const char loader_name[] = "segvisor";

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
	u64 ram = gmap_ram_top(&vm->gmap);
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
	const struct mb_mmap_entry mmap[2] = {
	    {sizeof(struct mb_mmap_entry) - 4, 0, GUEST_LOW_MEM_END, MB_MMAP_AVAILABLE},
	    {sizeof(struct mb_mmap_entry) - 4, 1 * MiB, ram - 1 * MiB, MB_MMAP_AVAILABLE},
	};
	struct mb_info info;
	memset(&info, 0, sizeof(info));
	info.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
	info.mem_lower = GUEST_LOW_MEM_END / KiB;
	info.mem_upper = (u32)((ram - 1 * MiB) / KiB);
	info.cmdline = GUEST_CMDLINE_GPA;
	info.mmap_addr = GUEST_MMAP_GPA;
	info.mmap_length = sizeof(mmap);
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
