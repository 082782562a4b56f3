/* The guest's console on COM1 and its way out: the same ports natively and
 * under segvisor, which forwards and interprets them. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include "lib/types.h"

void guest_console_init(void);
__attribute__((noreturn)) void guest_exit(bool success);

#endif
