/* The seeded memory fault of fault_test= (hv/vm/faulttest.c, test only) over the 16 MiB VM
 * fixture. Expectations from its contract in hv/vm/vm.h and README's option table: bit
 * fault_test_bit of the byte at gPA fault_test reads 1 after each exit, other bits and bytes keep
 * what the guest wrote, the cell stays at its gPA when the page moves to another frame (an
 * escape), and a byte outside guest RAM or a run without a host tick is refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "hv/config.h"
#include "hv/mem/phys.h"
#include "hv/vm/vm.h"
#include "lib/opts.h"
#include "lib/x86/paging.h"
#include "tests/unit/vm_feat_fixture.h"

#define WEAK_GPA 0x801235ULL /* in the fixture's RAM, away from its page tables at 1 MiB */
#define WEAK_BIT 3

static u8 guest_byte(struct vm *vm, u64 gpa)
{
	u8 b;
	assert_true(vm_copy_from_guest(vm, &b, gpa, 1));
	return b;
}

static void put_guest_byte(struct vm *vm, u64 gpa, u8 b)
{
	assert_true(vm_copy_to_guest(vm, gpa, &b, 1));
}

static void arm(struct vm *vm, u64 gpa, u32 bit, u32 tick_ms)
{
	vm->params.fault_gpa = gpa;
	vm->params.fault_bit = bit;
	vm->params.host_tick_ms = tick_ms;
}

/* A 0 written into the weak bit reads 1 after the next exit, counted once; the other bits of
 * the byte and its neighbours keep what was written. */
static void weak_bit_reads_one_again(void **state)
{
	struct vm_fixture *f = *state;
	struct vm *vm = f->vm;
	arm(vm, WEAK_GPA, WEAK_BIT, 1);
	assert_int_equal(vm_fault_test_init(vm), 0);
	assert_non_null(strstr(vmf_con_buf, "fault_test: bit 3 of the byte at gPA 0x801235"));
	for (u64 g = WEAK_GPA - 1; g <= WEAK_GPA + 1; g++)
		put_guest_byte(vm, g, 0x00);
	vm_fault_test_apply(vm);
	assert_int_equal(guest_byte(vm, WEAK_GPA), 0x08);
	assert_int_equal(guest_byte(vm, WEAK_GPA - 1), 0x00);
	assert_int_equal(guest_byte(vm, WEAK_GPA + 1), 0x00);
	assert_int_equal(vm->fault_checks, 1);
	assert_int_equal(vm->fault_sets, 1);
	/* Already 1: looked at, nothing to set. */
	vm_fault_test_apply(vm);
	assert_int_equal(vm->fault_checks, 2);
	assert_int_equal(vm->fault_sets, 1);
	/* Every other bit 1, the weak one 0: only it changes. */
	put_guest_byte(vm, WEAK_GPA, 0xf7);
	vm_fault_test_apply(vm);
	assert_int_equal(guest_byte(vm, WEAK_GPA), 0xff);
	assert_int_equal(vm->fault_sets, 2);
	/* The same through the host frame the memory map names. */
	u64 hpa;
	assert_true(gmap_lookup(&vm->gmap, WEAK_GPA, &hpa));
	*(u8 *)phys_to_virt(hpa) = 0x00;
	vm_fault_test_apply(vm);
	assert_int_equal(*(const u8 *)phys_to_virt(hpa), 0x08);
	assert_int_equal(vm->fault_sets, 3);
}

/* Bit 0 and bit 7, the ends of the byte. */
static void every_bit_of_the_byte(void **state)
{
	struct vm_fixture *f = *state;
	struct vm *vm = f->vm;
	for (u32 bit = 0; bit < 8; bit++) {
		arm(vm, WEAK_GPA, bit, 1);
		put_guest_byte(vm, WEAK_GPA, 0x00);
		vm_fault_test_apply(vm);
		assert_int_equal(guest_byte(vm, WEAK_GPA), 1u << bit);
	}
	assert_int_equal(vm->fault_sets, 8);
}

