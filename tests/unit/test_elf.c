/* hv/vm/elf and hv/vm/mbhdr: validating untrusted kernel images. Each image is built here, then copied
 * into a heap block of exactly its size so that the sanitizer catches any read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vm/elf.h"
#include "hv/vm/mbhdr.h"

#define PT_NOTE   4
#define ET_DYN    3
#define EM_ARM    40
#define MAX_PHDRS 20
#define FILE_CAP  0x8000

#define KBASE_V 0xffffffff80100000ULL /* where the ELF64 kernel runs */
#define KBASE_P 0x100000ULL           /* where it is loaded */
#define LO      (1 * MiB)
#define HI      (64 * MiB)

/* An image described field by field, so that each test breaks exactly one thing. */
struct spec {
	u8 ident_class, ident_data, ident_version;
	u16 type, machine;
	u32 version;
	u64 entry, phoff;
	u16 ehsize, phentsize, phnum;
	struct elf64_phdr ph[MAX_PHDRS];
	u64 size; /* file size */
};

static struct elf64_phdr load(u64 paddr, u64 vaddr, u64 offset, u64 filesz, u64 memsz, u32 flags)
{
	return (struct elf64_phdr){.p_type = PT_LOAD,
	                           .p_flags = flags,
	                           .p_offset = offset,
	                           .p_vaddr = vaddr,
	                           .p_paddr = paddr,
	                           .p_filesz = filesz,
	                           .p_memsz = memsz,
	                           .p_align = 0x1000};
}

/* Text at 1 MiB (0x1000 bytes from file offset 0x1000), data + bss right after, and a note whose
 * bogus offset must be ignored because it is not PT_LOAD. */
static struct spec spec64(void)
{
	struct spec s = {
	    .ident_class = ELFCLASS64,
	    .ident_data = ELFDATA2LSB,
	    .ident_version = EV_CURRENT,
	    .type = ET_EXEC,
	    .machine = EM_X86_64,
	    .version = EV_CURRENT,
	    .entry = KBASE_V + 0x10,
	    .phoff = sizeof(struct elf64_ehdr),
	    .ehsize = sizeof(struct elf64_ehdr),
	    .phentsize = sizeof(struct elf64_phdr),
	    .phnum = 3,
	    .size = 0x2800,
	};
	s.ph[0] = load(KBASE_P, KBASE_V, 0x1000, 0x1000, 0x1000, PF_R | PF_X);
	s.ph[1] = load(KBASE_P + 0x1000, KBASE_V + 0x1000, 0x2000, 0x800, 0x3000, PF_R | PF_W);
	s.ph[2] = (struct elf64_phdr){.p_type = PT_NOTE, .p_offset = ~0ULL, .p_filesz = ~0ULL};
	return s;
}

static struct spec spec32(void)
{
	struct spec s = {
	    .ident_class = ELFCLASS32,
	    .ident_data = ELFDATA2LSB,
	    .ident_version = EV_CURRENT,
	    .type = ET_EXEC,
	    .machine = EM_386,
	    .version = EV_CURRENT,
	    .entry = 0x10000c,
	    .phoff = sizeof(struct elf32_ehdr),
	    .ehsize = sizeof(struct elf32_ehdr),
	    .phentsize = sizeof(struct elf32_phdr),
	    .phnum = 1,
	    .size = 0x1100,
	};
	s.ph[0] = load(0x100000, 0x100000, 0x1000, 0x100, 0x2000, PF_R | PF_W | PF_X);
	return s;
}

