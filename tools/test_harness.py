#!/usr/bin/env python3
"""Self-tests of the system-test harness (no emulator needed):
    python3 -m unittest discover -s tools -p 'test_*.py'
"""

import dataclasses
import os
import struct
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mkcorrupt  # noqa: E402
from harness import engines, judge, paths, scenarios  # noqa: E402


def elf64(loads):
    """A minimal little-endian x86-64 ELF: header, program headers, 0x100 bytes of
    segment data. loads: list of (offset, paddr, filesz, memsz)."""
    phoff, phentsize = 64, 56
    data = bytearray(b"\x7fELF" + bytes([2, 1, 1]) + bytes(9))
    data += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x200000, phoff, 0, 0, 64, phentsize,
                        len(loads), 0, 0, 0)
    for off, paddr, filesz, memsz in loads:
        data += struct.pack("<IIQQQQQQ", mkcorrupt.PT_LOAD, 5, off, paddr, paddr, filesz,
                            memsz, 0x1000)
    return bytes(data + bytes(0x100))


def elf32(loads):
    phoff, phentsize = 52, 32
    data = bytearray(b"\x7fELF" + bytes([1, 1, 1]) + bytes(9))
    data += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x100000, phoff, 0, 0, 52, phentsize,
                        len(loads), 0, 0, 0)
    for off, paddr, filesz, memsz in loads:
        data += struct.pack("<IIIIIIII", mkcorrupt.PT_LOAD, off, paddr, paddr, filesz, memsz,
                            5, 0x1000)
    return bytes(data + bytes(0x100))


def phdrs64(data):
    ehdr = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    phoff, phnum = ehdr[4], ehdr[9]
    return [struct.unpack_from("<IIQQQQQQ", data, phoff + i * 56) for i in range(phnum)]


class ScenarioParsing(unittest.TestCase):
    LINE = 'a-1 hv corrupt:segoob bochs-iso corei7_skylake_x 60 "report:guest module rejected" ' \
           'selftest=on "x=1 y=2"'

    def test_fields(self):
        s = scenarios.parse_line(self.LINE)
        self.assertEqual((s.name, s.image, s.module, s.engine, s.cpu, s.timeout),
                         ("a-1", "hv", "corrupt:segoob", "bochs-iso", "corei7_skylake_x", 60))
        self.assertEqual((s.expect.kind, s.expect.text), ("report", "guest module rejected"))
        self.assertEqual((s.hv_options, s.guest_args), ("selftest=on", "x=1 y=2"))
        self.assertEqual(s.corrupt_kind, "segoob")
        self.assertTrue(s.uses_iso)

    def test_dash_is_empty_and_comment_ends_line(self):
        s = scenarios.parse_line("g guest none qemu-kernel max 20 pass - -  # native")
        self.assertEqual((s.hv_options, s.guest_args, str(s.expect)), ("", "", "pass"))

    def test_errors_name_the_line(self):
        text = ("# c\n\nok hv guest qemu-kernel max 20 pass - -\n"
                "ok hv guest qemu-iso max 20 pass - -\n")
        with self.assertRaisesRegex(scenarios.ScenarioError, r"^f:4: name 'ok' .* line 3"):
            scenarios.parse(text, "f")

    def test_rejects(self):
        bad = {
            "a hv guest qemu-kernel max 20 pass -": "8 fields",
            "a hv guest qemu-tcg max 20 pass - -": "engine 'qemu-tcg'",
            "a hv elf qemu-kernel max 20 pass - -": "module 'elf'",
            "a hv corrupt:x qemu-kernel max 20 pass - -": "unknown corrupt kind 'x'",
            "a guest guest qemu-kernel max 20 pass - -": "takes no module",
            "a guest none qemu-kernel max 20 pass x=1 -": "no hypervisor options",
            "a hv guest qemu-kernel max 0 pass - -": "timeout '0'",
            "a hv guest qemu-kernel max 20 fail: - -": "needs a TEXT",
            "a hv guest qemu-kernel max 20 maybe - -": "expectation 'maybe'",
            "a/b hv guest qemu-kernel max 20 pass - -": "name 'a/b'",
        }
        for line, why in bad.items():
            with self.subTest(line=line):
                with self.assertRaisesRegex(scenarios.ScenarioError, why):
                    scenarios.parse_line(line)

    def test_mem_word(self):
        s = scenarios.parse_line("m hv guest qemu-kernel max 20 pass - - mem=4096")
        self.assertEqual(s.mem, 4096)
        self.assertEqual(scenarios.parse_line("m hv guest qemu-kernel max 20 pass - -").mem,
                         scenarios.DEFAULT_MEM)
        s = scenarios.parse_line("m hv guest bochs-iso corei7_skylake_x 20 pass - - mem=2048"
                                 "  # the most Bochs has")
        self.assertEqual(s.mem, 2048)
        bad = {
            "m hv guest bochs-iso corei7_skylake_x 20 pass - - mem=4096":
                r"^mem=4096: Bochs allows at most 2048 MiB of RAM \(megs:\); use a QEMU engine",
            "m hv guest qemu-kernel max 20 pass - - mem=0": "at least 1 MiB",
            "m hv guest qemu-kernel max 20 pass - - mem=1G": "mem= takes a number of MiB",
            "m hv guest qemu-kernel max 20 pass - - mem=64 mem=64": "'mem=' given twice",
            "m hv guest qemu-kernel max 20 pass - - megs=64": "'megs=64' after the 9 fields",
            "m hv guest qemu-kernel max 20 pass - - extra": "'extra' after the 9 fields",
        }
        for line, why in bad.items():
            with self.subTest(line=line):
                with self.assertRaisesRegex(scenarios.ScenarioError, why):
                    scenarios.parse_line(line)

    def test_project_list(self):
        listed = scenarios.load(paths.ROOT / paths.SCENARIOS)
        by_name = {s.name: s for s in listed}
        self.assertEqual(len(by_name), len(listed), "scenario names are unique")
        for s in listed:
            # A third-party guest fetched by `make thirdparty` (needs=) may take its own time:
            # memtest86+'s first pass is about 190 s of wall time (its bit-fade test waits 160 s).
            limit = 600 if s.needs else 120 if s.engine.startswith("bochs") else 60
            self.assertLessEqual(s.timeout, limit, s.name)
            if s.expect.kind == "results":
                self.assertTrue((paths.ROOT / s.expect.text).is_file(), s.expect.text)
        for name in ("hv-qemu-kernel", "hv-qemu-iso", "hv-bochs-skylake", "hv-bochs-sandybridge",
                     "guest-native-qemu", "guest-native-bochs", "hv-option-unknown",
                     "hv-module-truncated", "vm-out-of-bounds", "modes-gups-4k",
                     "escape-badpages"):
            self.assertIn(name, by_name)
        self.assertEqual(str(by_name["hv-option-unknown"].expect),
                         "fail:unknown option 'frobnicate'")
        self.assertEqual(by_name["hv-bochs-sandybridge"].cpu, "corei7_sandy_bridge_2600k")


