#!/usr/bin/env bash
# Runs host unit-test binaries (cmocka), showing their output, and ends with
#   unit: N passed, M failed
# where N and M count test cases from cmocka's "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" lines. A binary that crashes, hangs (killed after
# UNIT_TIMEOUT seconds) or exits non-zero with no failure counted adds one
# failure of its own. Exit status 1 when M > 0.
set -uo pipefail

readonly UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
# timeout(1) exits with this status when it had to kill the command.
readonly TIMEOUT_STATUS=124

total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f -- "$log"' EXIT

for bin in "$@"; do
	echo "== $bin"
	if [[ ! -x "$bin" ]]; then
		echo "unit: $bin: not an executable (was it built?)"
		total_fail=$((total_fail + 1))
		continue
	fi
	# cmocka prints test lines to stdout and its summary to stderr: keep both.
	timeout "$UNIT_TIMEOUT" "$bin" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}

	pass=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test\(s\)\..*/\1/p' "$log" |
		awk '{s+=$1} END {print s+0}')
	fail=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test\(s\), listed below:.*/\1/p' "$log" |
		awk '{s+=$1} END {print s+0}')
	summaries=$(grep -cE '^\[  (PASSED|FAILED)  \] [0-9]+ test\(s\)' "$log")

	why=""
	if ((status == TIMEOUT_STATUS)); then
		why="killed after ${UNIT_TIMEOUT} s"
	elif ((status > 128)); then
		why="killed by signal $((status - 128))"
	elif ((summaries == 0)); then
		why="ended (status $status) without a cmocka summary"
	fi
	if [[ -n "$why" ]]; then
		# Cut short: count the cases that finished either way, plus the crash.
		pass=$(grep -cE '^\[       OK \]' "$log")
		fail=$(grep -E '^\[  FAILED  \] ' "$log" | grep -vE '\] [0-9]+ test\(s\)' |
			sort -u | wc -l)
		fail=$((fail + 1))
		echo "unit: $bin: CRASH: $why"
	elif ((status != 0 && fail == 0)); then
		fail=1
		echo "unit: $bin: exited with status $status after reporting no failure" \
			"(a sanitizer at exit?)"
	fi
	echo "unit: $bin: $pass passed, $fail failed"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done

echo "unit: $total_pass passed, $total_fail failed"
((total_fail == 0))
