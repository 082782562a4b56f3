#!/usr/bin/env bash
# `make run`: boots the hypervisor with the test guest once, on the best engine
# present (KVM when /dev/kvm offers VT-x, else Bochs), streaming its serial
# output, then renders its RESULT lines (tools/render.py) into a table on
# stdout and results/ (JSON, CSV, plot). The run is kept in build/run/.
# Environment: SEGVISOR_OPTIONS (hypervisor options), SEGVISOR_GUEST_ARGS,
# SEGVISOR_ENGINE (best, qemu-kernel, qemu-iso, bochs-iso), SEGVISOR_CPU,
# SEGVISOR_MEM (the emulator's RAM in MiB, default 512; Bochs allows at most
# 2048, QEMU more: e.g. SEGVISOR_ENGINE=qemu-kernel SEGVISOR_MEM=8192),
# SEGVISOR_RUN_TIMEOUT (seconds, default 1800). The guest runs every workload
# in every mode unless SEGVISOR_GUEST_ARGS says otherwise.
set -uo pipefail

cd "$(dirname -- "$0")/.." || exit 1

readonly OUT=build/run
readonly RESULTS=results

cpu_args=()
[[ -n "${SEGVISOR_CPU:-}" ]] && cpu_args=(--cpu "$SEGVISOR_CPU")
mem_args=()
if [[ -n "${SEGVISOR_MEM:-}" ]]; then
	if [[ ! "$SEGVISOR_MEM" =~ ^[0-9]+$ ]]; then
		echo "run: SEGVISOR_MEM='$SEGVISOR_MEM' is not a number of MiB" >&2
		exit 2
	fi
	mem_args=(--mem "$SEGVISOR_MEM")
fi

# A boot refused before it starts must not leave an older run's output to render.
rm -f -- "$OUT/serial.txt"
python3 tools/runner.py boot --engine "${SEGVISOR_ENGINE:-best}" "${cpu_args[@]}" "${mem_args[@]}" \
	--timeout "${SEGVISOR_RUN_TIMEOUT:-1800}" --out "$OUT" -- \
	"${SEGVISOR_OPTIONS:-}" "${SEGVISOR_GUEST_ARGS:-checks=off workloads=all modes=all}"
boot_status=$?

# Render what the run measured even when it failed: partial results still say
# how far it got, and render.py names a run that measured nothing.
render_status=1
if [[ -s "$OUT/serial.txt" ]]; then
	python3 tools/render.py --out "$RESULTS" "$OUT/serial.txt"
	render_status=$?
else
	echo "run: no serial output in $OUT/serial.txt: nothing to render" >&2
fi

if ((boot_status != 0 || render_status != 0)); then
	echo "run: failed (boot status $boot_status, render status $render_status);" \
		"serial, command and logs are in $OUT/" >&2
	exit 1
fi
echo "run: results in $RESULTS/"
