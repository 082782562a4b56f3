"""Reading a serial log (the console contract of DESIGN.md, "Console and
results") and judging a run against its scenario's expectation.

Verdicts, in order of precedence:
  TIMEOUT  the emulator was killed at the time limit
  CRASH    no unprefixed SUMMARY line (the run never finished)
  FAIL     the expectation is unmet (the reason says which part), or QEMU's exit
           status disagrees with the console
  PASS     otherwise
A `crash:TEXT` expectation turns CRASH around: the run must end by itself
without a SUMMARY (QEMU through isa-debug-exit with the failure value, Bochs
with no error of its own), TEXT in its output; a SUMMARY is then a FAIL.
Every verdict but PASS carries the last LAST_LINES serial lines (last_lines),
so that whoever reads it sees what the hypervisor said last.
Lines prefixed `[guest] ` are the guest's, forwarded by the hypervisor: their
checks count, but only the unprefixed SUMMARY ends a run, and only the
hypervisor's own (unprefixed) RESULT lines can meet a `results:` expectation:
a guest could print any figures it liked.
An expectation's `;absent:TEXT` parts (scenarios.Expectation.absent) must
each be in no output line, hypervisor's or guest's: a FAIL names the first
line that has one.
When the emulator itself failed (a Bochs panic, a QEMU error), a CRASH or
TIMEOUT reason ends with what the emulator said (emulator_errors()).
"""

from . import paths
import re
from dataclasses import dataclass, field

GUEST_PREFIX = "[guest] "
# GRUB paints the screen with escape sequences before the kernel runs.
ANSI_RE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>c78])")
CHECK_RE = re.compile(r"^(PASS|FAIL|SKIP): (.*)$")
SUMMARY_RE = re.compile(r"^SUMMARY: (\d+) tests?, (\d+) failures?, (\d+) skipped$")
RESULT_PREFIX = "RESULT "

# isa-debug-exit makes QEMU exit with (value << 1) | 1 (EMULATORS.md).
QEMU_EXIT_SUCCESS = (0x10 << 1) | 1
QEMU_EXIT_FAILURE = (0x11 << 1) | 1

PASS, FAIL, CRASH, TIMEOUT = "PASS", "FAIL", "CRASH", "TIMEOUT"
LAST_LINES = 6


@dataclass(frozen=True)
class Check:
    status: str  # PASS, FAIL or SKIP
    text: str  # "name" or "name: why"
    guest: bool

    def __str__(self):
        return f"{GUEST_PREFIX if self.guest else ''}{self.status}: {self.text}"


@dataclass(frozen=True)
class Summary:
    tests: int
    failures: int
    skipped: int


@dataclass
class Console:
    lines: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    summary: Summary = None  # the last unprefixed SUMMARY
    guest_summary: Summary = None
    results: list = field(default_factory=list)  # the hypervisor's RESULT lines
    guest_results: list = field(default_factory=list)  # forwarded ones, never judged

    def count(self, status):
        return sum(1 for c in self.checks if c.status == status)

    def describe(self):
        n = len(self.checks)
        return (f"{n} check{'' if n == 1 else 's'}: {self.count('PASS')} pass, "
                f"{self.count('FAIL')} fail, {self.count('SKIP')} skip")


def clean_lines(raw: bytes) -> list:
    """Serial bytes as text lines, without escape sequences, CRs or NULs."""
    text = raw.decode("utf-8", errors="replace").replace("\0", "")
    text = ANSI_RE.sub("", text)
    return [line.rstrip("\r").rstrip() for line in re.split(r"\r*\n|\r", text)]


def parse(raw: bytes) -> Console:
    con = Console(lines=[line for line in clean_lines(raw) if line])
    for line in con.lines:
        guest = line.startswith(GUEST_PREFIX)
        body = line[len(GUEST_PREFIX):] if guest else line
        m = CHECK_RE.match(body)
        if m:
            con.checks.append(Check(m.group(1), m.group(2), guest))
            continue
        m = SUMMARY_RE.match(body)
        if m:
            summary = Summary(*(int(g) for g in m.groups()))
            if guest:
                con.guest_summary = summary
            else:
                con.summary = summary
            continue
        if body.startswith(RESULT_PREFIX):
            (con.guest_results if guest else con.results).append(body)
    return con


