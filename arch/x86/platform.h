/* Leaving the machine: QEMU's isa-debug-exit device and Bochs' shutdown
 * port (EMULATORS.md), then a halt loop on real hardware. */
#ifndef ARCH_X86_PLATFORM_H
#define ARCH_X86_PLATFORM_H

#include "lib/types.h"

#define ISA_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
/* QEMU exits with (value << 1) | 1: 33 for success, 35 for failure. Both
 * differ from QEMU's own error status 1. */
#define EXIT_VALUE_SUCCESS 0x10
#define EXIT_VALUE_FAILURE 0x11

__attribute__((noreturn)) void platform_exit(bool success);

#endif
