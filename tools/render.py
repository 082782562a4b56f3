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
import math
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
CSV_LEAD = ["file", "line", "part", "boot", "config", "kind", "workload", "mode", "source", "accesses", "tlb_misses",
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


def shown_source(f):
    """The source as tables and plots show it: a trap-traced model line (trace=ept) apart from
    the instrumented one."""
    return f"{f['source']} (trace=ept)" if f.get("trace") == "ept" else str(f["source"])


def source_rank(f):
    return (SOURCES.index(f["source"]), f.get("trace") == "ept")


def sorted_measurements(records):
    """Workloads in first-seen order, then modes in MODE_ORDER, then source."""
    rows = measurements(records)
    workloads = []
    for r in rows:
        if r["fields"]["workload"] not in workloads:
            workloads.append(r["fields"]["workload"])
    return sorted(rows, key=lambda r: (workloads.index(r["fields"]["workload"]),
                                       mode_rank(r["fields"]["mode"]),
                                       source_rank(r["fields"])))


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
    if not any(isinstance(f.get(k), (int, float)) for k in ("gseg_hits", "vseg_hits")) \
            and "n/a" in (f.get("gseg_hits"), f.get("vseg_hits")):
        seg = "n/a"  # a source=pmu line: the CPU has no segments to count
    return [str(f["workload"]), str(f["mode"]), cell(f, "accesses"), cell(f, "tlb_misses"),
            fmt_num(refs_per_walk(f)), cell(f, "guest_refs"), cell(f, "nested_refs"),
            cell(f, "bb_per_walk"), seg, cell(f, "esc_hits"), shown_source(f)]


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


def record_doc(r):
    doc = {"file": r["file"], "line": r["line"], "kind": r["kind"]}
    for k in ("part", "boot", "config"):
        if k in r:
            doc[k] = r[k]
    doc["fields"] = r["fields"]
    if r["kind"] == MEASUREMENT_KIND:
        doc["derived"] = {"refs_per_kaccess": refs_per_kaccess(r["fields"])}
    return doc


def render_json(records, boots=None, expected=None):
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
        "results": [record_doc(r) for r in records],
    }
    if any("config" in r for r in records):
        doc["config_note"] = ("config: the configuration label from the boot's options "
                              "(mode, guest page size gpage=, largest nested leaf ept_page=, "
                              "caches); matrix: one entry per (part, workload, config) with "
                              "refs per 1000 accesses and the ratio to the native row of the "
                              "same guest page size")
        doc["matrix"] = matrix_doc(records, expected)
    if boots is not None:
        doc["boots"] = boots
    return json.dumps(doc, indent=2) + "\n"


def render_csv(records):
    columns = list(CSV_LEAD)
    for r in records:
        columns += [k for k in r["raw"] if k not in columns]
    columns += [k for k in ("refs_per_kaccess", "x_native", "native_ref") if k not in columns]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in records:
        row = {"file": r["file"], "line": r["line"], "kind": r["kind"]}
        for k in ("part", "boot", "config"):
            if k in r:
                row[k] = r[k]
        row.update(r["raw"])
        if r["kind"] == MEASUREMENT_KIND and "refs_per_kaccess" not in r["raw"]:
            v = refs_per_kaccess(r["fields"])
            row["refs_per_kaccess"] = "" if v is None else f"{v:.3f}"
        if r.get("config") and r["kind"] == MEASUREMENT_KIND:
            group = matrix_groups(records).get((r.get("part", "run"),
                                                r["fields"]["workload"]), {})
            ratio, ref = ratio_to_native(r["config"], {l: g["fields"]
                                                       for l, g in group.items()})
            row["x_native"] = fmt_ratio(ratio)
            row["native_ref"] = ref if ref in group else ""
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
        slot = (f["mode"], shown_source(f))
        if slot not in slots:
            slots.append(slot)
    slots.sort(key=lambda s: (mode_rank(s[0]), SOURCES.index(s[1].split()[0]), s[1]))
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
            if (f["mode"], shown_source(f)) == (mode, source):
                x = workloads.index(f["workload"]) * group + s
                v = refs_per_walk(f)
                data.append(f"{x} {v} {gnuplot_quote(fmt_num(v) + ' ' + source)}")
        data.append("EOD")
        fill = " fill pattern 4" if source == "pmu" else ""
        title = mode if source == "model" else f"{mode} ({source})"
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


def write_outputs(records, out_dir, plot, boots=None, expected=None, parts=None):
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.endswith(".png"):  # never leave a plot of another run beside these results
            os.remove(os.path.join(out_dir, name))
    for name, text in (("results.json", render_json(records, boots, expected)),
                       ("results.csv", render_csv(records))):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
    if not plot:
        return "plot skipped: --no-plot given"
    if any("config" in r for r in records):
        return render_matrix_plots(records, out_dir, parts)
    return render_plot(records, os.path.join(out_dir, "plot.png"))



