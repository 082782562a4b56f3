/* The PASS/FAIL/SKIP report format (DESIGN.md, "Console and results"):
 * one line per check, then "SUMMARY: N tests, M failures, K skipped". */
#ifndef LIB_REPORT_H
#define LIB_REPORT_H

#include "lib/types.h"

struct report {
	unsigned tests;
	unsigned failures;
	unsigned skipped;
};

void report_pass(struct report *r, const char *name);
void report_fail(struct report *r, const char *name, const char *why, ...)
    __attribute__((format(printf, 3, 4)));
void report_skip(struct report *r, const char *name, const char *why, ...)
    __attribute__((format(printf, 3, 4)));
/* PASS when ok, else FAIL with the formatted reason. Returns ok. */
bool report_check(struct report *r, bool ok, const char *name, const char *why, ...)
    __attribute__((format(printf, 4, 5)));
void report_summary(const struct report *r);

#endif
