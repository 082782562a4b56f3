/* The guest's local APIC at work in the vCPU loop (hv/vm/vm.h): interrupt
 * delivery before each entry (hv/platform/intr.h decides, the backend
 * injects), the timer armed through the backend, and HLT that sleeps until
 * the next interrupt. The APIC's clock is the guest's TSC (host TSC plus
 * the platform's offset). */
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "hv/platform/intr.h"
#include "hv/vm/vm.h"
#include "lib/fmt.h"

static u64 guest_tsc(const struct vm *vm)
{
	return vtsc_guest(&vm->platform.tsc, tsc_read());
}

void vm_intr_before_entry(struct vm *vm)
{
	struct apic *a = &vm->platform.apic;
	struct vcpu *v = &vm->vcpu;
	apic_tick(a, guest_tsc(vm));
	const struct intr_guest g = {
	    .intr_window = vcpu_arch_intr_window_open(v),
	    .nmi_window = a->nmi_pending && vcpu_arch_nmi_window_open(v),
	};
	const struct intr_choice c = intr_choose(a, &g);
	if (c.action == INTR_INJECT_EXTINT) {
		const struct vcpu_event ev = {.type = VCPU_EV_EXTINT, .vector = c.vector};
		vcpu_arch_inject_event(v, &ev);
		vm->intr_injected++;
	} else if (c.action == INTR_INJECT_NMI) {
		const struct vcpu_event ev = {.type = VCPU_EV_NMI, .vector = c.vector};
		vcpu_arch_inject_event(v, &ev);
		vm->nmi_injected++;
	}
	vcpu_arch_request_intr_window(v, c.want_window);
	/* The timer's next expiry, in host TSC for the backend. */
	const u64 next = apic_next_deadline(a);
	vcpu_arch_arm_timer(v, next ? next - vm->platform.tsc.offset : 0);
}
