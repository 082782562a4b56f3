/* The guest kernel checks and load (hv/vm/elf.c, hv/vm/mbhdr.c, hv/vm/loader.c), on any file
 * as the guest module.
 *
 * Input: the module, copied to a buffer of exactly its size.
 * Invariants: whatever loader_check accepts lies inside the file (each segment's file bytes
 * are read here, so AddressSanitizer sees any that do not) and inside guest RAM above 1 MiB,
 * segments do not overlap, the entry is in the file-backed part of one; loader_load then puts
 * exactly the file bytes, and zeros for the rest of each segment, in guest memory. A refusal
 * says why. elf_validate with no physical bounds and mbhdr_find with every flag supported
 * are run too, with the same structural checks. */
#include "tests/fuzz/fuzz.h"

#include "hv/vm/elf.h"
#include "hv/vm/mbhdr.h"
#include "tests/fuzz/vm_fixture.h"

#define KERNEL_MIN (1 * MiB) /* hv/vm/loader.c's lowest kernel address */

static struct vm_fixture fx;
static bool ready;
static volatile u8 file_sum; /* keeps the reads of the segments' file bytes */

static void check_image(const u8 *image, u64 size, const struct elf_image *elf, u64 lo, u64 hi)
{
	FUZZ_CHECK(elf->elf_class == ELFCLASS32 || elf->elf_class == ELFCLASS64, "class %u",
	           elf->elf_class);
	FUZZ_CHECK(elf->nsegments >= 1 && elf->nsegments <= ELF_MAX_SEGMENTS, "%u segments",
	           elf->nsegments);
	bool entry_found = false;
	u8 sum = 0;
	for (unsigned i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->seg[i];
		FUZZ_CHECK(s->memsz > 0 && s->filesz <= s->memsz, "segment %u sizes", i);
		FUZZ_CHECK(s->offset <= size && s->filesz <= size - s->offset,
		           "segment %u file bytes [0x%llx, +0x%llx) outside a file of %llu", i,
		           s->offset, s->filesz, size);
		FUZZ_CHECK(s->paddr >= lo && s->paddr <= hi && s->memsz <= hi - s->paddr,
		           "segment %u [0x%llx, +0x%llx) outside [0x%llx, 0x%llx)", i, s->paddr,
		           s->memsz, lo, hi);
		for (u64 b = 0; b < s->filesz; b++)
			sum += image[s->offset + b];
		for (unsigned j = 0; j < i; j++) {
			const struct elf_segment *t = &elf->seg[j];
			FUZZ_CHECK(s->paddr >= t->paddr + t->memsz ||
			               t->paddr >= s->paddr + s->memsz,
			           "segments %u and %u overlap", j, i);
		}
		if (elf->entry >= s->vaddr && elf->entry - s->vaddr < s->filesz &&
		    elf->entry_paddr == elf->entry - s->vaddr + s->paddr)
			entry_found = true;
	}
	file_sum = sum;
	FUZZ_CHECK(entry_found, "entry 0x%llx (paddr 0x%llx) in no segment's file bytes",
	           elf->entry, elf->entry_paddr);
}

static void check_loaded(const u8 *image, const struct elf_image *elf)
{
	static u8 buf[PAGE_SIZE_4K];
	for (unsigned i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->seg[i];
		for (u64 off = 0; off < s->memsz; off += sizeof(buf)) {
			u64 n = s->memsz - off < sizeof(buf) ? s->memsz - off : sizeof(buf);
			FUZZ_CHECK(vm_copy_from_guest(fx.vm, buf, s->paddr + off, n),
			           "segment %u not in guest RAM", i);
			for (u64 b = 0; b < n; b++) {
				u8 want = off + b < s->filesz ? image[s->offset + off + b] : 0;
				FUZZ_CHECK(buf[b] == want,
				           "segment %u byte 0x%llx: 0x%x, file 0x%x", i, off + b,
				           buf[b], want);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (!ready) {
		vm_fixture_init(&fx);
		if (vm_fixture_create(&fx, PAGE_SIZE_2M, NESTED_FORMAT_EPT))
			abort();
		ready = true;
	}
	u8 *image = fuzz_dup(data, size);
	struct elf_image elf;
	struct mbhdr_info mh;
	char why[160];

	enum mbhdr_err merr = mbhdr_find(image, size, MBHDR_FLAGS_REQUIRED, &mh);
	FUZZ_CHECK(merr < MBHDR_ERR_COUNT, "mbhdr error %d", merr);
	if (merr == MBHDR_OK || merr == MBHDR_ERR_TRUNCATED || merr == MBHDR_ERR_BAD_ADDRESSES)
		FUZZ_CHECK(mh.offset % MBHDR_ALIGN == 0 && mh.offset + MBHDR_SIZE_BASE <= size &&
		               mh.offset + MBHDR_SIZE_BASE <= MBHDR_SEARCH_LIMIT,
		           "header at 0x%x", mh.offset);

	enum elf_err eerr = elf_validate(image, size, 0, ~0ULL, &elf);
	FUZZ_CHECK(eerr < ELF_ERR_COUNT, "elf error %d", eerr);
	if (eerr == ELF_OK)
		check_image(image, size, &elf, 0, ~0ULL);

	why[0] = '\0';
	if (loader_check(image, size, FUZZ_GUEST_RAM, &elf, why, sizeof(why)) == 0) {
		check_image(image, size, &elf, KERNEL_MIN, FUZZ_GUEST_RAM);
		struct vcpu_start start;
		FUZZ_CHECK(loader_load(fx.vm, image, &elf, "fuzz", &start) == 0,
		           "a checked image did not load");
		FUZZ_CHECK(start.rip == elf.entry_paddr, "entered at 0x%llx, entry 0x%llx",
		           start.rip, elf.entry_paddr);
		check_loaded(image, &elf);
	} else {
		FUZZ_CHECK(why[0] != '\0' && strnlen(why, sizeof(why)) < sizeof(why),
		           "a refusal without a reason");
	}
	free(image);
	return 0;
}