@dataclass(frozen=True)
class Verdict:
    kind: str  # PASS, FAIL, CRASH, TIMEOUT
    reason: str  # "" for PASS
    last_lines: tuple = ()  # the run's last serial lines, for any verdict but PASS

    @property
    def passed(self):
        return self.kind == PASS


def _expectation_unmet(expect, con: Console):
    """Why the console does not meet the expectation, or None."""
    fails = [c for c in con.checks if c.status == "FAIL"]
    if expect.kind in ("pass", "results") and con.summary.tests == 0:
        return "expected checks, SUMMARY says 0 tests"
    if expect.kind == "pass":
        if con.summary.failures or fails:
            first = str(fails[0]) if fails else "(no FAIL line)"
            return (f"expected no failures, SUMMARY says {con.summary.failures} and "
                    f"{len(fails)} FAIL line(s); first: {first}")
        if expect.text and not any(expect.text in line for line in con.lines):
            return f"passed, but '{expect.text}' is not in the serial output"
    elif expect.kind == "fail":
        if not fails and not con.summary.failures:
            return f"expected a FAIL containing '{expect.text}', the run had no failure"
        if not any(expect.text in c.text for c in fails):
            return f"expected a FAIL line containing '{expect.text}', none has it"
    elif expect.kind == "skip":
        if con.summary.failures or fails:
            return f"expected no failures, SUMMARY says {con.summary.failures}"
        if not any(expect.text in c.text for c in con.checks if c.status == "SKIP"):
            return f"expected a SKIP line containing '{expect.text}', none has it"
    elif expect.kind == "report":
        if not any(expect.text in line for line in con.lines):
            return f"expected '{expect.text}' in the serial output, it is not there"
    elif expect.kind == "results":
        if con.summary.failures or fails:
            first = str(fails[0]) if fails else "(no FAIL line)"
            return f"expected no failures, SUMMARY says {con.summary.failures}; first: {first}"
        return _results_unmet(expect.text, con)
    return None


def _result_fields(line: str):
    """The key=value pairs of a RESULT line (one starting with RESULT), or None."""
    if not line.startswith(RESULT_PREFIX):
        return None
    return dict(w.split("=", 1) for w in line[len(RESULT_PREFIX):].split() if "=" in w)


_COND = re.compile(r"^([A-Za-z0-9_]+)(=|>|<)(.*)$")


def _holds(result: dict, cond) -> bool:
    key, op, want = cond
    got = result.get(key)
    if got is None:
        return False
    if op == "=":
        return got == want
    try:
        return float(got) > float(want) if op == ">" else float(got) < float(want)
    except ValueError:
        return False


def _results_unmet(path: str, con: Console):
    """Every line of the expectation file must be met by some RESULT line of
    the run. A line holds words key=value (equal as text), key>number or
    key<number; workload= and mode= pick the RESULT lines it is about. Only
    the hypervisor's RESULT lines count, never `[guest] RESULT` ones."""
    full = paths.ROOT / path
    try:
        lines = [l for l in full.read_text().splitlines()
                 if l.strip() and not l.lstrip().startswith("#")]
    except OSError as e:
        return f"cannot read the expected results {path}: {e.strerror}"
    results = [r for r in (_result_fields(l) for l in con.results) if r]
    forwarded = [r for r in (_result_fields(l) for l in con.guest_results) if r]
    for line in lines:
        conds = []
        for w in line.split():
            m = _COND.match(w)
            if not m:
                return f"{path}: '{w}' is not key=value, key>number or key<number"
            conds.append(m.groups())
        ident = [c for c in conds if c[0] in ("workload", "mode") and c[1] == "="]
        name = " ".join(f"{k}={v}" for k, _, v in ident)
        same = [r for r in results if all(_holds(r, c) for c in ident)]
        if not same:
            why = f"no RESULT line for {name or line}"
            if any(all(_holds(r, c) for c in ident) for r in forwarded):
                why += (" (a [guest] RESULT line has it, but lines forwarded from the "
                        "guest do not count)")
            return why
        if not any(all(_holds(r, c) for c in conds) for r in same):
            got = " ".join(f"{k}={same[0].get(k, '(none)')}" for k, _, _ in conds)
            return f"RESULT {name}: expected {line.strip()}, got {got}"
    return None


