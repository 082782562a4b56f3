/* The legacy 8259A interrupt controllers. segvisor runs with interrupts
 * off and drives no device by interrupt, so it masks every line at boot:
 * nothing the firmware left enabled can reach a guest that sets IF. */
#ifndef ARCH_X86_PIC_H
#define ARCH_X86_PIC_H

void pic_mask_all(void);

#endif