class KvmSelection(unittest.TestCase):
    """The runner takes KVM only where /proc/cpuinfo shows vmx or svm."""

    def setUp(self):
        import tempfile
        self.dir = Path(tempfile.mkdtemp())
        self.kvm = self.dir / "kvm"
        self.kvm.write_text("")

    def cpuinfo(self, flags):
        path = self.dir / "cpuinfo"
        path.write_text(f"processor\t: 0\nflags\t\t: fpu pae {flags} lm\n")
        return str(path)

    def test_no_device(self):
        usable, why = engines.kvm_status(str(self.dir / "absent"), self.cpuinfo("vmx"))
        self.assertFalse(usable)
        self.assertIn("no ", why)

    def test_kvm_without_virtualization_refused(self):
        usable, why = engines.kvm_status(str(self.kvm), self.cpuinfo("sse2"))
        self.assertFalse(usable)
        self.assertIn("neither vmx nor svm", why)

    def test_vmx_or_svm_taken(self):
        for flag, name in (("vmx", "VT-x"), ("svm", "SVM")):
            with self.subTest(flag=flag):
                usable, why = engines.kvm_status(str(self.kvm), self.cpuinfo(flag))
                if engines.shutil.which(engines.QEMU) is None:
                    self.assertFalse(usable)
                    continue
                self.assertTrue(usable, why)
                self.assertIn(name, why)

    def test_flag_must_be_a_whole_word(self):
        self.assertEqual(engines.host_virt_flags(self.cpuinfo("svmx vmxsvm")), set())


def console(*lines):
    return judge.parse("\r\n".join(lines).encode() + b"\r\n")


OK = judge.QEMU_EXIT_SUCCESS
BAD = judge.QEMU_EXIT_FAILURE


