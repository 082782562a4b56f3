#!/usr/bin/env python3
"""The tradeoffs table of `make tradeoffs`: what each mode costs a VMM.

  tools/tradeoffs.py              run the scenarios below (tools/runner.py, one at a time),
                                  print the table, write results/tradeoffs.{json,csv,md}
  tools/tradeoffs.py --no-run     the same over their last outputs (build/system/NAME/)
  tools/tradeoffs.py --bochs      the Bochs VT-x scenarios instead of the QEMU SVM ones
  tools/tradeoffs.py --self-test  the parsing and cell logic over recorded lines

Each cell is a feature (page sharing, ballooning, guest OS swapping, VMM swapping) in a mode
(base, vmm-direct, guest-direct, dual-direct): the poster's expectation (EXPECTED, below) beside
what the runs measured. A measured cell is
  yes           the feature worked as in base, with its figures;
  limited       it worked only by escaping its pages from the VMM segment (the escape filter's
                figures), or part of it was refused by name (the refusal and what still worked);
  not measured  no scenario runs the feature in that mode (the reason is given; nothing is
                invented);
  failed        the scenario failed, or its data or walk checks did not hold.
A cell whose measured status is not the expected one is flagged (DISAGREES); "limited" is met
only by an escape or a refusal that the run printed. One more row, compaction, is the cost of
reaching a VMM segment on fragmented host memory; the poster has no such row.

Sources: the hypervisor's `RESULT kind=share|swap|balloon|compaction source=hypervisor` lines,
the test guest's `[guest] RESULT kind=gswap source=guest` line (guest swapping is the guest's
own work: only it knows what it paged out), the hypervisor's `balloon-out: refused:` lines and
its `mode:` lines, and the runner's verdict. Units are written beside every number.

Exit status: 0 when every cell is measured as expected or not measured, 1 when a cell disagrees
or failed, 2 on bad input (no output for a scenario, a malformed RESULT line).
"""

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYSTEM = Path("build/system")
SUBSET = Path("build/tradeoffs/scenarios")

MODES = ["base", "vmm-direct", "guest-direct", "dual-direct"]
FEATURES = ["page sharing", "ballooning", "guest OS swapping", "VMM swapping"]
COMPACTION = "compaction"

# The poster's table, as DESIGN.md "The problem and the design being reproduced" gives it
# (Gandhi et al., WISDoM 2014): inside a VMM segment a shared or swapped page must be escaped;
# inside a guest segment the guest can neither balloon nor swap.
EXPECTED_SOURCE = ('DESIGN.md "The problem and the design being reproduced" (the poster\'s table) '
                   'and "Memory management" ("What the modes cost a VMM")')
EXPECTED = {
    "page sharing": {"base": "yes", "vmm-direct": "limited", "guest-direct": "yes",
                     "dual-direct": "limited"},
    "ballooning": {"base": "yes", "vmm-direct": "yes", "guest-direct": "limited",
                   "dual-direct": "limited"},
    "guest OS swapping": {"base": "yes", "vmm-direct": "yes", "guest-direct": "limited",
                          "dual-direct": "limited"},
    "VMM swapping": {"base": "yes", "vmm-direct": "limited", "guest-direct": "yes",
                     "dual-direct": "limited"},
}

# The scenarios (tests/system/scenarios) that measure the cells, per engine.
SCENARIOS = {
    "qemu": {"share": "share-qemu-svm", "swap": "swap-qemu-svm", "gswap": "gswap-qemu-svm",
             "balloon": "balloon-qemu-svm", "compact": "compact-qemu-svm",
             "share-gd": "share-gd-qemu-svm", "share-dd": "share-dd-qemu-svm",
             "swap-gd": "swap-gd-qemu-svm", "swap-dd": "swap-dd-qemu-svm",
             "balloon-vd": "balloon-vd-qemu-svm"},
    "bochs": {"share": "share-bochs-vmx", "swap": "swap-bochs-vmx", "gswap": "gswap-bochs-vmx",
              "balloon": "balloon-bochs-vmx", "compact": "compact-bochs"},
}

