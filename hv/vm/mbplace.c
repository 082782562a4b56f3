#include "hv/vm/mbplace.h"

#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/multiboot.h"

/* Guest RAM the hypervisor keeps for itself: no image may load there, nothing is placed there.
 * Page 0 holds what a real-mode view of the machine expects (interrupt vectors, BIOS data) and
 * keeps gPA 0 from ever being a valid pointer the loader hands over; the range from the end of
 * conventional memory to 1 MiB is the EBDA, the VGA text buffer the hypervisor reads back for
 * the log, and the BIOS area, reserved in the guest's memory map. */
static const struct {
	u64 base, end;
	const char *name;
} reserved[] = {
    {0, MBPLACE_LOW_START, "page 0 (real-mode interrupt vectors and BIOS data)"},
    {MBPLACE_LOW_END, MBPLACE_HIGH_START,
     "the EBDA, VGA text buffer and BIOS area [0x9f000, 0x100000)"},
};

/* The windows the loader places into, in order of preference per kind of piece. */
enum window { WIN_LOW, WIN_HIGH, WIN_COUNT };

struct taken {
	struct mbplace_range r[ELF_MAX_SEGMENTS + ARRAY_SIZE(reserved) + 2 + MBPLACE_MAX_MODULES];
	unsigned n;
};

