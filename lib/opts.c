#include "lib/opts.h"

#include <stdarg.h>

#include "lib/fmt.h"
#include "lib/mem.h"

/* Echoed user text is clipped so that the reason still fits the message. */
#define ECHO_MAX 40

static const char *const opts_err_names[OPTS_ERR_COUNT] = {
    [OPTS_OK] = "ok",
    [OPTS_ERR_NOT_KEY_VALUE] = "not key=value",
    [OPTS_ERR_UNKNOWN] = "unknown option",
    [OPTS_ERR_EMPTY] = "empty value",
    [OPTS_ERR_MALFORMED] = "malformed value",
    [OPTS_ERR_OVERFLOW] = "value overflows 64 bits",
    [OPTS_ERR_RANGE] = "value out of bounds",
    [OPTS_ERR_CHOICE] = "value not among the choices",
    [OPTS_ERR_DUPLICATE] = "option given twice",
    [OPTS_ERR_LIST_TOO_LONG] = "list too long",
    [OPTS_ERR_STRING_TOO_LONG] = "string too long",
    [OPTS_ERR_BAD_TABLE] = "bad option table",
};

const char *opts_strerror(enum opts_err e)
{
	if ((unsigned)e >= OPTS_ERR_COUNT)
		return "unknown error";
	return opts_err_names[e];
}

static const char *const bool_names[] = {"on", "off", "1", "0", "yes", "no", NULL};

/* Size suffixes, largest first, for parsing and for display. */
static const struct {
	char upper, lower;
	u64 scale;
} size_suffixes[] = {
    {'G', 'g', GiB},
    {'M', 'm', MiB},
    {'K', 'k', KiB},
};

/* A growing text in a fixed buffer: keeps the length the full text would
 * have, as fmt_snprintf does, so callers detect truncation. */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n;
	if (sb->len < sb->size)
		n = fmt_vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	else
		n = fmt_vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}

/* A piece of the command line; never NUL-terminated in place. */
struct span {
	const char *s;
	size_t len;
};

static int echo_len(struct span sp)
{
	return sp.len < ECHO_MAX ? (int)sp.len : ECHO_MAX;
}

