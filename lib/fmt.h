/* Formatted output into a buffer. Supports the printf subset segvisor uses:
 * flags '-' '0', a width (or '*'), a precision for strings (or '.*'),
 * length modifiers hh h l ll z, and conversions d i u x X o p s c %. The
 * result is always NUL-terminated when size > 0; the return value is the
 * length the full output would have had. */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>

#include "lib/types.h"

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
