/* Test only: faults raised inside the hypervisor on purpose (hv/config.c
 * crash_test=), to show that a hypervisor bug ends the run with its report
 * and a named verdict (arch/x86/exc.c). */
#ifndef ARCH_X86_CRASH_H
#define ARCH_X86_CRASH_H

#include "lib/types.h"

enum crash_kind {
	CRASH_NONE,
	CRASH_PF, /* a read of an unmapped canonical address */
	CRASH_UD, /* UD2 */
	CRASH_GP, /* a read of a non-canonical address */
	CRASH_DF, /* #UD with RSP non-canonical: its delivery faults, and so does that one's */
	CRASH_KIND_COUNT
};

/* The names crash_test= takes, in enum order, NULL-terminated. */
#define CRASH_KIND_NAMES "none", "pf", "ud", "gp", "df"

/* Raises the fault; does not return (the exception handler ends the run). */
__attribute__((noreturn)) void crash_now(enum crash_kind kind);

#endif
