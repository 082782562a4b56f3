/* The test guest: boots natively or under segvisor, runs its checks and
 * workloads as its command line says, and reports in the common format. */
#include "guest/console.h"
#include "guest/x86.h"
#include "lib/console.h"
#include "lib/report.h"

#define MB_LOADER_MAGIC 0x2BADB002

void guest_main(u32 magic, u32 info_pa);

void guest_main(u32 magic, u32 info_pa)
{
	struct report rep = {0};
	(void)info_pa;

	guest_console_init();
	con_printf("segvisor test guest starting\n");
	report_check(&rep, magic == MB_LOADER_MAGIC, "guest-multiboot-magic", "EAX=0x%x", magic);
	report_summary(&rep);
	guest_exit(rep.failures == 0);
}
