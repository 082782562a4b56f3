#!/usr/bin/env python3
"""segvisor's system-test runner.

  tools/runner.py [--filter SUBSTR] [-j N] [--list] [--fail-fast] [--scenarios FILE]
      Boots every scenario of tests/system/scenarios (2 at a time by default),
      keeps each run's serial output, command, emulator output and Bochs log in
      build/system/NAME/, prints one verdict line per scenario and, last,
      `scenarios: N passed, M failed`. Exit status 1 when any scenario failed.
  tools/runner.py --engine-check
      Prints which engines this machine can use.
  tools/runner.py boot [--engine E] [--cpu MODEL] [--timeout S] [--mem MIB]
                       [--image hv|guest] [--guest FILE|guest|attack|none|corrupt:KIND]
                       [--module "FILE [ARGS]"]... [--guest-args TEXT] [--out DIR]
                       [OPTIONS [GUEST_ARGS]]
      Boots once and streams the serial output to stdout (used by `make run`).
      --engine best (the default) picks KVM with VT-x when present, else Bochs.
      --mem: the emulator's RAM in MiB (QEMU -m, Bochs megs:; default 512);
      Bochs allows at most 2048, and more is refused before Bochs starts.
      --guest: Multiboot module 1, the kernel the hypervisor runs as its guest:
      the test guest (default), the attack kernel, none, or any Multiboot v1
      kernel FILE. --module: one of the guest's own modules (repeat for more,
      at most 7), with its string "FILE ARGS". --guest-args: the guest's
      command line. A kernel FILE is not expected to print a SUMMARY of its
      own: the verdict is how the hypervisor says it ended, "guest ended: WHY".
A scenario whose needs=PATH is absent is a SKIP, counted apart from the
passed and failed ones.
When the emulator itself fails (a Bochs panic, a QEMU error), the verdict
says what it said, and the details list its error lines.

Verdicts and the console contract: tools/harness/judge.py and DESIGN.md.
"""

import argparse
import concurrent.futures
import os
import shlex
import sys
import threading
from pathlib import Path

from harness import engines, judge, paths, proc, scenarios

DEFAULT_JOBS = 2  # the machines this runs on have 2 cores; Bochs takes one each
SERIAL_TAIL = 15
EMULATOR_TAIL = 5
BOCHS_FIRST_STOP = "(0) [0x0000fffffff0]"  # the reset vector
BOOT_TIMEOUT = 1800  # seconds; a full run of every workload in every mode under Bochs
BOOT_OUT = paths.BUILD / "run"
INDENT = "    "


def _read(path) -> str:
    try:
        return (paths.ROOT / path).read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _emulator_texts(launch):
    """(emulator stdout+stderr, Bochs log) of a run, "" where absent."""
    log = _read(launch.bochs_log) if launch.bochs_log is not None else ""
    return _read(launch.stdout), log


SKIP = "SKIP"
GUEST_EXIT_CHECK = "guest-exit"
GUEST_REJECTED_CHECK = "guest-module"
GUEST_KEYWORDS = ("guest", "attack", "none")


def run_scenario(scenario, out: Path, stream_to=None):
    """Boots one scenario; returns (verdict, console, outcome or None, launch or None)."""
    if scenario.needs and not (paths.ROOT / scenario.needs).exists():
        return judge.Verdict(SKIP, f"{scenario.needs} is absent (an optional input; "
                             "`make thirdparty` fetches the third-party kernels)"), \
            judge.Console(), None, None
    usable, why = engines.engine_status(scenario.engine)
    if scenario.cpu == engines.KVM_CPU and usable:
        usable, why = engines.kvm_status()
    if not usable:
        return judge.Verdict(judge.FAIL, f"engine unavailable: {why}"), judge.Console(), \
            None, None
    try:
        launch = engines.prepare(scenario, out)
    except engines.PrepareError as e:
        return judge.Verdict(judge.FAIL, f"setup: {e}"), judge.Console(), None, None
    except OSError as e:
        return judge.Verdict(judge.FAIL, f"setup: {e}"), judge.Console(), None, None
    outcome = proc.run(launch.cmd, paths.ROOT, paths.ROOT / launch.stdout, scenario.timeout,
                       stream_path=paths.ROOT / launch.serial, stream_to=stream_to)
    try:
        raw = (paths.ROOT / launch.serial).read_bytes()
    except FileNotFoundError:
        raw = b""
    con = judge.parse(raw)
    said = judge.emulator_headline(launch.is_qemu, *_emulator_texts(launch))
    verdict = judge.judge(scenario.expect, con, outcome.timed_out, outcome.status,
                          launch.is_qemu, said)
    return verdict, con, outcome, launch


