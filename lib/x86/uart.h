/* The 16550 UART on COM1 at 115200 8N1: the console of the hypervisor
 * (uart_write, which sends a CR before each LF) and of the test guest
 * (uart_putc, byte for byte). */
#ifndef LIB_X86_UART_H
#define LIB_X86_UART_H

#define COM1_BASE  0x3f8
#define COM1_PORTS 8 /* I/O ports COM1_BASE .. COM1_BASE + 7 */

#ifndef __ASSEMBLY__
#include "lib/types.h"

void uart_init(void);
/* Sends one byte; a missing UART costs a bounded wait, not a hang. */
void uart_putc(char c);
/* Sends n bytes, each '\n' as "\r\n". */
void uart_write(const char *s, size_t n);
/* Waits until the last byte has left the transmitter. */
void uart_drain(void);
#endif

#endif
