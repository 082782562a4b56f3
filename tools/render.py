#!/usr/bin/env python3
"""Render segvisor RESULT lines into a comparison table, JSON, CSV and a plot.

Input: serial logs (files, or stdin when none or '-'). A result line is the
hypervisor's `RESULT key=value key=value ...` (DESIGN.md, "Console and
results"), starting its line (after any terminal escape sequences); values
contain no spaces. A line the hypervisor forwarded from the guest,
`[guest] RESULT ...`, is never taken: a guest could print any figures it liked;
how many were left out is said on stderr. Lines whose
kind= is set to something other than "measurement" (e.g. kind=exits) are kept
in the JSON and CSV but not in the table or the plot.

Outputs in --out DIR: results.json, results.csv and plot.png (gnuplot, when
present). The comparison table goes to stdout.

Exit status: 0 on success, 2 on bad input (no RESULT lines, a malformed line:
named, with file and line number), 1 when the plot or the self-test fails.
Python 3 standard library only.
"""

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Table and plot order of modes (DESIGN.md table); unknown modes sort last.
MODE_ORDER = ["base", "vmm-direct", "guest-direct", "dual-direct", "native"]
SOURCES = ["model", "pmu"]
MEASUREMENT_KIND = "measurement"
REQUIRED_KEYS = ["workload", "mode", "source"]

# Units of the keys that have one. Keys not listed are reported without a unit.
UNITS = {
    # Model lines (source=model): the walk model's counts over the traced accesses.
    "accesses": "traced guest data accesses replayed through the model",
    "tlb_hits_l1": "accesses that hit the modelled L1 TLB",
    "tlb_hits_l2": "accesses that hit the modelled L2 TLB (STLB)",
    "tlb_misses": "TLB misses (page walks)",
    "guest_refs": "guest page-table memory references",
    "nested_refs": "nested page-table memory references",
    "refs_per_walk": "memory references per TLB miss",
    "guest_refs_per_walk": "guest page-table memory references per TLB miss",
    "nested_refs_per_walk": "nested page-table memory references per TLB miss",
    "bb_checks": "base-bound checks",
    "bb_per_walk": "base-bound checks per TLB miss",
    "gseg_hits": "translations hit in the guest segment",
    "vseg_hits": "translations hit in the VMM segment",
    "esc_checks": "escape-filter lookups",
    "esc_hits": "escape-filter hits (true and false positives)",
    "esc_fp": "escape-filter false positives",
    "faults": "accesses whose modelled walk found no translation",
    "pwc_hits": "page-walk-cache hits",
    "ntlb_hits": "nested-TLB hits",
    "ept_leaves_4k": "4 KiB EPT leaf entries in the nested table measured (hypervisor fact)",
    "ept_leaves_2m": "2 MiB EPT leaf entries in the nested table measured (hypervisor fact)",
    "ept_leaves_1g": "1 GiB EPT leaf entries in the nested table measured (hypervisor fact)",
    # Hypervisor lines (source=hypervisor): counted by segvisor itself.
    "total": "VM exits",
    "hypercalls": "hypercalls",
    "hypercall_errors": "hypercalls refused",
    "unknown_hypercalls": "hypercalls with an unknown number",
    "msr_refused": "guest MSR accesses refused with #GP",
    "bytes": "bytes",
    "exits_during": "VM exits",
}
# Other keys of kind=exits lines are exit reasons; their unit is VM exits.
EXIT_REASON_UNIT = "VM exits of this reason"

# Column order of the CSV: these first, then other keys as first seen.
CSV_LEAD = ["file", "line", "kind", "workload", "mode", "source", "accesses", "tlb_misses",
            "guest_refs", "nested_refs", "refs_per_walk", "bb_checks", "bb_per_walk",
            "gseg_hits", "vseg_hits", "esc_checks", "esc_hits", "esc_fp"]

