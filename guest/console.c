#include "guest/console.h"

#include "lib/console.h"
#include "lib/x86/io.h"
#include "lib/x86/uart.h"

#define ISA_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define EXIT_VALUE_SUCCESS  0x10
#define EXIT_VALUE_FAILURE  0x11

/* Byte for byte: the guest's lines end in LF alone, natively and under
 * segvisor, which forwards them to its own console. */
static void guest_uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}

void guest_console_init(void)
{
	uart_init();
	con_init(guest_uart_write);
}

void guest_exit(bool success)
{
	uart_drain();
	outl(ISA_DEBUG_EXIT_PORT, success ? EXIT_VALUE_SUCCESS : EXIT_VALUE_FAILURE);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s);
	for (;;)
		__asm__ volatile("cli; hlt");
}
