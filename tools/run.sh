#!/usr/bin/env bash
# `make run`: the page-size matrix (tools/matrix.py: native, base, vmm-direct,
# guest-direct and dual-direct over 4K, 2M and 1G guest pages and nested
# leaves, base and native with the walk caches on; the big-memory part on the
# fast engine, the 4 KiB rows under Bochs VT-x), then tools/render.py: one
# table per workload on stdout, results/ (JSON, CSV, plots). Each boot is kept
# in build/run/NN-PART/, the plan and verdicts in build/run/matrix.json.
# Environment: SEGVISOR_MATRIX (full, the default; small, a quick one; off,
# one boot as below), SEGVISOR_PARTS, SEGVISOR_BIG_RAM, SEGVISOR_BIG_SIZE,
# SEGVISOR_BIG_STEPS, SEGVISOR_PCHASE_ROWS, SEGVISOR_JOBS (tools/matrix.py
# says what they do); SEGVISOR_ENGINE, SEGVISOR_CPU and SEGVISOR_MEM pick the
# big parts' engine, CPU and emulator MiB; SEGVISOR_OPTIONS and
# SEGVISOR_GUEST_ARGS are added to every boot; SEGVISOR_RUN_TIMEOUT is per
# boot (default 900 s).
# One boot instead (SEGVISOR_MATRIX=off, or SEGVISOR_OPTIONS or
# SEGVISOR_GUEST_ARGS given without SEGVISOR_MATRIX): on the best engine
# present (KVM when /dev/kvm offers VT-x, else Bochs) or SEGVISOR_ENGINE,
# streaming its serial output; SEGVISOR_MEM is the emulator's RAM in MiB
# (default 512; Bochs allows at most 2048), SEGVISOR_RUN_TIMEOUT defaults to
# 1800 s, and the guest runs every workload in every mode unless
# SEGVISOR_GUEST_ARGS says otherwise.
set -uo pipefail

cd "$(dirname -- "$0")/.." || exit 1

readonly OUT=build/run
readonly RESULTS=results

matrix=${SEGVISOR_MATRIX:-}
if [[ -z "$matrix" && -z "${SEGVISOR_OPTIONS:-}${SEGVISOR_GUEST_ARGS:-}" ]]; then
	matrix=full
fi
case "$matrix" in
full | small)
	rm -f -- "$OUT/matrix.json"
	start=$SECONDS
	python3 tools/matrix.py run --matrix "$matrix"
	matrix_status=$?
	if ((matrix_status == 2)) || [[ ! -s "$OUT/matrix.json" ]]; then
		echo "run: the matrix did not start (status $matrix_status)" >&2
		exit 1
	fi
	# Render what was measured even when boots failed: the tables mark their
	# rows missing, with the reason.
	python3 tools/render.py --matrix "$OUT/matrix.json" --out "$RESULTS"
	render_status=$?
	echo "run: $((SECONDS - start)) s in all"
	if ((matrix_status != 0 || render_status != 0)); then
		echo "run: failed (matrix status $matrix_status, render status $render_status);" \
			"each boot's serial, command and logs are in $OUT/NN-PART/" >&2
		exit 1
	fi
	echo "run: results in $RESULTS/"
	exit 0
	;;
"" | off) ;;
*)
	echo "run: SEGVISOR_MATRIX='$matrix' is not full, small or off" >&2
	exit 2
	;;
esac

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
