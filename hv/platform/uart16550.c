/* The 16550 model of uart16550.h. Register semantics from the PC16550D data
 * sheet: "Register Summary" (Table II), "Interrupt Control Functions"
 * (Table III) and "UART Reset Configuration" (Table IV). */
#include "hv/platform/uart16550.h"

#include "lib/mem.h"

#define UART_BYTE_ALL_ONES 0xff

void uart16550_init(struct uart16550 *u, uart16550_tx_fn tx, void *tx_ctx)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->tx_ctx = tx_ctx;
	u->msr = UART_MSR_PEER_READY;
}

u16 uart16550_divisor(const struct uart16550 *u)
{
	return (u16)(u->dlm << 8 | u->dll);
}

static bool dlab(const struct uart16550 *u)
{
	return u->lcr & UART_LCR_DLAB;
}

/* The modem-status inputs: in loopback the MCR outputs drive them (RTS to
 * CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD); otherwise a ready peer. */
static u8 modem_lines(const struct uart16550 *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_PEER_READY;
	u8 m = 0;
	if (u->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

static void update_modem(struct uart16550 *u)
{
	const u8 old = u->msr & ~UART_MSR_DELTAS, now = modem_lines(u), diff = old ^ now;
	u8 deltas = u->msr & UART_MSR_DELTAS;
	if (diff & UART_MSR_CTS)
		deltas |= UART_MSR_DCTS;
	if (diff & UART_MSR_DSR)
		deltas |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		deltas |= UART_MSR_TERI; /* trailing edge only */
	if (diff & UART_MSR_DCD)
		deltas |= UART_MSR_DDCD;
	u->msr = now | deltas;
}

/* The highest-priority pending source (Table III), as IIR bits 3:0. */
static u8 pending_source(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ERBFI) && u->data_ready)
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MSR;
	return UART_IIR_NO_INT;
}

u8 uart16550_read(struct uart16550 *u, unsigned offset)
{
	switch (offset) {
	case UART16550_RBR:
		if (dlab(u))
			return u->dll;
		u->data_ready = false;
		return u->rbr;
	case UART16550_IER:
		return dlab(u) ? u->dlm : u->ier;
	case UART16550_IIR: {
		const u8 src = pending_source(u);
		if (src == UART_IIR_THRE)
			u->thre_pending = false; /* reading IIR clears a THRE source */
		return src | (u->fcr & UART_FCR_ENABLE ? UART_IIR_FIFO_ON : 0);
	}
	case UART16550_LCR:
		return u->lcr;
	case UART16550_MCR:
		return u->mcr;
	case UART16550_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (u->data_ready ? UART_LSR_DR : 0);
	case UART16550_MSR: {
		const u8 v = u->msr;
		u->msr &= ~UART_MSR_DELTAS;
		return v;
	}
	case UART16550_SCR:
		return u->scr;
	}
	return UART_BYTE_ALL_ONES;
}

static void transmit(struct uart16550 *u, u8 val)
{
	if (u->mcr & UART_MCR_LOOP) {
		/* Loopback: the serial output is cut off and fed to the receiver. */
		u->rbr = val;
		u->data_ready = true;
	} else {
		u->tx_bytes++;
		if (u->tx)
			u->tx(u->tx_ctx, val);
	}
	u->thre_pending = true; /* the THR emptied at once */
}

void uart16550_write(struct uart16550 *u, unsigned offset, u8 val)
{
	switch (offset) {
	case UART16550_THR:
		if (dlab(u)) {
			u->dll = val;
			u->divisor_writes++;
		} else {
			transmit(u, val);
		}
		return;
	case UART16550_IER:
		if (dlab(u)) {
			u->dlm = val;
			u->divisor_writes++;
			return;
		}
		/* Enabling ETBEI with the THR empty raises THRE at once. */
		if ((val & UART_IER_ETBEI) && !(u->ier & UART_IER_ETBEI))
			u->thre_pending = true;
		u->ier = val & UART_IER_WRITABLE;
		return;
	case UART16550_FCR:
		if (val & UART_FCR_CLEAR_RX)
			u->data_ready = false;
		u->fcr = val & UART_FCR_KEPT;
		return;
	case UART16550_LCR:
		u->lcr = val;
		return;
	case UART16550_MCR:
		u->mcr = val & UART_MCR_WRITABLE;
		update_modem(u);
		return;
	case UART16550_SCR:
		u->scr = val;
		return;
	}
	/* LSR and MSR writes: the data sheet reserves them for factory test. */
}
