/* hv/vm/apic_vm.c over a VM built in the test arena with the backend
 * stubbed (tests/unit/vcpu_stub.h): the xAPIC page's trapped accesses
 * decoded and done on the APIC model (SDM Vol. 3A 11.4.1: 32-bit accesses;
 * the MOV forms of SDM Vol. 2B "MOV"), refusals named, interrupts injected
 * before entry, and HLT (resume, sleep until the timer, end with a reason).
 * The stub reports CR0 = 0: guest-linear = guest-physical, and 64-bit
 * decoding (stub in_64bit_mode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/tsc.h"
#include "hv/config.h"
#include "hv/mem/phys.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "tests/unit/arena.h"
#include "tests/unit/vcpu_stub.h"

#define ARENA_SIZE   (64 * MiB)
#define GUEST_RAM    (16 * MiB)
#define CPU_MAX_PAGE PAGE_SIZE_2M
#define CODE_GPA     (3 * MiB)
#define APIC         0xfee00000ull

struct fixture {
	struct memmap map;
	struct frame_alloc fa;
	struct hv_config cfg;
	struct vm_params params;
	struct vm *vm;
	struct vcpu_stub cpu;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->vm = calloc(1, sizeof(*f->vm));
	arena_create(ARENA_SIZE);
	con_init(NULL);
	memmap_init(&f->map);
	assert_int_equal(memmap_add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE), MEMMAP_OK);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_OK);
	hv_config_defaults(&f->cfg);
	f->cfg.guest_ram = GUEST_RAM;
	assert_true(hv_config_vm_params(&f->cfg, &f->params));
	assert_int_equal(vm_create(f->vm, &f->params, &f->fa, &vcpu_stub_ops, CPU_MAX_PAGE, false),
	                 0);
	vcpu_stub_attach(&f->vm->vcpu, &f->cpu);
	f->vm->state = VM_RUNNING;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	arena_destroy();
	free(f->vm);
	free(f);
	return 0;
}

/* Places `code` at RIP and takes a nested fault on the APIC page. */
static void mmio(struct fixture *f, const u8 *code, unsigned len, u32 offset, bool write)
{
	assert_true(vm_copy_to_guest(f->vm, CODE_GPA, code, len));
	f->cpu.rip = CODE_GPA;
	struct vm_exit e = {.kind = VMEXIT_NPF, .gpa = APIC + offset};
	e.npf.write = write;
	e.npf.read = !write;
	vm_handle_exit(f->vm, &e);
}

static void test_mov_forms(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	/* 89 02: mov %eax, (%rdx) -> SVR = 0x1ff (enabled, spurious 0xff). */
	static const u8 store[] = {0x89, 0x02};
	vm->vcpu.regs.rax = 0xdead0000000001ffull; /* the upper half is not stored */
	mmio(f, store, sizeof(store), 0xf0, true);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(vm->platform.apic.svr, 0x1ff);
	assert_int_equal(f->cpu.rip, CODE_GPA + 2);
	/* 8B 0A: mov (%rdx), %ecx -> the version, zero-extended into RCX. */
	static const u8 load[] = {0x8b, 0x0a};
	vm->vcpu.regs.rcx = ~0ull;
	mmio(f, load, sizeof(load), 0x30, false);
	assert_int_equal(vm->vcpu.regs.rcx, APIC_VERSION_VALUE);
	assert_int_equal(f->cpu.rip, CODE_GPA + 2);
	/* 44 8B 82 20 00 00 00: mov 0x20(%rdx), %r8d (REX.R) -> ID 0. */
	static const u8 load_r8[] = {0x44, 0x8b, 0x82, 0x20, 0x00, 0x00, 0x00};
	vm->vcpu.regs.r8 = 7;
	mmio(f, load_r8, sizeof(load_r8), 0x20, false);
	assert_int_equal(vm->vcpu.regs.r8, 0);
	assert_int_equal(f->cpu.rip, CODE_GPA + 7);
	/* C7 82 00 03 00 00 41 00 04 00: movl $0x40041, 0x300(%rdx): a fixed
	 * IPI, shorthand self, vector 0x41. */
	static const u8 imm[] = {0xc7, 0x82, 0x00, 0x03, 0x00, 0x00, 0x41, 0x00, 0x04, 0x00};
	mmio(f, imm, sizeof(imm), 0x300, true);
	assert_int_equal(f->cpu.rip, CODE_GPA + sizeof(imm));
	assert_true(vm->platform.apic.irr[2] & (1u << 1));
	assert_int_equal(vm->apic_writes, 2);
	assert_int_equal(vm->apic_reads, 2);
	/* A3 moffs64 (64-bit mode: 8-byte address): mov %eax, 0xfee00080 ->
	 * TPR. */
	static const u8 moffs[] = {0xa3, 0x80, 0x00, 0xe0, 0xfe, 0, 0, 0, 0};
	vm->vcpu.regs.rax = 0x20;
	mmio(f, moffs, sizeof(moffs), 0x80, true);
	assert_int_equal(vm->platform.apic.tpr, 0x20);
	assert_int_equal(f->cpu.rip, CODE_GPA + sizeof(moffs));
	/* Before the next entry: the window is closed (stub), a window is
	 * asked for; open, vector 0x41 is injected and moves to ISR. */
	f->cpu.window_open = false;
	vm_intr_before_entry(vm);
	assert_int_equal(f->cpu.events, 0);
	assert_true(f->cpu.window_requested);
	f->cpu.window_open = true;
	vm_intr_before_entry(vm);
	assert_int_equal(f->cpu.events, 1);
	assert_int_equal(f->cpu.last_event.type, VCPU_EV_EXTINT);
	assert_int_equal(f->cpu.last_event.vector, 0x41);
	assert_false(f->cpu.window_requested);
	assert_true(vm->platform.apic.isr[2] & (1u << 1));
	assert_int_equal(vm->intr_injected, 1);
}

