#!/usr/bin/env python3
"""The layout contract of DESIGN.md ("Layout"), checked from the sources.

Reads every #include "..." of the C and assembly sources, maps each file to
its folder (arch/x86, hv, hv/mem, hv/vm, ..., lib, lib/x86, guest), and checks:
  - each folder includes only the folders it is allowed to (ALLOWED below:
    guest -> lib; hv -> arch, lib; arch -> lib; inside hv/ the concepts
    point one way);
  - the folder graph has no cycle;
  - hv/ core code includes no vendor header (VMX or SVM definitions).
Prints one line per violation and exits 1 if there is any; with --graph it
prints the folder graph it found. Run by `make test` (tools/test.sh).
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# Folder -> the folders its files may include (besides its own).
ALLOWED = {
    "lib": set(),
    "lib/x86": {"lib"},
    "arch/x86": {"lib", "lib/x86"},
    "hv/mem": {"arch/x86", "lib", "lib/x86"},
    "hv/dseg": {"hv/mem", "arch/x86", "lib", "lib/x86"},
    "hv/model": {"hv/dseg", "hv/mem", "arch/x86", "lib", "lib/x86"},
    "hv/platform": {"arch/x86", "lib", "lib/x86"},
    "hv/vm": {"hv/platform", "hv/model", "hv/dseg", "hv/mem", "arch/x86", "lib", "lib/x86"},
    "hv": {"hv/vm", "hv/platform", "hv/model", "hv/dseg", "hv/mem", "arch/x86", "lib",
           "lib/x86"},
    "guest": {"lib", "lib/x86"},
    "tests/unit": None,  # host tests may reach anything they test
}

# Vendor headers: only arch/x86 (and the tests) may include them.
VENDOR = re.compile(r"^arch/x86/(vmx|svm|vmcs)[^/]*\.h$")

SOURCE_DIRS = ("arch", "hv", "lib", "guest", "tests")


def folder_of(path: str) -> str:
    return str(pathlib.PurePosixPath(path).parent)


def scan(root: pathlib.Path):
    """(file, included path) for every quoted include under the source dirs."""
    for top in SOURCE_DIRS:
        for f in sorted((root / top).rglob("*")):
            if f.suffix not in (".c", ".h", ".S") or not f.is_file():
                continue
            rel = f.relative_to(root).as_posix()
            for inc in INCLUDE.findall(f.read_text(errors="replace")):
                yield rel, inc


def find_cycle(graph: dict):
    """One cycle of the folder graph as a list of folders, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def check(root: pathlib.Path):
    problems, graph = [], {}
    for rel, inc in scan(root):
        src, dst = folder_of(rel), folder_of(inc)
        if not (root / inc).is_file():
            problems.append(f"{rel}: includes {inc}, which does not exist")
            continue
        if src != dst:
            graph.setdefault(src, set()).add(dst)
        allowed = ALLOWED.get(src, set())
        if src not in ALLOWED:
            problems.append(f"{rel}: folder {src} is not in the layout (tools/check_layout.py)")
        elif allowed is not None and src != dst and dst not in allowed:
            problems.append(f"{rel}: includes {inc}: {src} may not use {dst}")
        if src.startswith("hv") and VENDOR.match(inc):
            problems.append(f"{rel}: includes the vendor header {inc}")
    graph.pop("tests/unit", None)
    cycle = find_cycle(graph)
    if cycle:
        problems.append("include cycle between folders: " + " -> ".join(cycle))
    return problems, graph


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", action="store_true", help="print the folder graph")
    args = ap.parse_args(argv)
    problems, graph = check(ROOT)
    if args.graph:
        for src in sorted(graph):
            print(f"{src} -> {', '.join(sorted(graph[src]))}")
    for p in problems:
        print(f"layout: {p}")
    if not problems:
        print(f"layout: {len(graph)} folders, includes one way, no cycle")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
