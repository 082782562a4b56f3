#include "lib/x86/uart.h"

#include "lib/mem.h"
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
#define UART_BASE_ALIGN           8      /* a 16550 decodes 8 consecutive ports */
#define UART_PORT_HEX_DIGITS      4      /* an I/O port is 16 bits */
#define IO_PORT_LAST              0xffff /* the 64K I/O space (SDM Vol. 1, 19.2) */

static u16 uart_base = COM1_BASE;

static const struct {
	const char *name;
	u16 base;
} com_ports[] = {
    {"com1", COM1_BASE},
    {"com2", COM2_BASE},
    {"com3", COM3_BASE},
    {"com4", COM4_BASE},
};

void uart_init_port(u16 base)
{
	uart_base = base;
	/* The line starts in 5-bit words under Bochs: LCR first. */
	outb(base + UART_LCR, LCR_8N1);
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, LCR_DLAB);
	outb(base + UART_DLL, UART_CLOCK_DIVISOR_115200);
	outb(base + UART_DLM, 0);
	outb(base + UART_LCR, LCR_8N1);
	outb(base + UART_FCR, FCR_ENABLE_CLEAR);
	outb(base + UART_MCR, MCR_DTR_RTS_OUT2);
}

void uart_init(void)
{
	uart_init_port(COM1_BASE);
}

u16 uart_port(void)
{
	return uart_base;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool uart_parse_port(const char *s, size_t n, u16 *base)
{
	for (size_t i = 0; i < ARRAY_SIZE(com_ports); i++) {
		if (strlen(com_ports[i].name) == n && !memcmp(s, com_ports[i].name, n)) {
			*base = com_ports[i].base;
			return true;
		}
	}
	if (n < 3 || n > 2 + UART_PORT_HEX_DIGITS || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	u32 v = 0;
	for (size_t k = 2; k < n; k++) {
		int d = hex_digit(s[k]);
		if (d < 0)
			return false;
		v = v * 16 + (u32)d;
	}
	if (v == 0 || v % UART_BASE_ALIGN || v + COM1_PORTS - 1 > IO_PORT_LAST)
		return false;
	*base = (u16)v;
	return true;
}

void uart_putc(char c)
{
	/* Bounded: a missing UART must not hang the kernel. */
	for (int i = 0; i < UART_SPIN_LIMIT; i++)
		if (inb(uart_base + UART_LSR) & LSR_THRE)
			break;
	outb(uart_base + UART_THR, (u8)c);
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
		if (inb(uart_base + UART_LSR) & LSR_TEMT)
			return;
}