/* Serializes the spec into a heap block of exactly s->size bytes. */
static u8 *build(const struct spec *s)
{
	static u8 buf[FILE_CAP];
	memset(buf, 0xcc, sizeof(buf));
	u8 ident[EI_NIDENT] = {
	    0x7f, 'E', 'L', 'F', s->ident_class, s->ident_data, s->ident_version};

	if (s->ident_class == ELFCLASS32) {
		struct elf32_ehdr h = {
		    .e_type = s->type,
		    .e_machine = s->machine,
		    .e_version = s->version,
		    .e_entry = (u32)s->entry,
		    .e_phoff = (u32)s->phoff,
		    .e_ehsize = s->ehsize,
		    .e_phentsize = s->phentsize,
		    .e_phnum = s->phnum,
		};
		memcpy(h.e_ident, ident, EI_NIDENT);
		memcpy(buf, &h, sizeof(h));
		for (unsigned i = 0; i < s->phnum && i < MAX_PHDRS && s->phoff < FILE_CAP; i++) {
			const struct elf64_phdr *p = &s->ph[i];
			struct elf32_phdr q = {p->p_type,       (u32)p->p_offset, (u32)p->p_vaddr,
			                       (u32)p->p_paddr, (u32)p->p_filesz, (u32)p->p_memsz,
			                       (u32)p->p_flags, (u32)p->p_align};
			u64 at = s->phoff + i * sizeof(q);
			if (at <= FILE_CAP - sizeof(q))
				memcpy(buf + at, &q, sizeof(q));
		}
	} else {
		struct elf64_ehdr h = {
		    .e_type = s->type,
		    .e_machine = s->machine,
		    .e_version = s->version,
		    .e_entry = s->entry,
		    .e_phoff = s->phoff,
		    .e_ehsize = s->ehsize,
		    .e_phentsize = s->phentsize,
		    .e_phnum = s->phnum,
		};
		memcpy(h.e_ident, ident, EI_NIDENT);
		memcpy(buf, &h, sizeof(h));
		for (unsigned i = 0; i < s->phnum && i < MAX_PHDRS && s->phoff < FILE_CAP; i++) {
			u64 at = s->phoff + i * sizeof(s->ph[i]);
			if (at <= FILE_CAP - sizeof(s->ph[i]))
				memcpy(buf + at, &s->ph[i], sizeof(s->ph[i]));
		}
	}
	u8 *file = malloc(s->size ? s->size : 1);
	assert_non_null(file);
	memcpy(file, buf, s->size);
	return file;
}

static enum elf_err check_bounds(const struct spec *s, u64 lo, u64 hi, struct elf_image *out)
{
	u8 *file = build(s);
	enum elf_err err = elf_validate(file, s->size, lo, hi, out);
	free(file);
	return err;
}

static enum elf_err check(const struct spec *s, struct elf_image *out)
{
	return check_bounds(s, LO, HI, out);
}

static void expect_err(const struct spec *s, enum elf_err want, int bad_phdr)
{
	struct elf_image img;
	enum elf_err got = check(s, &img);
	if (got != want)
		fail_msg("want \"%s\", got \"%s\"", elf_strerror(want), elf_strerror(got));
	assert_int_equal(img.bad_phdr, bad_phdr);
}

static void test_valid_elf64(void **state)
{
	(void)state;
	struct spec s = spec64();
	struct elf_image img;

	assert_int_equal(check(&s, &img), ELF_OK);
	assert_int_equal(img.elf_class, ELFCLASS64);
	assert_int_equal(img.entry, KBASE_V + 0x10);
	assert_int_equal(img.entry_paddr, KBASE_P + 0x10);
	assert_int_equal(img.bad_phdr, -1);
	assert_int_equal(img.nsegments, 2);
	assert_int_equal(img.seg[0].paddr, KBASE_P);
	assert_int_equal(img.seg[0].vaddr, KBASE_V);
	assert_int_equal(img.seg[0].offset, 0x1000);
	assert_int_equal(img.seg[0].filesz, 0x1000);
	assert_int_equal(img.seg[0].memsz, 0x1000);
	assert_int_equal(img.seg[0].flags, PF_R | PF_X);
	assert_int_equal(img.seg[1].paddr, KBASE_P + 0x1000);
	assert_int_equal(img.seg[1].vaddr, KBASE_V + 0x1000);
	assert_int_equal(img.seg[1].offset, 0x2000);
	assert_int_equal(img.seg[1].filesz, 0x800);
	assert_int_equal(img.seg[1].memsz, 0x3000);
	assert_int_equal(img.seg[1].flags, PF_R | PF_W);

	/* Bounds are [lo, hi): the image's exact extent is accepted. */
	assert_int_equal(check_bounds(&s, KBASE_P, KBASE_P + 0x4000, &img), ELF_OK);

	/* An empty PT_LOAD occupies nothing: accepted wherever it points, not recorded. */
	s.ph[2] = load(0, 0, 0, 0, 0, PF_R);
	assert_int_equal(check(&s, &img), ELF_OK);
	assert_int_equal(img.nsegments, 2);
}