def _details(verdict, con, launch, out, serial=True) -> list:
    """The indented lines under a non-PASS verdict; serial=False leaves out the
    serial tail (a boot streamed it already)."""
    lines = [f"why: {verdict.reason}"]
    if serial and con.lines:
        lines.append(f"serial (last {min(SERIAL_TAIL, len(con.lines))} lines):")
        lines += [INDENT + line for line in con.lines[-SERIAL_TAIL:]]
    elif verdict.last_lines:
        # Streamed already, but a crash report belongs with its verdict.
        lines.append(f"serial (last {len(verdict.last_lines)} lines):")
        lines += [INDENT + line for line in verdict.last_lines]
    elif not con.lines and launch is not None:
        lines.append("serial: empty (nothing was written to COM1)")
    if launch is not None:
        output, log = _emulator_texts(launch)
        errors = judge.emulator_errors(launch.is_qemu, output, log)
        if errors:
            lines.append("QEMU's messages (its stdout and stderr):" if launch.is_qemu else
                         "Bochs errors (exit message, stderr, log):")
            lines += [INDENT + line for line in errors]
        if launch.bochs_log is not None:
            # Bochs prints a banner and its debugger's first stop before the
            # run; after it come the port 0xE9 bytes and the debugger's last stop.
            text = [line for line in output.splitlines() if line.strip()]
            start = next((i + 1 for i, line in enumerate(text)
                          if line.startswith(BOCHS_FIRST_STOP)), None)
            text = [line for line in text[start:] if line not in errors] \
                if start is not None else []
            if text:
                lines.append(f"emulator output (last {min(EMULATOR_TAIL, len(text))} lines):")
                lines += [INDENT + line for line in text[-EMULATOR_TAIL:]]
    lines.append(f"files: {out}/")
    return [INDENT + line for line in lines]


def verdict_block(scenario, verdict, con, outcome, launch, out, serial=True) -> str:
    seconds = f"{outcome.seconds:.1f} s" if outcome else "not run"
    head = f"{verdict.kind:<4}  {scenario.name}  ({scenario.engine}, {seconds}, {con.describe()})"
    if verdict.passed:
        return head
    if verdict.kind == SKIP:
        return f"{head}\n{INDENT}why: {verdict.reason}"
    return "\n".join([head] + _details(verdict, con, launch, out, serial))


