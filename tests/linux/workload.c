/* The Linux guest's workload (tools/linux.sh builds it with gcc -static into the initramfs):
 * GUPS (random read-modify-write updates of a 64-bit table, HPC Challenge RandomAccess) and a
 * pointer chase (a random cyclic permutation followed node by node), over a region whose size is
 * given in MiB. Every random number comes from a fixed-seed xorshift64 generator, so the
 * checksums depend only on the sizes and counts: they are the same in every paging mode and on
 * every engine, and a wrong translation of any touched page changes them.
 *
 *   workload [gups|chase|all] [MIB] [UPDATES]
 *
 * Each workload's measured loop (GUPS's updates, the chase's hops) is bracketed by the console
 * lines "TRACE_BEGIN:NAME" and "TRACE_END:NAME", which segvisor's trace=ept trace_span=console
 * measures between (README, trace=ept); the setup before and
 * the checksum after are outside. Then one line per workload:
 *   WORKLOAD gups mib=8 updates=1000000 checksum=0x... ms=...
 *   WORKLOAD chase mib=8 steps=1000000 checksum=0x... ms=...
 * and "WORKLOAD done" last; exit status 1 on a bad argument or no memory. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MIB            (1024UL * 1024UL)
#define DEFAULT_MIB    8UL
#define DEFAULT_COUNT  1000000UL
#define MAX_MIB        4096UL
#define GUPS_SEED      0x2545f4914f6cdd1dULL
#define CHASE_SEED     0x9e3779b97f4a7c15ULL
#define CACHE_LINE     64UL /* bytes per chase node: one node a line */

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *region(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "workload: mmap of %zu bytes: %s\n", bytes, strerror(errno));
		return NULL;
	}
	return p;
}

/* GUPS: table[i] = i, then `updates` times table[r % n] ^= r; the checksum is the XOR of
 * the table with each slot's index mixed in. */
static int gups(unsigned long mib, unsigned long updates)
{
	const size_t n = mib * MIB / sizeof(uint64_t);
	uint64_t *t = region(n * sizeof(uint64_t));
	if (!t)
		return 1;
	const double t0 = now_ms();
	for (size_t i = 0; i < n; i++)
		t[i] = i;
	uint64_t s = GUPS_SEED;
	printf("TRACE_BEGIN:gups\n");
	for (unsigned long k = 0; k < updates; k++) {
		const uint64_t r = xorshift64(&s);
		t[r % n] ^= r;
	}
	printf("TRACE_END:gups\n");
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum ^= t[i] * (2 * i + 1);
	printf("WORKLOAD gups mib=%lu updates=%lu checksum=0x%016" PRIx64 " ms=%.0f\n", mib,
	       updates, sum, now_ms() - t0);
	munmap(t, n * sizeof(uint64_t));
	return 0;
}

/* Pointer chase: one node per cache line, linked in the order of a Fisher-Yates shuffle
 * (Sattolo's variant: one cycle through every node); `steps` hops, the checksum mixes every
 * node index visited. */
static int chase(unsigned long mib, unsigned long steps)
{
	const size_t n = mib * MIB / CACHE_LINE, words = CACHE_LINE / sizeof(uint64_t);
	uint64_t *nodes = region(n * CACHE_LINE);
	uint32_t *perm = region(n * sizeof(uint32_t));
	if (!nodes || !perm)
		return 1;
	const double t0 = now_ms();
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	uint64_t s = CHASE_SEED;
	for (size_t i = n - 1; i > 0; i--) {
		const size_t j = xorshift64(&s) % i; /* Sattolo: j < i */
		const uint32_t tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	/* perm as a cycle: node perm[i] points to node perm[i + 1]. */
	for (size_t i = 0; i < n; i++)
		nodes[perm[i] * words] = perm[(i + 1) % n];
	uint64_t at = perm[0], sum = 0;
	printf("TRACE_BEGIN:chase\n");
	for (unsigned long k = 0; k < steps; k++) {
		at = nodes[at * words];
		sum = sum * 31 + at;
	}
	printf("TRACE_END:chase\n");
	printf("WORKLOAD chase mib=%lu steps=%lu checksum=0x%016" PRIx64 " ms=%.0f\n", mib, steps,
	       sum, now_ms() - t0);
	munmap(nodes, n * CACHE_LINE);
	munmap(perm, n * sizeof(uint32_t));
	return 0;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	const unsigned long v = strtoul(s, &end, 0);
	if (errno || *end || v == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	/* One write per line: /dev/kmsg takes each write as one log record. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *which = argc > 1 ? argv[1] : "all";
	unsigned long mib = DEFAULT_MIB, count = DEFAULT_COUNT;
	if ((argc > 2 && number(argv[2], MAX_MIB, &mib)) ||
	    (argc > 3 && number(argv[3], ~0UL, &count)) || argc > 4) {
		fprintf(stderr, "usage: workload [gups|chase|all] [MIB 1-%lu] [COUNT]\n", MAX_MIB);
		return 1;
	}
	int bad = 0;
	const int all = !strcmp(which, "all");
	if (all || !strcmp(which, "gups"))
		bad |= gups(mib, count);
	if (all || !strcmp(which, "chase"))
		bad |= chase(mib, count);
	if (!all && strcmp(which, "gups") && strcmp(which, "chase")) {
		fprintf(stderr, "workload: unknown workload '%s' (gups, chase or all)\n", which);
		return 1;
	}
	printf("WORKLOAD done%s\n", bad ? " (with errors)" : "");
	return bad;
}
