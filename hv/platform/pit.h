/* What a guest may ask of the PC's 8254 timer without an interrupt: channel 2 and the port
 * 0x61 bits around it (the 82C54 data sheet; the PC/AT port B layout), enough for the TSC
 * calibrations memtest86+ and Linux run (program channel 2 with gate 1 high, read back the
 * count or poll OUT2 in port 0x61 bit 5). Time is the host TSC the caller passes, at tsc_hz;
 * the counter runs at 1193182 Hz. Channels 0 and 1 and their interrupt are not modelled: their
 * control words and counts are taken and dropped, reads give 0.
 *
 *   port 0x42  channel 2 count: LSB, MSB or LSB then MSB as its control word says; a read
 *              gives the latched count if a latch command came, else the running one
 *   port 0x43  control word (write): channel, access, mode (0-5), binary; counter latch
 *   port 0x61  bit 0 gate 2, bit 1 speaker data (kept as written); read: bit 4 a refresh
 *              toggle every 15.085 us, bit 5 OUT2
 * Pure logic: nothing here reads a clock. */
#ifndef HV_PLATFORM_PIT_H
#define HV_PLATFORM_PIT_H

#include "lib/types.h"

#define PIT_PORT_CH2     0x42
#define PIT_PORT_CONTROL 0x43
#define PIT_PORT_B       0x61
#define PIT_HZ           1193182ull

struct pit {
	u64 tsc_hz;     /* the clock's rate; 0: time stands still */
	u8 port_b;      /* bits 0-1 as written */
	u8 access;      /* of channel 2: 1 LSB, 2 MSB, 3 LSB then MSB */
	u8 mode;        /* 0-5 */
	bool write_msb; /* next count byte written is the MSB (access 3) */
	bool read_msb;  /* next count byte read is the MSB (access 3) */
	u16 lsb;        /* the LSB written first (access 3) */
	u32 reload;     /* the count written; 0 means 65536 */
	bool loaded;    /* a count was written since the control word */
	u64 start;      /* TSC at which counting began (gate high and count loaded) */
	bool counting;
	bool latched;
	u16 latch;
};

void pit_init(struct pit *t, u64 tsc_hz);
/* One byte at port 0x42, 0x43 or 0x61 at host TSC now. */
u8 pit_read(struct pit *t, u16 port, u64 now);
void pit_write(struct pit *t, u16 port, u8 v, u64 now);

#endif
