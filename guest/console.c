#include "guest/console.h"

#include "guest/x86.h"
#include "lib/console.h"

#define COM1                0x3f8
#define UART_THR            0 /* registers of the 16550 (PC16550D data sheet) */
#define UART_DLL            0
#define UART_IER            1
#define UART_DLM            1
#define UART_LCR            3
#define DIVISOR_115200      1
#define UART_LSR            5
#define LCR_8N1             0x03
#define LCR_DLAB            0x80
#define LSR_THRE            0x20
#define LSR_TEMT            0x40
#define ISA_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define EXIT_VALUE_SUCCESS  0x10
#define EXIT_VALUE_FAILURE  0x11
#define UART_SPIN_LIMIT     100000

static void guest_uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int spin = 0; spin < UART_SPIN_LIMIT; spin++)
			if (inb(COM1 + UART_LSR) & LSR_THRE)
				break;
		outb(COM1 + UART_THR, (u8)s[i]);
	}
}

void guest_console_init(void)
{
	/* 115200 8N1: divisor 1, LCR before the first byte. */
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, DIVISOR_115200);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	con_init(guest_uart_write);
}

void guest_exit(bool success)
{
	/* Let the last byte leave the transmitter first. */
	for (int spin = 0; spin < UART_SPIN_LIMIT; spin++)
		if (inb(COM1 + UART_LSR) & LSR_TEMT)
			break;
	outl(ISA_DEBUG_EXIT_PORT, success ? EXIT_VALUE_SUCCESS : EXIT_VALUE_FAILURE);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s);
	for (;;)
		__asm__ volatile("cli; hlt");
}
