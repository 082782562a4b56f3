# segvisor build. `make` builds the images; `make run` and `make test` are
# the two entry points of README.md.

CC ?= gcc
OBJCOPY ?= objcopy
PYTHON ?= python3
B := build
# V=1 shows the commands.
Q := $(if $(V),,@)

# Freestanding images: hypervisor and guest.
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-mcmodel=small -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -I.
KASFLAGS := -I. -D__ASSEMBLY__
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

# lib/x86/ is the CPU code both kernels build (DESIGN.md, Layout).
LIB_SRCS := $(wildcard lib/*.c) $(wildcard lib/x86/*.c) $(wildcard lib/x86/*.S)
HV_SRCS := $(wildcard arch/x86/*.c) $(wildcard arch/x86/*.S) $(wildcard hv/*.c) $(wildcard hv/*/*.c) $(LIB_SRCS)
GUEST_SRCS := $(wildcard guest/*.c) $(wildcard guest/*.S) $(LIB_SRCS)
# The attack kernel (tests/attack/): a Multiboot guest apart from the test guest.
ATTACK_SRCS := $(wildcard tests/attack/*.c) $(wildcard tests/attack/*.S) $(LIB_SRCS)

# The bzImage test kernel (tests/bzimage/): entered by the Linux boot protocol's 64-bit entry.
BZT_SRCS := $(wildcard tests/bzimage/*.c) $(wildcard tests/bzimage/*.S) lib/console.c lib/fmt.c \
	lib/mem.c lib/opts.c lib/report.c lib/x86/emu_exit.c lib/x86/uart.c
# The tp kernel (tests/tp/): a Multiboot kernel loaded below 1 MiB that checks the machine the
# way kernels from elsewhere use it, with nothing of the test guest's.
TP_SRCS := $(wildcard tests/tp/*.c) $(wildcard tests/tp/*.S) lib/console.c lib/fmt.c lib/mem.c \
	lib/opts.c lib/report.c lib/x86/emu_exit.c lib/x86/uart.c
HV_OBJS := $(patsubst %,$(B)/hv/%.o,$(HV_SRCS))
GUEST_OBJS := $(patsubst %,$(B)/guest/%.o,$(GUEST_SRCS))
ATTACK_OBJS := $(patsubst %,$(B)/attack/%.o,$(ATTACK_SRCS))
BZT_OBJS := $(patsubst %,$(B)/bzt/%.o,$(BZT_SRCS))
TP_OBJS := $(patsubst %,$(B)/tp/%.o,$(TP_SRCS))

IMAGES := $(B)/hv.elf $(B)/hv.elf32 $(B)/guest.elf $(B)/guest.elf32 $(B)/attack.elf $(B)/attack.elf32 \
	$(B)/guest-low.elf $(B)/guest-vga.elf $(B)/module-17m.bin $(B)/bzimage-test.bin \
	$(B)/tp.elf $(B)/tp.elf32

.PHONY: all images run test unit system deps clean format fuzz fuzz-smoke fuzz-build thirdparty \
	linux run-linux tradeoffs
all: images
images: $(IMAGES)

$(B)/hv/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
$(B)/hv/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@
$(B)/guest/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (guest)"
	$(Q)$(CC) $(KCFLAGS) -DSEGVISOR_GUEST -MMD -MP -c $< -o $@
$(B)/guest/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (guest)"
	$(Q)$(CC) $(KASFLAGS) -DSEGVISOR_GUEST -MMD -MP -c $< -o $@
$(B)/attack/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (attack)"
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
$(B)/attack/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (attack)"
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

$(B)/bzt/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (bzimage test)"
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
$(B)/bzt/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (bzimage test)"
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

$(B)/tp/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (tp)"
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
$(B)/tp/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (tp)"
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

$(B)/hv.elf: $(HV_OBJS) linker/hv.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -T linker/hv.ld -o $@ $(HV_OBJS) -lgcc
$(B)/guest.elf: $(GUEST_OBJS) linker/guest.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -T linker/guest.ld -o $@ $(GUEST_OBJS) -lgcc
# The test guest linked below 1 MiB: at 4 KiB, where the loader must put the boot information
# and the stack clear of it (scenarios guest-low-*), and at 640 KiB, over the VGA and BIOS
# area the hypervisor keeps, which the loader refuses by name (guest-vga-refused).
GUEST_LOW_BASE := 0x1000
GUEST_VGA_BASE := 0xa0000
$(B)/guest-low.elf: $(GUEST_OBJS) linker/guest.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -Wl,--defsym=GUEST_BASE=$(GUEST_LOW_BASE) -T linker/guest.ld -o $@ \
		$(GUEST_OBJS) -lgcc
$(B)/guest-vga.elf: $(GUEST_OBJS) linker/guest.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -Wl,--defsym=GUEST_BASE=$(GUEST_VGA_BASE) -T linker/guest.ld -o $@ \
		$(GUEST_OBJS) -lgcc
# A module larger than a 16 MiB guest's RAM (scenario guest-mod-too-large): 17 MiB of zeros.
$(B)/module-17m.bin:
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)truncate -s 17M $@
$(B)/attack.elf: $(ATTACK_OBJS) linker/attack.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -T linker/attack.ld -o $@ $(ATTACK_OBJS) -lgcc
$(B)/tp.elf: $(TP_OBJS) linker/tp.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -T linker/tp.ld -o $@ $(TP_OBJS) -lgcc
# The bzImage test kernel: the ELF's setup sectors and kernel, as one flat file (linker/bzimage.ld
# lays them out back to back), is the bzImage.
$(B)/bzimage-test.elf: $(BZT_OBJS) linker/bzimage.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(KLDFLAGS) -T linker/bzimage.ld -o $@ $(BZT_OBJS) -lgcc
$(B)/bzimage-test.bin: $(B)/bzimage-test.elf
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O binary $< $@
# QEMU -kernel loads Multiboot ELF32 only (EMULATORS.md).
$(B)/%.elf32: $(B)/%.elf
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O elf32-i386 $< $@

# Host unit tests: each tests/unit/NAME.mk adds NAME to UNIT_TESTS and lists
# NAME_SRCS. Built with sanitizers and run under cmocka.
UNIT_TESTS :=
include $(wildcard tests/unit/*.mk)
HCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all -DSEGVISOR_HOST_TEST
UNIT_BINS := $(patsubst %,$(B)/unit/%,$(UNIT_TESTS))
# Each test is one compiler run over several sources, so it depends on every
# header it could include (a header change rebuilds them all, in seconds).
UNIT_HEADERS := $(wildcard lib/*.h lib/*/*.h hv/*.h hv/*/*.h arch/x86/*.h tests/unit/*.h)
.SECONDEXPANSION:
$(B)/unit/%: $$(%_SRCS) tests/unit/%.mk $(UNIT_HEADERS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(CC) $(HCFLAGS) -o $@ $($*_SRCS) -lcmocka -lm
deps:
	@tools/deps.sh

# Third-party test kernels from Debian's packages, unpacked into build/thirdparty/ without
# installing them (tools/thirdparty.sh). `make test` never fetches: their scenarios SKIP
# while they are absent.
thirdparty:
	@tools/thirdparty.sh

# The Linux guest (README, "Linux as the guest"): Debian's kernel and an initramfs of
# busybox-static and tests/linux/workload.c, built by tools/linux.sh into build/linux/ from .debs
# it downloads with apt (never installed). `make run-linux` boots it under QEMU SVM.
LINUX_CMDLINE ?= console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 acpi=off nosmp printk.devkmsg=on tsc_early_khz=auto tsc=reliable
LINUX_HV_OPTIONS ?= guest_ram=256M
linux:
	@tools/linux.sh
run-linux: images
	@test -f $(B)/linux/bzImage || { echo "run-linux: $(B)/linux/bzImage is absent: make linux"; exit 1; }
	@$(PYTHON) tools/runner.py boot --engine qemu-kernel --cpu max --timeout 600 \
		--guest $(B)/linux/bzImage --module $(B)/linux/initrd \
		--guest-args "$(LINUX_CMDLINE)" --out $(B)/run-linux "$(LINUX_HV_OPTIONS)"

# libFuzzer targets (tests/fuzz/targets.mk) over the same arena as the unit tests, built with
# Debian's clang-14. `make fuzz` runs each for FUZZ_SECONDS from its seed corpus
# (tests/fuzz/corpus/NAME/) and ends with a total line; `make fuzz-smoke` is the short run CI
# makes. Exit status 1 on any crash or sanitizer report.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 120
FUZZ_SMOKE_SECONDS ?= 6
FUZZ_TARGETS :=
include tests/fuzz/targets.mk
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -fsanitize=fuzzer,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all -DSEGVISOR_HOST_TEST
FUZZ_BINS := $(patsubst %,$(B)/fuzz/%,$(FUZZ_TARGETS))
$(B)/fuzz/%: $$(%_SRCS) tests/fuzz/targets.mk $(UNIT_HEADERS) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $($*_SRCS) -lm

fuzz-build: $(FUZZ_BINS)

fuzz:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-smoke:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

unit: $(UNIT_BINS)
	@tools/unit.sh $(UNIT_BINS)

test: deps
	@$(MAKE) --no-print-directory images $(UNIT_BINS)
	@tools/test.sh $(UNIT_BINS)

# `make run` ends with the tradeoffs table, whatever the matrix's status, which it keeps.
run: deps
	@$(MAKE) --no-print-directory images
	@tools/run.sh; status=$$?; $(MAKE) --no-print-directory tradeoffs || status=1; exit $$status

# The tradeoffs table (tools/tradeoffs.py): the share, swap, gswap, balloon and compact scenarios
# under QEMU SVM, one at a time; the poster's cells beside the measured ones, on stdout and in
# results/tradeoffs.{json,csv,md}.
tradeoffs: deps
	@$(MAKE) --no-print-directory images
	@$(PYTHON) tools/tradeoffs.py

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

-include $(HV_OBJS:.o=.d) $(GUEST_OBJS:.o=.d) $(ATTACK_OBJS:.o=.d) $(BZT_OBJS:.o=.d) $(TP_OBJS:.o=.d)
