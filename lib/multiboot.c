#include "lib/multiboot.h"

#include "lib/bits.h"

u64 mb_ram_top(const struct mb_info *mbi, u64 image_last)
{
	u64 top = 0;

	if (!(mbi->flags & MB_INFO_MEM_MAP))
		return mbi->flags & MB_INFO_MEMORY ? MiB + (u64)mbi->mem_upper * KiB : 0;
	for (u64 off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap_entry *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
		if (off + sizeof(*e) > mbi->mmap_length || e->size < sizeof(*e) - sizeof(e->size))
			break; /* a malformed entry ends the walk */
		if (e->type == MB_MMAP_AVAILABLE && e->base_addr <= image_last &&
		    e->base_addr + e->length > image_last)
			top = e->base_addr + e->length;
		off += e->size + sizeof(e->size);
	}
	return top;
}

u64 mb_ram_bytes(const struct mb_info *mbi)
{
	u64 bytes = MiB;

	if (!(mbi->flags & MB_INFO_MEM_MAP))
		return mbi->flags & MB_INFO_MEMORY ? bytes + (u64)mbi->mem_upper * KiB : 0;
	for (u64 off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap_entry *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
		if (off + sizeof(*e) > mbi->mmap_length || e->size < sizeof(*e) - sizeof(e->size))
			break; /* a malformed entry ends the walk */
		const u64 end = e->base_addr + e->length;
		if (e->type == MB_MMAP_AVAILABLE && end > MiB)
			bytes += end - (e->base_addr > MiB ? e->base_addr : MiB);
		off += e->size + sizeof(e->size);
	}
	return bytes;
}