# Cells measured by a scenario of their own (guest/share.c runs modes=all as base and
# vmm-direct; a guest-segment mode is one run each; the balloon driver balloons in the mode the
# VM starts in, vmm-direct with the hypervisor's mode=): (kind, mode) -> scenario key, used when
# the engine has that scenario.
MODE_RUNS = {
    ("share", "guest-direct"): "share-gd", ("share", "dual-direct"): "share-dd",
    ("swap", "guest-direct"): "swap-gd", ("swap", "dual-direct"): "swap-dd",
    ("balloon", "vmm-direct"): "balloon-vd",
}

# Why a cell has no run: the drivers' own limits, read from their sources.
NOT_RUN = {
    ("share", "guest-direct"): "guest/share.c runs modes=all as base and vmm-direct; only a QEMU "
                               "scenario (share-gd-qemu-svm) runs sharing in guest-direct",
    ("share", "dual-direct"): "guest/share.c runs modes=all as base and vmm-direct; only a QEMU "
                              "scenario (share-dd-qemu-svm) runs sharing in dual-direct",
    ("swap", "guest-direct"): "guest/share.c runs modes=all as base and vmm-direct; only a QEMU "
                              "scenario (swap-gd-qemu-svm) runs VMM swapping in guest-direct",
    ("swap", "dual-direct"): "guest/share.c runs modes=all as base and vmm-direct; only a QEMU "
                             "scenario (swap-dd-qemu-svm) runs VMM swapping in dual-direct",
    ("balloon", "vmm-direct"): "the balloon driver (guest/balloon.c) runs once, before the modes, "
                               "in the mode the VM starts in; only a QEMU scenario "
                               "(balloon-vd-qemu-svm) starts it in vmm-direct",
}

PPM = 1_000_000
PAGE_4K = 4096
NESTED_LEVELS_4K = 4  # a 4-level nested table to 4 KiB leaves (the scenarios' ept_page=4k)
MIB = 1 << 20
ANSI_RE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>c78])")
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
GUEST_PREFIX = "[guest] "
MODE_LINE_RE = re.compile(r"^mode: ([a-z-]+)")
BALLOON_REFUSED_RE = re.compile(r"^balloon-out: refused: entry \d+ \((0x[0-9a-f]+)\): (.*), nothing changed$")
GSWAP_REFUSED_RE = re.compile(r"^gswap: ([a-z-]+): (\d+) page-outs refused: (.*)$")
VERDICT_RE = re.compile(r"^(PASS|FAIL|CRASH|TIMEOUT|SKIP)\s+(\S+)")


class InputError(Exception):
    pass


def clean(line):
    return ANSI_RE.sub("", line).rstrip("\r\n").rstrip()


def parse_result(text, where):
    """The fields of `RESULT k=v ...` as a dict of strings; a word without '=' continues the
    value before it (reason=unmovable frames in every candidate run)."""
    words = text.split()
    if not words or words[0] != "RESULT":
        raise InputError(f"{where}: not a RESULT line")
    fields, last = {}, None
    for w in words[1:]:
        k, eq, v = w.partition("=")
        if eq and KEY_RE.match(k):
            fields[k] = v
            last = k
        elif last is not None:
            fields[last] += " " + w
        else:
            raise InputError(f"{where}: RESULT word {w!r} is not key=value")
    fields.setdefault("kind", "measurement")  # render.py's default kind: a walk measurement
    return fields


