/* Ending a run under an emulator, the same way for every kernel of the
 * project (the hypervisor, the test guest, the attack kernel): QEMU's
 * isa-debug-exit device (QEMU exits with (value << 1) | 1, so success is a
 * nonzero value) and Bochs' port 0x8900, which shuts down on the string
 * "Shutdown" (EMULATORS.md). On real hardware neither port answers and the
 * CPU halts. */
#ifndef LIB_X86_EMU_EXIT_H
#define LIB_X86_EMU_EXIT_H

#include "lib/types.h"

#define ISA_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define EXIT_VALUE_SUCCESS  0x10
#define EXIT_VALUE_FAILURE  0x11

/* Drains COM1, signals both emulators, then halts with interrupts off. */
__attribute__((noreturn)) void emu_exit(bool success);

#endif