# ---------------------------------------------------------------- the matrix
#
# A configuration is a mode with the page sizes and options that decide its
# figures (DESIGN.md, "The walk model: its semantics"): native and vmm-direct
# depend on the guest page size (gpage=), guest-direct on the largest nested
# leaf (ept_page=), base on both, dual-direct on neither. Its label, e.g.
# "base 4K+2M", "vmm-direct 2M", "native 1G", "dual-direct", names it, with
# " caches-on" when all walk caches are modelled (pwc=on ntlb=on npwc=on;
# "pwc-on", "ntlb-on" or "npwc-on" for one of them, the three settings
# spelled out for another mix) and the TLB preset when it is not the default.

PAGE_LABELS = {"4k": "4K", "2m": "2M", "1g": "1G"}
PAGE_KEYS = {v: k for k, v in PAGE_LABELS.items()}
MODE_DEPENDS = {  # (guest page size, nested leaf size) that decide a mode's figures
    "native": (True, False),
    "base": (True, True),
    "vmm-direct": (True, False),
    "guest-direct": (False, True),
    "dual-direct": (False, False),
}
DEFAULT_OPTIONS = {"gpage": "4k", "ept_page": "4k", "pwc": "off", "ntlb": "off",
                   "npwc": "off", "tlb": "skylake"}
CACHE_KEYS = ("pwc", "ntlb", "npwc")
CACHE_SUFFIX = {("on", "on", "on"): "caches-on", ("on", "off", "off"): "pwc-on",
                ("off", "on", "off"): "ntlb-on", ("off", "off", "on"): "npwc-on"}
# The matrix, in table order.
MATRIX_ROWS = [
    "native 4K", "native 2M", "native 1G",
    "base 4K+4K", "base 2M+2M", "base 1G+1G", "base 4K+2M", "base 2M+4K",
    "vmm-direct 4K", "vmm-direct 2M", "vmm-direct 1G",
    "guest-direct 4K", "guest-direct 2M", "guest-direct 1G",
    "dual-direct",
    "native 4K caches-on", "base 4K+4K caches-on", "native 2M caches-on", "base 2M+2M caches-on",
]
# Guest page size of the native reference for modes whose walk has no guest
# page of their own (the guest segment replaces the guest's table).
NO_GPAGE_REFERENCE = "4K"
OPT_TOKEN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\S*?)(?:\(default\))?$")


def parse_options(text):
    """A dict of the key=value words of an option string; a value's
    "(default)" annotation (the boot logs print it) is dropped."""
    out = {}
    for token in (text or "").split():
        m = OPT_TOKEN_RE.match(token)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def config_of(mode, options):
    """The (mode, gpage, ept_page, suffix) that decide a mode's figures, from
    the boot's options (hypervisor and guest merged); page sizes a mode does
    not depend on are None."""
    o = dict(DEFAULT_OPTIONS)
    o.update({k: v.lower() for k, v in options.items() if k in DEFAULT_OPTIONS})
    g_dep, n_dep = MODE_DEPENDS.get(mode, (True, True))
    suffix = []
    setting = tuple(o[k] for k in CACHE_KEYS)
    caches = CACHE_SUFFIX.get(setting)
    if caches:
        suffix.append(caches)
    elif "on" in setting:
        suffix.extend(f"{k}={v}" for k, v in zip(CACHE_KEYS, setting))
    if o["tlb"] != DEFAULT_OPTIONS["tlb"]:
        suffix.append("tlb=" + o["tlb"])
    return (mode, o["gpage"] if g_dep else None, o["ept_page"] if n_dep else None,
            " ".join(suffix))


def config_label(mode, options):
    """The configuration label of a mode run with these options."""
    mode, g, n, suffix = config_of(mode, options)
    pages = [PAGE_LABELS.get(p, p) for p in (g, n) if p is not None]
    label = mode + (" " + "+".join(pages) if pages else "")
    return label + (" " + suffix if suffix else "")


def parse_label(label):
    """(mode, options) for a label of config_label's form; raises ValueError."""
    words = label.split()
    if not words or words[0] not in MODE_DEPENDS:
        raise ValueError(f"'{label}': the first word is not a mode")
    mode, rest = words[0], words[1:]
    g_dep, n_dep = MODE_DEPENDS[mode]
    options = {}
    if g_dep or n_dep:
        if not rest:
            raise ValueError(f"'{label}': {mode} needs its page size(s)")
        pages = rest.pop(0).upper().split("+")
        want = int(g_dep) + int(n_dep)
        if len(pages) != want or any(p not in PAGE_KEYS for p in pages):
            raise ValueError(f"'{label}': {mode} takes {want} page size(s) of 4K, 2M, 1G "
                             "(e.g. base 4K+2M)")
        if g_dep:
            options["gpage"] = PAGE_KEYS[pages.pop(0)]
        if n_dep:
            options["ept_page"] = PAGE_KEYS[pages.pop(0)]
    for word in rest:
        caches = {v: k for k, v in CACHE_SUFFIX.items()}.get(word)
        if caches:
            options.update(zip(CACHE_KEYS, caches))
        elif word.split("=")[0] in CACHE_KEYS and word.split("=")[-1] in ("on", "off"):
            options[word.split("=")[0]] = word.split("=")[1]
        elif word.startswith("tlb="):
            options["tlb"] = word[4:]
        else:
            raise ValueError(f"'{label}': unknown word '{word}'")
    return mode, options