def parse_serial(lines, name):
    """What one run printed: hypervisor RESULT lines of the kinds read here, the guest's gswap
    lines, balloon refusals with the mode they came in, and gswap refusals."""
    out = {"results": [], "gswap": [], "balloon_refused": [], "gswap_refused": [],
           "modes_run": []}
    mode = "base"  # the VM starts in base (hv/vm: mode: base is printed before the guest)
    for n, raw in enumerate(lines, 1):
        line = clean(raw)
        where = f"{name}:{n}"
        forwarded = line.startswith(GUEST_PREFIX)
        body = line[len(GUEST_PREFIX):] if forwarded else line
        if not forwarded:
            m = MODE_LINE_RE.match(body)
            if m:
                mode = m.group(1)
                out["modes_run"].append(mode)
                continue
            m = BALLOON_REFUSED_RE.match(body)
            if m:
                out["balloon_refused"].append({"gpa": m.group(1), "why": m.group(2),
                                               "mode": mode, "where": where})
                continue
        if body.startswith("RESULT ") or body == "RESULT":
            f = parse_result(body, where)
            f["_where"] = where
            if forwarded:
                if f["kind"] == "gswap" and f.get("source") == "guest":
                    out["gswap"].append(f)
            elif f["kind"] in ("share", "swap", "balloon", "compaction") \
                    and f.get("source") == "hypervisor":
                f["_mode"] = mode
                out["results"].append(f)
        elif forwarded:
            m = GSWAP_REFUSED_RE.match(body)
            if m:
                out["gswap_refused"].append({"mode": m.group(1), "pages": int(m.group(2)),
                                             "why": m.group(3), "where": where})
    return out


def num(f, key):
    v = f.get(key)
    if v is None:
        raise InputError(f"{f.get('_where', '?')}: kind={f.get('kind')} has no {key}=")
    try:
        return int(v, 0) if re.match(r"^[+-]?(0x[0-9a-fA-F]+|[0-9]+)$", v) else float(v)
    except ValueError:
        raise InputError(f"{f.get('_where', '?')}: {key}={v} is not a number") from None


def pct(ppm):
    return f"{ppm / (PPM / 100):.1f} %"


def cell(status, text, figures, source, note=""):
    return {"status": status, "text": text, "figures": figures, "source": source,
            "note": note}


def one(results, kind, mode):
    hits = [r for r in results if r["kind"] == kind and r.get("mode") == mode]
    return hits[-1] if hits else None


def filter_figures(f):
    """The escape filter's figures of a share or swap line, each with its unit."""
    return {
        "escaped": (num(f, "escaped"), "pages (4 KiB) escaped at the end"),
        "filter_pages": (num(f, "filter_pages"), "pages (4 KiB) ever put in the filter"),
        "filter_bits_set": (num(f, "filter_bits_set"), f"bits of {num(f, 'filter_bits')}"),
        "fp_rate_model": (round(num(f, "fp_rate_model_ppm") / (PPM / 100), 1),
                          "% of filter checks (model)"),
        "fp_rate_theory": (round(num(f, "fp_rate_theory_ppm") / (PPM / 100), 1),
                           "% (theory, from the bits set)"),
        "refs_per_walk": (num(f, "refs_per_walk"), "memory references per walk (model)"),
    }


def share_cell(run, mode, source):
    f = one(run["results"], "share", mode) if run else None
    if f is None:
        return not_measured("share", mode, source)
    figs = {
        "pages_shared": (num(f, "pages_shared"), "pages (4 KiB) merged"),
        "bytes_freed": (num(f, "frames_freed") * PAGE_4K, "B of host memory freed"),
        "cow_faults": (num(f, "cow_faults"), "copy-on-write faults"),
    }
    figs.update(filter_figures(f))
    bad = num(f, "hpa_mismatches") + num(f, "model_faults") + num(f, "hash_collisions")
    base = (f"{figs['pages_shared'][0]} pages shared ({figs['bytes_freed'][0] // 1024} KiB freed), "
            f"{figs['cow_faults'][0]} COW faults")
    if bad or figs["pages_shared"][0] == 0:
        return cell("failed", f"failed: {base}, {bad} mismatches/faults", figs, source)
    return escape_cell(f, figs, base, source, one(run["results"], "share", "base"))


def guest_levels(base_rpw):
    """The guest walk's levels n from base's refs per walk over 4 KiB nested leaves (m = 4):
    (n+1)(m+1)-1 refs (DESIGN.md "The problem and the design being reproduced"); None when
    base's figure is not of that form."""
    n = (base_rpw + 1) / (NESTED_LEVELS_4K + 1) - 1
    return int(n) if n >= 1 and abs(n - round(n)) < 1e-9 else None


