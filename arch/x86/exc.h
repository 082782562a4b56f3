/* Exceptions in the hypervisor: a fault inside an instruction listed in the
 * exception table resumes at its fixup; any other is reported in full and
 * ends the run. */
#ifndef ARCH_X86_EXC_H
#define ARCH_X86_EXC_H

#include "arch/x86/desc.h"

void exc_handle(struct exc_frame *f);
const char *exc_name(unsigned vector);

#endif
