#!/usr/bin/env bash
# Fetches third-party test kernels from Debian's packages without installing
# them: `apt-get download` the .deb, `dpkg-deb -x` it into
# build/thirdparty/PACKAGE/ (never committed: build/ is ignored).
#   tools/thirdparty.sh [PACKAGE...]     (default: every package below)
# What each gives (a scenario that needs one SKIPs by name while it is absent):
#   multiboot                  usr/lib/multiboot/examples/kernel, the Multiboot
#                              specification's example kernel (ELF32)
#   xen-hypervisor-4.17-amd64  boot/xen-4.17-amd64.gz, a gzip-compressed ELF
#                              with Multiboot v1 and v2 headers; unpacked here
#                              to build/thirdparty/xen-4.17-amd64
#   memtest86+                 boot/memtest86+x64.bin, memtest86+ 6.10: a Linux
#                              boot-protocol bzImage (protocol 2.12, 64-bit
#                              entry), booted by segvisor's Linux loader
# Needs apt-get (with Debian's package lists: `apt-get update` once) and
# dpkg-deb; any user may run it. Exit status 1 when a package is not fetched.
set -euo pipefail

cd "$(dirname -- "$0")/.."
readonly DEST=${SEGVISOR_BUILD:-build}/thirdparty
readonly KNOWN=(multiboot xen-hypervisor-4.17-amd64 memtest86+)

die() {
	echo "thirdparty: $*" >&2
	exit 1
}

command -v apt-get >/dev/null || die "apt-get not found: a Debian system is needed"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

packages=("$@")
((${#packages[@]})) || packages=("${KNOWN[@]}")
for pkg in "${packages[@]}"; do
	[[ " ${KNOWN[*]} " == *" $pkg "* ]] || die "unknown package '$pkg' (one of: ${KNOWN[*]})"
done

mkdir -p "$DEST/debs"
for pkg in "${packages[@]}"; do
	if [[ -d "$DEST/$pkg" ]]; then
		echo "thirdparty: $pkg already in $DEST/$pkg"
		continue
	fi
	echo "thirdparty: downloading $pkg"
	# apt-get download writes to the working directory.
	if ! (cd "$DEST/debs" && apt-get download "$pkg"); then
		die "apt-get download $pkg failed (run \`apt-get update\` as root first?)"
	fi
	deb=$(ls -t "$DEST/debs/${pkg}_"*.deb 2>/dev/null | head -n 1)
	[[ -n "$deb" ]] || die "apt-get download $pkg left no .deb in $DEST/debs"
	stage=$(mktemp -d "$DEST/.stage.XXXXXX")
	dpkg-deb -x "$deb" "$stage"
	mv -- "$stage" "$DEST/$pkg"
	echo "thirdparty: unpacked $(basename -- "$deb") into $DEST/$pkg"
done

xen_gz="$DEST/xen-hypervisor-4.17-amd64/boot/xen-4.17-amd64.gz"
if [[ -f "$xen_gz" && ! -f "$DEST/xen-4.17-amd64" ]]; then
	gzip -dc -- "$xen_gz" >"$DEST/xen-4.17-amd64.tmp"
	mv -- "$DEST/xen-4.17-amd64.tmp" "$DEST/xen-4.17-amd64"
	echo "thirdparty: decompressed Xen into $DEST/xen-4.17-amd64"
fi

for f in multiboot/usr/lib/multiboot/examples/kernel xen-4.17-amd64 memtest86+/boot/memtest86+x64.bin; do
	[[ -f "$DEST/$f" ]] && echo "thirdparty: $DEST/$f ($(stat -c %s "$DEST/$f") bytes)"
done
exit 0