def escape_cell(f, figs, base, source, base_line=None):
    rpw = figs["refs_per_walk"][0]
    if figs["filter_pages"][0] > 0 or figs["escaped"][0] > 0:
        ref = ""
        n = guest_levels(num(base_line, "refs_per_walk")) if base_line else None
        if n is not None and f.get("mode") == "vmm-direct":
            # vmm-direct with nothing escaped walks the guest's n levels only.
            figs["refs_per_walk_unescaped"] = (n, "refs/walk with no page escaped "
                                                  "(n guest levels, from base's (n+1)(4+1)-1)")
            ref = f" (vs {n} with none escaped)"
        if f.get("mode") == "dual-direct":
            # dual-direct serves what the filter passes from the segment, with no walk.
            walks, accesses = num(f, "walks"), num(f, "model_accesses")
            figs["walks"] = (walks, f"walks of {accesses} accesses (model; the others "
                                    "segment-served)")
            ref = f" over the {walks} of {accesses} accesses that walked"
        return cell("limited",
                    f"limited: {base}; {figs['escaped'][0]} pages escaped "
                    f"({figs['filter_pages'][0]} in the filter, {figs['filter_bits_set'][0]} "
                    f"{figs['filter_bits_set'][1]} set), fp {figs['fp_rate_model'][0]:.1f} % "
                    f"of checks, {rpw:.3f} refs/walk{ref}", figs, source)
    return cell("yes", f"yes: {base}; 0 pages escaped, {rpw:.3f} refs/walk", figs, source)


def swap_cell(run, mode, source):
    f = one(run["results"], "swap", mode) if run else None
    if f is None:
        return not_measured("swap", mode, source)
    figs = {
        "pages_out": (num(f, "pages_out"), "pages (4 KiB) evicted"),
        "pages_in": (num(f, "pages_in"), "pages (4 KiB) faulted back in"),
        "bytes_out": (num(f, "bytes_out"), "B moved to the host-memory store"),
        "bytes_in": (num(f, "bytes_in"), "B moved back"),
    }
    figs.update(filter_figures(f))
    bad = num(f, "corrupt") + num(f, "hpa_mismatches")
    base = (f"{figs['pages_out'][0]} pages out, {figs['pages_in'][0]} in by faults, "
            f"{figs['bytes_out'][0] // 1024} KiB moved out")
    if bad or figs["pages_out"][0] == 0:
        return cell("failed", f"failed: {base}, {bad} corrupt/mismatched", figs, source)
    return escape_cell(f, figs, base, source, one(run["results"], "swap", "base"))


def gswap_cell(run, mode, source):
    hits = [g for g in run["gswap"] if g.get("mode") == mode] if run else []
    if not hits:
        return not_measured("gswap", mode, source)
    f = hits[-1]
    figs = {
        "pages_out": (num(f, "pages_out"), "pages (4 KiB) paged out by the guest"),
        "pages_in": (num(f, "pages_in"), "pages (4 KiB) paged in"),
        "faults": (num(f, "faults"), "guest #PF"),
        "refused": (num(f, "refused"), "page-outs refused"),
        "store_bytes": (num(f, "store_bytes"), "B in the guest's store"),
    }
    why = f.get("refused_why", "none")
    named = [r for r in run["gswap_refused"] if r["mode"] == mode]
    if figs["refused"][0] > 0:
        if not named:
            return cell("failed", f"failed: refused={figs['refused'][0]} with no refusal printed",
                        figs, source)
        return cell("limited",
                    f"limited: refused: {figs['refused'][0]} page-outs ({named[-1]['why']}; "
                    f"refused_why={why}), {figs['pages_out'][0]} pages moved", figs, source)
    if figs["pages_out"][0] == 0 or figs["pages_in"][0] != figs["pages_out"][0]:
        return cell("failed", f"failed: {figs['pages_out'][0]} out, {figs['pages_in'][0]} in",
                    figs, source)
    return cell("yes", f"yes: {figs['pages_out'][0]} pages out and {figs['pages_in'][0]} in by "
                       f"{figs['faults'][0]} #PF, {figs['store_bytes'][0] // 1024} KiB stored",
                figs, source)