GUEST_PREFIX = "[guest] "
# GRUB paints the screen with escape sequences before the kernel runs.
ANSI_RE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>c78])")
RESULT_RE = re.compile(r"^RESULT(?:\s+|$)")
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
INT_RE = re.compile(r"^[+-]?[0-9]+$")
HEX_RE = re.compile(r"^0[xX][0-9a-fA-F]+$")
FLOAT_RE = re.compile(r"^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


class InputError(Exception):
    """A named input error; `where` is "file:line" when it concerns a line."""

    def __init__(self, name, message, where=None):
        super().__init__(message)
        self.name = name
        self.where = where

    def __str__(self):
        where = f"{self.where}: " if self.where else ""
        return f"{self.name}: {where}{self.args[0]}"


def convert(value):
    """Numbers as numbers (decimal, 0x hex, decimal fractions); else the text."""
    if INT_RE.match(value):
        return int(value)
    if HEX_RE.match(value):
        return int(value, 16)
    if FLOAT_RE.match(value):
        return float(value)
    return value


def clean(text):
    """A serial line without its line end, escape sequences and NULs."""
    return ANSI_RE.sub("", text.rstrip("\r\n")).replace("\0", "")


def is_forwarded_result(text):
    """A `[guest] RESULT ...` line: the guest's, forwarded, never taken."""
    text = clean(text)
    return text.startswith(GUEST_PREFIX) and bool(RESULT_RE.match(text[len(GUEST_PREFIX):]))


def parse_line(text, where):
    """Returns the fields of a hypervisor RESULT line as an ordered dict of raw
    strings, or None when the line is not one (a report line that mentions
    RESULT, or a `[guest] RESULT` line forwarded from the guest)."""
    text = clean(text)
    m = RESULT_RE.match(text)
    if not m:
        return None
    body = text[m.end():].split()
    if not body:
        raise InputError("malformed-line", "RESULT line has no key=value pairs", where)
    fields = {}
    for token in body:
        key, eq, value = token.partition("=")
        if not eq:
            raise InputError("malformed-line", f"token '{token}' is not key=value", where)
        if not KEY_RE.match(key):
            raise InputError("malformed-line", f"bad key in '{token}'", where)
        if not value:
            raise InputError("malformed-line", f"key '{key}' has an empty value", where)
        if key in fields:
            raise InputError("malformed-line", f"key '{key}' given twice", where)
        fields[key] = value
    kind = fields.get("kind", MEASUREMENT_KIND)
    if kind == MEASUREMENT_KIND:
        for key in REQUIRED_KEYS:
            if key not in fields:
                raise InputError("malformed-line", f"measurement line has no '{key}='", where)
        if fields["source"] not in SOURCES:
            raise InputError("malformed-line",
                             f"source '{fields['source']}' is not one of "
                             + ", ".join(SOURCES), where)
    return fields


def parse_stream(lines, name, forwarded=None):
    """Parses an iterable of lines; returns a list of records. The "file:line"
    of every `[guest] RESULT` line left out is appended to `forwarded`."""
    records = []
    for number, text in enumerate(lines, 1):
        fields = parse_line(text, f"{name}:{number}")
        if fields is None:
            if forwarded is not None and is_forwarded_result(text):
                forwarded.append(f"{name}:{number}")
            continue
        records.append({
            "file": name,
            "line": number,
            "kind": fields.get("kind", MEASUREMENT_KIND),
            "raw": fields,
            "fields": {k: convert(v) for k, v in fields.items()},
        })
    return records


def check_any(records, names, forwarded=()):
    if not records:
        why = "no RESULT lines in " + ", ".join(names)
        if forwarded:
            why += (f" ({len(forwarded)} [guest] RESULT lines forwarded from the guest "
                    "do not count)")
        raise InputError("no-results", why)


def measurements(records):
    return [r for r in records if r["kind"] == MEASUREMENT_KIND]


def mode_rank(mode):
    return MODE_ORDER.index(mode) if mode in MODE_ORDER else len(MODE_ORDER)


def sorted_measurements(records):
    """Workloads in first-seen order, then modes in MODE_ORDER, then source."""
    rows = measurements(records)
    workloads = []
    for r in rows:
        if r["fields"]["workload"] not in workloads:
            workloads.append(r["fields"]["workload"])
    return sorted(rows, key=lambda r: (workloads.index(r["fields"]["workload"]),
                                       mode_rank(r["fields"]["mode"]),
                                       SOURCES.index(r["fields"]["source"])))


def refs_per_walk(f):
    """The line's refs_per_walk, or derived from its counts when absent."""
    if isinstance(f.get("refs_per_walk"), (int, float)):
        return f["refs_per_walk"]
    walks = f.get("tlb_misses")
    g, n = f.get("guest_refs"), f.get("nested_refs")
    if isinstance(walks, int) and walks > 0 and isinstance(g, int) and isinstance(n, int):
        return (g + n) / walks
    return None


def fmt_num(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def cell(f, key):
    return fmt_num(f.get(key)) if isinstance(f.get(key), (int, float)) else f.get(key, "-")


TABLE_COLUMNS = ["workload", "mode", "accesses", "TLB misses", "refs/walk", "guest refs",
                 "nested refs", "checks/walk", "seg hits g/v", "escape hits", "source"]
TEXT_COLUMNS = {"workload", "mode", "source"}


def table_row(f):
    seg = "-"
    if "gseg_hits" in f or "vseg_hits" in f:
        seg = f"{cell(f, 'gseg_hits')}/{cell(f, 'vseg_hits')}"
    return [str(f["workload"]), str(f["mode"]), cell(f, "accesses"), cell(f, "tlb_misses"),
            fmt_num(refs_per_walk(f)), cell(f, "guest_refs"), cell(f, "nested_refs"),
            cell(f, "bb_per_walk"), seg, cell(f, "esc_hits"), str(f["source"])]


def render_table(records):
    rows = [table_row(r["fields"]) for r in sorted_measurements(records)]
    widths = [max(len(c) for c in col) for col in zip(TABLE_COLUMNS, *rows)]

    def line(cells):
        out = []
        for name, c, w in zip(TABLE_COLUMNS, cells, widths):
            out.append(c.ljust(w) if name in TEXT_COLUMNS else c.rjust(w))
        return "  ".join(out).rstrip()

    text = [line(TABLE_COLUMNS), line(["-" * w for w in widths])]
    text += [line(r) for r in rows]
    sources = {r["fields"]["source"] for r in measurements(records)}
    if not sources:
        text.append("No measurement lines.")
    elif sources == {"model"}:
        text.append("All figures are modelled by segvisor's software MMU (source=model), "
                    "not measured by hardware.")
    elif sources == {"pmu"}:
        text.append("All figures are measured by the CPU's PMU (source=pmu).")
    else:
        text.append("Figures are modelled by segvisor's software MMU (source=model), "
                    "except rows with source=pmu, measured by the CPU's PMU.")
    others = [r for r in records if r["kind"] != MEASUREMENT_KIND]
    if others:
        kinds = {}
        for r in others:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        listed = ", ".join(f"kind={k}: {n}" for k, n in kinds.items())
        text.append(f"{len(others)} other RESULT lines ({listed}) are in results.json "
                    "and results.csv only.")
    return "\n".join(text) + "\n"


def render_json(records):
    keys = []
    for r in records:
        keys += [k for k in r["fields"] if k not in keys]
    doc = {
        "generator": "tools/render.py",
        "note": "source=model figures come from segvisor's software MMU model; "
                "source=pmu figures from the CPU's performance counters; "
                "source=hypervisor figures are segvisor's own counts (VM exits, "
                "hypercalls). The native mode is the model's 1D walk over the "
                "guest's own tables while it runs under segvisor.",
        "units": units_of(records, keys),
        "results": [{"file": r["file"], "line": r["line"], "kind": r["kind"],
                     "fields": r["fields"]} for r in records],
    }
    return json.dumps(doc, indent=2) + "\n"


def render_csv(records):
    columns = list(CSV_LEAD)
    for r in records:
        columns += [k for k in r["raw"] if k not in columns]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in records:
        row = {"file": r["file"], "line": r["line"], "kind": r["kind"]}
        row.update(r["raw"])
        w.writerow(row)
    return out.getvalue()


def gnuplot_quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def plot_script(records, png_path, terminal="pngcairo"):
    """A gnuplot script drawing refs per walk: one bar group per workload, one
    bar per (mode, source), each bar labelled with its value and source.
    Returns None when no line carries refs per walk."""
    rows = [r["fields"] for r in sorted_measurements(records)
            if refs_per_walk(r["fields"]) is not None]
    if not rows:
        return None
    workloads, slots = [], []
    for f in rows:
        if f["workload"] not in workloads:
            workloads.append(f["workload"])
        slot = (f["mode"], f["source"])
        if slot not in slots:
            slots.append(slot)
    slots.sort(key=lambda s: (mode_rank(s[0]), SOURCES.index(s[1])))
    group = len(slots) + 1
    top = max(refs_per_walk(f) for f in rows)

    lines = [
        f"set terminal {terminal} size 1000,560",
        f"set output {gnuplot_quote(png_path)}",
        "set title 'Memory references per TLB miss (bar labels: model = modelled, "
        "pmu = measured)'",
        "set ylabel 'memory references per TLB miss'",
        # Headroom for the vertical labels above the tallest bar.
        f"set yrange [0:{max(top * 1.5, 8):.3f}]",
        f"set xrange [-1:{len(workloads) * group - 1}]",
        "set style fill solid 0.8 border -1",
        "set boxwidth 0.9",
        "set key outside right top",
        "set grid ytics",
        "set xtics (" + ", ".join(
            f"{gnuplot_quote(w)} {i * group + (len(slots) - 1) / 2:.2f}"
            for i, w in enumerate(workloads)) + ")",
    ]
    plots, data = [], []
    for s, (mode, source) in enumerate(slots):
        block = f"$slot{s}"
        data.append(f"{block} << EOD")
        for f in rows:
            if (f["mode"], f["source"]) == (mode, source):
                x = workloads.index(f["workload"]) * group + s
                v = refs_per_walk(f)
                data.append(f"{x} {v} {gnuplot_quote(fmt_num(v) + ' ' + source)}")
        data.append("EOD")
        fill = " fill pattern 4" if source == "pmu" else ""
        title = mode if source == "model" else f"{mode} (pmu)"
        # One colour per mode in every plot; pmu bars share it, hatched.
        plots.append(f"{block} using 1:2 with boxes{fill} lc {mode_rank(mode) + 1} "
                     f"title {gnuplot_quote(title)}")
        plots.append(f"{block} using 1:2:3 with labels rotate by 90 left offset 0,0.5 "
                     "font ',9' notitle")
    return "\n".join(data + lines + ["plot " + ", \\\n     ".join(plots)]) + "\n"


def render_plot(records, png_path):
    """Returns a message for the user; raises RuntimeError when gnuplot fails."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return ("plot skipped: the gnuplot command was not found "
                "(install the Debian package: apt-get install gnuplot-nox)")
    # pngcairo draws patterns and anti-aliased text; libgd png is the fallback.
    probe = subprocess.run([gnuplot, "-e", "set terminal pngcairo"], capture_output=True,
                           timeout=30)
    script = plot_script(records, png_path, "pngcairo" if probe.returncode == 0 else "png")
    if script is None:
        return "plot skipped: no measurement line has refs_per_walk"
    p = subprocess.run([gnuplot], input=script, capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or not os.path.exists(png_path):
        raise RuntimeError(f"gnuplot failed (status {p.returncode}): {p.stderr.strip()}")
    return f"plot: {png_path}"


def read_inputs(paths, forwarded=None):
    """All hypervisor RESULT records of the inputs; the places of forwarded
    `[guest] RESULT` lines, left out, are appended to `forwarded`."""
    records, names = [], []
    forwarded = [] if forwarded is None else forwarded
    if not paths:
        paths = ["-"]
    for path in paths:
        name = "<stdin>" if path == "-" else path
        names.append(name)
        if path == "-":
            records += parse_stream(sys.stdin, name, forwarded)
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                records += parse_stream(f, name, forwarded)
        except OSError as e:
            raise InputError("unreadable-input", f"{path}: {e.strerror}") from e
    check_any(records, names, forwarded)
    return records


def units_of(records, keys):
    """The unit of every key that has one: the fixed map, and exit reasons."""
    units = {k: UNITS[k] for k in keys if k in UNITS}
    for r in records:
        if r["kind"] == "exits":
            for k, v in r["fields"].items():
                if k not in units and isinstance(v, (int, float)):
                    units[k] = EXIT_REASON_UNIT
    return units


def write_outputs(records, out_dir, plot):
    os.makedirs(out_dir, exist_ok=True)
    stale = os.path.join(out_dir, "plot.png")
    if os.path.exists(stale):
        os.remove(stale)  # never leave a plot of another run beside these results
    for name, text in (("results.json", render_json(records)),
                       ("results.csv", render_csv(records))):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
    if not plot:
        return "plot skipped: --no-plot given"
    return render_plot(records, os.path.join(out_dir, "plot.png"))


# ---------------------------------------------------------------- self-test

SAMPLE_LOG = """\
segvisor: boot mode=base(default)
[guest] RESULT workload=gups mode=base source=model accesses=7 tlb_misses=1 \
guest_refs=1 nested_refs=1 refs_per_walk=99.00 bb_checks=0 bb_per_walk=0 forged=1
RESULT workload=gups mode=native source=model accesses=1000 tlb_misses=100 \
guest_refs=400 nested_refs=0 refs_per_walk=4.00 bb_checks=0 bb_per_walk=0
RESULT workload=gups mode=base source=model accesses=1000 tlb_misses=100 \
guest_refs=400 nested_refs=2000 refs_per_walk=24.00 bb_checks=0 bb_per_walk=0 esc_hits=0
RESULT workload=gups mode=dual-direct source=model accesses=1000 tlb_misses=100 \
guest_refs=0 nested_refs=0 refs_per_walk=0.00 bb_checks=100 bb_per_walk=1 gseg_hits=100 \
vseg_hits=100 esc_checks=100 esc_hits=2 esc_fp=1
RESULT workload=stream mode=vmm-direct source=model accesses=500 tlb_misses=10 \
guest_refs=40 nested_refs=0 bb_checks=50 bb_per_walk=5 vseg_hits=50 esc_checks=50 esc_hits=0
RESULT workload=gups mode=base source=pmu accesses=1000 tlb_misses=98 guest_refs=n/a \
nested_refs=n/a refs_per_walk=23.50 bb_checks=0 bb_per_walk=0 badpage=0x5000
RESULT kind=exits reason=EPT_VIOLATION count=12
FAIL: parse: RESULT missing
SUMMARY: 3 tests, 1 failures, 0 skipped
"""

SAMPLE_TABLE = """\
workload  mode         accesses  TLB misses  refs/walk  guest refs  nested refs  checks/walk  seg hits g/v  escape hits  source
--------  -----------  --------  ----------  ---------  ----------  -----------  -----------  ------------  -----------  ------
gups      base             1000         100      24.00         400         2000            0             -            0  model
gups      base             1000          98      23.50         n/a          n/a            0             -            -  pmu
gups      dual-direct      1000         100       0.00           0            0            1       100/100            2  model
gups      native           1000         100       4.00         400            0            0             -            -  model
stream    vmm-direct        500          10       4.00          40            0            5          -/50            0  model
Figures are modelled by segvisor's software MMU (source=model), except rows with source=pmu, measured by the CPU's PMU.
1 other RESULT lines (kind=exits: 1) are in results.json and results.csv only.
"""


class SelfTest:
    def __init__(self):
        self.tests = 0
        self.failures = 0

    def check(self, name, ok, why=""):
        self.tests += 1
        if ok:
            print(f"PASS: {name}")
        else:
            self.failures += 1
            print(f"FAIL: {name}: {why}")

    def equal(self, name, got, want):
        self.check(name, got == want, f"got {got!r}, want {want!r}")

    def raises(self, name, fn, want_name, want_where, want_text):
        try:
            fn()
        except InputError as e:
            self.check(name, (e.name, e.where) == (want_name, want_where)
                       and want_text in str(e), f"got {e}")
            return
        self.check(name, False, "no error raised")


def self_test():
    t = SelfTest()
    forwarded = []
    records = parse_stream(io.StringIO(SAMPLE_LOG), "sample.log", forwarded)
    t.equal("parse.count", len(records), 6)
    t.equal("parse.line_numbers", [r["line"] for r in records], [3, 4, 5, 6, 7, 8])
    # Only the hypervisor's RESULT lines: a forwarded guest line is left out, named.
    t.equal("parse.guest_forwarded_left_out", forwarded, ["sample.log:2"])
    t.check("parse.guest_forwarded_no_figures",
            not any("forged" in r["fields"] or r["fields"].get("accesses") == 7
                    for r in records), str(records))
    t.equal("parse.guest_line", parse_line("[guest] RESULT workload=a mode=base source=model",
                                           "x:1"), None)
    t.equal("parse.guest_line_escapes",
            parse_line("\x1b[0m[guest] RESULT workload=a mode=base source=model", "x:1"), None)
    t.equal("parse.other_prefix", parse_line("note: RESULT workload=a mode=base source=model",
                                             "x:1"), None)
    t.equal("parse.escapes_before", parse_line("\x1b[2J\x1b[1;1HRESULT kind=x a=1", "x:1"),
            {"kind": "x", "a": "1"})
    base = records[1]["fields"]
    t.equal("parse.prefix", base["mode"], "base")
    t.equal("parse.int", base["accesses"], 1000)
    t.equal("parse.float", base["refs_per_walk"], 24.0)
    t.equal("parse.text", records[4]["fields"]["guest_refs"], "n/a")
    t.equal("parse.hex", records[4]["fields"]["badpage"], 0x5000)
    t.equal("parse.kind", [r["kind"] for r in records].count("exits"), 1)
    t.equal("parse.not_result", parse_line("PASS: RESULT-free line", "x:1"), None)
    t.equal("parse.word_inside", parse_line("NORESULT a=b", "x:1"), None)
    t.equal("parse.crlf", parse_line("RESULT kind=x a=1\r\n", "x:1"), {"kind": "x", "a": "1"})
    t.equal("refs_per_walk.derived", refs_per_walk(records[3]["fields"]), 4.0)

    t.raises("error.no_equals", lambda: parse_line("RESULT workload=a junk", "f:3"),
             "malformed-line", "f:3", "token 'junk' is not key=value")
    t.raises("error.empty_value", lambda: parse_line("RESULT mode=", "f:4"),
             "malformed-line", "f:4", "key 'mode' has an empty value")
    t.raises("error.duplicate", lambda: parse_line("RESULT a=1 a=2", "f:5"),
             "malformed-line", "f:5", "key 'a' given twice")
    t.raises("error.no_pairs", lambda: parse_line("RESULT", "f:6"),
             "malformed-line", "f:6", "no key=value pairs")
    t.raises("error.missing_key", lambda: parse_line("RESULT workload=a source=model", "f:7"),
             "malformed-line", "f:7", "has no 'mode='")
    t.raises("error.source", lambda: parse_line("RESULT workload=a mode=base source=x", "f:8"),
             "malformed-line", "f:8", "source 'x' is not one of model, pmu")
    t.raises("error.line_number",
             lambda: parse_stream(io.StringIO("hello\nRESULT a=1 =2\n"), "log"),
             "malformed-line", "log:2", "bad key")
    t.raises("error.no_results",
             lambda: check_any(parse_stream(io.StringIO("PASS: x\n"), "log"), ["log"]),
             "no-results", None, "no RESULT lines in log")

    def only_forwarded():
        left_out = []
        found = parse_stream(io.StringIO("[guest] RESULT workload=a mode=base source=model\n"),
                             "log", left_out)
        check_any(found, ["log"], left_out)
    t.raises("error.no_results_only_forwarded", only_forwarded, "no-results", None,
             "1 [guest] RESULT lines forwarded from the guest do not count")

    table = render_table(records)
    t.check("table.text", table == SAMPLE_TABLE, "got:\n" + table)
    only_model = render_table(records[:2])
    t.check("table.modelled_note", "All figures are modelled" in only_model, only_model)

    doc = json.loads(render_json(records))
    t.equal("json.count", len(doc["results"]), 6)
    t.equal("json.number", doc["results"][1]["fields"]["nested_refs"], 2000)
    t.equal("json.exits_kept", doc["results"][5]["fields"],
            {"kind": "exits", "reason": "EPT_VIOLATION", "count": 12})
    t.equal("json.unit", doc["units"]["refs_per_walk"], "memory references per TLB miss")
    t.equal("json.no_unit", "workload" in doc["units"], False)
    t.check("json.no_guest_figures", "99.0" not in render_json(records)
            and "forged" not in render_json(records), "a forwarded guest line got in")

    rows = list(csv.reader(io.StringIO(render_csv(records))))
    t.equal("csv.rows", len(rows), 7)
    t.equal("csv.lead", rows[0][:6], ["file", "line", "kind", "workload", "mode", "source"])
    t.equal("csv.union", rows[0][-3:], ["badpage", "reason", "count"])
    t.equal("csv.raw_value", rows[2][rows[0].index("refs_per_walk")], "24.00")
    t.equal("csv.exits_row", rows[6][rows[0].index("count")], "12")
    t.check("csv.no_guest_figures", "forged" not in rows[0]
            and not any("99.00" in row for row in rows), "a forwarded guest line got in")

    script = plot_script(records, "/tmp/x.png")
    t.check("plot.script_bars", script.count("with boxes") == 5, script)
    t.check("plot.script_label", '"23.50 pmu"' in script and '"24.00 model"' in script, script)
    if shutil.which("gnuplot"):
        with tempfile.TemporaryDirectory() as d:
            png = os.path.join(d, "plot.png")
            try:
                render_plot(records, png)
                with open(png, "rb") as f:
                    t.equal("plot.png", f.read(8), b"\x89PNG\r\n\x1a\n")
            except RuntimeError as e:
                t.check("plot.png", False, str(e))
    else:
        print("SKIP: plot.png: the gnuplot command was not found "
              "(apt-get install gnuplot-nox)")
    print(f"SUMMARY: {t.tests} tests, {t.failures} failures, 0 skipped")
    return 1 if t.failures else 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("logs", nargs="*", help="serial logs ('-' or none: stdin)")
    ap.add_argument("--out", default="results", help="output directory (default: results)")
    ap.add_argument("--no-plot", action="store_true", help="do not draw plot.png")
    ap.add_argument("--self-test", action="store_true",
                    help="check parsing and outputs on built-in sample lines")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    forwarded = []
    try:
        records = read_inputs(args.logs, forwarded)
    except InputError as e:
        print(f"render.py: error: {e}", file=sys.stderr)
        return 2
    if forwarded:
        print(f"render.py: left out {len(forwarded)} [guest] RESULT line(s) forwarded from "
              f"the guest (first: {forwarded[0]}); only the hypervisor's RESULT lines count",
              file=sys.stderr)
    sys.stdout.write(render_table(records))
    try:
        message = write_outputs(records, args.out, not args.no_plot)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"render.py: error: output: {e}", file=sys.stderr)
        return 1
    print(f"wrote {os.path.join(args.out, 'results.json')}, "
          f"{os.path.join(args.out, 'results.csv')}; {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
