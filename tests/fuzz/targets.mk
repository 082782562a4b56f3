# The libFuzzer targets: FUZZ_TARGETS and, per target, the sources it links (the code under
# test and what it needs, as the unit tests of tests/unit/*.mk list them).
FUZZ_VM_SRCS := tests/fuzz/vm_fixture.c tests/unit/vcpu_stub.c tests/unit/arena.c hv/vm/vm.c hv/vm/apic_vm.c hv/vm/insn.c hv/vm/modes.c hv/vm/faulttest.c hv/vm/compact_vm.c hv/mem/compact.c hv/vm/measure.c \
	arch/x86/pmu.c hv/vm/hypercall.c hv/vm/vmmem.c hv/vm/vmfeat.c hv/mem/share.c hv/mem/swap.c hv/mem/balloon.c hv/vm/exits.c hv/vm/gwalk.c hv/vm/etrace.c hv/model/trapwin.c hv/vm/loader.c hv/vm/bzload.c hv/platform/mptable.c \
	hv/vm/bzimage.c hv/vm/mbplace.c hv/vm/elf.c hv/vm/mbhdr.c hv/platform/cpuid.c hv/platform/platform.c hv/platform/cpumsr.c hv/platform/pit.c hv/platform/rtc.c hv/platform/uart16550.c hv/platform/fwcfg.c hv/platform/tsc.c \
	hv/platform/apic.c hv/platform/intr.c hv/config.c hv/mem/gmap.c hv/mem/nested.c hv/mem/frame.c \
	hv/mem/memmap.c hv/dseg/bloom.c hv/dseg/segment.c hv/model/walk.c hv/model/tlb.c \
	lib/opts.c lib/modes.c lib/hash.c lib/console.c lib/fmt.c lib/x86/zero.c

FUZZ_TARGETS += fuzz_loader
fuzz_loader_SRCS := tests/fuzz/fuzz_loader.c $(FUZZ_VM_SRCS)
FUZZ_TARGETS += fuzz_mbmap
fuzz_mbmap_SRCS := tests/fuzz/fuzz_mbmap.c hv/mem/mbmap.c hv/mem/memmap.c
FUZZ_TARGETS += fuzz_opts
fuzz_opts_SRCS := tests/fuzz/fuzz_opts.c lib/opts.c lib/fmt.c guest/options.c hv/config.c \
	hv/model/tlb.c
FUZZ_TARGETS += fuzz_hypercall
fuzz_hypercall_SRCS := tests/fuzz/fuzz_hypercall.c $(FUZZ_VM_SRCS)
FUZZ_TARGETS += fuzz_bzimage
fuzz_bzimage_SRCS := tests/fuzz/fuzz_bzimage.c hv/vm/bzimage.c