def label_rank(label):
    return MATRIX_ROWS.index(label) if label in MATRIX_ROWS else len(MATRIX_ROWS)


def refs_per_kaccess(f):
    """Walk memory references per 1000 accesses: the line's, or derived."""
    if isinstance(f.get("refs_per_kaccess"), (int, float)):
        return f["refs_per_kaccess"]
    a, g, n = f.get("accesses"), f.get("guest_refs"), f.get("nested_refs")
    if isinstance(a, int) and a > 0 and isinstance(g, int) and isinstance(n, int):
        return 1000.0 * (g + n) / a
    return None


def walks_of(f):
    return f.get("walks") if isinstance(f.get("walks"), int) else None


def matrix_refs_per_walk(f):
    """References per walk: per translation that read a table entry when the
    line says how many did (walks=), else the line's own refs_per_walk."""
    w, g, n = walks_of(f), f.get("guest_refs"), f.get("nested_refs")
    if w is not None and isinstance(g, int) and isinstance(n, int):
        return (g + n) / w if w else 0.0
    return refs_per_walk(f)


def native_reference(label):
    """The label of the native row a configuration is compared with: native
    with the same guest page size (4K for modes without one) and the same
    caches and TLB; and the same without the caches, as a fallback."""
    mode, options = parse_label(label)
    gpage = options.get("gpage", PAGE_KEYS[NO_GPAGE_REFERENCE])
    exact = dict(options, gpage=gpage)
    exact.pop("ept_page", None)
    plain = {k: v for k, v in exact.items() if k not in CACHE_KEYS}
    return config_label("native", exact), config_label("native", plain)


def ratio_to_native(label, by_label):
    """(ratio, reference label) of the configuration's refs per kilo-access
    to its native reference among `by_label` (label -> fields); ratio is None
    when there is no reference or either figure is missing, inf when only the
    reference is 0, and 1.0 when both are 0."""
    try:
        refs = native_reference(label)
    except ValueError:
        return None, None
    for ref in dict.fromkeys(refs):
        if ref in by_label:
            mine, theirs = refs_per_kaccess(by_label.get(label, {})), \
                refs_per_kaccess(by_label[ref])
            if mine is None or theirs is None:
                return None, ref
            if theirs == 0:
                return (1.0 if mine == 0 else float("inf")), ref
            return mine / theirs, ref
    return None, refs[0]


def leaf_notes(label, f):
    """What the line's leaf counts say against the label: a nested leaf size
    asked for but absent from the nested table (clamped to the CPU), a guest
    page size asked for but no walk ending at it."""
    notes = []
    try:
        mode, options = parse_label(label)
    except ValueError:
        return notes
    n = options.get("ept_page")
    if n and n != "4k" and f.get(f"ept_leaves_{n}") == 0:
        notes.append(f"no {PAGE_LABELS[n]} nested leaves")
    g = options.get("gpage")
    walks = walks_of(f)
    if g and isinstance(f.get(f"guest_leaf_{g}"), int) and f[f"guest_leaf_{g}"] == 0 \
            and (walks or 0) > 0 and mode != "dual-direct":
        notes.append(f"no walk ended at a {PAGE_LABELS[g]} guest page")
    return notes


def log_options(lines):
    """The effective options of a boot from its serial log: the hypervisor's
    `options:` line and the guest's `[guest] guest options:` line."""
    hv, guest = {}, {}
    for text in lines:
        text = clean(text)
        if text.startswith("options: ") and not hv:
            hv = parse_options(text[len("options: "):])
        elif text.startswith(GUEST_PREFIX + "guest options: ") and not guest:
            guest = parse_options(text[len(GUEST_PREFIX + "guest options: "):])
    return hv, guest


def tag_records(records, part, boot, options):
    """Gives every measurement record of a boot its part, boot and label."""
    for r in records:
        r["part"], r["boot"] = part, boot
        if r["kind"] == MEASUREMENT_KIND:
            r["config"] = config_label(r["fields"]["mode"], options)
            if r["fields"].get("trace") == "ept":
                r["config"] += " trace=ept"  # the trap-fed model, beside the instrumented one