static void refused(struct fixture *f, const u8 *code, unsigned len, bool write, const char *why)
{
	f->vm->state = VM_RUNNING;
	mmio(f, code, len, 0xf0, write);
	assert_int_equal(f->vm->state, VM_STOPPED);
	assert_non_null(strstr(f->vm->stop_reason, "cannot emulate"));
	if (!strstr(f->vm->stop_reason, why))
		fail_msg("reason: %s", f->vm->stop_reason);
	assert_int_equal(f->cpu.rip, CODE_GPA); /* not moved */
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	static const u8 byte_store[] = {0x88, 0x02};        /* mov %al, (%rdx) */
	static const u8 word_store[] = {0x66, 0x89, 0x02};  /* mov %ax, (%rdx) */
	static const u8 qword_store[] = {0x48, 0x89, 0x02}; /* mov %rax, (%rdx) */
	static const u8 add[] = {0x01, 0x02};               /* add %eax, (%rdx) */
	static const u8 lock_or[] = {0xf0, 0x09, 0x02};     /* lock or %eax, (%rdx) */
	static const u8 rsp[] = {0x89, 0x22};               /* mov %esp, (%rdx) */
	static const u8 undefined[] = {0x0f, 0x0b};         /* ud2: no memory operand */
	refused(f, byte_store, sizeof(byte_store), true, "not a MOV form");
	refused(f, word_store, sizeof(word_store), true, "not a 32-bit access");
	refused(f, qword_store, sizeof(qword_store), true, "not a 32-bit access");
	refused(f, add, sizeof(add), true, "not a MOV form");
	refused(f, lock_or, sizeof(lock_or), true, "not a plain");
	refused(f, rsp, sizeof(rsp), true, "RSP");
	refused(f, undefined, sizeof(undefined), false, "not a plain");
	/* A store decoded for an access that exited as a read. */
	static const u8 store[] = {0x89, 0x02};
	refused(f, store, sizeof(store), false, "direction");
}

static void hlt(struct fixture *f)
{
	f->vm->state = VM_RUNNING;
	f->cpu.rip = CODE_GPA;
	const struct vm_exit e = {.kind = VMEXIT_HLT, .insn_len = 1};
	vm_handle_exit(f->vm, &e);
}

static void test_hlt(void **state)
{
	struct fixture *f = *state;
	struct apic *a = &f->vm->platform.apic;
	/* Nothing armed: the guest ends, today's reason kept. */
	f->cpu.window_open = true; /* the stub's RFLAGS.IF */
	hlt(f);
	assert_int_equal(f->vm->state, VM_HALTED);
	assert_non_null(strstr(f->vm->stop_reason, "guest executed HLT with no interrupt source"));
	/* A pending deliverable vector: resume past the HLT at once. */
	apic_mmio_write(a, APIC_REG_SVR, 0x1ff, 0);
	apic_set_irr(a, 0x50);
	hlt(f);
	assert_int_equal(f->vm->state, VM_RUNNING);
	assert_int_equal(f->cpu.rip, CODE_GPA + 1);
	/* IF = 0 with it pending: nothing can wake the vCPU. */
	f->cpu.window_open = false;
	hlt(f);
	assert_int_equal(f->vm->state, VM_HALTED);
	assert_non_null(strstr(f->vm->stop_reason, "RFLAGS.IF = 0"));
	/* A one-shot timer of 100000 TSC cycles (divide by 1), nothing else:
	 * the host waits for it, then the vector is pending. */
	f->cpu.window_open = true;
	apic_accept(a, 0x50);
	apic_mmio_write(a, APIC_REG_EOI, 0, 0);
	const u64 now = vtsc_guest(&f->vm->platform.tsc, tsc_read());
	apic_mmio_write(a, APIC_REG_TDCR, 0xb, now);
	apic_mmio_write(a, APIC_REG_LVT_TMR, 0x60, now);
	apic_mmio_write(a, APIC_REG_TMICT, 100000, now);
	hlt(f);
	const u64 after = vtsc_guest(&f->vm->platform.tsc, tsc_read());
	assert_int_equal(f->vm->state, VM_RUNNING);
	assert_int_equal(f->vm->hlt_sleeps, 1);
	assert_true(after - now >= 100000);
	assert_int_equal(apic_pending_vector(a), 0x60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mov_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hlt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