def _qemu_status_unmet(status, con: Console):
    """QEMU ends through isa-debug-exit only: any other status is a bug."""
    if status not in (QEMU_EXIT_SUCCESS, QEMU_EXIT_FAILURE):
        return (f"QEMU exit status {status}: the run did not exit through isa-debug-exit "
                f"(expected {QEMU_EXIT_SUCCESS} or {QEMU_EXIT_FAILURE})")
    failed = con.summary.failures > 0
    if failed != (status == QEMU_EXIT_FAILURE):
        return (f"QEMU exit status {status} disagrees with SUMMARY "
                f"({con.summary.failures} failures)")
    return None


def judge(expect, con: Console, timed_out: bool, status, is_qemu: bool,
          emulator_said: str = "") -> Verdict:
    """emulator_said: the emulator's own main error (emulator_headline()), if any;
    it ends the reason of a CRASH or TIMEOUT. A verdict other than PASS
    carries the last serial lines."""
    v = _judge(expect, con, timed_out, status, is_qemu, emulator_said)
    if v.passed:
        return v
    return Verdict(v.kind, v.reason, tuple(con.lines[-LAST_LINES:]))


def _absent_unmet(expect, con: Console):
    """Why an `;absent:TEXT` part is not met (TEXT is in the output), or None."""
    for text in getattr(expect, "absent", ()):
        for n, line in enumerate(con.lines, 1):
            if text in line:
                return f"'{text}' must not be in the serial output, line {n} has it: {line}"
    return None


def _also_unmet(expect, con: Console):
    """Why an `;also:TEXT` part is not met (TEXT is in no line) or a `;results:FILE`
    part is not (as for results:FILE), or None."""
    for text in getattr(expect, "also", ()):
        if not any(text in line for line in con.lines):
            return f"'{text}' is not in the serial output"
    for path in getattr(expect, "results", ()):
        why = _results_unmet(path, con)
        if why:
            return why
    return None


def _crash_unmet(expect, con: Console, status, is_qemu: bool, emulator_said: str):
    """Why a run expected to crash (no SUMMARY, TEXT in the output, ended by
    the image itself) did not, or None."""
    if not any(expect.text in line for line in con.lines):
        return f"crashed, but '{expect.text}' is not in the serial output"
    if is_qemu and status != QEMU_EXIT_FAILURE:
        return (f"crashed, but QEMU's exit status is {status}, not the isa-debug-exit "
                f"failure status {QEMU_EXIT_FAILURE}")
    if emulator_said:
        return f"crashed, but the emulator ended it: {emulator_said}"
    return None


def _judge(expect, con: Console, timed_out: bool, status, is_qemu: bool,
           emulator_said: str) -> Verdict:
    said = f"; {'QEMU' if is_qemu else 'Bochs'} said: {emulator_said}" if emulator_said else ""
    if timed_out:
        if con.summary:
            return Verdict(TIMEOUT, "SUMMARY was printed but the emulator did not exit: "
                           "check the exit port write" + said)
        return Verdict(TIMEOUT, "time limit reached without a SUMMARY line" + said)
    if expect.kind == "crash":
        if con.summary is not None:
            return Verdict(FAIL, f"expected a crash with '{expect.text}', the run reached "
                           f"SUMMARY ({con.summary.failures} failures)")
        why = _crash_unmet(expect, con, status, is_qemu, emulator_said)
        if why:
            return Verdict(CRASH, why)
        why = _absent_unmet(expect, con) or _also_unmet(expect, con)
        return Verdict(FAIL, why) if why else Verdict(PASS, "")
    if con.summary is None:
        why = f"no SUMMARY line (emulator exit status {status})"
        if con.lines and con.lines[-1].startswith("SUMMARY"):
            why += (f"; the output ends in a cut-off '{con.lines[-1]}': the image exited "
                    "before the UART drained (wait for LSR.TEMT before the exit write)")
        elif con.guest_summary:
            why += "; the guest's [guest] SUMMARY was forwarded but the hypervisor's never came"
        return Verdict(CRASH, why + said)
    why = _expectation_unmet(expect, con) or _absent_unmet(expect, con) or \
        _also_unmet(expect, con)
    if why is None and is_qemu:
        why = _qemu_status_unmet(status, con)
    return Verdict(FAIL, why) if why else Verdict(PASS, "")