/* The cell belongs to the gPA: after an escape it is the alternate frame's byte that reads 1,
 * and the bad frame keeps its poison. */
static void weak_bit_follows_an_escape(void **state)
{
	struct vm_fixture *f = *state;
	struct vm *vm = f->vm;
	arm(vm, WEAK_GPA, WEAK_BIT, 1);
	assert_int_equal(vm_fault_test_init(vm), 0);
	u64 old_hpa, new_hpa;
	assert_true(gmap_lookup(&vm->gmap, WEAK_GPA, &old_hpa));
	assert_int_equal(dseg_escape_gpa(vm, WEAK_GPA, true), HC_OK);
	assert_true(gmap_lookup(&vm->gmap, WEAK_GPA, &new_hpa));
	assert_true(new_hpa != old_hpa);
	put_guest_byte(vm, WEAK_GPA, 0x00);
	vm_fault_test_apply(vm);
	assert_int_equal(*(const u8 *)phys_to_virt(new_hpa), 0x08);
	assert_int_equal(dseg_check_bad_frames(vm), 0);
}

/* Off (gPA 0) does nothing; outside RAM and without a host tick are refused by name. */
static void refusals_and_off(void **state)
{
	struct vm_fixture *f = *state;
	struct vm *vm = f->vm;
	arm(vm, 0, WEAK_BIT, 0);
	assert_int_equal(vm_fault_test_init(vm), 0);
	put_guest_byte(vm, 0, 0x00);
	vm_fault_test_apply(vm);
	assert_int_equal(guest_byte(vm, 0), 0x00);
	assert_int_equal(vm->fault_checks, 0);

	arm(vm, VM_RAM + 0x35, WEAK_BIT, 1);
	assert_int_equal(vm_fault_test_init(vm), -1);
	assert_non_null(
	    strstr(vmf_con_buf, "FAIL: fault-test: fault_test=0x1000035 is not guest RAM"));
	vmf_con_len = 0;
	arm(vm, WEAK_GPA, WEAK_BIT, 0);
	assert_int_equal(vm_fault_test_init(vm), -1);
	assert_non_null(
	    strstr(vmf_con_buf, "FAIL: fault-test: fault_test=0x801235 needs host_tick="));
}

/* The options as the command line gives them, into the VM's parameters; the bit is 0..7. */
static void options_reach_the_vm(void **state)
{
	(void)state;
	struct hv_config cfg;
	struct vm_params p;
	struct opts_result res;
	hv_config_defaults(&cfg);
	assert_true(hv_config_vm_params(&cfg, &p));
	assert_int_equal(p.fault_gpa, 0);
	assert_int_equal(opts_parse(&hv_config_table,
	                            "hv.elf fault_test=0x1a2b3cd fault_test_bit=5 host_tick=1",
	                            &cfg, &res),
	                 OPTS_OK);
	assert_true(hv_config_vm_params(&cfg, &p));
	assert_int_equal(p.fault_gpa, 0x1a2b3cd);
	assert_int_equal(p.fault_bit, 5);
	assert_int_equal(p.host_tick_ms, 1);
	assert_int_equal(opts_parse(&hv_config_table, "fault_test_bit=8", &cfg, &res),
	                 OPTS_ERR_RANGE);
	assert_non_null(strstr(res.msg, "fault_test_bit"));
	assert_int_equal(opts_parse(&hv_config_table, "fault_test=0x10000000000000", &cfg, &res),
	                 OPTS_ERR_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(weak_bit_reads_one_again, vm_setup, vm_teardown),
	    cmocka_unit_test_setup_teardown(every_bit_of_the_byte, vm_setup, vm_teardown),
	    cmocka_unit_test_setup_teardown(weak_bit_follows_an_escape, vm_setup, vm_teardown),
	    cmocka_unit_test_setup_teardown(refusals_and_off, vm_setup, vm_teardown),
	    cmocka_unit_test(options_reach_the_vm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
