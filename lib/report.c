#include "lib/report.h"

#include <stdarg.h>

#include "lib/console.h"

void report_pass(struct report *r, const char *name)
{
	r->tests++;
	con_printf("PASS: %s\n", name);
}

static void report_v(const char *tag, const char *name, const char *why, va_list ap)
{
	con_printf("%s: %s: ", tag, name);
	con_vprintf(why, ap);
	con_write("\n", 1);
}

void report_fail(struct report *r, const char *name, const char *why, ...)
{
	va_list ap;
	r->tests++;
	r->failures++;
	va_start(ap, why);
	report_v("FAIL", name, why, ap);
	va_end(ap);
}

void report_skip(struct report *r, const char *name, const char *why, ...)
{
	va_list ap;
	r->tests++;
	r->skipped++;
	va_start(ap, why);
	report_v("SKIP", name, why, ap);
	va_end(ap);
}

bool report_check(struct report *r, bool ok, const char *name, const char *why, ...)
{
	if (ok) {
		report_pass(r, name);
		return true;
	}
	va_list ap;
	r->tests++;
	r->failures++;
	va_start(ap, why);
	report_v("FAIL", name, why, ap);
	va_end(ap);
	return false;
}

void report_summary(const struct report *r)
{
	con_printf("SUMMARY: %u tests, %u failures, %u skipped\n", r->tests, r->failures,
	           r->skipped);
}
