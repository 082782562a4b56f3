/* The guest memory map: the one truth of gPA -> hPA, from which the nested table is generated
 * and against which every guest-supplied pointer is checked. A fixed-capacity list of regions
 * {gpa, size, hpa, type, perms}, kept sorted by gPA and never overlapping in gPA, plus an
 * escape list of single guest pages redirected to alternate host frames (DESIGN.md, "Escape
 * filter"). Every address and size is 4 KiB-granular. Every call that fails changes nothing.
 * hPA ranges of different regions are not checked against each other: aliasing host frames is
 * the caller's decision. */
#ifndef HV_GMAP_H
#define HV_GMAP_H

#include "lib/types.h"

#define GMAP_MAX_REGIONS 128
#define GMAP_MAX_ESCAPES 64

#define GMAP_PAGE_SIZE  PAGE_SIZE_4K
#define GMAP_PAGE_SHIFT 12

/* A 4-level EPT walk translates 48 guest-physical address bits (SDM Vol. 3C, 29.3.2). */
#define GMAP_GPA_LIMIT (1ULL << 48)
/* Host-physical addresses have at most 52 bits (SDM Vol. 3A, 4.1.4, MAXPHYADDR). */
#define GMAP_HPA_LIMIT (1ULL << 52)

/* Only RAM today; MMIO or ROM regions would be added here. */
enum gmap_type {
	GMAP_RAM = 1,
};

/* Guest access rights of a region. Read is required: write without read is an EPT
 * misconfiguration (SDM 29.3.3.1) and execute-only needs an optional CPU feature. */
#define GMAP_PERM_R   (1u << 0)
#define GMAP_PERM_W   (1u << 1)
#define GMAP_PERM_X   (1u << 2)
#define GMAP_PERM_RW  (GMAP_PERM_R | GMAP_PERM_W)
#define GMAP_PERM_RX  (GMAP_PERM_R | GMAP_PERM_X)
#define GMAP_PERM_RWX (GMAP_PERM_R | GMAP_PERM_W | GMAP_PERM_X)

enum gmap_err {
	GMAP_OK = 0,
	/* gmap_add() and gmap_escape_page() */
	GMAP_ERR_ALIGN,           /* gpa, hpa or size not 4 KiB-aligned */
	GMAP_ERR_ZERO_SIZE,       /* a region of no pages */
	GMAP_ERR_GPA_WRAPS,       /* gpa + size passes 2^64 */
	GMAP_ERR_HPA_WRAPS,       /* hpa + size passes 2^64 */
	GMAP_ERR_GPA_LIMIT,       /* gpa + size beyond GMAP_GPA_LIMIT */
	GMAP_ERR_HPA_LIMIT,       /* hpa + size beyond GMAP_HPA_LIMIT */
	GMAP_ERR_OVERLAP,         /* shares a guest page with an existing region */
	GMAP_ERR_BAD_TYPE,        /* not an enum gmap_type value */
	GMAP_ERR_BAD_PERMS,       /* unknown bits, or no read permission */
	GMAP_ERR_REGIONS_FULL,    /* GMAP_MAX_REGIONS reached */
	GMAP_ERR_NOT_RAM,         /* escaped page not inside a RAM region */
	GMAP_ERR_ALREADY_ESCAPED, /* page already has an alternate frame */
	GMAP_ERR_ALT_IN_USE,      /* alternate frame backs a region or another escape */
	GMAP_ERR_ESCAPES_FULL,    /* GMAP_MAX_ESCAPES reached */
	/* gmap_check_range() */
	GMAP_ERR_EMPTY,         /* zero length */
	GMAP_ERR_TOO_LONG,      /* length above the caller's limit */
	GMAP_ERR_OVERFLOW,      /* gpa + len passes 2^64 */
	GMAP_ERR_OUTSIDE,       /* first byte not in RAM */
	GMAP_ERR_STRADDLES_END, /* starts in RAM, runs past its end or into a hole */
	GMAP_ERR_READ_ONLY,     /* write needed, some byte is in a region without write */
	/* gmap_remove_range() */
	GMAP_ERR_HAS_ESCAPE, /* the range holds an escaped page */
};

