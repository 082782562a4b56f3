#!/usr/bin/env bash
# `make test`: the layout check (tools/check_layout.py), the host unit tests
# (tools/unit.sh BIN...), then every system scenario (tools/runner.py), with
# the wall time of each phase. The LAST line is exactly
#   N passed, M failed
# adding the layout check, cmocka test cases and scenarios. A phase that ends
# without its count line counts as failed in full. Exit status 1 when M > 0.
set -uo pipefail

cd "$(dirname -- "$0")/.." || exit 1

now_us() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "$t"
}

seconds_since() {
	local us=$(($(now_us) - $1))
	printf '%d.%01d s' $((us / 1000000)) $((us % 1000000 / 100000))
}

# count_line FILE PREFIX: "N M" from the last "PREFIXN passed, M failed" line.
count_line() {
	sed -nE "s/^$2([0-9]+) passed, ([0-9]+) failed\$/\\1 \\2/p" "$1" | tail -n 1
}

out=$(mktemp -d)
trap 'rm -rf -- "$out"' EXIT

echo "=== layout (tools/check_layout.py)"
if python3 tools/check_layout.py; then layout_pass=1 layout_fail=0; else layout_pass=0 layout_fail=1; fi

echo "=== unit tests"
start=$(now_us)
tools/unit.sh "$@" 2>&1 | tee "$out/unit"
unit_time=$(seconds_since "$start")
read -r unit_pass unit_fail < <(count_line "$out/unit" "unit: ")
if [[ -z "${unit_pass:-}" ]]; then
	echo "test: tools/unit.sh ended without its count line: counting $# failed"
	unit_pass=0 unit_fail=$#
fi

echo "=== system scenarios"
start=$(now_us)
python3 tools/runner.py 2>&1 | tee "$out/system"
system_time=$(seconds_since "$start")
read -r sys_pass sys_fail < <(count_line "$out/system" "scenarios: ")
if [[ -z "${sys_pass:-}" ]]; then
	listed=$(python3 tools/runner.py --list 2>/dev/null | wc -l)
	((listed > 0)) || listed=1
	echo "test: the runner ended without its count line: counting $listed failed"
	sys_pass=0 sys_fail=$listed
fi

echo "=== time: unit tests $unit_time, system scenarios $system_time"
echo "layout: $layout_pass passed, $layout_fail failed;" \
	"unit tests: $unit_pass passed, $unit_fail failed;" \
	"scenarios: $sys_pass passed, $sys_fail failed"
passed=$((layout_pass + unit_pass + sys_pass))
failed=$((layout_fail + unit_fail + sys_fail))
echo "$passed passed, $failed failed"
((failed == 0))
