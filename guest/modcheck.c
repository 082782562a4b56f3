#include "guest/modcheck.h"

#include "lib/bits.h"
#include "lib/console.h"
#include "lib/mem.h"

#define CRC32_POLY_REFLECTED 0xedb88320u /* x^32 + x^26 + ... + 1, bit-reversed */
#define CRC32_INIT           0xffffffffu

u32 modcheck_crc32(const u8 *p, u64 len)
{
	u32 crc = CRC32_INIT;
	for (u64 i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (crc & 1)));
	}
	return ~crc;
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Why module i is wrong, or NULL. */
static const char *module_wrong(const struct mb_info *mbi, const struct mb_module *m, u32 i,
                                u64 image_start, u64 image_end)
{
	const struct mb_module *mi = &m[i];
	u64 len = (u64)mi->mod_end - mi->mod_start;
	if (mi->mod_end < mi->mod_start)
		return "mod_end below mod_start";
	if (!is_aligned(mi->mod_start, PAGE_SIZE_4K))
		return "not on a 4 KiB boundary (header flag 0)";
	if (!mi->string || !*(const char *)(uintptr_t)mi->string)
		return "no string";
	if (overlaps(mi->mod_start, len, image_start, image_end - image_start))
		return "overlaps the guest's image";
	if (overlaps(mi->mod_start, len, (u64)(uintptr_t)mbi, sizeof(*mbi)) ||
	    overlaps(mi->mod_start, len, mbi->mods_addr, mbi->mods_count * sizeof(*m)) ||
	    overlaps(mi->mod_start, len, mbi->mmap_addr, mbi->mmap_length) ||
	    overlaps(mi->mod_start, len, mbi->cmdline,
	             strlen((const char *)(uintptr_t)mbi->cmdline) + 1))
		return "overlaps the boot information";
	for (u32 j = 0; j < mbi->mods_count; j++) {
		if (j == i)
			continue;
		const char *s = (const char *)(uintptr_t)m[j].string;
		if (overlaps(mi->mod_start, len, m[j].mod_start,
		             (u64)m[j].mod_end - m[j].mod_start) ||
		    (s && overlaps(mi->mod_start, len, m[j].string, strlen(s) + 1)))
			return "overlaps another module or its string";
	}
	return NULL;
}

void modcheck_run(struct report *rep, const struct mb_info *mbi, const struct opt_u64_list *sums,
                  u64 image_start, u64 image_end)
{
	if (!(mbi->flags & MB_INFO_MODS)) {
		report_fail(rep, "guest-modules", "boot information flag 3 (modules) is clear");
		return;
	}
	if (mbi->mods_count != sums->count) {
		report_fail(rep, "guest-modules", "%u modules, expected %u", mbi->mods_count,
		            sums->count);
		return;
	}
	const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
	/* The loader's own structures must lie clear of the image too (spec 3.3 leaves their
	 * place to the loader; an image below 1 MiB is where loaders put them by habit). */
	u64 ilen = image_end - image_start;
	if (overlaps((u64)(uintptr_t)mbi, sizeof(*mbi), image_start, ilen) ||
	    overlaps(mbi->mods_addr, mbi->mods_count * sizeof(*m), image_start, ilen) ||
	    overlaps(mbi->mmap_addr, mbi->mmap_length, image_start, ilen)) {
		report_fail(rep, "guest-modules",
		            "the boot information overlaps the guest's image");
		return;
	}
	for (u32 i = 0; i < mbi->mods_count; i++) {
		const char *why = module_wrong(mbi, m, i, image_start, image_end);
		if (why) {
			report_fail(rep, "guest-modules", "module %u [0x%x, 0x%x): %s", i + 1,
			            m[i].mod_start, m[i].mod_end, why);
			return;
		}
		u32 crc = modcheck_crc32((const u8 *)(uintptr_t)m[i].mod_start,
		                         (u64)m[i].mod_end - m[i].mod_start);
		con_printf("guest module %u: [0x%x, 0x%x) %u bytes, CRC-32 0x%08x: \"%s\"\n", i + 1,
		           m[i].mod_start, m[i].mod_end, m[i].mod_end - m[i].mod_start, crc,
		           (const char *)(uintptr_t)m[i].string);
		if (crc != sums->v[i]) {
			report_fail(rep, "guest-modules",
			            "module %u: CRC-32 0x%08x, expected 0x%08llx", i + 1, crc,
			            sums->v[i]);
			return;
		}
	}
	report_pass(rep, "guest-modules");
}