class Judging(unittest.TestCase):
    def verdict(self, expect, con, timed_out=False, status=OK, qemu=True):
        return judge.judge(scenarios.parse_expectation(expect), con, timed_out, status, qemu)

    def test_parse_strips_grub_escapes_and_counts_guest_lines(self):
        raw = (b"\x1b[2J\x1b[0;37;40m\x1b[1;1HPASS: a\r\n[guest] FAIL: b: why\r\n"
               b"[guest] SKIP: c: no PMU\r\n[guest] SUMMARY: 2 tests, 1 failures, 1 skipped\r\n"
               b"RESULT workload=gups mode=base\r\nSUMMARY: 3 tests, 1 failures, 1 skipped\r\n")
        con = judge.parse(raw)
        self.assertEqual([str(c) for c in con.checks],
                         ["PASS: a", "[guest] FAIL: b: why", "[guest] SKIP: c: no PMU"])
        self.assertEqual(con.summary, judge.Summary(3, 1, 1))
        self.assertEqual(con.guest_summary, judge.Summary(2, 1, 1))
        self.assertEqual(con.results, ["RESULT workload=gups mode=base"])
        self.assertEqual(con.describe(), "3 checks: 1 pass, 1 fail, 1 skip")

    def test_pass(self):
        con = console("PASS: a", "SUMMARY: 1 tests, 0 failures, 0 skipped")
        self.assertEqual(self.verdict("pass", con), judge.Verdict("PASS", ""))

    def test_pass_needs_checks(self):
        con = console("SUMMARY: 0 tests, 0 failures, 0 skipped")
        v = self.verdict("pass", con)
        self.assertEqual((v.kind, v.reason), ("FAIL", "expected checks, SUMMARY says 0 tests"))

    def test_pass_fails_on_a_guest_fail_line(self):
        con = console("[guest] FAIL: x: y", "SUMMARY: 1 tests, 0 failures, 0 skipped")
        v = self.verdict("pass", con)
        self.assertEqual(v.kind, "FAIL")
        self.assertIn("first: [guest] FAIL: x: y", v.reason)

    def test_fail_expectation(self):
        con = console("FAIL: options: unknown option frobnicate",
                      "SUMMARY: 1 tests, 1 failures, 0 skipped")
        self.assertTrue(self.verdict("fail:frobnicate", con, status=BAD).passed)
        v = self.verdict("fail:mode", con, status=BAD)
        self.assertEqual((v.kind, v.reason),
                         ("FAIL", "expected a FAIL line containing 'mode', none has it"))

    def test_skip_expectation(self):
        con = console("SKIP: pmu: no PMU", "SUMMARY: 1 tests, 0 failures, 1 skipped")
        self.assertTrue(self.verdict("skip:no PMU", con).passed)
        self.assertEqual(self.verdict("skip:EPT", con).kind, "FAIL")

    def test_report_expectation(self):
        con = console("FAIL: load: guest module rejected: truncated",
                      "SUMMARY: 1 tests, 1 failures, 0 skipped")
        self.assertTrue(self.verdict("report:guest module rejected", con, status=BAD).passed)

    def test_pass_with_text(self):
        con = console("vmx: EPT 1 GiB pages: no", "SUMMARY: 1 tests, 0 failures, 0 skipped")
        self.assertTrue(self.verdict("pass:EPT 1 GiB pages: no", con).passed)
        v = self.verdict("pass:EPT 1 GiB pages: yes", con)
        self.assertEqual(v.kind, "FAIL")
        self.assertIn("not in the serial output", v.reason)

    def test_also_expectation(self):
        con = console("[guest] init reached", "[guest] WORKLOAD gups checksum=0x1",
                      "FAIL: guest-exit: guest executed HLT", "SUMMARY: 1 tests, 1 failures, 0 skipped")
        self.assertTrue(self.verdict("fail:guest executed HLT;also:init reached;"
                                     "also:checksum=0x1", con, status=BAD).passed)
        v = self.verdict("fail:guest executed HLT;also:init reached;also:checksum=0x2", con,
                         status=BAD)
        self.assertEqual(v.kind, "FAIL")
        self.assertIn("'checksum=0x2' is not in the serial output", v.reason)
        # Both kinds of part together, in any order.
        v = self.verdict("fail:guest executed HLT;absent:panic;also:init reached", con,
                         status=BAD)
        self.assertTrue(v.passed)
        self.assertEqual(self.verdict("fail:HLT;also:init reached;absent:checksum", con,
                                      status=BAD).kind, "FAIL")

    def test_results_part(self):
        (paths.ROOT / "build").mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=paths.ROOT / "build", suffix=".txt",
                                         delete=False) as f:
            f.write("workload=gups mode=base walks>10\n")
        rel = os.path.relpath(f.name, paths.ROOT)
        try:
            con = console("RESULT workload=gups mode=base walks=20",
                          "FAIL: guest-exit: guest executed HLT",
                          "SUMMARY: 1 tests, 1 failures, 0 skipped")
            e = f"fail:guest executed HLT;results:{rel}"
            self.assertEqual(str(scenarios.parse_expectation(e)), e)
            self.assertTrue(self.verdict(e, con, status=BAD).passed)
            con = console("RESULT workload=gups mode=base walks=5",
                          "FAIL: guest-exit: guest executed HLT",
                          "SUMMARY: 1 tests, 1 failures, 0 skipped")
            v = self.verdict(e, con, status=BAD)
            self.assertEqual(v.kind, "FAIL")
            self.assertIn("RESULT workload=gups mode=base: expected", v.reason)
        finally:
            os.unlink(f.name)

    def test_absent_expectation(self):
        con = console("pmu: refused: IA32_PERFEVTSEL0 (0x186) raised #GP",
                      "RESULT workload=gups mode=base source=model accesses=10",
                      "SUMMARY: 1 tests, 0 failures, 0 skipped")
        self.assertTrue(self.verdict("pass:raised #GP;absent:source=pmu", con).passed)
        self.assertTrue(self.verdict("pass;absent:source=pmu;absent:pmu: counter", con).passed)
        v = self.verdict("pass:raised #GP;absent:source=model", con)
        self.assertEqual(v.kind, "FAIL")
        self.assertIn("'source=model' must not be in the serial output, line 2 has it", v.reason)
        # The main expectation is still judged first.
        v = self.verdict("pass:no such text;absent:source=pmu", con)
        self.assertIn("'no such text' is not in the serial output", v.reason)
        # Guest lines count too: a forwarded figure is output all the same.
        con = console("[guest] RESULT workload=gups mode=base source=pmu x=1",
                      "SUMMARY: 1 tests, 0 failures, 0 skipped")
        self.assertEqual(self.verdict("pass;absent:source=pmu", con).kind, "FAIL")
        e = scenarios.parse_expectation("pass:a;absent:b;absent:c d")
        self.assertEqual((e.kind, e.text, e.absent), ("pass", "a", ("b", "c d")))
        self.assertEqual(str(e), "pass:a;absent:b;absent:c d")
        with self.assertRaises(scenarios.ScenarioError):
            scenarios.parse_expectation("pass;absent:")
        with self.assertRaises(scenarios.ScenarioError):
            scenarios.parse_expectation("absent:x")

    def test_results_expectation(self):
        (paths.ROOT / "build").mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=paths.ROOT / "build", suffix=".txt",
                                         delete=False) as f:
            f.write("# comment\nworkload=gups mode=base refs_per_walk=24.000\n")
        rel = str(Path(f.name).relative_to(paths.ROOT))
        try:
            good = console("RESULT workload=gups mode=base source=model refs_per_walk=24.000",
                           "SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertTrue(self.verdict("results:" + rel, good).passed)
            bad = console("RESULT workload=gups mode=base source=model refs_per_walk=23.000",
                          "SUMMARY: 1 tests, 0 failures, 0 skipped")
            v = self.verdict("results:" + rel, bad)
            self.assertEqual(v.kind, "FAIL")
            self.assertIn("refs_per_walk=23.000", v.reason)
            with open(f.name, "a") as g:
                g.write("workload=gups mode=base accesses>10 esc_fp<1\n")
            cond = console("RESULT workload=gups mode=base refs_per_walk=24.000 accesses=11 esc_fp=0",
                           "SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertTrue(self.verdict("results:" + rel, cond).passed)
            few = console("RESULT workload=gups mode=base refs_per_walk=24.000 accesses=10 esc_fp=0",
                          "SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertIn("accesses>10", self.verdict("results:" + rel, few).reason)
            missing = console("SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertIn("no RESULT line for workload=gups mode=base",
                          self.verdict("results:" + rel, missing).reason)
        finally:
            Path(f.name).unlink()

    def test_guest_forwarded_result_never_meets_an_expectation(self):
        (paths.ROOT / "build").mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=paths.ROOT / "build", suffix=".txt",
                                         delete=False) as f:
            f.write("workload=gups mode=base refs_per_walk=24.000\n")
        rel = str(Path(f.name).relative_to(paths.ROOT))
        try:
            # The guest prints the very line the expectation wants; the
            # hypervisor forwards it with its prefix: it must not count.
            forged = console("[guest] RESULT workload=gups mode=base source=model "
                             "refs_per_walk=24.000",
                             "SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertEqual(forged.results, [])
            self.assertEqual(forged.guest_results,
                             ["RESULT workload=gups mode=base source=model refs_per_walk=24.000"])
            v = self.verdict("results:" + rel, forged)
            self.assertEqual(v.kind, "FAIL")
            self.assertIn("no RESULT line for workload=gups mode=base", v.reason)
            self.assertIn("forwarded from the guest do not count", v.reason)
            # Nor can it outvote the hypervisor's own line with other figures.
            both = console("[guest] RESULT workload=gups mode=base refs_per_walk=24.000",
                           "RESULT workload=gups mode=base refs_per_walk=23.000",
                           "SUMMARY: 1 tests, 0 failures, 0 skipped")
            v = self.verdict("results:" + rel, both)
            self.assertEqual(v.kind, "FAIL")
            self.assertIn("refs_per_walk=23.000", v.reason)
            # Any other prefix before RESULT is not a hypervisor RESULT line either.
            other = console("note: RESULT workload=gups mode=base refs_per_walk=24.000",
                            "SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertEqual(self.verdict("results:" + rel, other).kind, "FAIL")
            own = console("RESULT workload=gups mode=base refs_per_walk=24.000",
                          "SUMMARY: 1 tests, 0 failures, 0 skipped")
            self.assertTrue(self.verdict("results:" + rel, own).passed)
        finally:
            Path(f.name).unlink()

    def test_crash_timeout_and_cut_off_summary(self):
        con = console("PASS: a")
        self.assertEqual(self.verdict("pass", con, status=1).kind, "CRASH")
        self.assertEqual(self.verdict("pass", con, timed_out=True, status=-15).kind, "TIMEOUT")
        cut = judge.parse(b"PASS: a\r\nSUMMARY: 1 tests, 0 failures, 0 skippe")
        v = self.verdict("pass", cut, status=1, qemu=False)
        self.assertEqual(v.kind, "CRASH")
        self.assertIn("LSR.TEMT", v.reason)

    def test_only_unprefixed_summary_ends_the_run(self):
        con = console("[guest] SUMMARY: 1 tests, 0 failures, 0 skipped")
        v = self.verdict("pass", con, status=1)
        self.assertEqual(v.kind, "CRASH")
        self.assertIn("hypervisor's never came", v.reason)

    def test_crash_expectation(self):
        report = console("crash_test: raising pf on purpose before the guest runs",
                         "FAIL: hypervisor: exception #PF (vector 14) error 0x0",
                         "PANIC: unhandled exception in the hypervisor; no SUMMARY follows")
        want = "crash:exception #PF"
        self.assertTrue(self.verdict(want, report, status=BAD).passed)
        self.assertTrue(self.verdict(want, report, status=1, qemu=False).passed)
        v = self.verdict(want, report, status=1)
        self.assertEqual(v.kind, "CRASH")
        self.assertIn("not the isa-debug-exit failure status", v.reason)
        v = self.verdict("crash:#DF", report, status=BAD)
        self.assertEqual(v.kind, "CRASH")
        self.assertIn("'#DF' is not in the serial output", v.reason)
        self.assertEqual(self.verdict(want, report, timed_out=True, status=-15).kind, "TIMEOUT")
        done = console("PASS: a", "SUMMARY: 1 tests, 0 failures, 0 skipped")
        v = self.verdict(want, done, status=OK)
        self.assertEqual(v.kind, "FAIL")
        self.assertIn("reached SUMMARY", v.reason)
        said = judge.judge(scenarios.parse_expectation(want), report, False, 1, False,
                           "exception(): 3rd (13) exception with no resolution")
        self.assertEqual(said.kind, "CRASH")
        self.assertIn("the emulator ended it", said.reason)

    def test_verdicts_carry_the_last_lines(self):
        lines = [f"line {i}" for i in range(10)] + ["PANIC: unhandled exception"]
        v = self.verdict("pass", console(*lines), status=BAD)
        self.assertEqual(v.kind, "CRASH")
        self.assertEqual(v.last_lines, tuple(lines[-judge.LAST_LINES:]))
        failed = console("FAIL: x: y", "SUMMARY: 1 tests, 1 failures, 0 skipped")
        self.assertEqual(self.verdict("pass", failed, status=BAD).last_lines,
                         ("FAIL: x: y", "SUMMARY: 1 tests, 1 failures, 0 skipped"))
        passed = console("PASS: a", "SUMMARY: 1 tests, 0 failures, 0 skipped")
        self.assertEqual(self.verdict("pass", passed).last_lines, ())

    def test_qemu_exit_status(self):
        con = console("PASS: a", "SUMMARY: 1 tests, 0 failures, 0 skipped")
        self.assertIn("did not exit through isa-debug-exit",
                      self.verdict("pass", con, status=1).reason)
        self.assertIn("disagrees", self.verdict("pass", con, status=BAD).reason)
        self.assertTrue(self.verdict("pass", con, status=1, qemu=False).passed)

    def test_bochs_error_lines(self):
        log = ("00000000000i[      ] info\n"
               "00231680325e[CPU0  ] VMFAIL: VMCS EXEC CTRL\n"
               "00231680326p[UNMAP ] >>PANIC<< Shutdown port: shutdown requested\n"
               "00231680327i[VMX   ] VMENTER FAIL: VMCS x86_64 guest wrong CS.D_B/L\n")
        self.assertEqual(judge.bochs_error_lines(log),
                         ["00231680325e[CPU0  ] VMFAIL: VMCS EXEC CTRL",
                          "00231680327i[VMX   ] VMENTER FAIL: VMCS x86_64 guest wrong CS.D_B/L"])


# What Bochs 2.7 writes to stderr for `megs: 4096` (it stops before its log opens).
BOCHS_MEGS_4096 = """\
00000000000i[      ] reading configuration from build/system/x/bochsrc
00000000000p[SIM   ] >>PANIC<< numerical parameter 'host_size' was set to 4096, which is out of range 1 to 2048
00000000000e[SIM   ] notify called, but no bxevent_callback function is registered
========================================================================
Bochs is exiting with the following message:
[SIM   ] numerical parameter 'host_size' was set to 4096, which is out of range 1 to 2048
========================================================================
00000000000i[SIM   ] quit_sim called with exit code 1
"""
BOCHS_NORMAL_END = """\
========================================================================
Bochs is exiting with the following message:
[UNMAP ] Shutdown port: shutdown requested
========================================================================
"""


class EmulatorErrors(unittest.TestCase):
    def test_bochs_panic_before_the_log(self):
        errors = judge.emulator_errors(False, BOCHS_MEGS_4096, "")
        self.assertEqual(errors[0], "[SIM   ] numerical parameter 'host_size' was set to 4096, "
                                    "which is out of range 1 to 2048")
        self.assertIn("00000000000p[SIM   ] >>PANIC<< numerical parameter 'host_size' was set "
                      "to 4096, which is out of range 1 to 2048", errors)
        self.assertFalse(any("bxevent_callback" in line for line in errors))
        said = judge.emulator_headline(False, BOCHS_MEGS_4096, "")
        self.assertIn("host_size' was set to 4096, which is out of range 1 to 2048", said)
        v = judge.judge(scenarios.parse_expectation("pass"), console(), False, 1, False, said)
        self.assertEqual(v.kind, "CRASH")
        self.assertRegex(v.reason, r"^no SUMMARY line \(emulator exit status 1\); Bochs said: "
                                   r".*host_size.*out of range 1 to 2048$")

    def test_bochs_panic_in_the_log(self):
        log = ("00231680325e[CPU0  ] RDMSR: Unknown register 0x186\n"
               "00231680399p[CPU0  ] >>PANIC<< exception(): 3rd (13) exception with no resolution\n")
        self.assertEqual(judge.emulator_headline(False, "", log),
                         "exception(): 3rd (13) exception with no resolution")
        self.assertEqual(len(judge.emulator_errors(False, "", log)), 2)

    def test_bochs_normal_exit_is_no_error(self):
        log = "00332821745p[UNMAP ] >>PANIC<< Shutdown port: shutdown requested\n"
        self.assertEqual(judge.emulator_errors(False, BOCHS_NORMAL_END, log), [])
        self.assertEqual(judge.emulator_headline(False, BOCHS_NORMAL_END, log), "")
        # An e line of a probe is shown in the details but is no headline.
        probe = "00242022411e[CPU0  ] RDMSR: Unknown register 0x186\n"
        self.assertEqual(judge.emulator_headline(False, BOCHS_NORMAL_END, probe), "")

    def test_qemu_stderr(self):
        out = ("qemu-system-x86_64: warning: TCG doesn't support requested feature: "
               "CPUID.01H:ECX.vmx [bit 5]\n\n"
               "qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory\n")
        self.assertEqual(len(judge.emulator_errors(True, out)), 2)
        said = judge.emulator_headline(True, out)
        self.assertEqual(said, "cannot set up guest memory 'pc.ram': Cannot allocate memory")
        v = judge.judge(scenarios.parse_expectation("pass"), console(), False, 1, True, said)
        self.assertTrue(v.reason.endswith("; QEMU said: cannot set up guest memory 'pc.ram': "
                                          "Cannot allocate memory"), v.reason)
        self.assertEqual(judge.emulator_headline(True, "qemu-system-x86_64: terminating on "
                                                       "signal 15 from pid 7 (python3)\n"), "")
        v = judge.judge(scenarios.parse_expectation("pass"), console(), True, -15, True, "")
        self.assertEqual(v.reason, "time limit reached without a SUMMARY line")


class Corruption(unittest.TestCase):
    ONE = elf64([(0x78, 0x200000, 0x40, 0x80)])
    TWO = elf64([(0x78, 0x200000, 0x40, 0x80), (0xb8, 0x300000, 0x40, 0x40)])

    def test_truncated(self):
        self.assertEqual(mkcorrupt.corrupt(self.ONE, "truncated"), self.ONE[:64])

    def test_badmagic_and_wrongmachine(self):
        self.assertNotEqual(mkcorrupt.corrupt(self.ONE, "badmagic")[:4], b"\x7fELF")
        data = mkcorrupt.corrupt(self.ONE, "wrongmachine")
        self.assertEqual(struct.unpack_from("<H", data, 18)[0], mkcorrupt.EM_ARM)

    def test_segoob(self):
        data = mkcorrupt.corrupt(self.ONE, "segoob")
        _, _, off, _, _, filesz, memsz, _ = phdrs64(data)[0]
        self.assertEqual(off + filesz, len(data) + mkcorrupt.PAGE)
        self.assertGreaterEqual(memsz, filesz)

    def test_overlap_with_two_loads(self):
        ph = phdrs64(mkcorrupt.corrupt(self.TWO, "overlap"))
        self.assertEqual(ph[1][4], ph[0][4])  # p_paddr

    def test_overlap_with_one_load_appends_a_copy(self):
        data = mkcorrupt.corrupt(self.ONE, "overlap")
        ph = phdrs64(data)
        self.assertEqual(len(ph), 2)
        self.assertEqual(ph[1], ph[0])
        self.assertEqual(data[:len(self.ONE)][64:], self.ONE[64:])  # segment bytes kept

    def test_hugesize(self):
        self.assertEqual(phdrs64(mkcorrupt.corrupt(self.ONE, "hugesize"))[0][6],
                         (1 << 64) - mkcorrupt.PAGE)
        data = mkcorrupt.corrupt(elf32([(0x54, 0x100000, 0x40, 0x40)]), "hugesize")
        self.assertEqual(struct.unpack_from("<I", data, 52 + 20)[0], (1 << 32) - mkcorrupt.PAGE)

    def test_errors(self):
        with self.assertRaisesRegex(mkcorrupt.CorruptError, "unknown kind"):
            mkcorrupt.corrupt(self.ONE, "nope")
        with self.assertRaisesRegex(mkcorrupt.CorruptError, "not an ELF"):
            mkcorrupt.corrupt(b"MZ" + bytes(100), "badmagic")
        with self.assertRaisesRegex(mkcorrupt.CorruptError, "no PT_LOAD"):
            mkcorrupt.corrupt(elf64([]), "segoob")


def bzimage(version=0x020C, setup_sects=2, kernel=4096):
    """A minimal bzImage: the setup header fields mkcorrupt checks or changes."""
    data = bytearray((setup_sects + 1) * 512 + kernel)
    data[mkcorrupt.BZ_SETUP_SECTS] = setup_sects
    struct.pack_into("<H", data, mkcorrupt.BZ_BOOT_FLAG, mkcorrupt.BZ_BOOT_FLAG_VALUE)
    data[mkcorrupt.BZ_HEADER:mkcorrupt.BZ_HEADER + 4] = mkcorrupt.BZ_MAGIC
    struct.pack_into("<H", data, mkcorrupt.BZ_VERSION, version)
    struct.pack_into("<I", data, mkcorrupt.BZ_INIT_SIZE, kernel)
    return bytes(data)


class BzCorruption(unittest.TestCase):
    IMG = bzimage()

    def test_each_kind_changes_one_field(self):
        self.assertEqual(mkcorrupt.corrupt(self.IMG, "bz-truncated"),
                         self.IMG[:mkcorrupt.BZ_TRUNCATE_AT])
        bad = mkcorrupt.corrupt(self.IMG, "bz-badmagic")
        self.assertNotEqual(bad[0x202:0x206], b"HdrS")
        self.assertEqual(bad[0x1fe:0x200], b"\x55\xaa")  # the boot flag stays
        self.assertEqual(struct.unpack_from("<H", mkcorrupt.corrupt(self.IMG, "bz-oldversion"),
                                            0x206)[0], 0x0201)
        self.assertEqual(mkcorrupt.corrupt(self.IMG, "bz-setupsize")[0x1f1], 255)
        self.assertEqual(struct.unpack_from("<I", mkcorrupt.corrupt(self.IMG, "bz-toolarge"),
                                            0x260)[0], 0xFFF00000)
        for kind in mkcorrupt.BZ_KINDS:
            if kind != "bz-truncated":
                self.assertEqual(len(mkcorrupt.corrupt(self.IMG, kind)), len(self.IMG))

    def test_not_a_bzimage(self):
        with self.assertRaisesRegex(mkcorrupt.CorruptError, "not a bzImage"):
            mkcorrupt.corrupt(elf64([(0x78, 0x200000, 0x40, 0x80)]), "bz-oldversion")

    def test_scenario_module(self):
        s = scenarios.parse_line("a hv corrupt:bz-oldversion qemu-kernel max 20 pass - -")
        self.assertEqual(s.corrupt_kind, "bz-oldversion")
        self.assertEqual(engines.module_image(s.module), paths.BZIMAGE_TEST)


class Engines(unittest.TestCase):
    def test_bochsrc_filled(self):
        rc = engines.render_bochsrc("corei7_sandy_bridge_2600k", 256, "x.iso", "s.txt", "b.log")
        self.assertIn("megs: 256\n", rc)
        self.assertIn("cpu: model=corei7_sandy_bridge_2600k,", rc)
        self.assertIn('path="x.iso"', rc)
        self.assertIn('dev="s.txt"', rc)
        self.assertIn('log: "b.log"', rc)
        self.assertNotIn("@", rc.split("\nmegs:")[1])

    def test_qemu_kernel_doubles_commas(self):
        s = scenarios.parse_line("q hv guest qemu-kernel max 20 pass selftest=on a=1,2")
        files = {"serial": Path("o/serial.txt")}
        cmd = engines._qemu_kernel(s, files, paths.GUEST_ELF, 512)
        self.assertEqual(cmd[cmd.index("-initrd") + 1], f"{paths.GUEST_ELF} a=1,,2")
        self.assertEqual(cmd[cmd.index("-append") + 1], "selftest=on")
        self.assertEqual(cmd[cmd.index("-kernel") + 1], str(paths.HV_ELF32))
        self.assertNotIn("-enable-kvm", cmd)

    def test_attack_module(self):
        s = scenarios.parse_line('a hv attack qemu-kernel max 20 "fail:outside its memory map" '
                                 '- attack=oob-read')
        self.assertEqual((s.module, s.guest_args), ("attack", "attack=oob-read"))
        self.assertIsNone(s.corrupt_kind)
        self.assertEqual(engines._module_file(s, Path("o")), paths.ATTACK_ELF)
        self.assertEqual(engines.module_image("attack"), paths.ATTACK_ELF)
        self.assertEqual(engines.module_image("guest"), paths.GUEST_ELF)
        self.assertEqual(engines.module_image("corrupt:segoob"), paths.GUEST_ELF)
        self.assertIsNone(engines.module_image("none"))
        cmd = engines._qemu_kernel(s, {"serial": Path("s")}, paths.ATTACK_ELF, 512)
        self.assertEqual(cmd[cmd.index("-initrd") + 1], f"{paths.ATTACK_ELF} attack=oob-read")
        with self.assertRaisesRegex(scenarios.ScenarioError, "takes no module"):
            scenarios.parse_line("a guest attack qemu-kernel max 20 pass - -")
        with self.assertRaisesRegex(scenarios.ScenarioError, "guest, attack, none or corrupt"):
            scenarios.parse_line("a hv attacker qemu-kernel max 20 pass - -")

    def test_mem_reaches_the_emulator(self):
        s = scenarios.parse_line("q hv guest qemu-kernel max 20 pass - - mem=3072")
        cmd = engines._qemu_kernel(s, {"serial": Path("s")}, None, s.mem)
        self.assertEqual(cmd[cmd.index("-m") + 1], "3072")
        rc = engines.render_bochsrc("corei7_skylake_x", 2048, "x.iso", "s.txt", "b.log")
        self.assertIn("megs: 2048\n", rc)

    def test_prepare_refuses_bochs_over_2048_before_anything(self):
        s = scenarios.parse_line("b hv guest bochs-iso corei7_skylake_x 20 pass - -")
        big = dataclasses.replace(s, mem=4096)  # not through parse_line's own check
        out = Path("build/test-harness-never-made")
        with self.assertRaisesRegex(engines.PrepareError, r"^mem=4096: Bochs allows at most 2048"):
            engines.prepare(big, out)
        self.assertFalse((paths.ROOT / out).exists())

    def test_guest_modules_and_file_kernel(self):
        s = scenarios.parse_line('m hv file:k/kern qemu-kernel max 20 pass - "x=1" '
                                 '"mods=a/one.bin first,b/two,x.txt" needs=k/kern')
        self.assertEqual(s.module_path, "k/kern")
        self.assertEqual(s.mods, (("a/one.bin", "first"), ("b/two", ""), ("x.txt", "")))
        self.assertEqual(s.needs, "k/kern")
        self.assertEqual(engines._module_file(s, Path("o")), Path("k/kern"))
        self.assertEqual(engines.module_image("file:k/kern"), Path("k/kern"))
        cmd = engines._qemu_kernel(s, {"serial": Path("s")}, Path("k/kern"), 512)
        self.assertEqual(cmd[cmd.index("-initrd") + 1], "k/kern x=1,a/one.bin first,b/two,x.txt")
        errors = {
            "m hv guest qemu-kernel max 20 pass - - mods=": "an empty module entry",
            "m guest none qemu-kernel max 20 pass - - mods=a": "image hv only",
            "m hv file: qemu-kernel max 20 pass - -": "needs a PATH",
            "m hv guest qemu-kernel max 20 pass - - needs=": "needs= takes a path",
            "m hv guest qemu-kernel max 20 pass - - mods=" + ",".join("abcdefgh"):
                "at most 7",
        }
        for line, why in errors.items():
            with self.assertRaisesRegex(scenarios.ScenarioError, why, msg=line):
                scenarios.parse_line(line)

    def test_absent_input_skips(self):
        import runner
        s = scenarios.parse_line("m hv file:build/no-such-kernel qemu-kernel max 20 pass - - "
                                 "needs=build/no-such-kernel")
        verdict, _, outcome, launch = runner.run_scenario(s, Path("build/never"))
        self.assertEqual(verdict.kind, runner.SKIP)
        self.assertIn("build/no-such-kernel is absent", verdict.reason)
        self.assertIsNone(outcome)
        self.assertIsNone(launch)

    def test_guest_ending(self):
        import runner
        con = judge.parse(b"PASS: guest-module-valid\nFAIL: guest-exit: guest executed HLT\n"
                          b"SUMMARY: 2 tests, 1 failures, 0 skipped\n")
        self.assertEqual(runner.guest_ending(con), "guest executed HLT")
        con = judge.parse(b"FAIL: guest-module: guest module rejected: placement: x\n")
        self.assertEqual(runner.guest_ending(con), "never started: guest module rejected: "
                         "placement: x")
        con = judge.parse(b"[guest] FAIL: guest-exit: not the hypervisor's\n")
        self.assertEqual(runner.guest_ending(con), "")

    def test_native_guest_has_no_initrd(self):
        s = scenarios.parse_line("g guest none qemu-kernel host 20 pass - x=1")
        cmd = engines._qemu_kernel(s, {"serial": Path("s")}, None, 512)
        self.assertNotIn("-initrd", cmd)
        self.assertEqual(cmd[cmd.index("-append") + 1], "x=1")
        self.assertIn("-enable-kvm", cmd)

    def test_console_port_captured(self):
        """console=comN: the judged serial file is QEMU's Nth -serial; the
        ports before it go to files of their own; Bochs refuses."""
        s = scenarios.parse_line("c hv guest qemu-kernel max 20 pass \"console=com2 x=1\" -")
        self.assertEqual(engines.console_index(s), 1)
        cmd = engines._qemu_kernel(s, {"serial": Path("o/serial.txt")}, None, 512)
        serials = [cmd[i + 1] for i, w in enumerate(cmd) if w == "-serial"]
        self.assertEqual(serials, ["file:o/com1.txt", "file:o/serial.txt"])
        for opts, index in (("-", 0), ("console=com1", 0), ("console=com4", 3),
                            ("console=0x2f8", 0), ("console=com5", 0)):
            line = f"c hv guest qemu-kernel max 20 pass {opts} -"
            self.assertEqual(engines.console_index(scenarios.parse_line(line)), index, opts)
        native = scenarios.parse_line("g guest none qemu-kernel max 20 pass - console=com2")
        self.assertEqual(engines.console_index(native), 0)
        b = scenarios.parse_line("b hv guest bochs-iso corei7_skylake_x 20 pass console=com2 -")
        out = Path("build/test-harness-console")
        with self.assertRaisesRegex(engines.PrepareError, "COM1 is captured under QEMU only"):
            engines.prepare(b, out)
        self.assertFalse((paths.ROOT / out).exists())


if __name__ == "__main__":
    unittest.main()


class Matrix(unittest.TestCase):
    """The page-size matrix: labels from a boot's options, the plan covering
    every row, and ratios to native (tools/matrix.py, tools/render.py)."""

    def setUp(self):
        import matrix
        import render
        self.matrix, self.render = matrix, render

    def test_plan_covers_every_row_once_with_matching_labels(self):
        plan = self.matrix.plan_part(self.render.MATRIX_ROWS, 24, 10)
        covered = [label for _, _, rows in plan for label in rows]
        self.assertCountEqual(covered, self.render.MATRIX_ROWS)
        for options, modes, rows in plan:
            for label in rows:
                mode = label.split()[0]
                self.assertTrue(modes == ["all"] or modes == [mode])
                self.assertEqual(self.render.config_label(mode, options), label)

    def test_cheap_boots_run_every_mode_at_once(self):
        plan = self.matrix.plan_part(["native 4K", "base 4K+4K", "dual-direct"], 0.1, 10)
        self.assertEqual([m for _, m, _ in plan], [["native"], ["base"], ["dual-direct"]])
        plan = self.matrix.plan_part(["native 4K", "base 4K+4K", "dual-direct"], 60, 1)
        self.assertEqual([m for _, m, _ in plan], [["all"]])

    def test_boot_labels_follow_user_options(self):
        env = {"SEGVISOR_PARTS": "big", "SEGVISOR_OPTIONS": "tlb=sandybridge"}
        boots = self.matrix.boots_of(self.matrix.settings(env, "small"))
        rows = [r for b in boots for r in b["rows"]]
        self.assertIn("base 4K+2M tlb=sandybridge", rows)
        self.assertTrue(all("tlb=sandybridge" in b["hv_options"] for b in boots))

    def test_bad_settings_are_named(self):
        with self.assertRaisesRegex(self.matrix.SettingError, "SEGVISOR_BIG_SIZE"):
            self.matrix.settings({"SEGVISOR_BIG_SIZE": "lots"}, "small")
        with self.assertRaisesRegex(self.matrix.SettingError, "unknown part"):
            self.matrix.settings({"SEGVISOR_PARTS": "huge"}, "small")
        with self.assertRaisesRegex(self.matrix.SettingError, "row"):
            self.matrix.settings({"SEGVISOR_PCHASE_ROWS": "base 4K"}, "small")

    def test_ratio_to_native_of_the_same_guest_page(self):
        by = {"native 2M": {"accesses": 1000, "guest_refs": 30, "nested_refs": 0},
              "base 2M+4K": {"accesses": 1000, "guest_refs": 30, "nested_refs": 120},
              "native 4K": {"accesses": 1000, "guest_refs": 400, "nested_refs": 0},
              "guest-direct 2M": {"accesses": 1000, "guest_refs": 0, "nested_refs": 300}}
        self.assertEqual(self.render.ratio_to_native("base 2M+4K", by), (5.0, "native 2M"))
        self.assertEqual(self.render.ratio_to_native("guest-direct 2M", by),
                         (0.75, "native 4K"))

    def test_missing_rows_say_why(self):
        rows = self.render.matrix_rows({}, {"native 1G": "boot 07-big failed: gpage"})
        self.assertEqual(rows[0][:2], ["native 1G", "missing"])
        self.assertIn("07-big failed", rows[0][-1])


class LayoutCheck(unittest.TestCase):
    """tools/check_layout.py finds each kind of violation in a small tree."""

    def setUp(self):
        import check_layout
        self.check = check_layout.check
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.write("lib/types.h", "")
        self.write("arch/x86/cpu.h", '#include "lib/types.h"\n')
        self.write("arch/x86/vmx_defs.h", "")
        self.write("hv/mem/frame.c", '#include "arch/x86/cpu.h"\n')
        self.write("hv/vm/vm.c", '#include "hv/mem/frame.h"\n')
        self.write("hv/mem/frame.h", "")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def problems(self):
        return "\n".join(self.check(self.root)[0])

    def test_a_clean_tree_passes(self):
        self.assertEqual(self.problems(), "")

    def test_arch_including_hv(self):
        self.write("arch/x86/vmx.c", '#include<hv/vm/vm.h>\n')
        self.write("hv/vm/vm.h", "")
        self.assertIn("arch/x86 may not use hv/vm", self.problems())

    def test_a_cycle_between_folders(self):
        self.write("hv/mem/gmap.c", '#include "hv/vm/vm.h"\n')
        self.write("hv/vm/vm.h", "")
        out = self.problems()
        self.assertIn("hv/mem may not use hv/vm", out)
        self.assertIn("include cycle between folders", out)

    def test_a_vendor_header_through_a_neutral_one(self):
        self.write("arch/x86/neutral.h", '#include "arch/x86/vmx_defs.h"\n')
        self.write("hv/vm/exits.c", '#include "arch/x86/neutral.h"\n')
        self.assertIn("brings in the vendor header arch/x86/vmx_defs.h", self.problems())

    def test_inline_assembly_in_hv_and_lib(self):
        self.write("hv/vm/x.c", 'void f(void) { __asm__ volatile("pause"); }\n')
        self.write("lib/y.c", 'void g(void) { asm ("nop"); }\n')
        self.write("lib/x86/z.c", 'void h(void) { asm ("nop"); }\n')
        out = self.problems()
        self.assertIn("hv/vm/x.c:1: inline assembly", out)
        self.assertIn("lib/y.c:1: inline assembly", out)
        self.assertNotIn("lib/x86/z.c", out)