def balloon_cell(run, mode, source):
    f = one(run["results"], "balloon", None) if run else None
    if f is None:
        return not_measured("balloon", mode, source)
    # The balloon line has no mode=: the ballooning happened in the mode of the guest's
    # balloon calls, which is the mode its refusals were printed in.
    done_in = run["balloon_refused"][-1]["mode"] if run["balloon_refused"] else "base"
    figs = {
        "pages_returned": (num(f, "pages_returned"), "pages (4 KiB) returned"),
        "pages_hotadded": (num(f, "pages_hotadded"), "pages (4 KiB) hot-added"),
        "hotadd_bytes": (num(f, "hotadd_bytes"), "B of contiguous gPA hot-added"),
        "pages_taken_back": (num(f, "pages_taken_back"), "pages (4 KiB) taken back"),
    }
    worked = (f"{figs['pages_returned'][0]} pages returned, {figs['pages_hotadded'][0]} "
              f"hot-added ({figs['hotadd_bytes'][0] / MIB:.1f} MiB at {f.get('hotadd_gpa')}), "
              f"{figs['pages_taken_back'][0]} taken back")
    if figs["pages_returned"][0] == 0:
        return cell("failed", f"failed: {worked}", figs, source)
    if mode == done_in:
        if mode == "vmm-direct":
            # Every list was taken with the VMM segment set; it then covers the new range.
            figs["vmm_seg_bytes"] = (num(f, "vmm_seg_bytes"), "B the VMM segment covers after")
            worked += (f"; ballooned with the VMM segment set, which then covers the hot-added "
                       f"range ({figs['vmm_seg_bytes'][0] / MIB:.1f} MiB)")
        return cell("yes", f"yes: {worked}", figs, source)
    gseg = [r for r in run["balloon_refused"] if "guest segment" in r["why"]]
    if mode in ("guest-direct", "dual-direct"):
        if not gseg:
            return not_measured("balloon", mode, source,
                                "the run printed no refusal inside the guest segment")
        ran = mode in run["modes_run"]
        figs["refused_in_gseg"] = (len(gseg), "lists refused inside the guest segment")
        return cell("limited",
                    f"limited: refused inside the guest segment (HC_ESEGMENT: {gseg[-1]['why']}, "
                    f"gPA {gseg[-1]['gpa']}, nothing changed); outside it {worked}"
                    + (f"; {mode} then ran on the hot-added range" if ran else ""),
                    figs, source,
                    note=f"the refusal was taken in {gseg[-1]['mode']} with a guest segment "
                         f"declared, as {mode} declares it")
    return not_measured("balloon", mode, source)


def compaction_cell(run, mode, source):
    f = one(run["results"], "compaction", mode) if run else None
    if f is None:
        if run and mode in run["modes_run"] and mode in ("base", "guest-direct"):
            return cell("not needed", "not needed: paging runs on the scattered host frames", {}, source)
        if run and mode in run["modes_run"] and mode == "dual-direct":
            prior = one(run["results"], "compaction", "vmm-direct")
            if prior and prior.get("status") == "done":
                return cell("not needed", "not needed: guest RAM is one host run since the vmm-direct "
                                   "compaction", {}, source)
        return cell("not measured", "not measured: no compaction line", {}, source)
    figs = {
        "frames_moved": (num(f, "frames_moved"), "frames (4 KiB) moved"),
        "bytes_moved": (num(f, "bytes_moved"), "B moved"),
        "tenant_frames_moved": (num(f, "tenant_frames_moved"), "frames (4 KiB) of other tenants"),
        "frames_unmovable": (num(f, "frames_unmovable"), "frames (4 KiB) unmovable"),
        "ms": (num(f, "ms"), "ms (TSC)"),
    }
    if f.get("status") == "done":
        if f.get("hash_equal") != "yes":
            return cell("failed", "failed: guest RAM hash differs after compaction", figs, source)
        return cell("done",
                    f"done: {figs['frames_moved'][0]} frames ({figs['bytes_moved'][0] / MIB:.0f} "
                    f"MiB) moved, {figs['tenant_frames_moved'][0]} of them other tenants', "
                    f"{figs['ms'][0]} ms, guest RAM hash equal", figs, source)
    return cell("refused", f"refused: {f.get('reason')}; {figs['frames_unmovable'][0]} frames "
                           f"unmovable, VM stays in paging", figs, source)


