/* The 16550 UART at 115200 8N1: the console of the hypervisor (uart_write,
 * which sends a CR before each LF) and of the test guest (uart_putc, byte for
 * byte). COM1 unless the hypervisor chose another port (its console= option)
 * with uart_init_port. */
#ifndef LIB_X86_UART_H
#define LIB_X86_UART_H

#define COM1_BASE  0x3f8
#define COM1_PORTS 8 /* I/O ports COM1_BASE .. COM1_BASE + 7 */
/* The PC's other serial ports (the BIOS's conventional assignment). */
#define COM2_BASE 0x2f8
#define COM3_BASE 0x3e8
#define COM4_BASE 0x2e8

#ifndef __ASSEMBLY__
#include "lib/types.h"

/* Programs COM1 and sends on it. */
void uart_init(void);
/* Programs the 16550 whose registers start at I/O port base, and sends on it. */
void uart_init_port(u16 base);
/* The I/O port the UART functions use now. */
u16 uart_port(void);
/* Reads a console port name: com1, com2, com3, com4, or 0x followed by 1 to
 * 4 hex digits naming a base port that is nonzero, a multiple of 8 and leaves
 * its 8 registers below 0x10000. The name is the n bytes at s. True and *base
 * on success; false and *base untouched otherwise. */
bool uart_parse_port(const char *s, size_t n, u16 *base);
/* Sends one byte; a missing UART costs a bounded wait, not a hang. */
void uart_putc(char c);
/* Sends n bytes, each '\n' as "\r\n". */
void uart_write(const char *s, size_t n);
/* Waits until the last byte has left the transmitter. */
void uart_drain(void);
#endif

#endif