static u64 range_end(const struct mbplace_range *r)
{
	return r->base + r->len;
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static void window(const struct mbplace_request *req, enum window w, u64 *lo, u64 *hi)
{
	u64 top = req->ram < MBPLACE_ADDR_LIMIT ? req->ram : MBPLACE_ADDR_LIMIT;
	if (w == WIN_LOW) {
		*lo = MBPLACE_LOW_START;
		*hi = top < MBPLACE_LOW_END ? top : MBPLACE_LOW_END;
	} else {
		*lo = MBPLACE_HIGH_START;
		*hi = top;
	}
	if (*hi < *lo)
		*hi = *lo;
}

/* The lowest aligned base in [lo, hi) for len bytes clear of everything taken. Each step moves
 * the candidate past one taken range, so it ends after at most t->n steps per range. */
static bool first_fit(const struct taken *t, u64 lo, u64 hi, u64 len, u64 align, u64 *out)
{
	u64 cand = align_up(lo, align);
	for (bool moved = true; moved;) {
		moved = false;
		if (cand < lo || cand > hi || len > hi - cand)
			return false;
		for (unsigned i = 0; i < t->n; i++) {
			if (overlaps(cand, len, t->r[i].base, t->r[i].len)) {
				cand = align_up(range_end(&t->r[i]), align);
				moved = true;
				break;
			}
		}
	}
	*out = cand;
	return true;
}

static bool place(const struct mbplace_request *req, struct taken *t, const enum window *order,
                  unsigned norder, u64 len, u64 align, u64 *out)
{
	for (unsigned i = 0; i < norder; i++) {
		u64 lo, hi;
		window(req, order[i], &lo, &hi);
		if (first_fit(t, lo, hi, len, align, out)) {
			t->r[t->n++] = (struct mbplace_range){*out, len};
			return true;
		}
	}
	return false;
}

u64 mbplace_block_size(const struct mbplace_request *req)
{
	u64 n = align_up(sizeof(struct mb_info), MBPLACE_ALIGN);
	n += align_up(MBPLACE_MMAP_ENTRIES * sizeof(struct mb_mmap_entry), MBPLACE_ALIGN);
	n += align_up(sizeof(MBPLACE_LOADER_NAME), MBPLACE_ALIGN);
	unsigned mods = req->nmodules < MBPLACE_MAX_MODULES ? req->nmodules : MBPLACE_MAX_MODULES;
	n += align_up(mods * sizeof(struct mb_module), MBPLACE_ALIGN);
	n += align_up(req->cmdline_len + 1, MBPLACE_ALIGN);
	for (unsigned i = 0; i < mods; i++)
		n += align_up(req->string_len[i] + 1, MBPLACE_ALIGN);
	return n;
}

/* The parts of the block, in the order mbplace_block_size counts them. */
static void carve_block(const struct mbplace_request *req, struct mbplace_layout *l)
{
	u64 at = l->block.base;
	l->info = at;
	at += align_up(sizeof(struct mb_info), MBPLACE_ALIGN);
	l->mmap = at;
	at += align_up(MBPLACE_MMAP_ENTRIES * sizeof(struct mb_mmap_entry), MBPLACE_ALIGN);
	l->loader_name = at;
	at += align_up(sizeof(MBPLACE_LOADER_NAME), MBPLACE_ALIGN);
	l->mods = at;
	at += align_up(req->nmodules * sizeof(struct mb_module), MBPLACE_ALIGN);
	l->cmdline = at;
	at += align_up(req->cmdline_len + 1, MBPLACE_ALIGN);
	for (unsigned i = 0; i < req->nmodules; i++) {
		l->string[i] = at;
		at += align_up(req->string_len[i] + 1, MBPLACE_ALIGN);
	}
}

/* The image as one range, from the page of its lowest segment to the end of the page of its
 * highest: nothing is placed
 * in a gap between segments, where a kernel may count on its own memory (from its first
 * address to its end symbol), as GRUB also keeps the whole span for the image. */
static bool image_span(const struct mbplace_request *req, struct mbplace_range *out)
{
	u64 lo = ~0ULL, hi = 0;
	for (unsigned i = 0; i < req->nsegments && i < ELF_MAX_SEGMENTS; i++) {
		if (!req->seg[i].len)
			continue;
		lo = req->seg[i].base < lo ? req->seg[i].base : lo;
		hi = range_end(&req->seg[i]) > hi ? range_end(&req->seg[i]) : hi;
	}
	if (hi <= lo)
		return false;
	/* Whole pages: a kernel's end symbol is often page-aligned past its last segment's end. */
	lo = align_down(lo, PAGE_SIZE_4K);
	if (hi <= ~0ULL - PAGE_SIZE_4K)
		hi = align_up(hi, PAGE_SIZE_4K);
	*out = (struct mbplace_range){lo, hi - lo};
	return true;
}

static enum mbplace_err check_request(const struct mbplace_request *req, struct mbplace_layout *l)
{
	if (req->nmodules > MBPLACE_MAX_MODULES)
		return MBPLACE_ERR_TOO_MANY_MODULES;
	if (req->cmdline_len >= MBPLACE_CMDLINE_MAX)
		return MBPLACE_ERR_CMDLINE_TOO_LONG;
	for (unsigned i = 0; i < req->nmodules; i++) {
		if (req->string_len[i] >= MBPLACE_STRING_MAX) {
			l->bad = (int)i;
			return MBPLACE_ERR_STRING_TOO_LONG;
		}
	}
	for (unsigned i = 0; i < req->nsegments && i < ELF_MAX_SEGMENTS; i++) {
		const struct mbplace_range *s = &req->seg[i];
		l->bad = (int)i;
		if (add_overflows(s->base, s->len) || range_end(s) > req->ram)
			return MBPLACE_ERR_SEGMENT_OUTSIDE_RAM;
		for (unsigned r = 0; r < ARRAY_SIZE(reserved); r++) {
			if (overlaps(s->base, s->len, reserved[r].base,
			             reserved[r].end - reserved[r].base)) {
				l->bad_reserved = (int)r;
				return MBPLACE_ERR_RESERVED;
			}
		}
	}
	l->bad = -1;
	return MBPLACE_OK;
}

enum mbplace_err mbplace_plan(const struct mbplace_request *req, struct mbplace_layout *out)
{
	static const enum window low_first[] = {WIN_LOW, WIN_HIGH};
	static const enum window high_first[] = {WIN_HIGH, WIN_LOW};
	struct taken t = {.n = 0};

	memset(out, 0, sizeof(*out));
	out->bad = -1;
	out->bad_reserved = -1;
	enum mbplace_err err = check_request(req, out);
	if (err)
		return err;
	out->nmodules = req->nmodules;
	if (image_span(req, &t.r[t.n]))
		t.n++;

	/* The boot information and the stack where a loader puts them by habit (conventional
	 * memory), unless the image is there; upper memory otherwise. */
	u64 block_len = mbplace_block_size(req);
	if (!place(req, &t, low_first, ARRAY_SIZE(low_first), block_len, MBPLACE_ALIGN,
	           &out->block.base))
		return MBPLACE_ERR_NO_ROOM_INFO;
	out->block.len = block_len;
	carve_block(req, out);
	if (!place(req, &t, low_first, ARRAY_SIZE(low_first), MBPLACE_STACK_SIZE, MBPLACE_ALIGN,
	           &out->stack.base))
		return MBPLACE_ERR_NO_ROOM_STACK;
	out->stack.len = MBPLACE_STACK_SIZE;

	/* Modules from 1 MiB up, where a loader puts them by habit; a module of no bytes still
	 * gets a page of its own, so that no two modules start at the same address. */
	u64 usable = 0;
	for (unsigned w = 0; w < WIN_COUNT; w++) {
		u64 lo, hi;
		window(req, (enum window)w, &lo, &hi);
		usable += hi - lo;
	}
	out->usable = usable;
	for (unsigned i = 0; i < req->nmodules; i++) {
		out->bad = (int)i;
		u64 size = req->module_size[i];
		if (size > usable)
			return MBPLACE_ERR_MODULE_TOO_LARGE;
		u64 len = align_up(size ? size : 1, MBPLACE_MOD_ALIGN);
		if (!place(req, &t, high_first, ARRAY_SIZE(high_first), len, MBPLACE_MOD_ALIGN,
		           &out->module[i].base))
			return MBPLACE_ERR_NO_ROOM_MODULE;
		out->module[i].len = size;
	}
	out->bad = -1;
	return mbplace_check(req, out);
}

static bool in_offered_ram(const struct mbplace_request *req, const struct mbplace_range *r)
{
	for (unsigned w = 0; w < WIN_COUNT; w++) {
		u64 lo, hi;
		window(req, (enum window)w, &lo, &hi);
		u64 len = r->len ? r->len : 1;
		if (r->base >= lo && r->base < hi && len <= hi - r->base)
			return true;
	}
	return false;
}

enum mbplace_err mbplace_check(const struct mbplace_request *req, const struct mbplace_layout *l)
{
	struct mbplace_range placed[2 + MBPLACE_MAX_MODULES];
	unsigned n = 0;
	if (l->nmodules > MBPLACE_MAX_MODULES || req->nsegments > ELF_MAX_SEGMENTS)
		return MBPLACE_ERR_TOO_MANY_MODULES;
	placed[n++] = l->block;
	placed[n++] = l->stack;
	for (unsigned i = 0; i < l->nmodules; i++)
		placed[n++] = l->module[i];
	struct mbplace_range span = {0, 0};
	bool has_span = image_span(req, &span);
	for (unsigned i = 0; i < n; i++) {
		if (!in_offered_ram(req, &placed[i]))
			return MBPLACE_ERR_OUTSIDE;
		for (unsigned j = 0; j < i; j++)
			if (overlaps(placed[i].base, placed[i].len, placed[j].base, placed[j].len))
				return MBPLACE_ERR_OVERLAP;
		if (has_span && overlaps(placed[i].base, placed[i].len, span.base, span.len))
			return MBPLACE_ERR_OVERLAP;
	}
	return MBPLACE_OK;
}

const char *mbplace_strerror(enum mbplace_err err)
{
	static const char *const names[MBPLACE_ERR_COUNT] = {
	    [MBPLACE_OK] = "ok",
	    [MBPLACE_ERR_TOO_MANY_MODULES] = "too many modules for the guest (at most 7)",
	    [MBPLACE_ERR_CMDLINE_TOO_LONG] = "command line too long (at most 3071 bytes)",
	    [MBPLACE_ERR_STRING_TOO_LONG] = "module string too long (at most 1023 bytes)",
	    [MBPLACE_ERR_SEGMENT_OUTSIDE_RAM] = "image segment outside guest RAM",
	    [MBPLACE_ERR_RESERVED] = "image segment overlaps guest RAM the hypervisor keeps",
	    [MBPLACE_ERR_MODULE_TOO_LARGE] = "module larger than guest RAM",
	    [MBPLACE_ERR_NO_ROOM_MODULE] =
	        "no room for the module in guest RAM clear of the image and the other modules",
	    [MBPLACE_ERR_NO_ROOM_INFO] = "no room for the boot information clear of the image",
	    [MBPLACE_ERR_NO_ROOM_STACK] = "no room for the initial stack clear of the image",
	    [MBPLACE_ERR_OVERLAP] = "placed ranges overlap",
	    [MBPLACE_ERR_OUTSIDE] = "placed range outside the RAM the guest's memory map offers",
	};
	return NAME_IN(names, err, "unknown placement error");
}

const char *mbplace_reserved_name(unsigned i)
{
	return i < ARRAY_SIZE(reserved) ? reserved[i].name : NULL;
}

bool mbplace_reserved_range(unsigned i, struct mbplace_range *out)
{
	if (i >= ARRAY_SIZE(reserved))
		return false;
	*out = (struct mbplace_range){reserved[i].base, reserved[i].end - reserved[i].base};
	return true;
}
