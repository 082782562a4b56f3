/* Exceptions in the hypervisor: a fault inside an instruction listed in the
 * exception table resumes at its fixup; an NMI is counted and noted (arch/x86/irq.c); any
 * other is reported in full and ends the run. The entry stubs, the frame
 * and exc_name() are lib/x86/exc.h's. */
#ifndef ARCH_X86_EXC_H
#define ARCH_X86_EXC_H

#include "lib/x86/exc.h"

#endif
