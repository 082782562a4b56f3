/* hv/platform/uart16550: the 16550 model against the PC16550D data sheet's
 * register map (Table II) and reset state (Table IV). Register offsets and
 * bit values are written out here as the data sheet gives them, not taken
 * from the model's header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/config.h"
#include "hv/mem/memmap.h"
#include "hv/platform/platform.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "tests/unit/arena.h"
#include "tests/unit/vcpu_stub.h"
#include "hv/platform/uart16550.h"
#include "lib/x86/uart.h"

struct sink {
	u8 bytes[64];
	unsigned n;
};

static void sink_tx(void *ctx, u8 b)
{
	struct sink *s = ctx;
	if (s->n < sizeof(s->bytes))
		s->bytes[s->n] = b;
	s->n++;
}

static void mk(struct uart16550 *u, struct sink *s)
{
	*s = (struct sink){{0}, 0};
	uart16550_init(u, sink_tx, s);
}

static void test_reset_state(void **st)
{
	(void)st;
	struct uart16550 u;
	struct sink s;
	mk(&u, &s);
	assert_int_equal(uart16550_read(&u, 1), 0x00);     /* IER */
	assert_int_equal(uart16550_read(&u, 2), 0x01);     /* IIR: no interrupt pending */
	assert_int_equal(uart16550_read(&u, 3), 0x00);     /* LCR */
	assert_int_equal(uart16550_read(&u, 4), 0x00);     /* MCR */
	assert_int_equal(uart16550_read(&u, 5), 0x60);     /* LSR: THRE | TEMT, DR clear */
	assert_int_equal(uart16550_read(&u, 6) & 0x0f, 0); /* MSR deltas */
	assert_int_equal(s.n, 0);
}

/* The guest's own uart_init sequence (lib/x86/uart.c) programs divisor 1
 * with DLAB set: none of it may reach the console. */
static void test_divisor_latch_never_emits(void **st)
{
	(void)st;
	struct uart16550 u;
	struct sink s;
	mk(&u, &s);
	uart16550_write(&u, 3, 0x03); /* LCR 8N1 */
	uart16550_write(&u, 1, 0x00); /* IER */
	uart16550_write(&u, 3, 0x80); /* DLAB */
	uart16550_write(&u, 0, 0x01); /* DLL */
	uart16550_write(&u, 1, 0x00); /* DLM */
	assert_int_equal(s.n, 0);
	assert_int_equal(uart16550_divisor(&u), 1);
	/* With DLAB set, offsets 0 and 1 read the latch back. */
	uart16550_write(&u, 0, 0x0c); /* 9600 baud: divisor 12 */
	uart16550_write(&u, 1, 0x00);
	assert_int_equal(uart16550_read(&u, 0), 0x0c);
	assert_int_equal(uart16550_read(&u, 1), 0x00);
	uart16550_write(&u, 1, 0x01); /* DLM = 1: divisor 0x10c */
	assert_int_equal(uart16550_divisor(&u), 0x10c);
	assert_int_equal(s.n, 0);
	uart16550_write(&u, 3, 0x03); /* DLAB off */
	/* IER did not take the DLM write. */
	assert_int_equal(uart16550_read(&u, 1), 0x00);
	uart16550_write(&u, 0, 'A');
	uart16550_write(&u, 0, '\n');
	assert_int_equal(s.n, 2);
	assert_int_equal(s.bytes[0], 'A');
	assert_int_equal(s.bytes[1], '\n');
	assert_int_equal(uart16550_divisor(&u), 0x10c); /* kept */
}

static void test_lsr_bits(void **st)
{
	(void)st;
	struct uart16550 u;
	struct sink s;
	mk(&u, &s);
	for (int i = 0; i < 20; i++) {
		uart16550_write(&u, 0, (u8)('a' + i));
		/* THRE (bit 5) and TEMT (bit 6) always: transmission is instant;
		 * DR (bit 0) clear: nothing is received. */
		assert_int_equal(uart16550_read(&u, 5), 0x60);
	}
	assert_int_equal(s.n, 20);
	uart16550_write(&u, 5, 0xff); /* LSR writes are factory test: ignored */
	assert_int_equal(uart16550_read(&u, 5), 0x60);
	assert_int_equal(uart16550_read(&u, 0), 0x00); /* RBR: no input */
}

static void test_scratch_round_trip(void **st)
{
	(void)st;
	struct uart16550 u;
	struct sink s;
	mk(&u, &s);
	static const u8 vals[] = {0x00, 0x55, 0xaa, 0xff, 0x5a};
	for (unsigned i = 0; i < sizeof(vals); i++) {
		uart16550_write(&u, 7, vals[i]);
		assert_int_equal(uart16550_read(&u, 7), vals[i]);
	}
	/* DLAB does not affect the scratch register. */
	uart16550_write(&u, 3, 0x80);
	assert_int_equal(uart16550_read(&u, 7), 0x5a);
	assert_int_equal(s.n, 0);
}

