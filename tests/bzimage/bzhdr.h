/* The setup header of the bzImage test kernel (tests/bzimage/): the values head.S writes into it
 * and main.c expects to find again in the zero page the loader hands over (boot.rst, "The
 * Real-Mode Kernel Header"; offsets are hv/vm/bzimage.h's, from the same table). */
#ifndef TESTS_BZIMAGE_BZHDR_H
#define TESTS_BZIMAGE_BZHDR_H

#define BZT_SETUP_SECTS   1 /* the real-mode part: (1 + 1) * 512 bytes, no code in it */
#define BZT_SETUP_BYTES   0x400
#define BZT_VERSION       0x020f   /* protocol 2.15 */
#define BZT_LOAD_ADDR     0x100000 /* pref_address: not relocatable, loaded at 1 MiB */
#define BZT_ALIGN         0x1000
#define BZT_CMDLINE_SIZE  2047
#define BZT_INITRD_MAX    0x7fffffff
#define BZT_LOADED_HIGH   0x01
#define BZT_XLF_KERNEL_64 0x01
#define BZT_ENTRY64_OFF   0x200 /* startup_64 at the load address + 0x200 */

#endif
