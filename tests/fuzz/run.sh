#!/usr/bin/env bash
# `make fuzz` and `make fuzz-smoke`: tests/fuzz/run.sh SECONDS BIN...
# Runs each libFuzzer target for SECONDS from its committed seeds (tests/fuzz/corpus/NAME/) and
# its working corpus (build/fuzz/corpus/NAME/, kept between runs), one after the other, and
# prints per target a line
#   fuzz: NAME: N executions in S s, C crashes: ok|FAIL
# then the total line
#   fuzz: N executions in all, C crashes
# A crash is anything libFuzzer stops on: an abort() from a broken invariant, a sanitizer
# report, a leak, an input slower than the time limit. Its input is kept in
# build/fuzz/artifacts/NAME/ and the log in build/fuzz/NAME.log, whose end is shown; replay one
# with `build/fuzz/NAME FILE`. Exit status 1 on any crash.
set -uo pipefail

cd "$(dirname -- "$0")/../.." || exit 1

if (($# < 2)); then
	echo "usage: $0 SECONDS BIN..." >&2
	exit 2
fi
seconds=$1
shift
# An input that takes longer than this is a hang: the hypervisor must answer every exit soon.
readonly TIMEOUT_S=25

total=0 crashes=0
for bin in "$@"; do
	name=$(basename -- "$bin")
	work=build/fuzz/corpus/$name
	artifacts=build/fuzz/artifacts/$name
	log=build/fuzz/$name.log
	mkdir -p "$work" "$artifacts"
	"$bin" -max_total_time="$seconds" -timeout="$TIMEOUT_S" -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	status=$?
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)$/\1/p' "$log" | tail -n 1)
	time_s=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -n 1)
	execs=${execs:-0}
	found=0
	if ((status != 0)) || grep -qE '^(==[0-9]+== ?ERROR|SUMMARY: |.*runtime error:)' "$log"; then
		found=1
	fi
	total=$((total + execs))
	crashes=$((crashes + found))
	if ((found)); then
		echo "fuzz: $name: $execs executions in ${time_s:-?} s, 1 crash: FAIL (exit $status)"
		grep -E 'invariant broken|ERROR|SUMMARY|runtime error|artifact' "$log" | head -n 20 |
			sed 's/^/    /'
		echo "    log: $log"
	else
		echo "fuzz: $name: $execs executions in ${time_s:-?} s, 0 crashes: ok"
	fi
done
echo "fuzz: $total executions in all, $crashes crashes"
((crashes == 0))