static void test_valid_elf32(void **state)
{
	(void)state;
	struct spec s = spec32();
	struct elf_image img;

	assert_int_equal(check(&s, &img), ELF_OK);
	assert_int_equal(img.elf_class, ELFCLASS32);
	assert_int_equal(img.entry, 0x10000c);
	assert_int_equal(img.entry_paddr, 0x10000c);
	assert_int_equal(img.nsegments, 1);
	assert_int_equal(img.seg[0].paddr, 0x100000);
	assert_int_equal(img.seg[0].offset, 0x1000);
	assert_int_equal(img.seg[0].filesz, 0x100);
	assert_int_equal(img.seg[0].memsz, 0x2000);
	assert_int_equal(img.seg[0].flags, PF_R | PF_W | PF_X);
}

static void test_truncated(void **state)
{
	(void)state;
	struct spec s = spec64();

	s.size = 0;
	expect_err(&s, ELF_ERR_TRUNCATED_HEADER, -1);
	s.size = EI_NIDENT - 1;
	expect_err(&s, ELF_ERR_TRUNCATED_HEADER, -1);
	s.size = sizeof(struct elf64_ehdr) - 1;
	expect_err(&s, ELF_ERR_TRUNCATED_HEADER, -1);
	/* The last program header cut short. */
	s.size = sizeof(struct elf64_ehdr) + 3 * sizeof(struct elf64_phdr) - 1;
	expect_err(&s, ELF_ERR_PHDRS_OUTSIDE_FILE, -1);
	/* Data of the second segment one byte short. */
	s.size = 0x2800 - 1;
	expect_err(&s, ELF_ERR_SEGMENT_OUTSIDE_FILE, 1);

	struct spec t = spec32();
	t.size = sizeof(struct elf32_ehdr) - 1;
	expect_err(&t, ELF_ERR_TRUNCATED_HEADER, -1);
	t.size = 0x10ff;
	expect_err(&t, ELF_ERR_SEGMENT_OUTSIDE_FILE, 0);
}

static void test_identity(void **state)
{
	(void)state;
	struct spec s;

	s = spec64();
	s.ident_class = 3;
	expect_err(&s, ELF_ERR_BAD_CLASS, -1);
	s = spec64();
	s.ident_class = 0;
	expect_err(&s, ELF_ERR_BAD_CLASS, -1);
	/* A 32-bit class with the 64-bit machine: wrong class for that machine. */
	s = spec32();
	s.machine = EM_X86_64;
	expect_err(&s, ELF_ERR_BAD_MACHINE, -1);
	s = spec64();
	s.machine = EM_386;
	expect_err(&s, ELF_ERR_BAD_MACHINE, -1);
	s = spec64();
	s.machine = EM_ARM;
	expect_err(&s, ELF_ERR_BAD_MACHINE, -1);
	s = spec64();
	s.ident_data = ELFDATA2MSB;
	expect_err(&s, ELF_ERR_NOT_LITTLE_ENDIAN, -1);
	s = spec64();
	s.ident_version = 2;
	expect_err(&s, ELF_ERR_BAD_VERSION, -1);
	s = spec64();
	s.version = 0;
	expect_err(&s, ELF_ERR_BAD_VERSION, -1);
	s = spec64();
	s.type = ET_DYN;
	expect_err(&s, ELF_ERR_NOT_EXECUTABLE, -1);
	s = spec64();
	s.ehsize = sizeof(struct elf32_ehdr);
	expect_err(&s, ELF_ERR_BAD_EHSIZE, -1);
	s = spec64();
	s.phentsize = sizeof(struct elf64_phdr) + 8;
	expect_err(&s, ELF_ERR_BAD_PHENTSIZE, -1);

	s = spec64();
	u8 *file = build(&s);
	struct elf_image img;
	file[1] = 'e';
	assert_int_equal(elf_validate(file, 0x2800, LO, HI, &img), ELF_ERR_BAD_MAGIC);
	free(file);
}

