#include "tests/fuzz/vm_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "tests/unit/arena.h"

void vm_fixture_init(struct vm_fixture *f)
{
	struct hv_config cfg;
	memset(f, 0, sizeof(*f));
	f->vm = calloc(1, sizeof(*f->vm));
	if (!f->vm)
		abort();
	arena_create(FUZZ_ARENA_SIZE);
	memmap_init(&f->map);
	if (memmap_add(&f->map, ARENA_BASE, FUZZ_ARENA_SIZE, MEMMAP_USABLE) != MEMMAP_OK ||
	    memmap_normalize(&f->map) != MEMMAP_OK)
		abort();
	hv_config_defaults(&cfg);
	if (!hv_config_vm_params(&cfg, &f->params))
		abort();
	f->params.guest_ram = FUZZ_GUEST_RAM; /* below the option's 16 MiB floor, to be quick */
}

int vm_fixture_create(struct vm_fixture *f, u64 cpu_max_page, enum nested_format fmt)
{
	if (frame_init(&f->fa, &f->map) != FRAME_OK)
		abort();
	f->ops = vcpu_stub_ops;
	f->ops.nested_format = fmt;
	memset(&f->cpu, 0, sizeof(f->cpu));
	if (vm_create(f->vm, &f->params, &f->fa, &f->ops, cpu_max_page, false))
		return -1;
	vcpu_stub_attach(&f->vm->vcpu, &f->cpu);
	f->vm->vcpu.ops = &f->ops; /* attaching installs the stub's own table */
	return 0;
}
