/* The hypervisor's boot flow: console, descriptors, Multiboot information,
 * memory, self-tests, then the guest. */
#include "arch/x86/desc.h"
#include "arch/x86/multiboot.h"
#include "arch/x86/platform.h"
#include "arch/x86/uart.h"
#include "hv/phys.h"
#include "lib/console.h"
#include "lib/report.h"

void hv_main(u32 magic, u32 info_pa);

void hv_main(u32 magic, u32 info_pa)
{
	struct report rep = {0};

	uart_init();
	con_init(uart_write);
	desc_init();
	con_printf("\nsegvisor: hypervisor starting\n");
	if (!report_check(&rep, magic == MB_LOADER_MAGIC, "boot-multiboot-magic",
			  "EAX=0x%x, expected 0x%x", magic, MB_LOADER_MAGIC)) {
		report_summary(&rep);
		platform_exit(false);
	}
	const struct mb_info *mbi = phys_to_virt(info_pa);
	if (mbi->flags & MB_INFO_CMDLINE)
		con_printf("cmdline: %s\n", (const char *)phys_to_virt(mbi->cmdline));
	report_summary(&rep);
	platform_exit(rep.failures == 0);
}
