/* What the loader gave the tp kernel (Multiboot spec 0.6.96, 3.2 and 3.3):
 * the image at the address it is linked at, below 1 MiB, with its bss
 * zeroed; the boot information, command line, memory map, module list and
 * modules clear of the image (bss and stack included) and inside RAM the map
 * calls available; module 2 page aligned (header flag 0), its string's last
 * word and its bytes (CRC-32) as the command line expects. */
#include "lib/bits.h"
#include "lib/mem.h"
#include "tests/tp/tp.h"

#define TP_LOW_LIMIT 0x100000ull /* 1 MiB */
#define PAGE_BYTES   4096ull
#define GUARD_WORDS  512 /* 4 KiB of bss, checked to be zero */

extern const u8 _image_start[], _image_end[];
static u64 bss_guard[GUARD_WORDS];

static bool overlaps_image(u64 base, u64 len)
{
	const u64 s = (u64)(uintptr_t)_image_start, e = (u64)(uintptr_t)_image_end;
	return len && base < e && s < base + len;
}

/* [base, base + len) inside one available range of the memory map. */
static bool map_available(const struct mb_info *mbi, u64 base, u64 len)
{
	if (!(mbi->flags & MB_INFO_MEM_MAP))
		return false;
	for (u64 off = 0; off + sizeof(struct mb_mmap_entry) <= mbi->mmap_length;) {
		const struct mb_mmap_entry *m = (const void *)(uintptr_t)(mbi->mmap_addr + off);
		if (m->type == MB_MMAP_AVAILABLE && base >= m->base_addr &&
		    base + len <= m->base_addr + m->length)
			return true;
		off += m->size + sizeof(m->size);
	}
	return false;
}

/* One piece the loader placed: clear of the image and in available RAM. */
static void check_piece(struct report *r, const struct mb_info *mbi, const char *name, u64 base,
                        u64 len)
{
	if (overlaps_image(base, len))
		report_fail(r, "tp-boot-clear", "%s [0x%llx, +0x%llx) overlaps the image [%p, %p)",
		            name, base, len, _image_start, _image_end);
	else if (!map_available(mbi, base, len))
		report_fail(r, "tp-boot-clear",
		            "%s [0x%llx, +0x%llx) is not available RAM in the map", name, base,
		            len);
}

void tp_check_boot(struct report *r, const struct mb_info *mbi, const struct tp_expect *x)
{
	u64 here;
	__asm__("lea tp_check_boot(%%rip), %0" : "=r"(here));
	const u64 start = (u64)(uintptr_t)_image_start, end = (u64)(uintptr_t)_image_end;
	report_check(r,
	             here == (u64)(uintptr_t)tp_check_boot && end <= TP_LOW_LIMIT &&
	                 map_available(mbi, start, end - start),
	             "tp-load-low", "image [0x%llx, 0x%llx) running at 0x%llx for 0x%llx", start,
	             end, here, (u64)(uintptr_t)tp_check_boot);
	unsigned nonzero = 0;
	for (unsigned i = 0; i < GUARD_WORDS; i++)
		nonzero += bss_guard[i] != 0;
	report_check(r, nonzero == 0, "tp-bss-zero", "%u of %u bss words not zero", nonzero,
	             GUARD_WORDS);

	const unsigned before = r->failures;
	const char *cmdline = (const char *)(uintptr_t)mbi->cmdline;
	check_piece(r, mbi, "boot information", (uintptr_t)mbi, sizeof(*mbi));
	if (mbi->flags & MB_INFO_CMDLINE)
		check_piece(r, mbi, "command line", mbi->cmdline, strlen(cmdline) + 1);
	if (mbi->flags & MB_INFO_MEM_MAP)
		check_piece(r, mbi, "memory map", mbi->mmap_addr, mbi->mmap_length);
	const struct mb_module *mods = (const void *)(uintptr_t)mbi->mods_addr;
	const u32 nmods = (mbi->flags & MB_INFO_MODS) ? mbi->mods_count : 0;
	if (nmods) {
		check_piece(r, mbi, "module list", mbi->mods_addr, nmods * sizeof(*mods));
		for (u32 i = 0; i < nmods; i++)
			check_piece(r, mbi, "a module", mods[i].mod_start,
			            mods[i].mod_end - mods[i].mod_start);
	}
	if (r->failures == before)
		report_pass(r, "tp-boot-clear");

	if (nmods < 2) {
		report_fail(r, "tp-module-2", "%u modules (flags 0x%x), expected at least 2", nmods,
		            mbi->flags);
		return;
	}
	const struct mb_module *m = &mods[1];
	const char *s = m->string ? (const char *)(uintptr_t)m->string : "";
	const char *word = s; /* the string's last word: loaders put the file's path first */
	for (const char *c = s; *c; c++)
		if (c[0] == ' ' && c[1] && c[1] != ' ')
			word = c + 1;
	const u64 len = m->mod_end - m->mod_start;
	const u32 crc = tp_crc32((const u8 *)(uintptr_t)m->mod_start, len);
	report_check(
	    r,
	    m->mod_start % PAGE_BYTES == 0 && strcmp(word, x->mod2_name) == 0 && crc == x->mod2_crc,
	    "tp-module-2",
	    "[0x%x, 0x%x) \"%s\": CRC-32 0x%x; expected page aligned, last word \"%s\", 0x%llx",
	    m->mod_start, m->mod_end, s, crc, x->mod2_name, x->mod2_crc);
}