static void test_segment_bounds_and_overlap(void **state)
{
	(void)state;
	struct spec s;
	struct elf_image img;

	s = spec64();
	assert_int_equal(check_bounds(&s, KBASE_P + 0x1000, HI, &img),
	                 ELF_ERR_SEGMENT_OUT_OF_BOUNDS);
	assert_int_equal(img.bad_phdr, 0);
	assert_int_equal(check_bounds(&s, LO, KBASE_P + 0x3fff, &img),
	                 ELF_ERR_SEGMENT_OUT_OF_BOUNDS);
	assert_int_equal(img.bad_phdr, 1);

	/* Physical overlap by one byte, though the virtual ranges are disjoint. */
	s = spec64();
	s.ph[1].p_paddr = KBASE_P + 0xfff;
	expect_err(&s, ELF_ERR_SEGMENTS_OVERLAP, 1);
	/* The later segment wholly containing the earlier one. */
	s = spec64();
	s.ph[1].p_paddr = KBASE_P;
	expect_err(&s, ELF_ERR_SEGMENTS_OVERLAP, 1);

	s = spec64();
	s.ph[1].p_filesz = 0x3001;
	s.size = 0x2000 + 0x3001;
	expect_err(&s, ELF_ERR_FILESZ_GT_MEMSZ, 1);

	/* Only a note: nothing to load. No program headers at all: likewise. */
	s = spec64();
	s.ph[0] = s.ph[2];
	s.phnum = 1;
	expect_err(&s, ELF_ERR_NO_LOAD_SEGMENT, -1);
	s.phnum = 0;
	expect_err(&s, ELF_ERR_NO_LOAD_SEGMENT, -1);

	/* ELF_MAX_SEGMENTS + 1 disjoint one-byte segments. */
	s = spec64();
	s.phnum = ELF_MAX_SEGMENTS + 1;
	for (unsigned i = 0; i < s.phnum; i++)
		s.ph[i] = load(KBASE_P + i * 0x1000, KBASE_V + i * 0x1000, 0x1000, 1, 1, PF_R);
	expect_err(&s, ELF_ERR_TOO_MANY_SEGMENTS, ELF_MAX_SEGMENTS);
	s.phnum = ELF_MAX_SEGMENTS;
	s.entry = KBASE_V;
	expect_err(&s, ELF_OK, -1);
	s.phnum = PN_XNUM;
	expect_err(&s, ELF_ERR_TOO_MANY_SEGMENTS, -1);
}

static void test_overflow(void **state)
{
	(void)state;
	struct spec s;

	s = spec64();
	s.phoff = ~0ULL - 0x10;
	expect_err(&s, ELF_ERR_PHDRS_OUTSIDE_FILE, -1);

	/* offset + filesz wraps to a small number that would pass a naive check. */
	s = spec64();
	s.ph[1].p_offset = ~0ULL - 0x7ff + 0x100;
	expect_err(&s, ELF_ERR_SEGMENT_OUTSIDE_FILE, 1);

	s = spec64();
	s.ph[1].p_paddr = ~0ULL - 0x100;
	expect_err(&s, ELF_ERR_SEGMENT_WRAPS, 1);
	s = spec64();
	s.ph[0].p_vaddr = ~0ULL - 0x100;
	expect_err(&s, ELF_ERR_SEGMENT_WRAPS, 0);
	/* memsz so large that paddr + memsz wraps past zero into [lo, hi). */
	s = spec64();
	s.ph[1].p_memsz = ~0ULL - KBASE_P;
	expect_err(&s, ELF_ERR_SEGMENT_WRAPS, 1);

	/* ELF32: the 32-bit address space ends at 4 GiB. */
	s = spec32();
	s.ph[0].p_paddr = 0xffff0000;
	s.ph[0].p_memsz = 0x20000;
	s.ph[0].p_filesz = 0x100;
	struct elf_image img;
	assert_int_equal(check_bounds(&s, 0, ~0ULL, &img), ELF_ERR_SEGMENT_WRAPS);
	assert_int_equal(img.bad_phdr, 0);
}