def cmd_run(args) -> int:
    try:
        chosen = scenarios.load(paths.ROOT / args.scenarios)
    except (OSError, scenarios.ScenarioError) as e:
        print(f"runner: {e}", file=sys.stderr)
        print("scenarios: 0 passed, 1 failed")
        return 1
    if args.filter:
        chosen = [s for s in chosen if args.filter in s.name]
    if args.list:
        for s in chosen:
            print(f"{s.name:<28} {s.engine:<12} {s.cpu:<26} {s.image:<5} {s.module:<18} "
                  f"{s.timeout:>4}s {s.mem:>6}M  {s.expect}")
        return 0
    if not chosen:
        print(f"runner: no scenario matches '{args.filter}'", file=sys.stderr)
        print("scenarios: 0 passed, 0 failed")
        return 1

    print_lock = threading.Lock()
    results = {}
    failed_once = threading.Event()

    def one(s):
        if proc.stopping.is_set() or (args.fail_fast and failed_once.is_set()):
            return None
        out = paths.SYSTEM_OUT / s.name
        verdict, con, outcome, launch = run_scenario(s, out)
        if proc.stopping.is_set():
            return None  # killed by the runner's own interruption: no verdict
        if not verdict.passed:
            failed_once.set()
        with print_lock:
            print(verdict_block(s, verdict, con, outcome, launch, out), flush=True)
        return verdict

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(one, s): s for s in chosen}
        for future in concurrent.futures.as_completed(futures):
            try:
                results[futures[future].name] = future.result()
            except proc.Stopped:
                results[futures[future].name] = None
    passed = sum(1 for v in results.values() if v is not None and v.passed)
    skipped = sum(1 for v in results.values() if v is not None and v.kind == SKIP)
    # A scenario not run (fail-fast, or stopped) counts as failed: it was not shown to pass.
    failed = len(chosen) - passed - skipped
    if skipped:
        print(f"scenarios skipped: {skipped} (an input they need is absent; not counted below)")
    print(f"scenarios: {passed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_engine_check(_args) -> int:
    any_usable = False
    for engine in scenarios.ENGINES:
        usable, why = engines.engine_status(engine)
        any_usable |= usable
        print(f"{engine:<12} {'usable' if usable else 'UNUSABLE':<9} {why}")
    usable, why = engines.kvm_status()
    print(f"{'kvm':<12} {'usable' if usable else 'unusable':<9} {why}")
    engine, cpu = engines.best_engine()
    print(f"best engine for a VT-x boot (make run): {engine} with cpu {cpu}")
    return 0 if any_usable else 1


def guest_ending(con) -> str:
    """How the hypervisor says its guest ended: its guest-exit check, or why the
    guest never ran; "" when it said neither."""
    for check in con.checks:
        if check.guest:
            continue
        name, _, why = check.text.partition(": ")
        if name == GUEST_EXIT_CHECK:
            return why or "exited with status 0"
        if name == GUEST_REJECTED_CHECK and check.status == "FAIL":
            return f"never started: {why}"
    return ""


def _from_cwd(path: str) -> str:
    """A path the user typed, as the emulators (started in the root) must see it."""
    full = Path(path).absolute()
    try:
        return str(full.relative_to(paths.ROOT))
    except ValueError:
        return str(full)


def _boot_module(args):
    """(module field of module 1, extra modules) from --guest and --module."""
    extra, first = [], args.guest
    for text in args.module or []:
        path, _, margs = text.strip().partition(" ")
        if first is None and (path in GUEST_KEYWORDS or path.startswith("corrupt:")) \
                and not margs and not extra:
            first = path  # the older spelling: --module names module 1
            continue
        extra.append((_from_cwd(path), margs.strip()))
    if first is None:
        first = "guest" if args.image == "hv" else "none"
    elif not (first in GUEST_KEYWORDS or first.startswith("corrupt:")):
        first = f"file:{_from_cwd(first)}"
    return first, tuple(extra)


def cmd_boot(args) -> int:
    if args.engine == "best":
        engine, cpu = engines.best_engine()
        _, kvm_why = engines.kvm_status()
        print(f"runner boot: engine best = {engine} with cpu {cpu} (kvm: {kvm_why})",
              file=sys.stderr, flush=True)
    else:
        engine, cpu = args.engine, None
    cpu = args.cpu or cpu or ("max" if engine.startswith("qemu") else "corei7_skylake_x")
    module, extra = _boot_module(args)
    options, guest_args = args.options, args.guest_args or args.guest_args_opt or ""
    if args.image == "guest":
        # The guest alone takes its own arguments where the hypervisor takes options.
        options, guest_args = "-", options
    why = scenarios.mem_unmet(engine, args.mem, f"--mem {args.mem}")
    if why:
        print(f"runner boot: {why}", file=sys.stderr)
        return 2
    foreign = module.startswith("file:")
    # Any kernel: the hypervisor's report of how it ended is the verdict.
    expect = f"report:{GUEST_EXIT_CHECK}" if foreign else "pass"
    words = [f"mem={args.mem}"]
    if extra:
        words.append("mods=" + ",".join(f"{p} {a}".strip() for p, a in extra))
    line = shlex.join(["boot", args.image, module, engine, cpu, str(args.timeout),
                       expect, options or "-", guest_args or "-"] + words)
    try:
        scenario = scenarios.parse_line(line)
    except scenarios.ScenarioError as e:
        print(f"runner boot: {e}", file=sys.stderr)
        return 2
    print(f"runner boot: {engine}, cpu {cpu}, {args.mem} MiB, output in {args.out}/",
          file=sys.stderr, flush=True)
    verdict, con, outcome, launch = run_scenario(scenario, Path(args.out),
                                                 stream_to=sys.stdout)
    # The serial output was streamed already: show the verdict, why and what
    # the emulator said.
    print(verdict_block(scenario, verdict, con, outcome, launch, Path(args.out), serial=False),
          file=sys.stderr)
    ending = guest_ending(con)
    if foreign or ending.startswith("never started"):
        print(f"guest ended: {ending}" if ending else
              "guest ended: the hypervisor did not say (no guest-exit line)", file=sys.stderr)
    if foreign:
        return 0 if verdict.passed and ending and not ending.startswith("never") else 1
    return 0 if verdict.passed else 1


def parse_args(argv):
    p = argparse.ArgumentParser(prog="runner.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", default=str(paths.SCENARIOS),
                   help="scenario list, relative to the repository root")
    p.add_argument("--filter", default="", help="only scenarios whose name contains this")
    p.add_argument("--list", action="store_true", help="list the scenarios, run nothing")
    p.add_argument("-j", "--jobs", type=int, default=DEFAULT_JOBS,
                   help=f"scenarios run at a time (default {DEFAULT_JOBS})")
    p.add_argument("--fail-fast", action="store_true", help="start no scenario after a failure")
    p.add_argument("--engine-check", action="store_true", help="print the usable engines")
    sub = p.add_subparsers(dest="command")
    b = sub.add_parser("boot", help="boot once, streaming the serial output")
    b.add_argument("--engine", default="best", choices=("best",) + scenarios.ENGINES)
    b.add_argument("--cpu", default=None, help="CPU model (QEMU -cpu, Bochs cpu: model=)")
    b.add_argument("--timeout", type=int, default=BOOT_TIMEOUT, help="seconds")
    b.add_argument("--mem", "--megs", dest="mem", type=int, default=engines.DEFAULT_MEM,
                   metavar="MIB",
                   help=f"emulator RAM in MiB (QEMU -m, Bochs megs:, at most "
                        f"{scenarios.BOCHS_MAX_MEM}); default {engines.DEFAULT_MEM}")
    b.add_argument("--image", default="hv", choices=scenarios.IMAGES)
    b.add_argument("--guest", default=None, metavar="FILE",
                   help="module 1, the guest: guest (the test guest), attack, none, "
                        "corrupt:KIND or any Multiboot v1 kernel FILE")
    b.add_argument("--module", action="append", default=None, metavar="'FILE [ARGS]'",
                   help="one of the guest's own modules, with its string (repeatable)")
    b.add_argument("--guest-args", dest="guest_args_opt", default=None, metavar="TEXT",
                   help="the guest's command line (as the GUEST_ARGS word)")
    b.add_argument("--out", default=str(BOOT_OUT), help="output directory")
    b.add_argument("options", nargs="?", default="", help="hypervisor options")
    b.add_argument("guest_args", nargs="?", default="", help="guest arguments")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("-j must be at least 1")
    return args


def main(argv) -> int:
    args = parse_args(argv)
    proc.install_cleanup()
    if args.command == "boot":
        return cmd_boot(args)
    if args.engine_check:
        return cmd_engine_check(args)
    return cmd_run(args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly; atexit kills emulators.
        sys.stdout = open(os.devnull, "w")
        sys.exit(1)
