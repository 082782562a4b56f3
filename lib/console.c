#include "lib/console.h"

#include "lib/fmt.h"

static con_write_fn con_sink;

void con_init(con_write_fn write)
{
	con_sink = write;
}

void con_write(const char *s, size_t n)
{
	if (con_sink)
		con_sink(s, n);
}

void con_vprintf(const char *fmt, va_list ap)
{
	char buf[CON_FORMAT_MAX + 1];
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	con_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void con_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}