def matrix_groups(records):
    """{(part, workload): {label: record}} of the model measurements, parts
    and workloads in first-seen order; a repeated label (the same
    configuration measured again, by another boot) keeps the first record and
    lists the others in its "repeats"."""
    groups = {}
    for r in records:
        if r["kind"] != MEASUREMENT_KIND or r["fields"]["source"] != "model" \
                or "config" not in r:
            continue
        g = groups.setdefault((r.get("part", "run"), r["fields"]["workload"]), {})
        if r["config"] in g:
            g[r["config"]].setdefault("repeats", []).append(r)
        else:
            g[r["config"]] = r
    return groups


REPEAT_KEYS = ("accesses", "tlb_misses", "guest_refs", "nested_refs")


def repeats_agree(r):
    return all(all(o["fields"].get(k) == r["fields"].get(k) for k in REPEAT_KEYS)
               for o in r.get("repeats", []))


def fmt_ratio(ratio):
    if ratio is None:
        return "-"
    return "inf" if ratio == float("inf") else f"{ratio:.2f}"


MATRIX_COLUMNS = ["configuration", "accesses", "TLB misses", "walks", "seg served",
                  "refs/walk", "refs/kacc", "x native", "native ref", "notes"]


def matrix_rows(group, expected=()):
    """Table rows of one (part, workload): every measured configuration in
    matrix order, and every expected one not measured, marked missing."""
    by_label = {label: r["fields"] for label, r in group.items()}
    labels = sorted(set(group) | set(expected), key=lambda l: (label_rank(l), l))
    rows = []
    for label in labels:
        if label not in group:
            rows.append([label, "missing", "", "", "", "", "", "", "", expected.get(label, "")
                         if isinstance(expected, dict) else "not measured"])
            continue
        r = group[label]
        f = r["fields"]
        ratio, ref = ratio_to_native(label, by_label)
        notes = leaf_notes(label, f)
        if r.get("repeats"):
            notes.append(f"measured {1 + len(r['repeats'])}x, "
                         + ("agree" if repeats_agree(r) else "DIFFER"))
        if ref and ref not in by_label:
            ref = f"({ref} not run)"
        rows.append([label, cell(f, "accesses"), cell(f, "tlb_misses"), cell(f, "walks"),
                     cell(f, "seg_served"), fmt_num(matrix_refs_per_walk(f)),
                     fmt_num(refs_per_kaccess(f)), fmt_ratio(ratio), ref or "-",
                     "; ".join(notes)])
    return rows


def format_columns(columns, rows, text_columns):
    widths = [max(len(c) for c in col) for col in zip(columns, *rows)]

    def line(cells):
        return "  ".join(c.ljust(w) if name in text_columns else c.rjust(w)
                         for name, c, w in zip(columns, cells, widths)).rstrip()

    return [line(columns), line(["-" * w for w in widths])] + [line(r) for r in rows]


def render_matrix(records, parts=None, expected=None):
    """The matrix tables: one per (part, workload). `parts` maps a part name
    to its title; `expected` maps (part, workload) to {label: why missing}."""
    parts = parts or {}
    expected = expected or {}
    groups = matrix_groups(records)
    keys = list(groups) + [k for k in expected if k not in groups]
    order = list(parts)
    keys.sort(key=lambda k: order.index(k[0]) if k[0] in order else len(order))
    out = []
    for part, workload in keys:
        title = parts.get(part, part)
        out.append(f"== {workload}: {title} ==")
        out += format_columns(MATRIX_COLUMNS,
                              matrix_rows(groups.get((part, workload), {}),
                                          expected.get((part, workload), {})),
                              {"configuration", "native ref", "notes"})
        out.append("")
    if not keys:
        out.append("No model measurement lines.")
    out.append("Figures are modelled (source=model) by segvisor's software MMU. walks: "
               "translations that read at least one table entry; seg served: translations "
               "given by a segment with no walk; refs/kacc: walk memory references per 1000 "
               "accesses; x native: refs/kacc over the native row's with the same guest "
               f"page size ({NO_GPAGE_REFERENCE} for guest-direct and dual-direct); "
               "'-': the line does not say.")
    return "\n".join(out) + "\n"


def matrix_doc(records, expected=None):
    """The matrix as data, for results.json: one entry per table row."""
    out = []
    for (part, workload), group in matrix_groups(records).items():
        by_label = {label: r["fields"] for label, r in group.items()}
        for label, r in sorted(group.items(), key=lambda kv: (label_rank(kv[0]), kv[0])):
            ratio, ref = ratio_to_native(label, by_label)
            out.append({"part": part, "workload": workload, "config": label,
                        "boot": r.get("boot"), "refs_per_kaccess": refs_per_kaccess(r["fields"]),
                        "refs_per_walk": matrix_refs_per_walk(r["fields"]),
                        "ratio_to_native": None if ratio is None or ratio == float("inf")
                        else ratio, "ratio_infinite": ratio == float("inf"),
                        "native_ref": ref if ref in by_label else None,
                        "notes": leaf_notes(label, r["fields"]),
                        "repeats": len(r.get("repeats", [])),
                        "repeats_agree": repeats_agree(r)})
    for (part, workload), missing in (expected or {}).items():
        have = matrix_groups(records).get((part, workload), {})
        for label, why in missing.items():
            if label not in have:
                out.append({"part": part, "workload": workload, "config": label,
                            "missing": why})
    return out