static void test_ier_iir_fcr(void **st)
{
	(void)st;
	struct uart16550 u;
	struct sink s;
	mk(&u, &s);
	uart16550_write(&u, 1, 0xff);
	assert_int_equal(uart16550_read(&u, 1), 0x0f); /* bits 4-7 are always 0 */
	/* ETBEI with the THR empty: IIR says THRE (0x2, priority 3) once, then
	 * reading IIR cleared it. */
	assert_int_equal(uart16550_read(&u, 2), 0x02);
	assert_int_equal(uart16550_read(&u, 2), 0x01);
	uart16550_write(&u, 0, 'x'); /* THR written and emptied again */
	assert_int_equal(uart16550_read(&u, 2), 0x02);
	/* FIFOs enabled: IIR bits 7:6 set. */
	uart16550_write(&u, 2, 0x07);
	assert_int_equal(uart16550_read(&u, 2), 0xc1);
	uart16550_write(&u, 2, 0x00);
	assert_int_equal(uart16550_read(&u, 2), 0x01);
	/* LCR reads back all 8 bits. */
	uart16550_write(&u, 3, 0x1b);
	assert_int_equal(uart16550_read(&u, 3), 0x1b);
}

static void test_mcr_msr_loopback(void **st)
{
	(void)st;
	struct uart16550 u;
	struct sink s;
	mk(&u, &s);
	uart16550_write(&u, 4, 0xff);
	assert_int_equal(uart16550_read(&u, 4), 0x1f); /* bits 5-7 are always 0 */
	/* Loopback with all outputs on: CTS, DSR, RI, DCD on (MSR bits 4-7).
	 * RI was off before; DCD, DSR and CTS were on (a ready peer). */
	assert_int_equal(uart16550_read(&u, 6) & 0xf0, 0xf0);
	assert_int_equal(uart16550_read(&u, 6) & 0x0f, 0); /* deltas cleared by the read */
	uart16550_write(&u, 0, 'L');                       /* looped back, not transmitted */
	assert_int_equal(s.n, 0);
	assert_int_equal(uart16550_read(&u, 5), 0x61); /* DR set */
	assert_int_equal(uart16550_read(&u, 0), 'L');
	assert_int_equal(uart16550_read(&u, 5), 0x60);
	/* Loopback off: RI goes from on to off, so TERI (bit 2) is set. */
	uart16550_write(&u, 4, 0x0b);
	assert_int_equal(uart16550_read(&u, 6), 0xb4);
	assert_int_equal(uart16550_read(&u, 6), 0xb0);
}

/* Through the platform's port table: COM1 at 0x3f8-0x3ff, a word write
 * covering two registers. */
static void test_ports(void **st)
{
	(void)st;
	struct sink s = {{0}, 0};
	struct platform p;
	const struct platform_config cfg = {
	    .ram_bytes = 1 << 20, .console = sink_tx, .console_ctx = &s};
	platform_init(&p, &cfg);
	u32 v = 0x80;
	assert_true(platform_io(&p, 0x3fb, 1, false, &v)); /* LCR DLAB */
	v = 0x0201;                                        /* DLL = 1, DLM = 2 in one 16-bit OUT */
	assert_true(platform_io(&p, 0x3f8, 2, false, &v));
	assert_int_equal(uart16550_divisor(&p.com1), 0x0201);
	assert_int_equal(s.n, 0);
	v = 0x03;
	assert_true(platform_io(&p, 0x3fb, 1, false, &v));
	v = 'Z';
	assert_true(platform_io(&p, 0x3f8, 1, false, &v));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.bytes[0], 'Z');
	assert_true(platform_io(&p, 0x3fd, 1, true, &v));
	assert_int_equal(v, 0x60);
	assert_false(platform_io(&p, 0x3f7, 1, true, &v));
	assert_false(platform_io(&p, 0x400, 1, true, &v));
	(void)COM1_BASE;
}

/* ---- through the exit handlers (hv/vm/exits.c) ---- */

#define ARENA_SIZE (64 * MiB)
#define GUEST_RAM  (16 * MiB)

static char con_buf[16 * KiB];
static size_t con_len;

static void con_capture(const char *str, size_t n)
{
	if (n > sizeof(con_buf) - 1 - con_len)
		n = sizeof(con_buf) - 1 - con_len;
	memcpy(con_buf + con_len, str, n);
	con_len += n;
	con_buf[con_len] = '\0';
}

struct fixture {
	struct memmap map;
	struct frame_alloc fa;
	struct hv_config cfg;
	struct vm_params params;
	struct vm vm;
	struct vcpu_stub cpu;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	arena_create(ARENA_SIZE);
	con_init(con_capture);
	memmap_init(&f->map);
	assert_int_equal(memmap_add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE), MEMMAP_OK);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_OK);
	hv_config_defaults(&f->cfg);
	f->cfg.guest_ram = GUEST_RAM;
	assert_true(hv_config_vm_params(&f->cfg, &f->params));
	assert_int_equal(vm_create(&f->vm, &f->params, &f->fa, &vcpu_stub_ops, PAGE_SIZE_2M, false),
	                 0);
	vcpu_stub_attach(&f->vm.vcpu, &f->cpu);
	con_len = 0;
	con_buf[0] = '\0';
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	con_init(NULL);
	arena_destroy();
	free(*state);
	return 0;
}

