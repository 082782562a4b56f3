/* Port I/O (SDM Vol. 1, 19.2 "I/O Port Addressing"): the accessors live in
 * lib/x86.h, shared with the guest. */
#ifndef ARCH_X86_IO_H
#define ARCH_X86_IO_H

#include "lib/x86.h"

#endif
