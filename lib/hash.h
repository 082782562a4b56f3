/* Integer hashing for small hardware-like structures (the escape filter).
 * hash_mix64 is a bijective 64-bit finalizer: every input bit affects every
 * output bit. hash_pair_of derives two independent 64-bit hashes of a key,
 * and hash_nth derives the i-th of k indices from them by double hashing
 * (h1 + i * h2, h2 odd so the k sums differ), re-mixed before the reduction
 * mod m. Without the re-mix the indices of one key form an arithmetic
 * progression mod m; for a small m many keys then share most of their bits
 * (a key (a, d) and (a + 3d, -d) share all four), which measured 3.6 times
 * the theoretical false-positive rate at m = 256, k = 4, n = 8. */
#ifndef LIB_HASH_H
#define LIB_HASH_H

#include "lib/types.h"

struct hash_pair {
	u64 h1;
	u64 h2; /* always odd */
};

u64 hash_mix64(u64 x);
struct hash_pair hash_pair_of(u64 key);
/* The i-th index in [0, m) for the key hashed into h; m must be non-zero. */
u32 hash_nth(const struct hash_pair *h, u32 i, u32 m);

/* Memory contents: FNV-1a (Fowler, Noll, Vo) over 64-bit words, order-sensitive, so that
 * a hash of guest RAM in gPA order changes when any word changes or moves. Start from
 * HASH_WORDS_INIT and feed successive buffers. */
#define HASH_WORDS_INIT 0xcbf29ce484222325ULL /* the FNV-1a 64-bit offset basis */
u64 hash_words(u64 h, const u64 *w, u64 nwords);

#endif