def not_measured(kind, mode, source, why=None):
    why = why or NOT_RUN.get((kind, mode)) or "the scenario printed no line for this mode"
    return cell("not measured", f"not measured: {why}", {}, source)


CELL_OF = {"page sharing": ("share", share_cell), "ballooning": ("balloon", balloon_cell),
           "guest OS swapping": ("gswap", gswap_cell), "VMM swapping": ("swap", swap_cell)}


def build_table(runs, names, verdicts):
    """runs: scenario key -> parse_serial output (or None); names: key -> scenario name;
    verdicts: scenario name -> runner verdict (PASS, FAIL, ...) or None when not run now."""
    rows = []
    for feat in FEATURES + [COMPACTION]:
        kind, fn = CELL_OF.get(feat, ("compact", compaction_cell))
        for mode in MODES:
            key = MODE_RUNS.get((kind, mode), kind)
            key = key if key in names else kind
            name = names[key]
            c = fn(runs.get(key), mode, f"{name} ({SYSTEM / name / 'serial.txt'})")
            v = verdicts.get(name)
            if v not in (None, "PASS") and c["status"] != "not measured":
                c["status"] = "failed"
                c["text"] = f"failed: scenario {v}; " + c["text"]
            exp = EXPECTED.get(feat, {}).get(mode, "n/a")
            c["expected"] = exp
            c["feature"], c["mode"] = feat, mode
            c["flag"] = flag(exp, c["status"])
            rows.append(c)
    return rows


def flag(expected, status):
    if expected == "n/a":
        return "FAILED" if status == "failed" else ""
    if status == "not measured":
        return "not measured"
    if status == "failed":
        return "FAILED"
    return "" if status == expected else "DISAGREES"


def render_text(rows):
    out = io.StringIO()
    out.write(f"Tradeoffs: what each mode costs a VMM (expected: {EXPECTED_SOURCE})\n\n")
    # The poster's grid first, each cell "expected -> measured", then each cell's figures.
    short = {"not measured": "-", "not needed": "n/a"}
    out.write(f"{'':<19}" + "".join(f"{m:<21}" for m in MODES) + "\n")
    for feat in FEATURES:
        out.write(f"{feat:<19}")
        for r in (r for r in rows if r["feature"] == feat):
            got = short.get(r["status"], r["status"])
            mark = " !" if r["flag"] in ("DISAGREES", "FAILED") else ""
            out.write(f"{r['expected'] + ' -> ' + got + mark:<21}")
        out.write("\n")
    out.write("(expected -> measured; - not measured, ! disagrees or failed)\n")
    for feat in FEATURES + [COMPACTION]:
        out.write(f"\n{feat}" + (" (reaching a VMM segment; not a row of the poster)"
                                 if feat == COMPACTION else "") + "\n")
        for r in (r for r in rows if r["feature"] == feat):
            mark = f"  [{r['flag']}]" if r["flag"] else ""
            out.write(f"  {r['mode']:<13} expected {r['expected']:<8} measured {r['text']}{mark}\n")
    n_bad = sum(r["flag"] in ("DISAGREES", "FAILED") for r in rows)
    n_nm = sum(r["status"] == "not measured" for r in rows)
    n_ok = sum(r["flag"] == "" and r["expected"] != "n/a" for r in rows)
    out.write(f"\n{n_ok} cells as the poster says, {n_bad} disagree or failed, "
              f"{n_nm} not measured\n")
    return "".join(ln.rstrip() + "\n" for ln in out.getvalue().splitlines())


