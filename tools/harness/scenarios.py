"""The scenario list (tests/system/scenarios): parsing and validation.

One scenario per line, nine fields split like a shell command line (quote a
field that holds spaces; `-` is an empty option field; `#` starts a comment):
  name image module engine cpu timeout expect hv-options guest-args
The format is documented for its readers at the top of the scenario file.
A malformed line is an error naming the file and line, never skipped.
"""

import re
import shlex
from dataclasses import dataclass

import mkcorrupt

IMAGES = ("hv", "guest")
ENGINES = ("qemu-kernel", "qemu-iso", "bochs-iso")
EXPECT_KINDS = ("pass", "fail", "skip", "report", "results")
FIELDS = ("name", "image", "module", "engine", "cpu", "timeout", "expect", "hv-options",
          "guest-args")
EMPTY = "-"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ScenarioError(Exception):
    pass


@dataclass(frozen=True)
class Expectation:
    kind: str  # one of EXPECT_KINDS
    text: str  # "" for pass

    def __str__(self):
        return f"{self.kind}:{self.text}" if self.text else self.kind


@dataclass(frozen=True)
class Scenario:
    name: str
    image: str  # "hv" or "guest" (the guest booted natively)
    module: str  # "guest", "none" or "corrupt:KIND"
    engine: str
    cpu: str
    timeout: int  # seconds of emulator wall time
    expect: Expectation
    hv_options: str
    guest_args: str

    @property
    def corrupt_kind(self):
        return self.module.split(":", 1)[1] if self.module.startswith("corrupt:") else None

    @property
    def uses_iso(self):
        return self.engine.endswith("-iso")


def parse_expectation(text: str) -> Expectation:
    if text == "pass":
        return Expectation("pass", "")
    kind, sep, what = text.partition(":")
    if not sep or kind not in EXPECT_KINDS:
        raise ScenarioError(f"expectation '{text}' is not pass, pass:TEXT, fail:TEXT, "
                            "skip:TEXT, report:TEXT or results:FILE")
    if not what:
        raise ScenarioError(f"expectation '{text}' needs a TEXT after the colon")
    return Expectation(kind, what)


def _check_module(module: str, image: str):
    if module in ("guest", "none"):
        pass
    elif module.startswith("corrupt:"):
        kind = module.split(":", 1)[1]
        if kind not in mkcorrupt.KINDS:
            raise ScenarioError(f"unknown corrupt kind '{kind}' (one of "
                                f"{', '.join(mkcorrupt.KINDS)})")
    else:
        raise ScenarioError(f"module '{module}' is not guest, none or corrupt:KIND")
    if image == "guest" and module != "none":
        raise ScenarioError("the guest booted natively takes no module: use none")


def parse_line(line: str) -> Scenario:
    try:
        fields = shlex.split(line, comments=True)
    except ValueError as e:
        raise ScenarioError(f"cannot split line: {e}") from None
    if len(fields) != len(FIELDS):
        raise ScenarioError(f"{len(fields)} fields, expected {len(FIELDS)}: "
                            f"{' '.join(FIELDS)}")
    name, image, module, engine, cpu, timeout, expect, hv_opts, guest_args = fields
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
    return Scenario(name=name, image=image, module=module, engine=engine, cpu=cpu,
                    timeout=int(timeout), expect=parse_expectation(expect),
                    hv_options="" if hv_opts == EMPTY else hv_opts,
                    guest_args="" if guest_args == EMPTY else guest_args)


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
