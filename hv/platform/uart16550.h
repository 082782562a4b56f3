/* The guest's COM1: a model of the National Semiconductor PC16550D UART as
 * its data sheet describes the registers (Table II, "Register Summary"), as
 * pure logic over a struct, reached by register offset 0-7 from the base
 * port (0x3F8 for COM1).
 *
 * What is modelled: THR/RBR, IER, IIR/FCR, LCR with DLAB and the divisor
 * latch (DLL/DLM are plain storage: a write with DLAB=1 never reaches the
 * transmitter), MCR with loopback, LSR, MSR and the scratch register.
 * Transmission is instant: THR is always empty again by the time the guest
 * can look (LSR.THRE and LSR.TEMT are set), and each byte goes to the tx
 * callback. Nothing is ever received (LSR.DR clear), except in loopback,
 * where a transmitted byte comes back in RBR and never leaves.
 *
 * Interrupts are not raised: no interrupt injection exists yet. IER is
 * stored and read back, and IIR tells what would be pending (the THR-empty
 * interrupt when IER enables it), but no vector ever reaches the guest and
 * a driver that waits for one will wait. The modem lines outside loopback
 * read as a connected, ready peer (DCD, DSR, CTS set; RI clear). */
#ifndef HV_PLATFORM_UART16550_H
#define HV_PLATFORM_UART16550_H

#include "lib/types.h"

/* Register offsets from the base port (data sheet Table II). */
#define UART16550_RBR   0 /* read, DLAB=0 */
#define UART16550_THR   0 /* write, DLAB=0 */
#define UART16550_DLL   0 /* DLAB=1 */
#define UART16550_IER   1 /* DLAB=0 */
#define UART16550_DLM   1 /* DLAB=1 */
#define UART16550_IIR   2 /* read */
#define UART16550_FCR   2 /* write */
#define UART16550_LCR   3
#define UART16550_MCR   4
#define UART16550_LSR   5
#define UART16550_MSR   6
#define UART16550_SCR   7
#define UART16550_PORTS 8

/* IER (bits 4-7 are always 0). */
#define UART_IER_ERBFI    0x01 /* received data available */
#define UART_IER_ETBEI    0x02 /* transmitter holding register empty */
#define UART_IER_ELSI     0x04 /* receiver line status */
#define UART_IER_EDSSI    0x08 /* modem status */
#define UART_IER_WRITABLE 0x0f
/* IIR: bit 0 set means no interrupt pending; bits 3:1 the source; bits 7:6
 * set when the FIFOs are enabled. */
#define UART_IIR_NO_INT  0x01
#define UART_IIR_MSR     0x00 /* modem status, priority 4 */
#define UART_IIR_THRE    0x02 /* THR empty, priority 3 */
#define UART_IIR_RDA     0x04 /* received data available, priority 2 */
#define UART_IIR_RLS     0x06 /* receiver line status, priority 1 */
#define UART_IIR_FIFO_ON 0xc0
/* FCR (write only). */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02 /* self-clearing */
#define UART_FCR_CLEAR_TX 0x04 /* self-clearing */
#define UART_FCR_DMA_MODE 0x08
#define UART_FCR_TRIGGER  0xc0
#define UART_FCR_KEPT     (UART_FCR_ENABLE | UART_FCR_DMA_MODE | UART_FCR_TRIGGER)
/* LCR. */
#define UART_LCR_DLAB 0x80
/* MCR (bits 5-7 are always 0 on the 16550). */
#define UART_MCR_DTR      0x01
#define UART_MCR_RTS      0x02
#define UART_MCR_OUT1     0x04
#define UART_MCR_OUT2     0x08
#define UART_MCR_LOOP     0x10
#define UART_MCR_WRITABLE 0x1f
/* LSR. */
#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
/* MSR: deltas in bits 3:0, line states in bits 7:4. */
#define UART_MSR_DCTS       0x01
#define UART_MSR_DDSR       0x02
#define UART_MSR_TERI       0x04 /* RI went from on to off */
#define UART_MSR_DDCD       0x08
#define UART_MSR_DELTAS     0x0f
#define UART_MSR_CTS        0x10
#define UART_MSR_DSR        0x20
#define UART_MSR_RI         0x40
#define UART_MSR_DCD        0x80
#define UART_MSR_PEER_READY (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

typedef void (*uart16550_tx_fn)(void *ctx, u8 byte);

struct uart16550 {
	uart16550_tx_fn tx; /* where transmitted bytes go */
	void *tx_ctx;
	u8 rbr, ier, fcr, lcr, mcr, msr, scr;
	u8 dll, dlm;
	bool data_ready;   /* RBR holds a looped-back byte */
	bool thre_pending; /* the THR-empty interrupt is latched (until IIR is read) */
	u64 tx_bytes;      /* bytes sent to tx */
	u64 divisor_writes;
};

/* Master reset state (data sheet Table IV, "UART Reset Configuration"):
 * everything 0 but LSR (THRE, TEMT) and IIR (no interrupt pending). */
void uart16550_init(struct uart16550 *u, uart16550_tx_fn tx, void *tx_ctx);
/* One byte-wide access at `offset` (0-7; other offsets read 0xff and drop
 * writes). */
u8 uart16550_read(struct uart16550 *u, unsigned offset);
void uart16550_write(struct uart16550 *u, unsigned offset, u8 val);
/* The baud-rate divisor DLM:DLL (the data sheet's divisor latch). */
u16 uart16550_divisor(const struct uart16550 *u);

#endif