static bool span_is(struct span sp, const char *word)
{
	return strlen(word) == sp.len && memcmp(sp.s, word, sp.len) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool next_word(const char **p, struct span *w)
{
	const char *s = *p;
	while (is_space(*s))
		s++;
	if (!*s)
		return false;
	w->s = s;
	while (*s && !is_space(*s))
		s++;
	w->len = (size_t)(s - w->s);
	*p = s;
	return true;
}

static enum opts_err fail(struct opts_result *res, enum opts_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum opts_err fail(struct opts_result *res, enum opts_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	res->err = e;
	return e;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses a leading decimal or 0x-hex number of sp; *used says how far. */
static enum opts_err parse_number(struct span sp, u64 *v, size_t *used)
{
	unsigned base = 10;
	size_t i = 0;
	if (sp.len >= 2 && sp.s[0] == '0' && (sp.s[1] == 'x' || sp.s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	size_t first = i;
	u64 acc = 0;
	bool overflow = false;
	for (; i < sp.len; i++) {
		int d = digit_value(sp.s[i]);
		if (d < 0 || (unsigned)d >= base)
			break;
		if (acc > (UINT64_MAX - (u64)d) / base)
			overflow = true;
		acc = acc * base + (u64)d;
	}
	if (i == first)
		return OPTS_ERR_MALFORMED;
	*v = acc;
	*used = i;
	return overflow ? OPTS_ERR_OVERFLOW : OPTS_OK;
}

/* "64M" for exact multiples of a suffix, else plain bytes. */
static void format_size(struct sbuf *sb, u64 v)
{
	for (size_t i = 0; i < ARRAY_SIZE(size_suffixes); i++) {
		u64 scale = size_suffixes[i].scale;
		if (v && v % scale == 0) {
			sb_printf(sb, "%llu%c", (unsigned long long)(v / scale),
			          size_suffixes[i].upper);
			return;
		}
	}
	sb_printf(sb, "%llu", (unsigned long long)v);
}

static void format_number(struct sbuf *sb, u64 v, u32 flags)
{
	if (flags & OPTF_HEX)
		sb_printf(sb, "0x%llx", (unsigned long long)v);
	else
		sb_printf(sb, "%llu", (unsigned long long)v);
}

static void format_in_type(struct sbuf *sb, const struct opt_desc *d, u64 v)
{
	if (d->type == OPT_SIZE)
		format_size(sb, v);
	else
		format_number(sb, v, d->flags);
}

static enum opts_err range_error(struct opts_result *res, const struct opt_desc *d,
                                 const char *what, u64 v)
{
	char text[96];
	struct sbuf sb = {text, sizeof(text), 0};
	format_in_type(&sb, d, v);
	sb_printf(&sb, " is outside [");
	format_in_type(&sb, d, d->min);
	sb_printf(&sb, ", ");
	format_in_type(&sb, d, d->max);
	sb_printf(&sb, "]");
	return fail(res, OPTS_ERR_RANGE, "option '%s': %s%s", d->name, what, text);
}

/* A whole number value, with bounds; `what` prefixes list elements. */
static enum opts_err parse_bounded(const struct opt_desc *d, struct span val, const char *what,
                                   u64 *out, struct opts_result *res)
{
	u64 v = 0;
	size_t used = 0;
	enum opts_err e = parse_number(val, &v, &used);
	if (e == OPTS_ERR_MALFORMED || (e == OPTS_OK && used != val.len))
		return fail(res, OPTS_ERR_MALFORMED, "option '%s': %s'%.*s' is not a number",
		            d->name, what, echo_len(val), val.s);
	if (e == OPTS_ERR_OVERFLOW)
		return fail(res, e, "option '%s': %s'%.*s' overflows 64 bits", d->name, what,
		            echo_len(val), val.s);
	if (v < d->min || v > d->max)
		return range_error(res, d, what, v);
	*out = v;
	return OPTS_OK;
}

static enum opts_err parse_size(const struct opt_desc *d, struct span val, u64 *out,
                                struct opts_result *res)
{
	u64 v = 0;
	size_t used = 0;
	enum opts_err e = parse_number(val, &v, &used);
	u64 scale = 1;
	if (e == OPTS_OK && used + 1 == val.len) {
		char c = val.s[used];
		scale = 0;
		for (size_t i = 0; i < ARRAY_SIZE(size_suffixes); i++)
			if (c == size_suffixes[i].upper || c == size_suffixes[i].lower)
				scale = size_suffixes[i].scale;
		used += scale ? 1 : 0;
	}
	if (e == OPTS_ERR_MALFORMED || (e == OPTS_OK && used != val.len))
		return fail(res, OPTS_ERR_MALFORMED,
		            "option '%s': '%.*s' is not a size (a number with optional K, M or G)",
		            d->name, echo_len(val), val.s);
	if (e == OPTS_ERR_OVERFLOW || v > UINT64_MAX / scale)
		return fail(res, OPTS_ERR_OVERFLOW, "option '%s': '%.*s' overflows 64 bits",
		            d->name, echo_len(val), val.s);
	v *= scale;
	if (v < d->min || v > d->max)
		return range_error(res, d, "", v);
	*out = v;
	return OPTS_OK;
}

static void list_choices(struct sbuf *sb, const char *const *choices)
{
	for (size_t i = 0; choices[i]; i++)
		sb_printf(sb, "%s%s", i ? ", " : "", choices[i]);
}

static enum opts_err choice_error(struct opts_result *res, const struct opt_desc *d,
                                  struct span val, const char *const *choices)
{
	char text[OPTS_MSG_SIZE];
	struct sbuf sb = {text, sizeof(text), 0};
	list_choices(&sb, choices);
	return fail(res, OPTS_ERR_CHOICE, "option '%s': '%.*s' is not one of %s", d->name,
	            echo_len(val), val.s, text);
}

static enum opts_err parse_choice(const struct opt_desc *d, struct span val,
                                  const char *const *choices, u32 *out, struct opts_result *res)
{
	for (u32 i = 0; choices[i]; i++) {
		if (span_is(val, choices[i])) {
			*out = i;
			return OPTS_OK;
		}
	}
	return choice_error(res, d, val, choices);
}

static enum opts_err parse_list(const struct opt_desc *d, struct span val, struct opt_u64_list *out,
                                struct opts_result *res)
{
	struct opt_u64_list list = {0};
	size_t start = 0;
	for (;;) {
		size_t end = start;
		while (end < val.len && val.s[end] != ',')
			end++;
		struct span elem = {val.s + start, end - start};
		if (list.count == d->limit)
			return fail(res, OPTS_ERR_LIST_TOO_LONG, "option '%s': more than %u values",
			            d->name, d->limit);
		char what[32];
		fmt_snprintf(what, sizeof(what), "element %u: ", list.count + 1);
		if (!elem.len)
			return fail(res, OPTS_ERR_EMPTY, "option '%s': %sempty", d->name, what);
		enum opts_err e = parse_bounded(d, elem, what, &list.v[list.count], res);
		if (e)
			return e;
		list.count++;
		if (end == val.len)
			break;
		start = end + 1;
	}
	*out = list;
	return OPTS_OK;
}

/* Parses one value; stores it only when dst is non-NULL. */
static enum opts_err parse_value(const struct opt_desc *d, struct span val, void *dst,
                                 struct opts_result *res)
{
	enum opts_err e;
	u64 n = 0;
	u32 index = 0;
	struct opt_u64_list list;

	switch (d->type) {
	case OPT_UINT:
		e = parse_bounded(d, val, "", &n, res);
		if (!e && dst)
			*(u64 *)dst = n;
		return e;
	case OPT_SIZE:
		e = parse_size(d, val, &n, res);
		if (!e && dst)
			*(u64 *)dst = n;
		return e;
	case OPT_ENUM:
		e = parse_choice(d, val, d->choices, &index, res);
		if (!e && dst)
			*(u32 *)dst = index;
		return e;
	case OPT_BOOL:
		e = parse_choice(d, val, bool_names, &index, res);
		/* bool_names alternate true, false. */
		if (!e && dst)
			*(bool *)dst = index % 2 == 0;
		return e;
	case OPT_U64_LIST:
		e = parse_list(d, val, &list, res);
		if (!e && dst)
			memcpy(dst, &list, sizeof(list));
		return e;
	case OPT_STRING:
		if (val.len >= d->limit)
			return fail(res, OPTS_ERR_STRING_TOO_LONG,
			            "option '%s': '%.*s' is longer than %u characters", d->name,
			            echo_len(val), val.s, d->limit - 1);
		if (dst) {
			memset(dst, 0, d->limit);
			memcpy(dst, val.s, val.len);
		}
		return OPTS_OK;
	}
	return fail(res, OPTS_ERR_BAD_TABLE, "option '%s': unknown type %d", d->name, d->type);
}

static enum opts_err table_error(struct opts_result *res, size_t i, const char *why)
{
	return fail(res, OPTS_ERR_BAD_TABLE, "option table entry %zu: %s", i, why);
}

enum opts_err opts_check_table(const struct opt_table *t, struct opts_result *res)
{
	res->err = OPTS_OK;
	res->msg[0] = '\0';
	if (t->count > OPTS_MAX)
		return fail(res, OPTS_ERR_BAD_TABLE, "option table has %zu entries, at most %u",
		            t->count, OPTS_MAX);
	for (size_t i = 0; i < t->count; i++) {
		const struct opt_desc *d = &t->opts[i];
		if (!d->name || !d->name[0] || !d->help)
			return table_error(res, i, "no name or help");
		for (const char *c = d->name; *c; c++)
			if (*c == '=' || is_space(*c))
				return table_error(res, i, "name contains '=' or a space");
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->opts[j].name, d->name) == 0)
				return table_error(res, i, "name used twice");
		if (d->min > d->max)
			return table_error(res, i, "min above max");
		if (d->type == OPT_ENUM && (!d->choices || !d->choices[0]))
			return table_error(res, i, "enum without choices");
		if (d->type == OPT_U64_LIST && (d->limit == 0 || d->limit > OPT_LIST_MAX))
			return table_error(res, i, "list limit not in 1..OPT_LIST_MAX");
		if (d->type == OPT_STRING && d->limit < 2)
			return table_error(res, i, "string buffer too small");
		if ((unsigned)d->type > OPT_STRING)
			return table_error(res, i, "unknown type");
	}
	return OPTS_OK;
}

static int find_option(const struct opt_table *t, struct span key)
{
	for (size_t i = 0; i < t->count; i++)
		if (span_is(key, t->opts[i].name))
			return (int)i;
	return -1;
}

/* One pass over the command line; stores values only when out is non-NULL. */
static enum opts_err scan(const struct opt_table *t, const char *cmdline, void *out,
                          struct opts_result *res)
{
	const char *p = cmdline ? cmdline : "";
	struct span w;
	bool first = true;
	res->given = 0;
	while (next_word(&p, &w)) {
		size_t eq = 0;
		while (eq < w.len && w.s[eq] != '=')
			eq++;
		bool skip_path = first && eq == w.len;
		first = false;
		if (skip_path)
			continue;
		if (eq == w.len)
			return fail(res, OPTS_ERR_NOT_KEY_VALUE, "word '%.*s' is not key=value",
			            echo_len(w), w.s);
		if (eq == 0)
			return fail(res, OPTS_ERR_NOT_KEY_VALUE, "word '%.*s' has no key",
			            echo_len(w), w.s);
		struct span key = {w.s, eq};
		struct span val = {w.s + eq + 1, w.len - eq - 1};
		int i = find_option(t, key);
		if (i < 0)
			return fail(res, OPTS_ERR_UNKNOWN, "unknown option '%.*s'", echo_len(key),
			            key.s);
		const struct opt_desc *d = &t->opts[i];
		if (res->given & BIT(i))
			return fail(res, OPTS_ERR_DUPLICATE, "option '%s' given twice", d->name);
		res->given |= BIT(i);
		if (!val.len)
			return fail(res, OPTS_ERR_EMPTY, "option '%s': empty value", d->name);
		enum opts_err e = parse_value(d, val, out ? (char *)out + d->offset : NULL, res);
		if (e)
			return e;
	}
	return OPTS_OK;
}

enum opts_err opts_parse(const struct opt_table *t, const char *cmdline, void *out,
                         struct opts_result *res)
{
	enum opts_err e = opts_check_table(t, res);
	if (e)
		return e;
	/* Validate everything before storing anything, so an error leaves the
	 * caller's defaults intact. */
	e = scan(t, cmdline, NULL, res);
	if (e)
		return e;
	return scan(t, cmdline, out, res);
}

const char *opts_peek(const char *cmdline, const char *key, size_t *len)
{
	const char *p = cmdline ? cmdline : "";
	const size_t klen = strlen(key);
	struct span w;
	while (next_word(&p, &w)) {
		if (w.len > klen && w.s[klen] == '=' && !strncmp(w.s, key, klen)) {
			*len = w.len - klen - 1;
			return w.s + klen + 1;
		}
	}
	return NULL;
}

static void format_value(struct sbuf *sb, const struct opt_desc *d, const void *src)
{
	const struct opt_u64_list *list;
	u32 index;

	switch (d->type) {
	case OPT_UINT:
		format_number(sb, *(const u64 *)src, d->flags);
		return;
	case OPT_SIZE:
		format_size(sb, *(const u64 *)src);
		return;
	case OPT_ENUM:
		index = *(const u32 *)src;
		for (u32 i = 0; d->choices && d->choices[i]; i++) {
			if (i == index) {
				sb_printf(sb, "%s", d->choices[i]);
				return;
			}
		}
		sb_printf(sb, "(invalid %u)", index);
		return;
	case OPT_BOOL:
		sb_printf(sb, "%s", *(const bool *)src ? "on" : "off");
		return;
	case OPT_U64_LIST:
		list = src;
		if (!list->count)
			sb_printf(sb, "(none)");
		for (u32 i = 0; i < list->count && i < OPT_LIST_MAX; i++) {
			if (i)
				sb_printf(sb, ",");
			format_number(sb, list->v[i], d->flags);
		}
		return;
	case OPT_STRING:
		if (!*(const char *)src)
			sb_printf(sb, "(none)");
		else
			sb_printf(sb, "%.*s", (int)d->limit, (const char *)src);
		return;
	}
}

int opts_format(char *buf, size_t size, const struct opt_table *t, const void *values, u64 given)
{
	struct sbuf sb = {buf, size, 0};
	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < t->count && i < OPTS_MAX; i++) {
		const struct opt_desc *d = &t->opts[i];
		sb_printf(&sb, "%s%s=", i ? " " : "", d->name);
		format_value(&sb, d, (const char *)values + d->offset);
		if (!(given & BIT(i)))
			sb_printf(&sb, "(default)");
	}
	return (int)sb.len;
}
