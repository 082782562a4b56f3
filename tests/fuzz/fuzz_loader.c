/* The guest kernel checks, placement and load (hv/vm/elf.c, hv/vm/mbhdr.c, hv/vm/mbplace.c,
 * hv/vm/loader.c), on any file as the guest module.
 *
 * Input: the module, copied to a buffer of exactly its size. The guest's own modules are cut
 * from the same bytes: size % 9 of them (8 is one too many), each a slice of the file, so that
 * the format stays one file and every seed still means what it meant.
 * Invariants: whatever loader_check accepts lies inside the file (each segment's file bytes
 * are read here, so AddressSanitizer sees any that do not) and inside guest RAM clear of the
 * ranges the hypervisor keeps, segments do not overlap, the entry is in the file-backed part of
 * one; the boot information block, the stack and each module are clear of the image and of
 * each other (checked here, apart from mbplace_check); loader_load then puts exactly the file
 * bytes, zeros for the rest of each segment, each module's bytes and string, and an information
 * structure that points at them, in guest memory. A refusal says why. elf_validate with no
 * physical bounds, mbhdr_find with every flag supported, mbhdr_load on any header with address
 * fields, and mbplace_plan on a request read from the input's first bytes are run too, with
 * the same structural checks. */
#include "tests/fuzz/fuzz.h"

#include "hv/vm/elf.h"
#include "hv/vm/loader.h"
#include "hv/vm/mbhdr.h"
#include "hv/vm/mbplace.h"
#include "lib/multiboot.h"
#include "tests/fuzz/vm_fixture.h"

#define MODULE_CHOICES 9 /* 0..8 modules: 8 is more than the loader takes */

static struct vm_fixture fx;
static bool ready;
static volatile u8 file_sum; /* keeps the reads of the segments' file bytes */

