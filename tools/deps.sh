#!/usr/bin/env bash
# Checks that the Debian packages segvisor needs are installed. Quiet when they
# are. When some are missing: as root, installs them (apt-get update once, then a
# non-interactive install); otherwise prints the exact command and exits 1.
# `tools/deps.sh fuzz` checks the packages of `make fuzz` (tests/fuzz/) as well.
set -euo pipefail

readonly PACKAGES=(
	gcc make binutils python3
	bochs bochsbios vgabios
	qemu-system-x86
	grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools
	ovmf
	libcmocka-dev
	gnuplot-nox
)
# libFuzzer with Debian's clang (EMULATORS.md, "Packages").
readonly FUZZ_PACKAGES=(clang-14 libfuzzer-14-dev)

wanted=("${PACKAGES[@]}")
if [[ "${1:-}" == fuzz ]]; then
	wanted+=("${FUZZ_PACKAGES[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
	# An absent package makes dpkg-query fail; a removed one reports another status.
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [[ "$status" != "install ok installed" ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: install them as root with:" >&2
	echo "  $install_cmd" >&2
	exit 1
fi

echo "deps: installing missing Debian packages: ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
