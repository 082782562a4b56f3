/* Boot options: a table-driven parser of `key=value` words on a kernel
 * command line into a caller's struct (DESIGN.md, "Boot"). The caller fills
 * the struct with defaults, then opts_parse() overwrites the options given.
 * The first word is skipped when it has no '=' (GRUB and QEMU pass the kernel
 * path first). Any other problem - a bare word, an unknown key, an empty,
 * malformed or out-of-bounds value, a duplicated key, a list too long - stops
 * the parse with a named error and a message naming the key; nothing is
 * silently defaulted, and on error the struct is left untouched.
 * opts_format() states every effective value for the boot log. */
#ifndef LIB_OPTS_H
#define LIB_OPTS_H

#include "lib/bits.h"
#include "lib/types.h"

/* How a value is spelled and stored. */
enum opt_type {
	OPT_UINT,     /* u64; decimal or 0x hex, within [min, max] */
	OPT_SIZE,     /* u64 bytes; a number with an optional K, M or G suffix */
	OPT_ENUM,     /* u32 index into choices (an enum field works too) */
	OPT_BOOL,     /* bool; on/off, 1/0, yes/no */
	OPT_U64_LIST, /* struct opt_u64_list; comma-separated numbers */
	OPT_STRING,   /* char[size]; any word shorter than size */
};

/* Storage of an OPT_U64_LIST option. */
#define OPT_LIST_MAX 16
struct opt_u64_list {
	u32 count;
	u64 v[OPT_LIST_MAX];
};

/* Display flags. */
#define OPTF_HEX BIT(0) /* opts_format() shows numbers as 0x hex */

struct opt_desc {
	const char *name;
	enum opt_type type;
	size_t offset; /* of the field in the output struct */
	u64 min, max;  /* inclusive bounds: numbers, sizes, list elements */
	u32 limit;     /* list: most elements; string: buffer size with NUL */
	u32 flags;
	const char *const *choices; /* enum: NULL-terminated names */
	const char *help;
};

struct opt_table {
	const struct opt_desc *opts;
	size_t count; /* at most OPTS_MAX */
};

/* `given` is a bitmask over table entries. */
#define OPTS_MAX 64

/* Table entry builders. _Generic rejects, at compile time, a field whose type
 * does not match the option type. */
#define OPT__FIELD(T, f, ftype) _Generic(((T *)0)->f, ftype : offsetof(T, f))
#define OPT_UINT_ENTRY(T, f, key, lo, hi, fl, h)                                                   \
	{                                                                                          \
		.name = key, .type = OPT_UINT, .offset = OPT__FIELD(T, f, u64), .min = lo,         \
		.max = hi, .flags = fl, .help = h                                                  \
	}
#define OPT_SIZE_ENTRY(T, f, key, lo, hi, h)                                                       \
	{                                                                                          \
		.name = key, .type = OPT_SIZE, .offset = OPT__FIELD(T, f, u64), .min = lo,         \
		.max = hi, .help = h                                                               \
	}
#define OPT_ENUM_ENTRY(T, f, key, names, h)                                                        \
	{                                                                                          \
		.name = key, .type = OPT_ENUM, .offset = OPT__FIELD(T, f, u32), .choices = names,  \
		.help = h                                                                          \
	}
#define OPT_BOOL_ENTRY(T, f, key, h)                                                               \
	{                                                                                          \
		.name = key, .type = OPT_BOOL, .offset = OPT__FIELD(T, f, bool), .help = h         \
	}
#define OPT_LIST_ENTRY(T, f, key, lo, hi, most, fl, h)                                             \
	{                                                                                          \
		.name = key, .type = OPT_U64_LIST,                                                 \
		.offset = OPT__FIELD(T, f, struct opt_u64_list), .min = lo, .max = hi,             \
		.limit = most, .flags = fl, .help = h                                              \
	}
#define OPT_STRING_ENTRY(T, f, key, h)                                                             \
	{                                                                                          \
		.name = key, .type = OPT_STRING, .offset = OPT__FIELD(T, f, char *),               \
		.limit = sizeof(((T *)0)->f), .help = h                                            \
	}
#define OPT_TABLE(arr)                                                                             \
	{                                                                                          \
		(arr), ARRAY_SIZE(arr)                                                             \
	}

enum opts_err {
	OPTS_OK,
	OPTS_ERR_NOT_KEY_VALUE, /* a word without '=' after the first */
	OPTS_ERR_UNKNOWN,
	OPTS_ERR_EMPTY,
	OPTS_ERR_MALFORMED,
	OPTS_ERR_OVERFLOW, /* does not fit in 64 bits */
	OPTS_ERR_RANGE,
	OPTS_ERR_CHOICE, /* enum or bool value not among the choices */
	OPTS_ERR_DUPLICATE,
	OPTS_ERR_LIST_TOO_LONG,
	OPTS_ERR_STRING_TOO_LONG,
	OPTS_ERR_BAD_TABLE, /* a programming error in the table itself */
	OPTS_ERR_COUNT
};

const char *opts_strerror(enum opts_err e);

#define OPTS_MSG_SIZE 192
struct opts_result {
	enum opts_err err;
	u64 given; /* bit i: table entry i appeared on the command line */
	char msg[OPTS_MSG_SIZE];
};

/* Checks the table's own consistency (names, bounds, limits, choices). */
enum opts_err opts_check_table(const struct opt_table *t, struct opts_result *res);

/* Parses cmdline (NULL is an empty command line) into out. Returns res->err;
 * on error res->msg says which key and why, and out is unchanged. */
enum opts_err opts_parse(const struct opt_table *t, const char *cmdline, void *out,
                         struct opts_result *res);

/* Finds key=VALUE among the command line's words (the first such word)
 * without parsing the rest, for an option needed before the full parse (the
 * console port). Every word is looked at, the first included: the kernel
 * path that opts_parse skips is a word without '=', so it never matches.
 * Returns VALUE and its length in *len, or NULL if the key is absent. */
const char *opts_peek(const char *cmdline, const char *key, size_t *len);

/* Writes "key=value key=value ..." for every entry, in table order, with
 * "(default)" after each value not in `given`. Returns the length the full
 * text would have (as fmt_snprintf), so a result >= size means truncated. */
int opts_format(char *buf, size_t size, const struct opt_table *t, const void *values, u64 given);

#endif