struct gmap_region {
	u64 gpa;
	u64 size;
	u64 hpa;
	enum gmap_type type;
	unsigned perms; /* GMAP_PERM_* */
};

struct gmap_escape {
	u64 gfn; /* guest page number, gPA >> GMAP_PAGE_SHIFT */
	u64 alt_hpa;
};

struct gmap {
	struct gmap_region r[GMAP_MAX_REGIONS]; /* sorted by gpa */
	unsigned count;
	struct gmap_escape esc[GMAP_MAX_ESCAPES]; /* sorted by gfn */
	unsigned escape_count;
};

void gmap_init(struct gmap *g);
enum gmap_err gmap_add(struct gmap *g, u64 gpa, u64 size, u64 hpa, enum gmap_type type,
                       unsigned perms);
/* Redirects the guest page at gpa (aligned, inside a RAM region) to alt_hpa. */
enum gmap_err gmap_escape_page(struct gmap *g, u64 gpa, u64 alt_hpa);
/* Undoes gmap_escape_page (a rollback when the nested table cannot follow);
 * false when the page was not escaped. */
bool gmap_unescape_page(struct gmap *g, u64 gpa);

/* The region holding gpa, and in *hpa (may be NULL) the host address of that byte, honouring
 * escapes; NULL when gpa is in no region. */
const struct gmap_region *gmap_lookup(const struct gmap *g, u64 gpa, u64 *hpa);
/* Whether the page holding gpa is escaped; its alternate frame in *alt_hpa (may be NULL). */
bool gmap_is_escaped(const struct gmap *g, u64 gpa, u64 *alt_hpa);
/* Index of the first escape with gPA >= gpa (escape_count when none), for walking the escapes
 * that fall inside a range in order. */
unsigned gmap_escape_first_from(const struct gmap *g, u64 gpa);

/* Validates a guest-supplied buffer [gpa, gpa + len) before the hypervisor touches it: the whole
 * range in RAM (spanning regions only where they are contiguous in gPA), 0 < len <= max_len,
 * writable where need_write. A zero length is refused (GMAP_ERR_EMPTY) so that handlers never
 * meet an empty buffer with an arbitrary pointer; a range ending exactly at 2^64 counts as
 * GMAP_ERR_OVERFLOW (it could never be RAM). The length is judged before the address. Success does
 * not make the hPA contiguous: regions and escapes break it, so copy page by page through
 * gmap_lookup(). */
enum gmap_err gmap_check_range(const struct gmap *g, u64 gpa, u64 len, u64 max_len,
                               bool need_write);

u64 gmap_ram_bytes(const struct gmap *g);
/* One past the highest RAM byte; 0 when the map has no RAM. */
u64 gmap_ram_top(const struct gmap *g);

static inline unsigned gmap_count(const struct gmap *g)
{
	return g->count;
}
static inline const struct gmap_region *gmap_get(const struct gmap *g, unsigned i)
{
	return i < g->count ? &g->r[i] : NULL;
}
static inline unsigned gmap_escape_count(const struct gmap *g)
{
	return g->escape_count;
}
static inline const struct gmap_escape *gmap_escape_get(const struct gmap *g, unsigned i)
{
	return i < g->escape_count ? &g->esc[i] : NULL;
}
static inline u64 gmap_region_end(const struct gmap_region *r)
{
	return r->gpa + r->size;
}
static inline u64 gmap_escape_gpa(const struct gmap_escape *e)
{
	return e->gfn << GMAP_PAGE_SHIFT;
}

/* In gPA order. */
#define gmap_for_each_region(g, it) for ((it) = &(g)->r[0]; (it) < &(g)->r[(g)->count]; (it)++)
#define gmap_for_each_escape(g, it)                                                                \
	for ((it) = &(g)->esc[0]; (it) < &(g)->esc[(g)->escape_count]; (it)++)

