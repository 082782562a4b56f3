#include "tests/unit/vm_feat_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/console.h"
#include "lib/x86/paging.h"
#include "tests/unit/arena.h"

#define ARENA_SIZE (64 * MiB)
#define PG(n)      ((u64)(n)*PAGE_SIZE_4K)

char vmf_con_buf[64 * KiB];
size_t vmf_con_len;

static void con_capture(const char *s, size_t n)
{
	if (n > sizeof(vmf_con_buf) - 1 - vmf_con_len)
		n = sizeof(vmf_con_buf) - 1 - vmf_con_len;
	memcpy(vmf_con_buf + vmf_con_len, s, n);
	vmf_con_len += n;
	vmf_con_buf[vmf_con_len] = '\0';
}

/* The guest's tables for the model: gVA = gPA over [4 MiB, 6 MiB) with 4 KiB pages, at 1 MiB. */
static void map_guest(struct vm_fixture *f)
{
	const u64 pml4 = GPT_GPA, pdpt = pml4 + PG(1), pd = pml4 + PG(2), pt = pml4 + PG(3);
	const u64 flags = PTE_P | PTE_RW;
	u64 e;
	e = pdpt | flags;
	assert_true(vm_copy_to_guest(f->vm, pml4, &e, 8));
	e = pd | flags;
	assert_true(vm_copy_to_guest(f->vm, pdpt, &e, 8));
	e = pt | flags;
	assert_true(vm_copy_to_guest(f->vm, pd + 8 * 2, &e, 8));
	for (u64 i = 0; i < 512; i++) {
		e = (4 * MiB + PG(i)) | flags;
		assert_true(vm_copy_to_guest(f->vm, pt + 8 * i, &e, 8));
	}
	f->cpu.cr3 = pml4;
}

int vm_setup(void **state)
{
	struct vm_fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->vm = calloc(1, sizeof(*f->vm));
	if (!f->vm)
		return -1;
	arena_create(ARENA_SIZE);
	vmf_con_len = 0;
	con_init(con_capture);
	memmap_init(&f->map);
	assert_int_equal(memmap_add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE), MEMMAP_OK);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_OK);
	hv_config_defaults(&f->cfg);
	f->cfg.guest_ram = VM_RAM;
	assert_true(hv_config_vm_params(&f->cfg, &f->params));
	assert_int_equal(vm_create(f->vm, &f->params, &f->fa, &vcpu_stub_ops, PAGE_SIZE_2M, false),
	                 0);
	vcpu_stub_attach(&f->vm->vcpu, &f->cpu);
	map_guest(f);
	*state = f;
	return 0;
}

int vm_teardown(void **state)
{
	struct vm_fixture *f = *state;
	con_init(NULL);
	arena_destroy();
	free(f->vm);
	free(f);
	return 0;
}
