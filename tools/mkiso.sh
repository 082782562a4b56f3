#!/usr/bin/env bash
# Builds a GRUB (BIOS) rescue ISO that boots one Multiboot v1 kernel, with its
# modules:
#   tools/mkiso.sh KERNEL_ELF MODULE|none "KERNEL OPTIONS" "MODULE ARGS" OUT.iso \
#                  [EXTRA_MODULE "EXTRA ARGS"]...
# grub.cfg: timeout 0, `multiboot /boot/KERNEL OPTIONS`, `module /boot/MODULE
# ARGS` (left out when MODULE is `none`), one `module` line per extra pair in
# order (modules 2, 3, ...: under segvisor the guest's own), `boot`. Works for the hypervisor with
# its guest and for the guest alone (KERNEL = guest.elf, MODULE = none).
# GRUB 2 hands a kernel or module only the words after its path, while QEMU
# -kernel/-initrd hand over "PATH ARGS"; each line therefore repeats the path as
# its first word, so every engine gives the image the same shape of command line.
# Fails loudly (non-zero, with grub-mkrescue's output) when the ISO is not made.
set -euo pipefail

usage() {
	echo "usage: $0 KERNEL_ELF MODULE|none \"KERNEL OPTIONS\" \"MODULE ARGS\" OUT.iso" \
		"[EXTRA_MODULE \"EXTRA ARGS\"]..." >&2
	exit 2
}
(($# >= 5 && ($# - 5) % 2 == 0)) || usage
kernel=$1 module=$2 kernel_opts=$3 module_args=$4 out=$5
shift 5
extra=("$@")
[[ ${#extra[@]} -eq 0 || "$module" != none ]] || {
	echo "mkiso: extra modules need a module 1" >&2
	exit 2
}

die() {
	echo "mkiso: $*" >&2
	exit 1
}

[[ -f "$kernel" ]] || die "kernel image not found: $kernel"
[[ "$module" == none || -f "$module" ]] || die "module not found: $module"
command -v grub-mkrescue >/dev/null || die "grub-mkrescue not installed (run tools/deps.sh)"
# GRUB's config language would read these as syntax, not as option text.
for ((i = 0; i < ${#extra[@]}; i += 2)); do
	[[ -f "${extra[i]}" ]] || die "module not found: ${extra[i]}"
done
for text in "$kernel_opts" "$module_args" "${extra[@]}"; do
	[[ "$text" != *[\;\'\"\$\\\{\}]* && "$text" != *$'\n'* ]] ||
		die "option text may not hold ; ' \" \$ \\ { } or a newline: $text"
done

out_dir=$(dirname -- "$out")
mkdir -p -- "$out_dir"
stage=$(mktemp -d "$out_dir/iso-stage.XXXXXX")
trap 'rm -rf -- "$stage"' EXIT
mkdir -p "$stage/boot/grub"

kernel_name=$(basename -- "$kernel")
cp -- "$kernel" "$stage/boot/$kernel_name"
{
	echo "set timeout=0"
	echo "set default=0"
	echo "menuentry \"segvisor\" {"
	echo "	multiboot /boot/$kernel_name /boot/$kernel_name${kernel_opts:+ $kernel_opts}"
	if [[ "$module" != none ]]; then
		module_name=$(basename -- "$module")
		[[ "$module_name" != "$kernel_name" ]] || module_name="module-$module_name"
		cp -- "$module" "$stage/boot/$module_name"
		echo "	module /boot/$module_name /boot/$module_name${module_args:+ $module_args}"
	fi
	for ((i = 0; i < ${#extra[@]}; i += 2)); do
		# A name of its own for each, so that two files of one name both arrive.
		name="module$((i / 2 + 2))-$(basename -- "${extra[i]}")"
		args=${extra[i + 1]}
		cp -- "${extra[i]}" "$stage/boot/$name"
		echo "	module /boot/$name /boot/$name${args:+ $args}"
	done
	echo "	boot"
	echo "}"
} >"$stage/boot/grub/grub.cfg"

rm -f -- "$out"
if ! log=$(grub-mkrescue -o "$out" "$stage" 2>&1); then
	echo "$log" >&2
	die "grub-mkrescue failed for $out"
fi
# grub-mkrescue has been seen to exit 0 without an image (e.g. xorriso missing).
if [[ ! -s "$out" ]]; then
	echo "$log" >&2
	die "grub-mkrescue made no image at $out"
fi
