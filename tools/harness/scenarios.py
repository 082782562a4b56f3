"""The scenario list (tests/system/scenarios): parsing and validation.

One scenario per line, nine fields split like a shell command line (quote a
field that holds spaces; `-` is an empty option field; `#` starts a comment):
  name image module engine cpu timeout expect hv-options guest-args [mem=MIB]
The format is documented for its readers at the top of the scenario file.
After the nine fields, optional runner words may follow:
  mem=MIB   the emulator's RAM in MiB (QEMU -m, Bochs megs:); default
            DEFAULT_MEM. Bochs allows at most BOCHS_MAX_MEM (2048): more is
            refused by name here, before any emulator starts.
  mods=FILE[ ARGS][,FILE[ ARGS]...]
            the guest's own modules: Multiboot modules 2, 3, ... of the
            hypervisor, in order, each with its string "FILE ARGS" (paths
            relative to the repository root; image hv only).
  needs=PATH
            the scenario SKIPs, by name, when PATH (relative to the root) is
            absent: inputs fetched by an optional step (`make thirdparty`).
A malformed line is an error naming the file and line, never skipped.
"""

import re
import shlex
from dataclasses import dataclass

import mkcorrupt

IMAGES = ("hv", "guest")
ENGINES = ("qemu-kernel", "qemu-iso", "bochs-iso", "qemu-uefi")
EXPECT_KINDS = ("pass", "fail", "skip", "report", "results", "crash")
FIELDS = ("name", "image", "module", "engine", "cpu", "timeout", "expect", "hv-options",
          "guest-args")
EMPTY = "-"
RUNNER_WORDS = ("mem", "mods", "needs")
MAX_EXTRA_MODULES = 7  # the hypervisor takes 8 modules; module 1 is the guest
DEFAULT_MEM = 512  # MiB of emulator RAM, as every scenario has had it
# Bochs 2.7 panics on `megs:` above this ("host_size ... out of range 1 to 2048").
BOCHS_MAX_MEM = 2048
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ScenarioError(Exception):
    pass


# An expectation may end in `;absent:TEXT` parts: TEXT must then be in no
# line of the output (e.g. "pass:pmu: refused;absent:source=pmu"), and in
# `;also:TEXT` parts: TEXT must then be in some line (a guest that prints
# several results, e.g. "fail:guest-exit: HLT;also:init reached"), and in
# `;results:FILE` parts: the RESULT lines must meet FILE as for results:FILE
# (for a run whose main expectation is another, e.g. a guest that halts).
ABSENT_SEP = ";absent:"
ALSO_SEP = ";also:"
RESULTS_SEP = ";results:"
_PART_RE = re.compile(r"(;absent:|;also:|;results:)")


@dataclass(frozen=True)
class Expectation:
    kind: str  # one of EXPECT_KINDS
    text: str  # "" for pass
    absent: tuple = ()  # texts that must appear in no output line
    also: tuple = ()  # texts that must each appear in some output line
    results: tuple = ()  # expectation files the RESULT lines must meet as well

    def __str__(self):
        main = f"{self.kind}:{self.text}" if self.text else self.kind
        return main + "".join(ALSO_SEP + a for a in self.also) + \
            "".join(RESULTS_SEP + r for r in self.results) + \
            "".join(ABSENT_SEP + a for a in self.absent)


@dataclass(frozen=True)
class Scenario:
    name: str
    image: str  # "hv" or "guest" (the guest booted natively)
    module: str  # "guest", "attack", "none" or "corrupt:KIND"
    engine: str
    cpu: str
    timeout: int  # seconds of emulator wall time
    expect: Expectation
    hv_options: str
    guest_args: str
    mem: int = DEFAULT_MEM  # MiB of emulator RAM
    mods: tuple = ()  # the guest's own modules: (path, args) pairs
    needs: str = ""  # SKIP unless this path exists

    @property
    def module_path(self):
        """The file of a file:PATH module 1, else None."""
        return self.module.split(":", 1)[1] if self.module.startswith("file:") else None

    @property
    def corrupt_kind(self):
        return self.module.split(":", 1)[1] if self.module.startswith("corrupt:") else None

    @property
    def uses_iso(self):
        return self.engine.endswith("-iso") or self.engine == "qemu-uefi"


def parse_expectation(text: str) -> Expectation:
    main, *parts = _PART_RE.split(text)
    lists = {ABSENT_SEP: [], ALSO_SEP: [], RESULTS_SEP: []}
    for sep, part in zip(parts[::2], parts[1::2]):
        if not part:
            raise ScenarioError(f"expectation '{text}': an empty TEXT after '{sep}'")
        lists[sep].append(part)
    e = _parse_main_expectation(main)
    return Expectation(e.kind, e.text, tuple(lists[ABSENT_SEP]), tuple(lists[ALSO_SEP]),
                       tuple(lists[RESULTS_SEP]))


def _parse_main_expectation(text: str) -> Expectation:
    if text == "pass":
        return Expectation("pass", "")
    kind, sep, what = text.partition(":")
    if not sep or kind not in EXPECT_KINDS:
        raise ScenarioError(f"expectation '{text}' is not pass, pass:TEXT, fail:TEXT, "
                            "skip:TEXT, report:TEXT, results:FILE or crash:TEXT (each optionally "
                            "followed by ;absent:TEXT parts)")
    if not what:
        raise ScenarioError(f"expectation '{text}' needs a TEXT after the colon")
    return Expectation(kind, what)


