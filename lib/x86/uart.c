#include "lib/x86/uart.h"

#include "lib/x86/io.h"

/* Register offsets and bits of the 16550 (National Semiconductor PC16550D
 * data sheet). */
#define UART_THR                  0 /* transmit holding (DLAB=0) */
#define UART_DLL                  0 /* divisor latch low (DLAB=1) */
#define UART_IER                  1
#define UART_DLM                  1
#define UART_FCR                  2
#define UART_LCR                  3
#define UART_MCR                  4
#define UART_LSR                  5
#define LCR_8N1                   0x03
#define LCR_DLAB                  0x80
#define FCR_ENABLE_CLEAR          0x07
#define MCR_DTR_RTS_OUT2          0x0b
#define LSR_THRE                  0x20
#define LSR_TEMT                  0x40
#define UART_CLOCK_DIVISOR_115200 1
#define UART_SPIN_LIMIT           100000

void uart_init(void)
{
	/* The line starts in 5-bit words under Bochs: LCR first. */
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, LCR_DLAB);
	outb(COM1_BASE + UART_DLL, UART_CLOCK_DIVISOR_115200);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
}

void uart_putc(char c)
{
	/* Bounded: a missing UART must not hang the kernel. */
	for (int i = 0; i < UART_SPIN_LIMIT; i++)
		if (inb(COM1_BASE + UART_LSR) & LSR_THRE)
			break;
	outb(COM1_BASE + UART_THR, (u8)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void uart_drain(void)
{
	/* The transmitter must be empty before the machine goes away, or the
	 * last line is cut off (seen under Bochs). */
	for (int i = 0; i < UART_SPIN_LIMIT; i++)
		if (inb(COM1_BASE + UART_LSR) & LSR_TEMT)
			return;
}
