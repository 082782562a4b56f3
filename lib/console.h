/* The console: one output sink per image (the hypervisor's or the guest's
 * UART, or a host test's buffer), set once at start. */
#ifndef LIB_CONSOLE_H
#define LIB_CONSOLE_H

#include <stdarg.h>

#include "lib/types.h"

/* Bytes one con_printf call formats at most (more is cut); a RESULT line
 * with every counter fits. */
#define CON_FORMAT_MAX 1023

typedef void (*con_write_fn)(const char *s, size_t n);

void con_init(con_write_fn write);
void con_write(const char *s, size_t n);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_vprintf(const char *fmt, va_list ap);

#endif