# Module 1 of an hv image: the test guest, the attack kernel (tests/attack/),
# or none; corrupt:KIND is a malformed copy of the test guest; file:PATH any
# kernel (a path relative to the repository root).
MODULE_IMAGES = ("guest", "attack")


def _check_module(module: str, image: str):
    if module in MODULE_IMAGES or module == "none":
        pass
    elif module.startswith("file:"):
        if not module[len("file:"):]:
            raise ScenarioError("module 'file:' needs a PATH")
    elif module.startswith("corrupt:"):
        kind = module.split(":", 1)[1]
        if kind not in mkcorrupt.KINDS:
            raise ScenarioError(f"unknown corrupt kind '{kind}' (one of "
                                f"{', '.join(mkcorrupt.KINDS)})")
    else:
        raise ScenarioError(f"module '{module}' is not guest, attack, none or corrupt:KIND, "
                            "nor file:PATH")
    if image == "guest" and module != "none":
        raise ScenarioError("the guest booted natively takes no module: use none")


def mem_unmet(engine: str, mem: int, spelled: str = None):
    """Why `mem` MiB of RAM cannot be given to the engine, or None. `spelled`
    is the option as its user wrote it (mem=N in a scenario, --mem N)."""
    spelled = spelled or f"mem={mem}"
    if mem < 1:
        return f"{spelled}: the emulator's RAM must be at least 1 MiB"
    if engine.startswith("bochs") and mem > BOCHS_MAX_MEM:
        return (f"{spelled}: Bochs allows at most {BOCHS_MAX_MEM} MiB of RAM (megs:); "
                "use a QEMU engine (qemu-kernel, qemu-iso, qemu-uefi) for more")
    return None


def parse_mods(text: str) -> tuple:
    """mods=FILE[ ARGS][,FILE[ ARGS]...] as (path, args) pairs."""
    mods = []
    for item in text.split(","):
        path, _, args = item.strip().partition(" ")
        if not path:
            raise ScenarioError(f"mods='{text}': an empty module entry")
        mods.append((path, args.strip()))
    if len(mods) > MAX_EXTRA_MODULES:
        raise ScenarioError(f"mods=: {len(mods)} modules, the hypervisor passes at most "
                            f"{MAX_EXTRA_MODULES} to its guest")
    return tuple(mods)


def _runner_words(words, engine: str) -> dict:
    """The optional key=value words after the nine fields."""
    got = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or key not in RUNNER_WORDS:
            raise ScenarioError(f"'{word}' after the {len(FIELDS)} fields is not one of "
                                + ", ".join(f"{k}=" for k in RUNNER_WORDS))
        if key in got:
            raise ScenarioError(f"'{key}=' given twice")
        if key == "mods":
            got[key] = parse_mods(value)
            continue
        if key == "needs":
            if not value:
                raise ScenarioError("needs= takes a path")
            got[key] = value
            continue
        if not value.isdigit():
            raise ScenarioError(f"'{word}': {key}= takes a number of MiB")
        got[key] = int(value)
    if "mem" in got:
        why = mem_unmet(engine, got["mem"])
        if why:
            raise ScenarioError(why)
    return got


def parse_line(line: str) -> Scenario:
    try:
        fields = shlex.split(line, comments=True)
    except ValueError as e:
        raise ScenarioError(f"cannot split line: {e}") from None
    if len(fields) < len(FIELDS):
        raise ScenarioError(f"{len(fields)} fields, expected {len(FIELDS)}: "
                            f"{' '.join(FIELDS)} (then optional mem=MIB)")
    name, image, module, engine, cpu, timeout, expect, hv_opts, guest_args = \
        fields[:len(FIELDS)]
    if not NAME_RE.match(name):
        raise ScenarioError(f"name '{name}' must be letters, digits, '_', '.', '-'")
    if image not in IMAGES:
        raise ScenarioError(f"image '{image}' is not one of {', '.join(IMAGES)}")
    _check_module(module, image)
    if engine not in ENGINES:
        raise ScenarioError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
    if not timeout.isdigit() or int(timeout) == 0:
        raise ScenarioError(f"timeout '{timeout}' is not a positive number of seconds")
    if image == "guest" and hv_opts != EMPTY:
        raise ScenarioError("the guest booted natively has no hypervisor options: use -")
    extra = _runner_words(fields[len(FIELDS):], engine)
    if extra.get("mods") and image != "hv":
        raise ScenarioError("mods= gives the guest modules: image hv only")
    return Scenario(name=name, image=image, module=module, engine=engine, cpu=cpu,
                    timeout=int(timeout), expect=parse_expectation(expect),
                    hv_options="" if hv_opts == EMPTY else hv_opts,
                    guest_args="" if guest_args == EMPTY else guest_args,
                    mem=extra.get("mem", DEFAULT_MEM), mods=extra.get("mods", ()),
                    needs=extra.get("needs", ""))


def parse(text: str, source: str = "scenarios") -> list:
    """All scenarios of a file's text, in order; ScenarioError names the line."""
    scenarios, seen = [], {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            scenario = parse_line(line)
        except ScenarioError as e:
            raise ScenarioError(f"{source}:{number}: {e}") from None
        if scenario.name in seen:
            raise ScenarioError(f"{source}:{number}: name '{scenario.name}' already used "
                                f"on line {seen[scenario.name]}")
        seen[scenario.name] = number
        scenarios.append(scenario)
    return scenarios


def load(path) -> list:
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), str(path))
