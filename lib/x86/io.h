/* Port I/O (SDM Vol. 1, 19.2 "I/O Port Addressing"): the in/out
 * instructions, for the hypervisor's devices and the test guest's. */
#ifndef LIB_X86_IO_H
#define LIB_X86_IO_H

#include "lib/types.h"

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
