#!/usr/bin/env python3
"""The layout contract of DESIGN.md ("Layout"), checked from the sources.

Reads every #include "..." of the C and assembly sources, maps each file to
its folder (arch/x86, hv, hv/mem, hv/vm, ..., lib, lib/x86, guest), and checks:
  - each folder includes only the folders it is allowed to (ALLOWED below:
    guest -> lib; hv -> arch, lib; arch -> lib; inside hv/ the concepts
    point one way);
  - the folder graph has no cycle;
  - hv/ core code includes no vendor header (VMX or SVM definitions),
    directly or through the headers it includes;
  - no inline assembly in hv/ or in lib/ outside lib/x86/ (the CPU is
    reached through arch/x86 and lib/x86).
Prints one line per violation and exits 1 if there is any; with --graph it
prints the folder graph it found. Run by `make test` (tools/test.sh).
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*#\s*include\s*["<]([^">]+)[">]', re.M)
ASM = re.compile(r'\b(__asm__|asm)\s*(volatile\s*|__volatile__\s*)?\(')
ASM_FREE = ("hv", "lib")  # folders (and their subfolders) with no inline assembly

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
    "tests/attack": {"lib", "lib/x86"},  # the attack kernel, a guest of its own
    "tests/bzimage": {"lib", "lib/x86"},  # the bzImage test kernel, a guest of its own
    "tests/tp": {"lib", "lib/x86"},  # the tp kernel, a guest that uses nothing of segvisor's
    "tests/unit": None,  # host tests may reach anything they test
    "tests/fuzz": None,  # and so may the fuzz targets
}

# Vendor headers: only arch/x86 (and the tests) may include them.
VENDOR = re.compile(r"^arch/x86/(vmx|svm|vmcs)[^/]*\.h$")

SOURCE_DIRS = ("arch", "hv", "lib", "guest", "tests")


def folder_of(path: str) -> str:
    return str(pathlib.PurePosixPath(path).parent)


def sources(root: pathlib.Path):
    """(path relative to root, text) of every C and assembly source."""
    for top in SOURCE_DIRS:
        for f in sorted((root / top).rglob("*")):
            if f.suffix in (".c", ".h", ".S") and f.is_file():
                yield f.relative_to(root).as_posix(), f.read_text(errors="replace")


def project_includes(root: pathlib.Path, text: str):
    """The includes of a text that name files of the project (system headers
    such as <stdarg.h> are not folders of the layout)."""
    for inc in INCLUDE.findall(text):
        inc = str(pathlib.PurePosixPath(inc))
        if (root / inc).is_file() or inc.split("/")[0] in SOURCE_DIRS:
            yield inc


def vendor_reached(root: pathlib.Path, header: str, seen=None):
    """The first vendor header reached from header through its includes, or None."""
    seen = set() if seen is None else seen
    if header in seen or not (root / header).is_file():
        return None
    seen.add(header)
    if VENDOR.match(header):
        return header
    for inc in project_includes(root, (root / header).read_text(errors="replace")):
        found = vendor_reached(root, inc, seen)
        if found:
            return found
    return None


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
    for rel, text in sources(root):
        src = folder_of(rel)
        if src.split("/")[0] in ASM_FREE and not src.startswith("lib/x86"):
            for n, line in enumerate(text.splitlines(), 1):
                if ASM.search(line):
                    problems.append(f"{rel}:{n}: inline assembly outside arch/x86 and lib/x86")
        for inc in project_includes(root, text):
            problems.extend(check_include(root, rel, src, inc, graph))
    graph.pop("tests/unit", None)
    graph.pop("tests/fuzz", None)
    cycle = find_cycle(graph)
    if cycle:
        problems.append("include cycle between folders: " + " -> ".join(cycle))
    return problems, graph


def check_include(root, rel, src, inc, graph):
    """The problems of one include of rel (in folder src); records the edge."""
    dst = folder_of(inc)
    if not (root / inc).is_file():
        return [f"{rel}: includes {inc}, which does not exist"]
    problems = []
    if src != dst:
        graph.setdefault(src, set()).add(dst)
    allowed = ALLOWED.get(src, set())
    if src not in ALLOWED:
        problems.append(f"{rel}: folder {src} is not in the layout (tools/check_layout.py)")
    elif allowed is not None and src != dst and dst not in allowed:
        problems.append(f"{rel}: includes {inc}: {src} may not use {dst}")
    if src.startswith("hv"):
        vendor = vendor_reached(root, inc)
        if vendor == inc:
            problems.append(f"{rel}: includes the vendor header {inc}")
        elif vendor:
            problems.append(f"{rel}: includes {inc}, which brings in the vendor header {vendor}")
    return problems


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