/* kludge: loaded by the header's address fields, one segment and no ELF class. */
static void check_image(const u8 *image, u64 size, const struct elf_image *elf, u64 lo, u64 hi,
                        bool kludge)
{
	FUZZ_CHECK(kludge ? elf->elf_class == 0 && elf->nsegments == 1
	                  : elf->elf_class == ELFCLASS32 || elf->elf_class == ELFCLASS64,
	           "class %u", elf->elf_class);
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

static bool apart(u64 a, u64 alen, u64 b, u64 blen)
{
	return !alen || !blen || a + alen <= b || b + blen <= a;
}

/* The placement, checked without mbplace_check: inside RAM the guest's map offers below 4 GiB,
 * clear of the image, of the reserved ranges and of each other. */
static void check_layout(const struct mbplace_request *r, const struct mbplace_layout *l)
{
	struct mbplace_range p[2 + MBPLACE_MAX_MODULES];
	unsigned n = 0;
	p[n++] = l->block;
	p[n++] = l->stack;
	FUZZ_CHECK(l->nmodules == r->nmodules, "%u modules placed of %u", l->nmodules, r->nmodules);
	for (unsigned i = 0; i < l->nmodules; i++) {
		FUZZ_CHECK(l->module[i].base % PAGE_SIZE_4K == 0, "module %u at 0x%llx", i,
		           l->module[i].base);
		FUZZ_CHECK(l->module[i].len == r->module_size[i], "module %u length", i);
		p[n++] = (struct mbplace_range){l->module[i].base,
		                                l->module[i].len ? l->module[i].len : 1};
	}
	FUZZ_CHECK(l->block.len == mbplace_block_size(r), "block of 0x%llx bytes", l->block.len);
	for (unsigned i = 0; i < n; i++) {
		u64 end = p[i].base + p[i].len;
		bool low = p[i].base >= MBPLACE_LOW_START && end <= MBPLACE_LOW_END;
		bool high = p[i].base >= MBPLACE_HIGH_START && end <= r->ram && end < 4ULL * GiB;
		FUZZ_CHECK(low || high, "piece %u [0x%llx, 0x%llx) outside offered RAM", i,
		           p[i].base, end);
		for (unsigned s = 0; s < r->nsegments; s++)
			FUZZ_CHECK(apart(p[i].base, p[i].len, r->seg[s].base, r->seg[s].len),
			           "piece %u over segment %u", i, s);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(apart(p[i].base, p[i].len, p[j].base, p[j].len),
			           "pieces %u and %u overlap", j, i);
	}
	struct mbplace_range res;
	for (unsigned k = 0; mbplace_reserved_range(k, &res); k++)
		for (unsigned s = 0; s < r->nsegments; s++)
			FUZZ_CHECK(apart(res.base, res.len, r->seg[s].base, r->seg[s].len),
			           "segment %u over reserved range %u", s, k);
}

/* mbplace_plan on a request made of the input's first bytes. */
static void fuzz_plan(const u8 *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct mbplace_request r;
	memset(&r, 0, sizeof(r));
	r.ram = fuzz_u64(&in) & (8 * GiB - 1);
	r.nsegments = fuzz_u8(&in) % (ELF_MAX_SEGMENTS + 1);
	for (unsigned i = 0; i < r.nsegments; i++) {
		r.seg[i].base = fuzz_u32(&in);
		r.seg[i].len = fuzz_u32(&in) >> (fuzz_u8(&in) % 32);
	}
	r.cmdline_len = fuzz_u32(&in) % (2 * MBPLACE_CMDLINE_MAX);
	r.nmodules = fuzz_u8(&in) % (MBPLACE_MAX_MODULES + 2);
	for (unsigned i = 0; i < r.nmodules && i < MBPLACE_MAX_MODULES; i++) {
		r.module_size[i] = fuzz_u64(&in) >> (fuzz_u8(&in) % 64);
		r.string_len[i] = fuzz_u32(&in) % (2 * MBPLACE_STRING_MAX);
	}
	struct mbplace_layout l;
	enum mbplace_err err = mbplace_plan(&r, &l);
	FUZZ_CHECK(err < MBPLACE_ERR_COUNT, "placement error %d", err);
	if (err == MBPLACE_OK) {
		check_layout(&r, &l);
	} else if (err == MBPLACE_ERR_RESERVED) {
		FUZZ_CHECK(l.bad >= 0 && (unsigned)l.bad < r.nsegments &&
		               mbplace_reserved_name((unsigned)l.bad_reserved),
		           "a reserved refusal names segment %d, range %d", l.bad, l.bad_reserved);
	}
}

/* The guest's modules: slices of the file. */
static const char *const strings[] = {"", "one", "a module with a longer string"};

static void cut_modules(const u8 *image, u64 size, struct loader_guest *g)
{
	g->nmodules = size % MODULE_CHOICES;
	for (unsigned i = 0; i < g->nmodules && i < MBPLACE_MAX_MODULES; i++) {
		u64 start = size * i / g->nmodules, end = size * (i + 1) / g->nmodules;
		g->mod[i] = (struct loader_module){image + start, end - start,
		                                   strings[i % ARRAY_SIZE(strings)]};
	}
}

static void check_info(const struct loader_guest *g, const struct loader_plan *p,
                       const struct vcpu_start *start)
{
	static u8 buf[PAGE_SIZE_4K];
	struct mb_info info;
	FUZZ_CHECK(start->rbx == p->layout.info, "EBX 0x%llx", start->rbx);
	FUZZ_CHECK(start->rsp == p->layout.stack.base + p->layout.stack.len && start->rsp % 16 == 0,
	           "ESP 0x%llx", start->rsp);
	FUZZ_CHECK(vm_copy_from_guest(fx.vm, &info, start->rbx, sizeof(info)), "info unreadable");
	FUZZ_CHECK(info.mods_count == g->nmodules && (info.flags & MB_INFO_MODS),
	           "mods_count %u of %u", info.mods_count, g->nmodules);
	for (unsigned i = 0; i < g->nmodules; i++) {
		struct mb_module m;
		FUZZ_CHECK(vm_copy_from_guest(fx.vm, &m, info.mods_addr + i * sizeof(m), sizeof(m)),
		           "module entry %u", i);
		FUZZ_CHECK(m.mod_end - m.mod_start == g->mod[i].size, "module %u size", i);
		char str[64];
		u64 len = strlen(g->mod[i].string) + 1;
		FUZZ_CHECK(vm_copy_from_guest(fx.vm, str, m.string, len) &&
		               !memcmp(str, g->mod[i].string, len),
		           "module %u string", i);
		const u8 *want = g->mod[i].data;
		for (u64 off = 0; off < g->mod[i].size; off += sizeof(buf)) {
			u64 n =
			    g->mod[i].size - off < sizeof(buf) ? g->mod[i].size - off : sizeof(buf);
			FUZZ_CHECK(vm_copy_from_guest(fx.vm, buf, m.mod_start + off, n) &&
			               !memcmp(buf, want + off, n),
			           "module %u bytes at 0x%llx", i, off);
		}
	}
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
	char why[240];

	enum mbhdr_err merr = mbhdr_find(image, size, MBHDR_FLAGS_REQUIRED, &mh);
	FUZZ_CHECK(merr < MBHDR_ERR_COUNT, "mbhdr error %d", merr);
	if (merr == MBHDR_OK || merr == MBHDR_ERR_TRUNCATED || merr == MBHDR_ERR_BAD_ADDRESSES)
		FUZZ_CHECK(mh.offset % MBHDR_ALIGN == 0 && mh.offset + MBHDR_SIZE_BASE <= size &&
		               mh.offset + MBHDR_SIZE_BASE <= MBHDR_SEARCH_LIMIT,
		           "header at 0x%x", mh.offset);

	if (merr == MBHDR_OK && mh.has_addresses) {
		struct mbhdr_load ld;
		if (mbhdr_load(&mh, size, &ld) == MBHDR_OK)
			FUZZ_CHECK(
			    ld.file_offset + ld.file_size <= size && ld.file_size <= ld.mem_size &&
			        ld.load_addr + ld.mem_size <= MBHDR_ADDR_LIMIT &&
			        ld.entry >= ld.load_addr && ld.entry - ld.load_addr < ld.file_size,
			    "address fields: [0x%llx, +0x%llx) of the file at 0x%llx",
			    ld.file_offset, ld.file_size, ld.load_addr);
	}

	enum elf_err eerr = elf_validate(image, size, 0, ~0ULL, &elf);
	FUZZ_CHECK(eerr < ELF_ERR_COUNT, "elf error %d", eerr);
	if (eerr == ELF_OK)
		check_image(image, size, &elf, 0, ~0ULL, false);

	fuzz_plan(data, size);

	static struct loader_guest g;
	static struct loader_plan plan;
	memset(&g, 0, sizeof(g));
	g.image = image;
	g.size = size;
	g.cmdline = "fuzz";
	cut_modules(image, size, &g);
	why[0] = '\0';
	const int rc = loader_check(&g, FUZZ_GUEST_RAM, &plan, why, sizeof(why));
	if (rc == 0 && plan.linux_boot) {
		/* A bzImage: hv/vm/bzimage.c's own target checks its plan; here the start. */
		struct vcpu_start start;
		FUZZ_CHECK(loader_load(fx.vm, &g, &plan, &start) == 0,
		           "a checked bzImage did not load");
		FUZZ_CHECK(start.long_mode && start.rip == plan.bz_layout.entry &&
		               start.rsi == plan.bz_layout.zero_page,
		           "entered at 0x%llx, RSI 0x%llx", start.rip, start.rsi);
	} else if (rc == 0) {
		check_image(image, size, &plan.img, 0, FUZZ_GUEST_RAM, plan.aout_kludge);
		struct mbplace_request r = {.ram = FUZZ_GUEST_RAM,
		                            .nsegments = plan.img.nsegments,
		                            .cmdline_len = strlen(g.cmdline),
		                            .nmodules = g.nmodules};
		for (unsigned i = 0; i < plan.img.nsegments; i++)
			r.seg[i] =
			    (struct mbplace_range){plan.img.seg[i].paddr, plan.img.seg[i].memsz};
		for (unsigned i = 0; i < g.nmodules; i++) {
			r.module_size[i] = g.mod[i].size;
			r.string_len[i] = strlen(g.mod[i].string);
		}
		check_layout(&r, &plan.layout);
		struct vcpu_start start;
		FUZZ_CHECK(loader_load(fx.vm, &g, &plan, &start) == 0,
		           "a checked image did not load");
		FUZZ_CHECK(start.rip == plan.img.entry_paddr, "entered at 0x%llx, entry 0x%llx",
		           start.rip, plan.img.entry_paddr);
		check_loaded(image, &plan.img);
		check_info(&g, &plan, &start);
	} else {
		FUZZ_CHECK(why[0] != '\0' && strnlen(why, sizeof(why)) < sizeof(why),
		           "a refusal without a reason");
	}
	free(image);
	return 0;
}
