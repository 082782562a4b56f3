#include "lib/x86/emu_exit.h"

#include "lib/x86/io.h"
#include "lib/x86/uart.h"

void emu_exit(bool success)
{
	uart_drain();
	outl(ISA_DEBUG_EXIT_PORT, success ? EXIT_VALUE_SUCCESS : EXIT_VALUE_FAILURE);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s);
	for (;;)
		__asm__ volatile("cli; hlt");
}