def workloads_of(guest_args):
    w = parse_options(guest_args).get("workloads", "none")
    if w == "all":
        return ["gups", "stream", "pchase"]
    return [] if w == "none" else w.split(",")


def read_manifest(path):
    """The records of a matrix run (tools/matrix.py's manifest): every boot's
    serial log, tagged; returns (records, parts, expected, boots), where
    expected[(part, workload)][label] says why a row may be missing."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError("unreadable-manifest", f"{path}: {e}") from e
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    records, expected = [], {}
    parts = {p["name"]: p["title"] for p in doc.get("parts", [])}
    for b in doc.get("boots", []):
        serial = b["serial"] if os.path.isabs(b["serial"]) else os.path.join(root, b["serial"])
        lines = []
        try:
            with open(serial, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError:
            pass
        hv, guest = log_options(lines)
        options = parse_options(b["hv_options"])
        options.update(parse_options(b["guest_args"]))
        options.update(hv)
        options.update(guest)
        found = parse_stream(lines, b["serial"])
        tag_records(found, b["part"], b["name"], options)
        records += found
        if b.get("status") == "pass":
            why = f"boot {b['name']} passed but printed no line for it"
        elif b.get("status") == "not run":
            why = f"boot {b['name']} not run"
        else:
            why = b.get("why") or b.get("verdict", "?")
            why = f"boot {b['name']} failed: " + why.split("; first: ")[-1]
        for wl in b.get("workloads") or workloads_of(b["guest_args"]):
            for label in b["rows"]:
                expected.setdefault((b["part"], wl), {})[label] = why
    return records, parts, expected, doc.get("boots", [])


def tag_plain_logs(records, paths):
    """Labels the records of serial logs given by name: each log is a boot,
    its options read from the log itself."""
    for path in paths:
        lines = []
        if path != "-":
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    lines = f.readlines()
            except OSError:
                pass
        hv, guest = log_options(lines)
        name = "<stdin>" if path == "-" else path
        mine = [r for r in records if r["file"] == name]
        tag_records(mine, "run", os.path.basename(os.path.dirname(name)) or name,
                    dict(hv, **guest))


def _matrix_panels(records):
    """{part: [(workload, [(label, fields)])]} in table order."""
    panels = {}
    for (part, workload), group in matrix_groups(records).items():
        rows = sorted(group.items(), key=lambda kv: (label_rank(kv[0]), kv[0]))
        panels.setdefault(part, []).append((workload, [(l, r["fields"]) for l, r in rows]))
    return panels


def _panel_height(n):
    return 380 + 0 * n


def matrix_plot_scripts(records, out_dir, terminal="pngcairo", parts=None):
    """{png path: gnuplot script}: per part, walk references per 1000
    accesses by configuration (log scale), and TLB misses and
    segment-served translations per 1000 accesses, one panel per workload."""
    parts = parts or {}
    scripts = {}
    for part, panels in _matrix_panels(records).items():
        width = max(900, 60 * max(len(rows) for _, rows in panels) + 200)
        height = 420 * len(panels)
        title = parts.get(part, part)
        for kind in ("refs_per_kaccess", "tlb_seg"):
            png = os.path.join(out_dir, f"{part}-{kind}.png")
            lines = [f"set terminal {terminal} size {width},{height}",
                     f"set output {gnuplot_quote(png)}",
                     f"set multiplot layout {len(panels)},1 title "
                     f"{gnuplot_quote(title + ' (source=model)')} font ',11'",
                     "set style fill solid 0.8 border -1", "set grid ytics",
                     "set xtics rotate by -35 left font ',9'", "set key outside right top",
                     "set termoption noenhanced", "set bmargin 7", "set lmargin 12"]
            data = []
            for i, (workload, rows) in enumerate(panels):
                xt = ", ".join(f"{gnuplot_quote(l)} {x}" for x, (l, _) in enumerate(rows))
                lines.append(f"set xtics ({xt})")
                lines.append(f"set xrange [-0.7:{len(rows) - 0.3}]")
                if kind == "refs_per_kaccess":
                    vals = [refs_per_kaccess(f) for _, f in rows]
                    pos = [v for v in vals if v]
                    floor = 10 ** math.floor(math.log10(min(pos))) / 10 if pos else 0.1
                    block = f"$r{i}"
                    data.append(f"{block} << EOD")
                    for x, v in enumerate(vals):
                        if v is None:
                            data.append(f"{x} NaN {gnuplot_quote('n/a')}")
                        else:
                            data.append(f"{x} {v if v > 0 else floor} "
                                        f"{gnuplot_quote(fmt_num(float(v)))}")
                    data.append("EOD")
                    lines += ["set logscale y", f"set yrange [{floor}:*]", "set boxwidth 0.7",
                              "set ylabel 'walk refs per 1000 accesses (log)'",
                              f"set title {gnuplot_quote(workload + ': walk references per 1000 accesses, model')}",
                              f"plot {block} using 1:2 with boxes lc 1 notitle, "
                              f"{block} using 1:2:3 with labels offset 0,0.7 font ',8' notitle",
                              "unset logscale y"]
                else:
                    block = f"$t{i}"
                    data.append(f"{block} << EOD")
                    for x, (_, f) in enumerate(rows):
                        a = f.get("accesses") if isinstance(f.get("accesses"), int) else 0

                        def per_k(key):
                            v = f.get(key)
                            return f"{1000.0 * v / a:.3f}" if a and isinstance(v, int) \
                                else "NaN"
                        data.append(f"{x} {per_k('tlb_misses')} {per_k('seg_served')} "
                                    f"{per_k('walks')}")
                    data.append("EOD")
                    lines += ["set yrange [0:*]", "set boxwidth 0.25",
                              "set ylabel 'translations per 1000 accesses'",
                              "set label 1 'no bar: the line does not say' at graph 0.01,"
                              "0.95 font ',8'",
                              f"set title {gnuplot_quote(workload + ': TLB misses, walks and segment-served translations, model')}",
                              f"plot {block} using ($1-0.27):2 with boxes lc 1 title "
                              "'TLB misses', "
                              f"{block} using 1:4 with boxes lc 2 title 'walks', "
                              f"{block} using ($1+0.27):3 with boxes lc 3 title "
                              "'segment-served'", "unset label 1"]
            lines.append("unset multiplot")
            scripts[png] = "\n".join(data + lines) + "\n"
    return scripts


def render_matrix_plots(records, out_dir, parts=None):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return ("plots skipped: the gnuplot command was not found "
                "(install the Debian package: apt-get install gnuplot-nox)")
    probe = subprocess.run([gnuplot, "-e", "set terminal pngcairo"], capture_output=True,
                           timeout=30)
    scripts = matrix_plot_scripts(records, out_dir,
                                  "pngcairo" if probe.returncode == 0 else "png", parts)
    if not scripts:
        return "plots skipped: no model measurement line"
    for png, script in scripts.items():
        p = subprocess.run([gnuplot], input=script, capture_output=True, text=True, timeout=60)
        if p.returncode != 0 or not os.path.exists(png):
            raise RuntimeError(f"gnuplot failed on {png} (status {p.returncode}): "
                               f"{p.stderr.strip()}")
    return "plots: " + ", ".join(sorted(scripts))

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

    # A source=pmu line as segvisor prints it (hv/vm/measure.c): the design's
    # keys with n/a where the PMU has no counterpart, event keys after them.
    pmu_line = ("RESULT workload=gups mode=base source=pmu accesses=n/a tlb_misses=42 "
                "guest_refs=n/a nested_refs=n/a refs_per_walk=n/a bb_checks=n/a "
                "bb_per_walk=n/a gseg_hits=n/a vseg_hits=n/a esc_checks=n/a esc_hits=n/a "
                "esc_fp=n/a pmu=skylake counting=guest-only window=begin-to-end unit=events "
                "dtlb_load_misses.walk_completed=30 dtlb_store_misses.walk_completed=12")
    pmu_rec = parse_stream(io.StringIO(pmu_line + "\n"), "pmu.log")
    t.equal("pmu_line.walks", pmu_rec[0]["fields"]["tlb_misses"], 42)
    t.equal("pmu_line.event_key", pmu_rec[0]["fields"]["dtlb_load_misses.walk_completed"], 30)
    t.equal("pmu_line.row", table_row(pmu_rec[0]["fields"]),
            ["gups", "base", "n/a", "42", "-", "n/a", "n/a", "n/a", "n/a", "n/a", "pmu"])
    t.equal("pmu_line.no_bar", plot_script(pmu_rec, "/tmp/x.png"), None)
    t.equal("pmu_line.csv_rows", len(list(csv.reader(io.StringIO(render_csv(pmu_rec))))), 2)

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
    t.equal("csv.lead", rows[0][:9], ["file", "line", "part", "boot", "config", "kind",
                                      "workload", "mode", "source"])
    t.equal("csv.union", rows[0][-6:], ["badpage", "reason", "count", "refs_per_kaccess",
                                        "x_native", "native_ref"])
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
    matrix_self_test(t)
    print(f"SUMMARY: {t.tests} tests, {t.failures} failures, 0 skipped")
    return 1 if t.failures else 0


MATRIX_LOG = """\
options: selftest=off(default) mode=base(default) ept_page=2m guest_ram=8G pwc=off(default)
[guest] guest options: checks=off workloads=gups modes=all gpage=4k(default) region=4G
RESULT workload=gups mode=base source=model accesses=1000 tlb_misses=900 guest_refs=3600 \
nested_refs=10800 ept_leaves_2m=0 ept_leaves_4k=9
RESULT workload=gups mode=native source=model accesses=1000 tlb_misses=900 guest_refs=3600 \
nested_refs=0 walks=900 seg_served=0 refs_per_kaccess=3600.000 guest_leaf_4k=900
RESULT workload=gups mode=guest-direct source=model accesses=1000 tlb_misses=900 \
guest_refs=0 nested_refs=2700 walks=900 seg_served=0
RESULT workload=gups mode=dual-direct source=model accesses=1000 tlb_misses=900 \
guest_refs=0 nested_refs=0 walks=0 seg_served=900
RESULT workload=gups mode=dual-direct source=model accesses=1000 tlb_misses=900 \
guest_refs=0 nested_refs=0 walks=0 seg_served=900
"""


def matrix_self_test(t):
    """Labels from options, labels back to options, ratios to native."""
    t.equal("label.base_mixed", config_label("base", {"gpage": "4k", "ept_page": "2m"}),
            "base 4K+2M")
    t.equal("label.defaults", config_label("base", {}), "base 4K+4K")
    t.equal("label.native_ignores_ept", config_label("native", {"gpage": "1g",
                                                                "ept_page": "2m"}), "native 1G")
    t.equal("label.vmm_direct", config_label("vmm-direct", {"gpage": "2m", "ept_page": "4k"}),
            "vmm-direct 2M")
    t.equal("label.guest_direct", config_label("guest-direct", {"gpage": "2m",
                                                                 "ept_page": "1g"}),
            "guest-direct 1G")
    t.equal("label.dual", config_label("dual-direct", {"gpage": "2m", "ept_page": "1g"}),
            "dual-direct")
    t.equal("label.caches", config_label("base", {"pwc": "on", "ntlb": "on", "npwc": "on"}),
            "base 4K+4K caches-on")
    t.equal("label.caches_mix", config_label("base", {"pwc": "on", "ntlb": "on"}),
            "base 4K+4K pwc=on ntlb=on npwc=off")
    t.equal("label.caches_mix_parsed",
            parse_label("base 4K+4K pwc=on ntlb=on npwc=off")[1],
            {"gpage": "4k", "ept_page": "4k", "pwc": "on", "ntlb": "on", "npwc": "off"})
    t.equal("label.pwc_only", config_label("native", {"pwc": "on"}), "native 4K pwc-on")
    t.equal("label.tlb", config_label("native", {"tlb": "sandybridge"}),
            "native 4K tlb=sandybridge")
    for label in MATRIX_ROWS + ["native 4K tlb=sandybridge", "base 1G+4K pwc-on"]:
        mode, options = parse_label(label)
        t.equal(f"label.roundtrip[{label}]", config_label(mode, options), label)
    for bad in ("base 4K", "native 4K+2M", "dual-direct 4K", "fast 4K", "base 8K+4K"):
        try:
            parse_label(bad)
            t.check(f"label.rejects[{bad}]", False, "accepted")
        except ValueError:
            t.check(f"label.rejects[{bad}]", True)
    t.equal("ref.base", native_reference("base 2M+4K"), ("native 2M", "native 2M"))
    t.equal("ref.guest_direct", native_reference("guest-direct 1G"), ("native 4K",) * 2)
    t.equal("ref.caches", native_reference("base 4K+4K caches-on"),
            ("native 4K caches-on", "native 4K"))
    t.equal("parse.options_default_marks", parse_options("a=1(default) b=2m x"),
            {"a": "1", "b": "2m"})

    records = parse_stream(io.StringIO(MATRIX_LOG), "m.log")
    hv, guest = log_options(io.StringIO(MATRIX_LOG))
    tag_records(records, "p", "01-p", dict(hv, **guest))
    t.equal("matrix.labels", [r["config"] for r in records],
            ["base 4K+2M", "native 4K", "guest-direct 2M", "dual-direct", "dual-direct"])
    group = matrix_groups(records)[("p", "gups")]
    by = {l: r["fields"] for l, r in group.items()}
    t.equal("kacc.derived", refs_per_kaccess(by["base 4K+2M"]), 14400.0)
    t.equal("kacc.given", refs_per_kaccess(by["native 4K"]), 3600.0)
    t.equal("ratio.base", ratio_to_native("base 4K+2M", by), (4.0, "native 4K"))
    t.equal("ratio.native", ratio_to_native("native 4K", by), (1.0, "native 4K"))
    t.equal("ratio.guest_direct", ratio_to_native("guest-direct 2M", by), (0.75, "native 4K"))
    t.equal("ratio.dual", ratio_to_native("dual-direct", by), (0.0, "native 4K"))
    t.equal("ratio.no_native", ratio_to_native("base 2M+2M", {"base 2M+2M": by["native 4K"]}),
            (None, "native 2M"))
    zero = {"accesses": 10, "guest_refs": 0, "nested_refs": 0}
    t.equal("ratio.zero_over_zero", ratio_to_native("base 1G+1G",
                                                    {"base 1G+1G": zero, "native 1G": zero}),
            (1.0, "native 1G"))
    t.equal("ratio.over_zero", ratio_to_native(
        "base 1G+1G", {"base 1G+1G": by["native 4K"], "native 1G": zero}),
        (float("inf"), "native 1G"))
    t.equal("walks.refs_per_walk", matrix_refs_per_walk(by["guest-direct 2M"]), 3.0)
    t.equal("repeat.folded", len(group["dual-direct"].get("repeats", [])), 1)
    t.equal("repeat.agree", repeats_agree(group["dual-direct"]), True)
    t.equal("notes.clamped", leaf_notes("base 4K+2M", by["base 4K+2M"]),
            ["no 2M nested leaves"])
    table = render_matrix(records, {"p": "part p"},
                          {("p", "gups"): {"base 1G+1G": "boot 02-p failed: gpage=1g"}})
    t.check("matrix.table_title", "== gups: part p ==" in table, table)
    t.check("matrix.table_missing", re.search(r"base 1G\+1G +missing .*boot 02-p failed", table)
            is not None, table)
    t.check("matrix.table_ratio", re.search(r"base 4K\+2M .* 14400.00 +4.00 +native 4K", table)
            is not None, table)
    doc = json.loads(render_json(records, [], {("p", "gups"): {"base 1G+1G": "x"}}))
    t.equal("matrix.json_config", doc["results"][0]["config"], "base 4K+2M")
    t.check("matrix.json_ratio", any(m.get("config") == "base 4K+2M"
                                     and m["ratio_to_native"] == 4.0 for m in doc["matrix"]),
            str(doc["matrix"]))
    t.check("matrix.json_missing", any(m.get("missing") == "x" for m in doc["matrix"]),
            str(doc["matrix"]))
    rows = list(csv.DictReader(io.StringIO(render_csv(records))))
    t.equal("matrix.csv_config", [r["config"] for r in rows][:2], ["base 4K+2M", "native 4K"])
    t.equal("matrix.csv_ratio", rows[0]["x_native"], "4.00")
    scripts = matrix_plot_scripts(records, "/tmp/out")
    t.equal("matrix.plot_files", sorted(scripts), ["/tmp/out/p-refs_per_kaccess.png",
                                                   "/tmp/out/p-tlb_seg.png"])
    t.check("matrix.plot_units", "per 1000 accesses" in scripts["/tmp/out/p-tlb_seg.png"]
            and "model" in scripts["/tmp/out/p-refs_per_kaccess.png"]
            and "set logscale y" in scripts["/tmp/out/p-refs_per_kaccess.png"], "")
    if shutil.which("gnuplot"):
        with tempfile.TemporaryDirectory() as d:
            try:
                render_matrix_plots(records, d)
                for name in ("p-refs_per_kaccess.png", "p-tlb_seg.png"):
                    with open(os.path.join(d, name), "rb") as f:
                        t.equal(f"matrix.png[{name}]", f.read(8), b"\x89PNG\r\n\x1a\n")
            except RuntimeError as e:
                t.check("matrix.png", False, str(e))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("logs", nargs="*", help="serial logs ('-' or none: stdin)")
    ap.add_argument("--out", default="results", help="output directory (default: results)")
    ap.add_argument("--no-plot", action="store_true", help="do not draw the plots")
    ap.add_argument("--matrix", metavar="MANIFEST",
                    help="render a matrix run (tools/matrix.py's manifest) instead of logs")
    ap.add_argument("--list", action="store_true",
                    help="also print every RESULT line's figures in one flat table")
    ap.add_argument("--self-test", action="store_true",
                    help="check parsing and outputs on built-in sample lines")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    forwarded, boots, expected, parts = [], None, None, None
    try:
        if args.matrix:
            records, parts, expected, boots = read_manifest(args.matrix)
            if not records and not expected:
                raise InputError("no-results", f"no boots in {args.matrix}")
        else:
            records = read_inputs(args.logs, forwarded)
            tag_plain_logs(records, args.logs or ["-"])
    except InputError as e:
        print(f"render.py: error: {e}", file=sys.stderr)
        return 2
    if forwarded:
        print(f"render.py: left out {len(forwarded)} [guest] RESULT line(s) forwarded from "
              f"the guest (first: {forwarded[0]}); only the hypervisor's RESULT lines count",
              file=sys.stderr)
    if args.list or not any("config" in r for r in records):
        sys.stdout.write(render_table(records) + "\n")
    sys.stdout.write(render_matrix(records, parts, expected))
    try:
        message = write_outputs(records, args.out, not args.no_plot, boots, expected, parts)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"render.py: error: output: {e}", file=sys.stderr)
        return 1
    print(f"wrote {os.path.join(args.out, 'results.json')}, "
          f"{os.path.join(args.out, 'results.csv')}; {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
