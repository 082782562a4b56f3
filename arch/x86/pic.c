#include "arch/x86/pic.h"

#include "lib/x86/io.h"

/* Interrupt-mask registers (OCW1) of the master and slave 8259A (Intel
 * 8259A data sheet; PC/AT ports). */
#define PIC_MASTER_IMR 0x21
#define PIC_SLAVE_IMR  0xa1
#define PIC_MASK_ALL   0xff

void pic_mask_all(void)
{
	outb(PIC_MASTER_IMR, PIC_MASK_ALL);
	outb(PIC_SLAVE_IMR, PIC_MASK_ALL);
}