/* Takes [gpa, gpa + size) out of the map (ballooning): the range must be RAM throughout (across
 * regions only where they meet in gPA) and hold no escaped page; a region it cuts in two takes a
 * slot of its own (GMAP_ERR_REGIONS_FULL when none is left). All or nothing. */
enum gmap_err gmap_remove_range(struct gmap *g, u64 gpa, u64 size);
/* gmap_add() that then joins the new region with a neighbour continuing it in gPA and hPA with
 * the same type and permissions (hot-add, taking pages back), so that regions stay few. */
enum gmap_err gmap_add_merge(struct gmap *g, u64 gpa, u64 size, u64 hpa, enum gmap_type type,
                             unsigned perms);

const char *gmap_strerror(enum gmap_err err);

/* Scattered guest RAM (host_fragment=, hv/mem/compact.h). */

/* Whether RAM covers [0, gmap_ram_top) with no gPA hole and lies on one contiguous host run,
 * which is what a VMM segment needs; its hPA in *hpa (may be NULL). */
bool gmap_ram_contiguous(const struct gmap *g, u64 *hpa);
/* Re-points the guest pages [gpa, gpa + size), which must lie inside one region, at
 * [new_hpa, new_hpa + size): the region is split around them, then neighbours contiguous in
 * both gPA and hPA with the same type and permissions are merged. GMAP_ERR_NOT_RAM when the
 * range is not inside one region. */
enum gmap_err gmap_remap(struct gmap *g, u64 gpa, u64 size, u64 new_hpa);
/* Merges every pair of neighbours contiguous in gPA and hPA with equal type and perms. */
void gmap_coalesce(struct gmap *g);
/* The guest page backed by the host frame at hpa through a region (escapes not counted);
 * false when no region holds it. */
bool gmap_gpa_of_hpa(const struct gmap *g, u64 hpa, u64 *gpa);

/* The PCI hole (DESIGN.md "Memory management"). A PC's chipset decodes a range of physical
 * addresses below 4 GiB to PCI memory-mapped I/O, so the RAM that would lie there appears above
 * 4 GiB instead; QEMU's i440fx machine, for one, keeps RAM below 3 GiB once a guest has more and
 * puts the rest at 4 GiB. A guest of more than GMAP_IO_HOLE_START bytes gets the same shape: RAM
 * [0, 3 GiB), the hole [3 GiB, 4 GiB) which is never RAM, and RAM [4 GiB, 4 GiB + the rest). */
#define GMAP_IO_HOLE_START (3 * GiB)
#define GMAP_IO_HOLE_END   (4 * GiB)

#define GMAP_LAYOUT_MAX_RUNS 2

/* Where `ram` bytes of guest RAM on one host run go in guest-physical space: run[i] is
 * [gpa, gpa + size), backed by the host run's bytes in order (run 0 from its start, run 1 right
 * after run 0's bytes). hole_lo == hole_hi when there is no hole. */
struct gmap_layout {
	unsigned runs;
	struct {
		u64 gpa, size;
	} run[GMAP_LAYOUT_MAX_RUNS];
	u64 hole_lo, hole_hi;
};

/* One run [0, ram) when !io_hole or ram <= GMAP_IO_HOLE_START; else [0, 3 GiB) and
 * [4 GiB, 4 GiB + ram - 3 GiB) with the hole [3 GiB, 4 GiB) between. */
void gmap_layout_ram(u64 ram, bool io_hole, struct gmap_layout *l);
/* Adds the layout's runs as RAM (RWX) on the host run at hpa; all or nothing. */
enum gmap_err gmap_add_layout(struct gmap *g, const struct gmap_layout *l, u64 hpa);
/* Whether RAM covers [gpa, gmap_ram_top) with no gPA hole on one contiguous host run (what one
 * VMM segment over that range needs); the hPA behind gpa in *hpa (may be NULL). False when gpa is
 * not the start of a region. */
bool gmap_ram_contiguous_from(const struct gmap *g, u64 gpa, u64 *hpa);

#endif
