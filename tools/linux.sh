#!/usr/bin/env bash
# Builds the Linux guest image from Debian's packages (`make linux`), never installing them:
#   build/linux/bzImage  the kernel of the package linux-image-amd64 depends on
#                        (linux-image-6.1.0-N-amd64: its /boot/vmlinuz-*, a bzImage)
#   build/linux/initrd   an uncompressed newc initramfs (tools/mkcpio.py): busybox from
#                        busybox-static, /init (below) and /workload, tests/linux/workload.c
#                        built with gcc -static
#   (the kernel command line is the Makefile's LINUX_CMDLINE)
# The .debs are fetched with `apt-get download` into build/linux/debs and unpacked there with
# `dpkg-deb -x`; nothing else is downloaded. Needs apt-get with Debian's package lists
# (`apt-get update` once), dpkg-deb, gcc and python3. Exit status 1 on any failure, by name.
set -euo pipefail

cd "$(dirname -- "$0")/.."
readonly OUT=${SEGVISOR_BUILD:-build}/linux
readonly DEBS=$OUT/debs
# The workload's size and count: modest, so that it runs in seconds under QEMU TCG.
readonly WORKLOAD_MIB=${WORKLOAD_MIB:-8}
readonly WORKLOAD_COUNT=${WORKLOAD_COUNT:-1000000}

die() {
	echo "linux: $*" >&2
	exit 1
}

for tool in apt-get apt-cache dpkg-deb gcc python3; do
	command -v "$tool" >/dev/null || die "$tool not found"
done

# linux-image-amd64 is a metapackage: the kernel is the versioned package it depends on.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n "$kpkg" ]] || die "apt-cache depends linux-image-amd64 names no linux-image-N package (run \`apt-get update\` as root first?)"

mkdir -p "$DEBS"
fetch() { # PACKAGE -> unpacked into $DEBS/PACKAGE
	local pkg=$1 deb stage
	if [[ -d "$DEBS/$pkg" ]]; then
		echo "linux: $pkg already unpacked in $DEBS/$pkg"
		return
	fi
	echo "linux: downloading $pkg"
	(cd "$DEBS" && apt-get download "$pkg") || die "apt-get download $pkg failed"
	deb=$(ls -t "$DEBS/${pkg}_"*.deb 2>/dev/null | head -n 1)
	[[ -n "$deb" ]] || die "apt-get download $pkg left no .deb in $DEBS"
	stage=$(mktemp -d "$DEBS/.stage.XXXXXX")
	dpkg-deb -x "$deb" "$stage"
	mv -- "$stage" "$DEBS/$pkg"
	echo "linux: unpacked $(basename -- "$deb") into $DEBS/$pkg"
}
fetch "$kpkg"
fetch busybox-static

vmlinuz=$(ls "$DEBS/$kpkg"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[[ -n "$vmlinuz" ]] || die "$kpkg has no /boot/vmlinuz-*"
cp -- "$vmlinuz" "$OUT/bzImage"
busybox=$DEBS/busybox-static/bin/busybox
[[ -x "$busybox" ]] || die "busybox-static has no /bin/busybox"

root=$OUT/initramfs
rm -rf -- "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp}
cp -- "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
gcc -static -O2 -Wall -Wextra -Werror -o "$root/workload" tests/linux/workload.c

# /init: the kernel runs it as PID 1. Unknown words of the kernel command line reach it as
# environment variables (workload_mib=, workload_count=). poweroff -f with no ACPI halts the
# CPU (the kernel turns a power-off it cannot do into a halt), which ends the guest.
cat >"$root/init" <<EOF
#!/bin/sh
# The kernel's console is COM1, written by polling; a tty on it needs IRQ 4, which this platform
# does not deliver, so init and the workload write to the kernel log (/dev/kmsg) instead.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/kmsg 2>&1
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "SEGVISOR-LINUX: init reached, kernel \$(uname -r), \$(grep -c ^processor /proc/cpuinfo) CPU"
echo "SEGVISOR-LINUX: uptime \$(cut -d' ' -f1 /proc/uptime) s, MemTotal \$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2) kB"
/workload all \${workload_mib:-$WORKLOAD_MIB} \${workload_count:-$WORKLOAD_COUNT}
echo "SEGVISOR-LINUX: workload exit status \$?"
echo "SEGVISOR-LINUX: powering off"
poweroff -f
EOF
chmod 755 "$root/init"
python3 tools/mkcpio.py "$root" "$OUT/initrd.tmp"
mv -- "$OUT/initrd.tmp" "$OUT/initrd"

echo "linux: $OUT/bzImage ($(stat -c %s "$OUT/bzImage") bytes, from $kpkg)"
echo "linux: $OUT/initrd ($(stat -c %s "$OUT/initrd") bytes, newc cpio, uncompressed)"