/* One IN or OUT of a byte as the backend reports it; returns AL after. */
static u8 io(struct fixture *f, u16 port, bool in, u8 val)
{
	struct vm_exit e = {.kind = VMEXIT_IO, .insn_len = 1};
	e.io.port = port;
	e.io.size = 1;
	e.io.in = in;
	f->vm.vcpu.regs.rax = val;
	vm_handle_exit(&f->vm, &e);
	return (u8)f->vm.vcpu.regs.rax;
}

static void test_exit_com1(void **state)
{
	struct fixture *f = *state;
	io(f, 0x3fb, false, 0x80); /* DLAB */
	io(f, 0x3f8, false, 'X');  /* DLL */
	io(f, 0x3f9, false, 'Y');  /* DLM */
	io(f, 0x3fb, false, 0x03);
	assert_int_equal(f->vm.console_bytes, 0);
	static const char msg[] = "hi\n";
	for (unsigned i = 0; i < sizeof(msg) - 1; i++)
		io(f, 0x3f8, false, (u8)msg[i]);
	assert_int_equal(f->vm.console_bytes, 3);
	assert_non_null(strstr(con_buf, "hi\n"));
	assert_null(strchr(con_buf, 'X'));
	assert_null(strchr(con_buf, 'Y'));
	assert_int_equal(io(f, 0x3fd, true, 0), 0x60);
	/* COM1 and fw_cfg are devices, not counted as unclaimed ports. */
	for (unsigned i = 0; i < VM_PORT_SLOTS; i++)
		assert_true(f->vm.ports[i].reads == 0 && f->vm.ports[i].writes == 0);
	assert_int_equal(f->cpu.skipped_insns, 8);
}

static void test_exit_fwcfg_and_unclaimed(void **state)
{
	struct fixture *f = *state;
	struct vm_exit e = {.kind = VMEXIT_IO, .insn_len = 1};
	e.io.port = 0x510;
	e.io.size = 2;
	f->vm.vcpu.regs.rax = 0x0003; /* FW_CFG_RAM_SIZE */
	vm_handle_exit(&f->vm, &e);
	u64 ram = 0;
	for (unsigned i = 0; i < 8; i++)
		ram |= (u64)io(f, 0x511, true, 0) << (8 * i);
	assert_int_equal(ram, GUEST_RAM);
	/* An unclaimed port: all ones, counted. */
	assert_int_equal(io(f, 0x80, true, 0), 0xff);
	assert_int_equal(f->vm.ports[0].port, 0x80);
	assert_int_equal(f->vm.ports[0].reads, 1);
}

static void msr(struct fixture *f, bool write, u32 idx, u64 val)
{
	struct vm_exit e = {.kind = write ? VMEXIT_MSR_WRITE : VMEXIT_MSR_READ, .insn_len = 2};
	f->vm.vcpu.regs.rcx = idx;
	f->vm.vcpu.regs.rax = (u32)val;
	f->vm.vcpu.regs.rdx = val >> 32;
	vm_handle_exit(&f->vm, &e);
}

static void test_exit_tsc_write(void **state)
{
	struct fixture *f = *state;
	msr(f, true, 0x10, 0); /* TSC = 0: the offset is minus the host's TSC */
	assert_int_equal(f->cpu.tsc_offset_calls, 1);
	assert_int_equal(f->cpu.tsc_offset, f->vm.platform.tsc.offset);
	assert_true(f->cpu.tsc_offset != 0);
	assert_int_equal(f->cpu.injected, 0);
	/* TSC_ADJUST back to 0 undoes it. */
	msr(f, true, 0x3b, 0);
	assert_int_equal(f->cpu.tsc_offset_calls, 2);
	assert_int_equal(f->cpu.tsc_offset, 0);
	/* TSC_AUX without RDTSCP: #GP, no offset change. */
	msr(f, true, 0xc0000103, 1);
	assert_int_equal(f->cpu.injected, 1);
	assert_int_equal(f->cpu.last_vector, 13);
	assert_int_equal(f->cpu.tsc_offset_calls, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_state), cmocka_unit_test(test_divisor_latch_never_emits),
	    cmocka_unit_test(test_lsr_bits),    cmocka_unit_test(test_scratch_round_trip),
	    cmocka_unit_test(test_ier_iir_fcr), cmocka_unit_test(test_mcr_msr_loopback),
	    cmocka_unit_test(test_ports),
	};
	const struct CMUnitTest exit_tests[] = {
	    cmocka_unit_test_setup_teardown(test_exit_com1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_fwcfg_and_unclaimed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_tsc_write, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) |
	       cmocka_run_group_tests(exit_tests, NULL, NULL);
}
