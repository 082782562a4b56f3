#include "hv/mem/gmap.h"

#include "lib/bits.h"
#include "lib/mem.h"

void gmap_init(struct gmap *g)
{
	memset(g, 0, sizeof(*g));
}

static bool type_valid(enum gmap_type type)
{
	return type == GMAP_RAM;
}

static bool perms_valid(unsigned perms)
{
	return (perms & ~GMAP_PERM_RWX) == 0 && (perms & GMAP_PERM_R);
}

/* Index of the first region whose gpa is above the given one: the insertion point, and one past
 * the only region that can contain it. Binary search: lookups run per page of hypercall copies. */
static unsigned upper_bound(const struct gmap *g, u64 gpa)
{
	unsigned lo = 0, hi = g->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (g->r[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct gmap_region *find_region(const struct gmap *g, u64 gpa)
{
	unsigned i = upper_bound(g, gpa);

	if (i == 0)
		return NULL;
	const struct gmap_region *r = &g->r[i - 1];
	return gpa < gmap_region_end(r) ? r : NULL;
}

enum gmap_err gmap_add(struct gmap *g, u64 gpa, u64 size, u64 hpa, enum gmap_type type,
                       unsigned perms)
{
	if (!type_valid(type))
		return GMAP_ERR_BAD_TYPE;
	if (!perms_valid(perms))
		return GMAP_ERR_BAD_PERMS;
	if (!is_aligned(gpa, GMAP_PAGE_SIZE) || !is_aligned(hpa, GMAP_PAGE_SIZE) ||
	    !is_aligned(size, GMAP_PAGE_SIZE))
		return GMAP_ERR_ALIGN;
	if (size == 0)
		return GMAP_ERR_ZERO_SIZE;
	if (add_overflows(gpa, size))
		return GMAP_ERR_GPA_WRAPS;
	if (add_overflows(hpa, size))
		return GMAP_ERR_HPA_WRAPS;
	if (gpa + size > GMAP_GPA_LIMIT)
		return GMAP_ERR_GPA_LIMIT;
	if (hpa + size > GMAP_HPA_LIMIT)
		return GMAP_ERR_HPA_LIMIT;

	unsigned pos = upper_bound(g, gpa);
	/* Sorted and disjoint, so only the neighbours on either side can overlap. */
	if (pos > 0 && gmap_region_end(&g->r[pos - 1]) > gpa)
		return GMAP_ERR_OVERLAP;
	if (pos < g->count && gpa + size > g->r[pos].gpa)
		return GMAP_ERR_OVERLAP;
	if (g->count == GMAP_MAX_REGIONS)
		return GMAP_ERR_REGIONS_FULL;

	memmove(&g->r[pos + 1], &g->r[pos], (g->count - pos) * sizeof(g->r[0]));
	g->r[pos] = (struct gmap_region){
	    .gpa = gpa, .size = size, .hpa = hpa, .type = type, .perms = perms};
	g->count++;
	return GMAP_OK;
}

unsigned gmap_escape_first_from(const struct gmap *g, u64 gpa)
{
	unsigned i = 0;

	while (i < g->escape_count && gmap_escape_gpa(&g->esc[i]) < gpa)
		i++;
	return i;
}

bool gmap_is_escaped(const struct gmap *g, u64 gpa, u64 *alt_hpa)
{
	const u64 page = align_down(gpa, GMAP_PAGE_SIZE);
	const unsigned i = gmap_escape_first_from(g, page);

	if (i == g->escape_count || gmap_escape_gpa(&g->esc[i]) != page)
		return false;
	if (alt_hpa)
		*alt_hpa = g->esc[i].alt_hpa;
	return true;
}

/* An alternate frame must be nobody else's: a frame that already backs guest memory would make
 * the escaped page alias it. */
static bool alt_in_use(const struct gmap *g, u64 alt_hpa)
{
	const struct gmap_region *r;
	const struct gmap_escape *e;

	gmap_for_each_region (g, r)
		if (alt_hpa >= r->hpa && alt_hpa - r->hpa < r->size)
			return true;
	gmap_for_each_escape (g, e)
		if (e->alt_hpa == alt_hpa)
			return true;
	return false;
}

enum gmap_err gmap_escape_page(struct gmap *g, u64 gpa, u64 alt_hpa)
{
	if (!is_aligned(gpa, GMAP_PAGE_SIZE) || !is_aligned(alt_hpa, GMAP_PAGE_SIZE))
		return GMAP_ERR_ALIGN;
	if (alt_hpa >= GMAP_HPA_LIMIT)
		return GMAP_ERR_HPA_LIMIT;
	const struct gmap_region *r = find_region(g, gpa);
	if (!r || r->type != GMAP_RAM)
		return GMAP_ERR_NOT_RAM;
	if (gmap_is_escaped(g, gpa, NULL))
		return GMAP_ERR_ALREADY_ESCAPED;
	if (alt_in_use(g, alt_hpa))
		return GMAP_ERR_ALT_IN_USE;
	if (g->escape_count == GMAP_MAX_ESCAPES)
		return GMAP_ERR_ESCAPES_FULL;

	const unsigned pos = gmap_escape_first_from(g, gpa);
	memmove(&g->esc[pos + 1], &g->esc[pos], (g->escape_count - pos) * sizeof(g->esc[0]));
	g->esc[pos] = (struct gmap_escape){.gfn = gpa >> GMAP_PAGE_SHIFT, .alt_hpa = alt_hpa};
	g->escape_count++;
	return GMAP_OK;
}

bool gmap_unescape_page(struct gmap *g, u64 gpa)
{
	const u64 page = align_down(gpa, GMAP_PAGE_SIZE);
	const unsigned pos = gmap_escape_first_from(g, page);
	if (pos == g->escape_count || gmap_escape_gpa(&g->esc[pos]) != page)
		return false;
	memmove(&g->esc[pos], &g->esc[pos + 1], (g->escape_count - pos - 1) * sizeof(g->esc[0]));
	g->escape_count--;
	return true;
}

const struct gmap_region *gmap_lookup(const struct gmap *g, u64 gpa, u64 *hpa)
{
	const struct gmap_region *r = find_region(g, gpa);
	u64 alt;

	if (!r)
		return NULL;
	if (hpa) {
		if (gmap_is_escaped(g, gpa, &alt))
			*hpa = alt + (gpa & (GMAP_PAGE_SIZE - 1));
		else
			*hpa = r->hpa + (gpa - r->gpa);
	}
	return r;
}

enum gmap_err gmap_check_range(const struct gmap *g, u64 gpa, u64 len, u64 max_len, bool need_write)
{
	if (len == 0)
		return GMAP_ERR_EMPTY;
	if (len > max_len)
		return GMAP_ERR_TOO_LONG;
	if (add_overflows(gpa, len))
		return GMAP_ERR_OVERFLOW;

	const struct gmap_region *r = find_region(g, gpa);
	if (!r || r->type != GMAP_RAM)
		return GMAP_ERR_OUTSIDE;

	const u64 end = gpa + len;
	const struct gmap_region *const last = &g->r[g->count - 1];
	for (;;) {
		if (need_write && !(r->perms & GMAP_PERM_W))
			return GMAP_ERR_READ_ONLY;
		if (end <= gmap_region_end(r))
			return GMAP_OK;
		/* Regions are sorted and disjoint: the only one that can continue the range is the
		 * next, and only when it starts exactly where this one ends. */
		if (r == last || r[1].gpa != gmap_region_end(r) || r[1].type != GMAP_RAM)
			return GMAP_ERR_STRADDLES_END;
		r++;
	}
}

u64 gmap_ram_bytes(const struct gmap *g)
{
	const struct gmap_region *r;
	u64 sum = 0;

	gmap_for_each_region (g, r)
		if (r->type == GMAP_RAM)
			sum += r->size;
	return sum;
}

u64 gmap_ram_top(const struct gmap *g)
{
	for (unsigned i = g->count; i > 0; i--)
		if (g->r[i - 1].type == GMAP_RAM)
			return gmap_region_end(&g->r[i - 1]);
	return 0;
}

static const char *const gmap_err_names[] = {
    [GMAP_OK] = "ok",
    [GMAP_ERR_ALIGN] = "address or size not 4 KiB-aligned",
    [GMAP_ERR_ZERO_SIZE] = "zero size",
    [GMAP_ERR_GPA_WRAPS] = "gpa + size wraps past 2^64",
    [GMAP_ERR_HPA_WRAPS] = "hpa + size wraps past 2^64",
    [GMAP_ERR_GPA_LIMIT] = "gpa beyond the 48-bit nested walk",
    [GMAP_ERR_HPA_LIMIT] = "hpa beyond 52-bit MAXPHYADDR",
    [GMAP_ERR_OVERLAP] = "overlaps an existing region",
    [GMAP_ERR_BAD_TYPE] = "unknown region type",
    [GMAP_ERR_BAD_PERMS] = "bad permissions (unknown bits or no read)",
    [GMAP_ERR_REGIONS_FULL] = "region list full",
    [GMAP_ERR_NOT_RAM] = "page not in guest RAM",
    [GMAP_ERR_ALREADY_ESCAPED] = "page already escaped",
    [GMAP_ERR_ALT_IN_USE] = "alternate frame already backs guest memory",
    [GMAP_ERR_ESCAPES_FULL] = "escape list full",
    [GMAP_ERR_EMPTY] = "zero length",
    [GMAP_ERR_TOO_LONG] = "length above limit",
    [GMAP_ERR_OVERFLOW] = "gpa + length wraps past 2^64",
    [GMAP_ERR_OUTSIDE] = "outside guest RAM",
    [GMAP_ERR_STRADDLES_END] = "runs past the end of guest RAM",
    [GMAP_ERR_READ_ONLY] = "write to read-only guest memory",
    [GMAP_ERR_HAS_ESCAPE] = "range holds an escaped page",
};

const char *gmap_strerror(enum gmap_err err)
{
	return NAME_IN(gmap_err_names, err, "unknown gmap error");
}

/* Scattered guest RAM. */

bool gmap_ram_contiguous(const struct gmap *g, u64 *hpa)
{
	u64 next_gpa = 0, next_hpa = 0;

	if (g->count == 0)
		return false;
	for (unsigned i = 0; i < g->count; i++) {
		const struct gmap_region *r = &g->r[i];
		if (r->type != GMAP_RAM || r->gpa != next_gpa || (i && r->hpa != next_hpa))
			return false;
		next_gpa = gmap_region_end(r);
		next_hpa = r->hpa + r->size;
	}
	if (hpa)
		*hpa = g->r[0].hpa;
	return true;
}

/* Cuts [gpa, end) out of region i, which holds it whole: drops it, trims it or splits it. */
static enum gmap_err cut_region(struct gmap *g, unsigned i, u64 gpa, u64 end)
{
	struct gmap_region *r = &g->r[i];
	const u64 r_end = gmap_region_end(r);

	if (gpa == r->gpa && end == r_end) {
		memmove(&g->r[i], &g->r[i + 1], (g->count - i - 1) * sizeof(g->r[0]));
		g->count--;
	} else if (gpa == r->gpa) {
		r->hpa += end - r->gpa;
		r->size = r_end - end;
		r->gpa = end;
	} else if (end == r_end) {
		r->size = gpa - r->gpa;
	} else {
		if (g->count == GMAP_MAX_REGIONS)
			return GMAP_ERR_REGIONS_FULL;
		memmove(&g->r[i + 2], &g->r[i + 1], (g->count - i - 1) * sizeof(g->r[0]));
		g->r[i + 1] = (struct gmap_region){.gpa = end,
		                                   .size = r_end - end,
		                                   .hpa = r->hpa + (end - r->gpa),
		                                   .type = r->type,
		                                   .perms = r->perms};
		r->size = gpa - r->gpa;
		g->count++;
	}
	return GMAP_OK;
}

enum gmap_err gmap_remove_range(struct gmap *g, u64 gpa, u64 size)
{
	if (!is_aligned(gpa | size, GMAP_PAGE_SIZE))
		return GMAP_ERR_ALIGN;
	enum gmap_err err = gmap_check_range(g, gpa, size, size, false);
	if (err != GMAP_OK)
		return err;
	const unsigned e = gmap_escape_first_from(g, gpa);
	if (e < g->escape_count && gmap_escape_gpa(&g->esc[e]) < gpa + size)
		return GMAP_ERR_HAS_ESCAPE;
	/* Only the first and the last region touched can survive in part, so only a range
	 * inside one region can need a new slot: that is checked before anything moves. */
	const u64 end = gpa + size;
	unsigned i = upper_bound(g, gpa) - 1;
	if (end < gmap_region_end(&g->r[i]) && gpa > g->r[i].gpa && g->count == GMAP_MAX_REGIONS)
		return GMAP_ERR_REGIONS_FULL;
	u64 at = gpa;
	while (at < end) {
		const u64 r_end = gmap_region_end(&g->r[i]);
		const u64 stop = end < r_end ? end : r_end;
		const unsigned before = g->count;
		cut_region(g, i, at, stop);
		at = stop;
		if (g->count >= before) /* the region stayed (trimmed or split): go past it */
			i++;
	}
	return GMAP_OK;
}

static bool mergeable(const struct gmap_region *a, const struct gmap_region *b)
{
	return gmap_region_end(a) == b->gpa && a->hpa + a->size == b->hpa && a->type == b->type &&
	       a->perms == b->perms;
}

void gmap_coalesce(struct gmap *g)
{
	unsigned out = 0;

	for (unsigned i = 0; i < g->count; i++) {
		if (out && mergeable(&g->r[out - 1], &g->r[i]))
			g->r[out - 1].size += g->r[i].size;
		else
			g->r[out++] = g->r[i];
	}
	g->count = out;
}

enum gmap_err gmap_remap(struct gmap *g, u64 gpa, u64 size, u64 new_hpa)
{
	if (!is_aligned(gpa | size | new_hpa, GMAP_PAGE_SIZE))
		return GMAP_ERR_ALIGN;
	if (size == 0)
		return GMAP_ERR_ZERO_SIZE;
	if (add_overflows(gpa, size))
		return GMAP_ERR_GPA_WRAPS;
	if (add_overflows(new_hpa, size))
		return GMAP_ERR_HPA_WRAPS;
	if (new_hpa + size > GMAP_HPA_LIMIT)
		return GMAP_ERR_HPA_LIMIT;
	unsigned i = upper_bound(g, gpa);
	if (i == 0)
		return GMAP_ERR_NOT_RAM;
	struct gmap_region *r = &g->r[i - 1];
	if (gpa + size > gmap_region_end(r))
		return GMAP_ERR_NOT_RAM;
	const unsigned pieces = 1 + (gpa > r->gpa) + (gpa + size < gmap_region_end(r));
	if (g->count + pieces - 1 > GMAP_MAX_REGIONS)
		return GMAP_ERR_REGIONS_FULL;

	const struct gmap_region old = *r;
	const unsigned at = i - 1;
	memmove(&g->r[at + pieces], &g->r[at + 1], (g->count - at - 1) * sizeof(g->r[0]));
	unsigned k = at;
	if (gpa > old.gpa) {
		g->r[k] = old;
		g->r[k].size = gpa - old.gpa;
		k++;
	}
	g->r[k] = old;
	g->r[k].gpa = gpa;
	g->r[k].size = size;
	g->r[k].hpa = new_hpa;
	k++;
	if (gpa + size < gmap_region_end(&old)) {
		g->r[k] = old;
		g->r[k].gpa = gpa + size;
		g->r[k].size = gmap_region_end(&old) - (gpa + size);
		g->r[k].hpa = old.hpa + (gpa + size - old.gpa);
	}
	g->count += pieces - 1;
	gmap_coalesce(g);
	return GMAP_OK;
}

bool gmap_gpa_of_hpa(const struct gmap *g, u64 hpa, u64 *gpa)
{
	const struct gmap_region *r;

	gmap_for_each_region (g, r) {
		if (hpa >= r->hpa && hpa - r->hpa < r->size) {
			*gpa = r->gpa + (hpa - r->hpa);
			return true;
		}
	}
	return false;
}

/* Joins region i with the one after it where it continues it. */
static void join_next(struct gmap *g, unsigned i)
{
	if (i + 1 < g->count && mergeable(&g->r[i], &g->r[i + 1])) {
		g->r[i].size += g->r[i + 1].size;
		memmove(&g->r[i + 1], &g->r[i + 2], (g->count - i - 2) * sizeof(g->r[0]));
		g->count--;
	}
}

enum gmap_err gmap_add_merge(struct gmap *g, u64 gpa, u64 size, u64 hpa, enum gmap_type type,
                             unsigned perms)
{
	const struct gmap_region nr = {
	    .gpa = gpa, .size = size, .hpa = hpa, .type = type, .perms = perms};
	struct gmap tmp = *g;
	u64 ugpa = gpa, usize = size, uhpa = hpa;

	if (tmp.count == GMAP_MAX_REGIONS && is_aligned(gpa | size | hpa, GMAP_PAGE_SIZE)) {
		/* No free slot: a neighbour the new range continues (or that continues it) is taken
		 * out and put back as one region with it, which gmap_add then checks whole. */
		for (unsigned k = 0; k < tmp.count; k++) {
			const struct gmap_region *r = &tmp.r[k];
			if (!mergeable(r, &nr) && !mergeable(&nr, r))
				continue;
			if (mergeable(r, &nr)) {
				ugpa = r->gpa;
				uhpa = r->hpa;
			}
			usize += r->size;
			memmove(&tmp.r[k], &tmp.r[k + 1], (tmp.count - k - 1) * sizeof(tmp.r[0]));
			tmp.count--;
			break;
		}
	}
	enum gmap_err err = gmap_add(&tmp, ugpa, usize, uhpa, type, perms);
	if (err != GMAP_OK)
		return err;
	unsigned i = upper_bound(&tmp, ugpa) - 1;
	if (i > 0 && mergeable(&tmp.r[i - 1], &tmp.r[i])) {
		join_next(&tmp, i - 1);
		i--;
	}
	join_next(&tmp, i);
	*g = tmp;
	return GMAP_OK;
}

void gmap_layout_ram(u64 ram, bool io_hole, struct gmap_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (!io_hole || ram <= GMAP_IO_HOLE_START) {
		l->runs = 1;
		l->run[0].gpa = 0;
		l->run[0].size = ram;
		return;
	}
	l->runs = 2;
	l->run[0].gpa = 0;
	l->run[0].size = GMAP_IO_HOLE_START;
	l->run[1].gpa = GMAP_IO_HOLE_END;
	l->run[1].size = ram - GMAP_IO_HOLE_START;
	l->hole_lo = GMAP_IO_HOLE_START;
	l->hole_hi = GMAP_IO_HOLE_END;
}

enum gmap_err gmap_add_layout(struct gmap *g, const struct gmap_layout *l, u64 hpa)
{
	static struct gmap saved; /* too large for the hypervisor's stack */
	saved = *g;
	u64 off = 0;
	for (unsigned i = 0; i < l->runs; i++) {
		enum gmap_err err =
		    gmap_add(g, l->run[i].gpa, l->run[i].size, hpa + off, GMAP_RAM, GMAP_PERM_RWX);
		if (err != GMAP_OK) {
			*g = saved;
			return err;
		}
		off += l->run[i].size;
	}
	return GMAP_OK;
}

bool gmap_ram_contiguous_from(const struct gmap *g, u64 gpa, u64 *hpa)
{
	unsigned i = 0;
	while (i < g->count && g->r[i].gpa < gpa)
		i++;
	if (i == g->count || g->r[i].gpa != gpa)
		return false;
	const unsigned first = i;
	u64 next_gpa = gpa, next_hpa = g->r[i].hpa;
	for (; i < g->count; i++) {
		const struct gmap_region *r = &g->r[i];
		if (r->type != GMAP_RAM || r->gpa != next_gpa || r->hpa != next_hpa)
			return false;
		next_gpa = gmap_region_end(r);
		next_hpa = r->hpa + r->size;
	}
	if (hpa)
		*hpa = g->r[first].hpa;
	return true;
}