# Bochs log lines are "<ticks><level>[<module>] text"; levels e (error) and
# p (panic) are the ones worth showing. VMX failures are named by their text.
BOCHS_LEVEL_RE = re.compile(r"^\d+([ep])\[")
BOCHS_VMX_RE = re.compile(r"VMFAIL|VMENTER FAIL|VMABORT|VMEXIT: EPT")
# The Shutdown port's exit is reported as a panic; it is the normal way out.
BOCHS_NORMAL_EXIT = "Shutdown port: shutdown requested"
# Said on stderr whenever Bochs stops before its log is open; no error of the run.
BOCHS_NOISE = ("notify called, but no bxevent_callback function is registered",)
# Bochs ends every run with this block on stderr, its one-line reason inside.
BOCHS_EXIT_HEAD = "Bochs is exiting with the following message:"
BOCHS_PANIC_RE = re.compile(r"^\d+p\[[^\]]*\] >>PANIC<< (.*)$")
# Not a cause: warnings, and the runner's own kill at a timeout.
QEMU_WARNING_RE = re.compile(r"^qemu-system-\S+: (warning: |terminating on signal)")
EMULATOR_LIMIT = 20


def bochs_error_lines(log_text: str, limit: int = EMULATOR_LIMIT) -> list:
    picked = [line for line in log_text.splitlines()
              if (BOCHS_LEVEL_RE.match(line) or BOCHS_VMX_RE.search(line))
              and BOCHS_NORMAL_EXIT not in line
              and not any(noise in line for noise in BOCHS_NOISE)]
    return picked[-limit:]


def bochs_exit_message(output_text: str) -> list:
    """The lines of Bochs' "exiting with the following message" block, unless it
    is the normal Shutdown-port exit."""
    lines = output_text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == BOCHS_EXIT_HEAD:
            body = []
            for text in lines[i + 1:]:
                if text.startswith("====="):
                    break
                if text.strip():
                    body.append(text.strip())
            if body and not any(BOCHS_NORMAL_EXIT in text for text in body):
                return body
    return []


def emulator_errors(is_qemu: bool, output_text: str, bochs_log_text: str = "",
                    limit: int = EMULATOR_LIMIT) -> list:
    """What the emulator itself said went wrong, most telling first.
    QEMU: every line it wrote (stdout and stderr; the serial port goes to a
    file, so these are QEMU's own messages). Bochs: its exit message, then the
    panic and error lines of its stderr (before the log opens) and of its log."""
    if is_qemu:
        return [line.rstrip() for line in output_text.splitlines() if line.strip()][-limit:]
    picked = bochs_exit_message(output_text)
    for line in bochs_error_lines(output_text, limit) + bochs_error_lines(bochs_log_text, limit):
        if line not in picked:
            picked.append(line)
    return picked[:limit]


def emulator_headline(is_qemu: bool, output_text: str, bochs_log_text: str = "") -> str:
    """The emulator's one main error, or "": what ends a CRASH or TIMEOUT reason.
    Bochs' error lines are not enough (the hypervisor's probes cause some on
    every run): only its exit message or a panic counts. QEMU: its first line
    that is not a warning."""
    if is_qemu:
        lines = emulator_errors(True, output_text)
        errors = [line for line in lines if not QEMU_WARNING_RE.match(line)]
        return re.sub(r"^qemu-system-\S+: ", "", errors[0]) if errors else ""
    message = bochs_exit_message(output_text)
    if message:
        return " ".join(message)
    for line in reversed(bochs_log_text.splitlines()):
        m = BOCHS_PANIC_RE.match(line)
        if m and BOCHS_NORMAL_EXIT not in line:
            return m.group(1).strip()
    return ""
