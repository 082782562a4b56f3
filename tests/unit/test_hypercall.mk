UNIT_TESTS += test_hypercall
test_hypercall_SRCS := tests/unit/test_hypercall.c tests/unit/vcpu_stub.c hv/hypercall.c hv/dseg.c hv/measure.c hv/vm.c hv/exits.c hv/config.c hv/gmap.c hv/nested.c hv/frame.c hv/memmap.c hv/bloom.c hv/segment.c hv/walk.c hv/tlb.c lib/opts.c lib/hash.c lib/console.c lib/fmt.c tests/unit/arena.c