def render_md(rows):
    out = io.StringIO()
    out.write("| feature | " + " | ".join(MODES) + " |\n|---|" + "---|" * len(MODES) + "\n")
    for feat in FEATURES + [COMPACTION]:
        cells = []
        for mode in MODES:
            r = next(x for x in rows if x["feature"] == feat and x["mode"] == mode)
            mark = f" **{r['flag']}**" if r["flag"] and r["flag"] != "not measured" else ""
            cells.append(f"expected {r['expected']}; measured {r['text']}{mark}".replace("|", "/"))
        out.write(f"| {feat} | " + " | ".join(cells) + " |\n")
    out.write(f"\nExpected cells: {EXPECTED_SOURCE}. Measured: tools/tradeoffs.py over "
              "the scenarios' RESULT lines.\n")
    return out.getvalue()


def write_results(rows, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {"expected_source": EXPECTED_SOURCE, "modes": MODES, "features": FEATURES + [COMPACTION],
           "cells": [{**r, "figures": {k: {"value": v, "unit": u}
                                       for k, (v, u) in r["figures"].items()}} for r in rows]}
    (out_dir / "tradeoffs.json").write_text(json.dumps(doc, indent=2) + "\n")
    with open(out_dir / "tradeoffs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["feature", "mode", "expected", "status", "flag", "measured", "figure",
                    "value", "unit", "source"])
        for r in rows:
            figs = list(r["figures"].items()) or [("", ("", ""))]
            for k, (v, u) in figs:
                w.writerow([r["feature"], r["mode"], r["expected"], r["status"], r["flag"],
                            r["text"], k, v, u, r["source"]])
    (out_dir / "tradeoffs.md").write_text(render_md(rows))


def run_scenarios(names):
    """Runs the named scenarios through tools/runner.py, one at a time, from a list holding
    only their lines; returns name -> verdict."""
    lines = (ROOT / "tests/system/scenarios").read_text().splitlines()
    keep = [ln for ln in lines if ln.split() and ln.split()[0] in names]
    missing = set(names) - {ln.split()[0] for ln in keep}
    if missing:
        raise InputError(f"tests/system/scenarios has no scenario {', '.join(sorted(missing))}")
    (ROOT / SUBSET).parent.mkdir(parents=True, exist_ok=True)
    (ROOT / SUBSET).write_text("\n".join(keep) + "\n")
    p = subprocess.run([sys.executable, "tools/runner.py", "--scenarios", str(SUBSET), "-j", "1"],
                       cwd=ROOT, capture_output=True, text=True)
    verdicts = {}
    for ln in p.stdout.splitlines():
        m = VERDICT_RE.match(clean(ln))
        if m and m.group(2) in names:
            verdicts[m.group(2)] = m.group(1)
    for n in names:
        verdicts.setdefault(n, "FAIL")
    sys.stderr.write("".join(f"tradeoffs: {n}: {verdicts[n]}\n" for n in names))
    return verdicts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="read the last outputs, run nothing")
    ap.add_argument("--bochs", action="store_true", help="the Bochs VT-x scenarios")
    ap.add_argument("--out", default="results", help="directory for tradeoffs.{json,csv,md}")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    if args.self_test:
        import unittest
        suite = unittest.defaultTestLoader.loadTestsFromName("test_tradeoffs")
        ok = unittest.TextTestRunner(verbosity=1).run(suite).wasSuccessful()
        return 0 if ok else 1
    names = SCENARIOS["bochs" if args.bochs else "qemu"]
    try:
        verdicts = {} if args.no_run else run_scenarios(sorted(names.values()))
        runs = {}
        for key, name in names.items():
            path = ROOT / SYSTEM / name / "serial.txt"
            if not path.exists():
                raise InputError(f"{path.relative_to(ROOT)}: no output (run without --no-run)")
            runs[key] = parse_serial(path.read_text(errors="replace").splitlines(), name)
        rows = build_table(runs, names, verdicts)
    except InputError as e:
        print(f"tradeoffs: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(render_text(rows))
    write_results(rows, ROOT / args.out)
    print(f"tradeoffs: results in {args.out}/tradeoffs.{{json,csv,md}}")
    return 1 if any(r["flag"] in ("DISAGREES", "FAILED") for r in rows) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