static void test_entry(void **state)
{
	(void)state;
	struct spec s;
	struct elf_image img;

	s = spec64();
	s.entry = KBASE_V + 0x1900; /* in the second segment's bss */
	expect_err(&s, ELF_ERR_ENTRY_OUTSIDE, -1);
	s.entry = 0;
	expect_err(&s, ELF_ERR_ENTRY_OUTSIDE, -1);
	s.entry = KBASE_P + 0x10; /* the physical address is not the entry's space */
	expect_err(&s, ELF_ERR_ENTRY_OUTSIDE, -1);
	s.entry = KBASE_V + 0x17ff; /* last file-backed byte of the data segment */
	assert_int_equal(check(&s, &img), ELF_OK);
	assert_int_equal(img.entry_paddr, KBASE_P + 0x17ff);
}

static void test_elf_strerror(void **state)
{
	(void)state;
	for (int i = 0; i < ELF_ERR_COUNT; i++) {
		assert_string_not_equal(elf_strerror(i), "unknown ELF error");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(elf_strerror(i), elf_strerror(j));
	}
	assert_string_equal(elf_strerror(ELF_ERR_COUNT), "unknown ELF error");
	assert_string_equal(elf_strerror(ELF_ERR_SEGMENTS_OVERLAP),
	                    "segments overlap in physical memory");
}

/* Multiboot headers. */

#define MB_IMAGE_SIZE 12288

static u8 *mb_image(u64 offset, u32 flags, u32 checksum_delta)
{
	u8 *img = calloc(1, MB_IMAGE_SIZE);
	assert_non_null(img);
	u32 words[3] = {MB_HEADER_MAGIC, flags, -(u32)(MB_HEADER_MAGIC + flags) + checksum_delta};
	memcpy(img + offset, words, sizeof(words));
	return img;
}

static void test_mbhdr_found(void **state)
{
	(void)state;
	struct mbhdr_info info;
	const u32 flags = MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO;
	const u32 supported = MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO;

	u8 *img = mb_image(0x40, flags, 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_OK);
	assert_int_equal(info.offset, 0x40);
	assert_int_equal(info.flags, flags);
	assert_false(info.has_addresses);
	assert_false(info.has_video);
	assert_int_equal(info.hdr.magic, MB_HEADER_MAGIC);
	free(img);

	/* The last place it may be: the header ends exactly at byte 8192. */
	img = mb_image(MBHDR_SEARCH_LIMIT - MBHDR_SIZE_BASE, flags, 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_OK);
	assert_int_equal(info.offset, MBHDR_SEARCH_LIMIT - MBHDR_SIZE_BASE);
	free(img);

	/* A stray magic with a wrong checksum before the real header is skipped. */
	img = mb_image(0x100, flags, 0);
	u32 stray = MB_HEADER_MAGIC;
	memcpy(img + 0x20, &stray, sizeof(stray));
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_OK);
	assert_int_equal(info.offset, 0x100);
	free(img);

	/* Address fields (a.out kludge). */
	img = mb_image(0x1000, MBHDR_FLAG_AOUT_KLUDGE | MB_HDR_PAGE_ALIGN, 0);
	u32 addrs[5] = {0x101000, 0x100000, 0x180000, 0x200000, 0x10100c};
	memcpy(img + 0x1000 + MBHDR_SIZE_BASE, addrs, sizeof(addrs));
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_OK);
	assert_true(info.has_addresses);
	assert_int_equal(info.hdr.header_addr, 0x101000);
	assert_int_equal(info.hdr.load_addr, 0x100000);
	assert_int_equal(info.hdr.load_end_addr, 0x180000);
	assert_int_equal(info.hdr.bss_end_addr, 0x200000);
	assert_int_equal(info.hdr.entry_addr, 0x10100c);
	/* header_addr - load_addr larger than the header's file offset. */
	addrs[0] = 0x102000;
	memcpy(img + 0x1000 + MBHDR_SIZE_BASE, addrs, sizeof(addrs));
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_BAD_ADDRESSES);
	addrs[0] = 0x101000;
	addrs[3] = 0x170000; /* bss ends before the load does */
	memcpy(img + 0x1000 + MBHDR_SIZE_BASE, addrs, sizeof(addrs));
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_BAD_ADDRESSES);
	free(img);
}

