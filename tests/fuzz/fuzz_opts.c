/* The option parser (lib/opts.c) over the hypervisor's table (hv/config.c) and the guest's
 * (guest/options.c), on any command line.
 *
 * Input: one byte choosing the table (bit 0), then the command line (the rest, copied to a
 * NUL-terminated buffer of exactly its size).
 * Invariants (lib/opts.h): an error leaves the struct as the defaults were, with a message;
 * a success stores only values within their bounds and choices, NUL-terminated strings and
 * lists within their limits; and what opts_format() says of the given options parses back to
 * the same struct. */
#include "tests/fuzz/fuzz.h"

#include "guest/options.h"
#include "hv/config.h"
#include "lib/opts.h"

union values {
	struct hv_config hv;
	struct guest_opts guest;
};

struct table {
	const char *name;
	const struct opt_table *t;
	void (*defaults)(union values *v);
};

static void hv_defaults(union values *v)
{
	memset(v, 0, sizeof(*v));
	hv_config_defaults(&v->hv);
}

static void guest_defaults(union values *v)
{
	memset(v, 0, sizeof(*v));
	guest_opts_defaults(&v->guest);
}

static const struct table tables[] = {
    {"hv", &hv_config_table, hv_defaults},
    {"guest", &guest_opts_table, guest_defaults},
};

static bool u64_ok(const struct opt_desc *d, u64 v)
{
	return v >= d->min && v <= d->max;
}

static void check_values(const struct opt_table *t, const union values *v, u64 given)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct opt_desc *d = &t->opts[i];
		const void *f = (const char *)v + d->offset;
		if (!(given & BIT(i)))
			continue;
		switch (d->type) {
		case OPT_UINT:
		case OPT_SIZE:
			FUZZ_CHECK(u64_ok(d, *(const u64 *)f), "%s=%llu out of [%llu, %llu]",
			           d->name, *(const u64 *)f, d->min, d->max);
			break;
		case OPT_ENUM: {
			u32 n = 0;
			while (d->choices[n])
				n++;
			FUZZ_CHECK(*(const u32 *)f < n, "%s: choice %u of %u", d->name,
			           *(const u32 *)f, n);
			break;
		}
		case OPT_BOOL: {
			u8 b;
			memcpy(&b, f, 1);
			FUZZ_CHECK(b <= 1, "%s: bool byte %u", d->name, b);
			break;
		}
		case OPT_U64_LIST: {
			const struct opt_u64_list *l = f;
			FUZZ_CHECK(l->count >= 1 && l->count <= d->limit &&
			               l->count <= OPT_LIST_MAX,
			           "%s: %u elements", d->name, l->count);
			for (u32 k = 0; k < l->count; k++)
				FUZZ_CHECK(u64_ok(d, l->v[k]), "%s[%u]=%llu out of bounds", d->name,
				           k, l->v[k]);
			break;
		}
		case OPT_STRING: {
			const char *s = f;
			size_t n = strnlen(s, d->limit);
			FUZZ_CHECK(n > 0 && n < d->limit, "%s: string of %zu bytes in %u", d->name,
			           n, d->limit);
			break;
		}
		}
	}
}

/* The words of `formatted` whose option is in `given`, as a command line. */
static void given_words(const struct opt_table *t, const char *formatted, u64 given, char *out,
                        size_t size)
{
	size_t o = 0;
	const char *p = formatted;
	for (size_t i = 0; i < t->count; i++) {
		while (*p == ' ')
			p++;
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (given & BIT(i)) {
			FUZZ_CHECK(o + len + 2 <= size, "round trip buffer");
			memcpy(out + o, p, len);
			o += len;
			out[o++] = ' ';
		}
		p += len;
	}
	out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (size == 0)
		return 0;
	const struct table *tab = &tables[data[0] & 1];
	const struct opt_table *t = tab->t;
	char *cmdline = malloc(size);
	if (!cmdline)
		abort();
	memcpy(cmdline, data + 1, size - 1);
	cmdline[size - 1] = '\0';

	static union values v, defaults, again;
	struct opts_result res, res2;
	tab->defaults(&defaults);
	tab->defaults(&v);
	enum opts_err err = opts_parse(t, cmdline, &v, &res);
	FUZZ_CHECK(err == res.err, "%s: returned %d, result says %d", tab->name, err, res.err);
	FUZZ_CHECK(err < OPTS_ERR_COUNT && err != OPTS_ERR_BAD_TABLE, "%s: error %d", tab->name,
	           err);
	FUZZ_CHECK(strnlen(res.msg, sizeof(res.msg)) < sizeof(res.msg), "message not terminated");
	if (err != OPTS_OK) {
		FUZZ_CHECK(!memcmp(&v, &defaults, sizeof(v)),
		           "%s: failed parse (%s) changed values", tab->name, res.msg);
		FUZZ_CHECK(res.msg[0] != '\0', "%s: error %d without a message", tab->name, err);
		free(cmdline);
		return 0;
	}
	check_values(t, &v, res.given);

	static char formatted[8192], words[8192];
	int n = opts_format(formatted, sizeof(formatted), t, &v, ~0ULL);
	FUZZ_CHECK(n >= 0 && (size_t)n < sizeof(formatted), "%s: format of %d bytes", tab->name, n);
	FUZZ_CHECK(strlen(formatted) == (size_t)n, "%s: format length", tab->name);
	given_words(t, formatted, res.given, words, sizeof(words));
	tab->defaults(&again);
	err = opts_parse(t, words, &again, &res2);
	FUZZ_CHECK(err == OPTS_OK, "%s: \"%s\" (from \"%s\") does not parse back: %s", tab->name,
	           words, cmdline, res2.msg);
	FUZZ_CHECK(res2.given == res.given, "%s: round trip gives other options", tab->name);
	FUZZ_CHECK(!memcmp(&v, &again, sizeof(v)), "%s: \"%s\" parses back to other values",
	           tab->name, words);
	/* A truncated format still terminates its buffer and says how long the text was. */
	char small[16];
	FUZZ_CHECK(opts_format(small, sizeof(small), t, &v, res.given) >= 0 &&
	               strnlen(small, sizeof(small)) < sizeof(small),
	           "truncated format");
	free(cmdline);
	return 0;
}
