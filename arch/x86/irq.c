#include "arch/x86/irq.h"

#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"
#include "lib/console.h"

/* Unexpected interrupts are reported one line each up to this many; the
 * rest are only counted (a stuck source must not flood the console). */
#define IRQ_REPORT_MAX 8
#define MS_PER_S       1000

static struct irq_counts counts;
static bool lapic_ok, lapic_tried;
static u64 tick_period, tick_next; /* TSC cycles; TSC value */
static u64 armed_for;              /* the TSC deadline the timer is armed for; 0 none */
static enum irq_test test_pending;
static bool in_guest_switch;

typedef void (*irq_handler_fn)(void);

static void on_timer(void)
{
	counts.timer++;
	armed_for = 0; /* one-shot: it fired */
	if (tick_period && tsc_read() >= tick_next) {
		counts.ticks++;
		tick_next = tsc_read() + tick_period;
	}
}

static const irq_handler_fn handlers[IRQ_FIRST_VECTOR + IRQ_VECTORS] = {
    [IRQ_VEC_TIMER] = on_timer,
};

const char *irq_vector_name(u8 v)
{
	if (v < IRQ_FIRST_VECTOR)
		return exc_name(v);
	if (v == IRQ_VEC_TIMER)
		return "local APIC timer";
	if (v == IRQ_VEC_SPURIOUS)
		return "APIC spurious";
	return "unassigned";
}

void irq_dispatch(u8 v)
{
	if (v == IRQ_VEC_SPURIOUS) {
		counts.spurious++; /* 11.9: a spurious interrupt is not EOIed */
		return;
	}
	if (v >= IRQ_FIRST_VECTOR && handlers[v]) {
		handlers[v]();
	} else {
		if (counts.unexpected++ < IRQ_REPORT_MAX)
			con_printf("hypervisor: unexpected interrupt: vector 0x%x (%s), ignored\n",
			           v, irq_vector_name(v));
	}
	if (lapic_ok)
		lapic_eoi();
}

void irq_entry(struct exc_frame *f)
{
	irq_dispatch((u8)f->vector);
}

void irq_nmi(u64 rip, bool guest_mode)
{
	guest_mode |= in_guest_switch;
	if (counts.nmis++ < IRQ_REPORT_MAX)
		con_printf(
		    "hypervisor: NMI taken %s (rip 0x%llx): a host event (watchdog or hardware "
		    "error), not the guest's; noted\n",
		    guest_mode ? "in guest mode" : "in the hypervisor", rip);
}

const struct irq_counts *irq_counts(void)
{
	return &counts;
}

bool irq_host_init(void)
{
	if (!lapic_tried) {
		lapic_tried = true;
		lapic_ok = lapic_init();
	}
	return lapic_ok;
}

bool irq_host_setup(u32 tick_ms)
{
	if (!irq_host_init()) {
		if (tick_ms)
			con_printf("host_tick: no usable local APIC; no host tick\n");
		return false;
	}
	tick_period = lapic_tsc_hz() * tick_ms / MS_PER_S;
	tick_next = tsc_read() + tick_period;
	if (tick_ms)
		con_printf("host_tick: a host LAPIC timer interrupt every %u ms (%llu TSC cycles) "
		           "while the guest runs\n",
		           tick_ms, tick_period);
	return true;
}

void irq_test_set(enum irq_test t)
{
	test_pending = t;
}

void irq_test_before_entry(bool nmi_held)
{
	if (test_pending == IRQ_TEST_NONE || !lapic_ok)
		return;
	if (test_pending == IRQ_TEST_UNASSIGNED) {
		con_printf("irq_test: sending vector 0x%x (%s) to this CPU before the guest runs "
		           "(test only)\n",
		           IRQ_VEC_TEST_UNASSIGNED, irq_vector_name(IRQ_VEC_TEST_UNASSIGNED));
		lapic_send_self(IRQ_VEC_TEST_UNASSIGNED);
	} else if (nmi_held) {
		con_printf("irq_test: sending an NMI to this CPU, held until the guest runs (test "
		           "only)\n");
		lapic_send_nmi_self();
	} else {
		con_printf("irq_test: nmi: this backend cannot hold an NMI until the guest runs; "
		           "none sent\n");
	}
	test_pending = IRQ_TEST_NONE;
}

void irq_guest_switch(bool inside)
{
	in_guest_switch = inside;
}

u64 irq_host_tick_period(void)
{
	return tick_period;
}

void irq_timer_arm(u64 deadline)
{
	if (!lapic_ok)
		return;
	u64 when = deadline;
	if (tick_period && (!when || tick_next < when))
		when = tick_next;
	if (!when) {
		if (armed_for)
			irq_timer_stop();
		return;
	}
	if (when == armed_for)
		return; /* already counting toward it */
	const u64 now = tsc_read();
	lapic_timer_oneshot(IRQ_VEC_TIMER,
	                    lapic_count_for_tsc(lapic_rate(), when > now ? when - now : 0));
	armed_for = when;
}

void irq_timer_stop(void)
{
	if (lapic_ok)
		lapic_timer_stop();
	armed_for = 0;
}