static void test_mbhdr_rejected(void **state)
{
	(void)state;
	struct mbhdr_info info;
	const u32 supported = MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO;
	u8 *img;

	img = calloc(1, MB_IMAGE_SIZE);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_NOT_FOUND);
	free(img);

	/* Beyond the first 8192 bytes, or straddling the limit. */
	img = mb_image(MBHDR_SEARCH_LIMIT, 0, 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_NOT_FOUND);
	free(img);
	img = mb_image(MBHDR_SEARCH_LIMIT - 8, 0, 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_NOT_FOUND);
	free(img);
	/* Not 4-byte aligned. */
	img = mb_image(0x42, 0, 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_NOT_FOUND);
	free(img);
	/* An image too short to hold a whole header. */
	img = mb_image(0, 0, 0);
	assert_int_equal(mbhdr_find(img, 8, supported, &info), MBHDR_ERR_NOT_FOUND);
	free(img);

	img = mb_image(0x40, MB_HDR_PAGE_ALIGN, 1);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_ERR_BAD_CHECKSUM);
	free(img);

	/* Video mode is required but this loader has no framebuffer... */
	img = mb_image(0x40, MB_HDR_PAGE_ALIGN | MBHDR_FLAG_VIDEO_MODE, 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info),
	                 MBHDR_ERR_UNSUPPORTED_FLAGS);
	assert_int_equal(info.unsupported, MBHDR_FLAG_VIDEO_MODE);
	assert_true(info.has_video);
	/* ...unless the caller chooses to ignore it. */
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported | MBHDR_FLAG_VIDEO_MODE, &info),
	                 MBHDR_OK);
	free(img);
	/* An unknown required bit; unknown optional bits (16-31) are fine. */
	img = mb_image(0x40, BIT(9) | BIT(30), 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info),
	                 MBHDR_ERR_UNSUPPORTED_FLAGS);
	assert_int_equal(info.unsupported, BIT(9));
	free(img);
	img = mb_image(0x40, BIT(30), 0);
	assert_int_equal(mbhdr_find(img, MB_IMAGE_SIZE, supported, &info), MBHDR_OK);
	free(img);

	/* Address fields flagged, but the image ends inside them. */
	img = mb_image(0x40, MBHDR_FLAG_AOUT_KLUDGE, 0);
	assert_int_equal(mbhdr_find(img, 0x40 + MBHDR_SIZE_ADDR - 1, supported, &info),
	                 MBHDR_ERR_TRUNCATED);
	free(img);

	for (int i = 0; i < MBHDR_ERR_COUNT; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(mbhdr_strerror(i), mbhdr_strerror(j));
	assert_string_equal(mbhdr_strerror(MBHDR_ERR_BAD_CHECKSUM),
	                    "Multiboot header checksum wrong");
	assert_string_equal(mbhdr_strerror(MBHDR_ERR_COUNT), "unknown Multiboot header error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_elf64),
	    cmocka_unit_test(test_valid_elf32),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_segment_bounds_and_overlap),
	    cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_entry),
	    cmocka_unit_test(test_elf_strerror),
	    cmocka_unit_test(test_mbhdr_found),
	    cmocka_unit_test(test_mbhdr_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
