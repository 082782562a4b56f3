#!/usr/bin/env python3
"""Self-test of tools/tradeoffs.py: its parsing and cell logic over lines recorded from the
share, swap (modes=all and one guest-segment mode a run), gswap, balloon and compact scenarios
(trimmed to the fields it reads). The expected statuses are the poster's table (DESIGN.md "The
problem and the design being reproduced"): base all yes; a shared or swapped page inside a VMM segment is escaped (limited);
inside a guest segment the guest can neither balloon nor swap (limited)."""

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tradeoffs as t  # noqa: E402

FILTER0 = ("escaped=0 escaped_max=0 filter_pages=0 filter_bits=256 filter_bits_set=0 "
           "filter_occupancy_ppm=0 fp_rate_theory_ppm=0 fp_rate_model_ppm=0 esc_checks=0 "
           "esc_hits=0 esc_fp=0 model_accesses=256 walks=256 refs_per_walk=19.000")

SHARE = f"""mode: base
[guest] vmmfeat: page sharing in base over 256 pages at gPA 0x400000
RESULT kind=share source=hypervisor mode=base unit=4KiB-pages pages_scanned=256 pages_shared=189 frames_freed=189 shared_now=180 cow_faults=12 hash_collisions=0 {FILTER0} model_faults=0 hpa_mismatches=0
mode: vmm-direct: VMM segment gPA [0x0, 0x1000000) -> hPA +0x400000
RESULT kind=share source=hypervisor mode=vmm-direct unit=4KiB-pages pages_scanned=256 pages_shared=189 frames_freed=189 shared_now=180 cow_faults=12 hash_collisions=0 escaped=180 escaped_max=192 filter_pages=192 filter_bits=256 filter_bits_set=246 filter_occupancy_ppm=960937 fp_rate_theory_ppm=815236 fp_rate_model_ppm=570312 esc_checks=1024 esc_hits=764 esc_fp=584 model_accesses=256 walks=256 refs_per_walk=12.937 model_faults=0 hpa_mismatches=0
[guest] SUMMARY: 27 tests, 0 failures, 0 skipped
"""

SWAP = f"""mode: base
RESULT kind=swap source=hypervisor mode=base unit=4KiB-pages store=host-memory pages_out=112 pages_in=96 bytes_out=458752 bytes_in=393216 out_now=16 corrupt=0 {FILTER0} model_faults=16 hpa_mismatches=0
mode: vmm-direct: VMM segment gPA [0x0, 0x1000000) -> hPA +0x400000
RESULT kind=swap source=hypervisor mode=vmm-direct unit=4KiB-pages store=host-memory pages_out=112 pages_in=96 bytes_out=458752 bytes_in=393216 out_now=16 corrupt=0 escaped=16 escaped_max=64 filter_pages=112 filter_bits=256 filter_bits_set=215 filter_occupancy_ppm=839843 fp_rate_theory_ppm=466010 fp_rate_model_ppm=416992 esc_checks=1024 esc_hits=443 esc_fp=427 model_accesses=256 walks=256 refs_per_walk=8.921 model_faults=16 hpa_mismatches=0
"""

# One guest-segment mode a run (share-gd/dd-qemu-svm, swap-gd/dd-qemu-svm).
FILTER0_GD = FILTER0.replace("refs_per_walk=19.000", "refs_per_walk=4.000")
SHARE_GD = f"""mode: guest-direct
guest segment: gVA [0x400000, 0x500000) -> gPA [0x400000, 0x500000)
RESULT kind=share source=hypervisor mode=guest-direct unit=4KiB-pages pages_scanned=256 pages_shared=189 frames_freed=189 shared_now=180 cow_faults=12 hash_collisions=0 {FILTER0_GD} model_faults=0 hpa_mismatches=0
"""

SHARE_DD = """mode: dual-direct: VMM segment gPA [0x0, 0x1000000) -> hPA +0x400000
guest segment: gVA [0x400000, 0x500000) -> gPA [0x400000, 0x500000)
RESULT kind=share source=hypervisor mode=dual-direct unit=4KiB-pages pages_scanned=256 pages_shared=189 frames_freed=189 shared_now=180 cow_faults=12 hash_collisions=0 escaped=180 escaped_max=192 filter_pages=192 filter_bits=256 filter_bits_set=246 filter_occupancy_ppm=960937 fp_rate_theory_ppm=815236 fp_rate_model_ppm=281250 esc_checks=256 esc_hits=252 esc_fp=72 model_accesses=256 walks=252 refs_per_walk=4.000 model_faults=0 hpa_mismatches=0
"""

SWAP_GD = f"""mode: guest-direct
RESULT kind=swap source=hypervisor mode=guest-direct unit=4KiB-pages store=host-memory pages_out=112 pages_in=96 bytes_out=458752 bytes_in=393216 out_now=16 corrupt=0 {FILTER0_GD} model_faults=16 hpa_mismatches=0
"""

SWAP_DD = """mode: dual-direct: VMM segment gPA [0x0, 0x1000000) -> hPA +0x400000
RESULT kind=swap source=hypervisor mode=dual-direct unit=4KiB-pages store=host-memory pages_out=112 pages_in=96 bytes_out=458752 bytes_in=393216 out_now=16 corrupt=0 escaped=16 escaped_max=64 filter_pages=112 filter_bits=256 filter_bits_set=215 filter_occupancy_ppm=839843 fp_rate_theory_ppm=466010 fp_rate_model_ppm=667968 esc_checks=256 esc_hits=187 esc_fp=171 model_accesses=256 walks=187 refs_per_walk=4.000 model_faults=16 hpa_mismatches=0
"""

GSWAP = """mode: base
[guest] RESULT kind=gswap source=guest mode=base pages_out=9 pages_in=9 faults=9 refused=0 refused_why=none store_bytes=36864
RESULT workload=gups mode=base source=model accesses=2000 walks=501 refs_per_walk=24.000
mode: vmm-direct: VMM segment gPA [0x0, 0x4000000) -> hPA +0x400000
[guest] RESULT kind=gswap source=guest mode=vmm-direct pages_out=9 pages_in=9 faults=9 refused=0 refused_why=none store_bytes=36864
mode: guest-direct
[guest] gswap: guest-direct: 8 page-outs refused: inside the guest segment: not paged by the guest's page tables
[guest] RESULT kind=gswap source=guest mode=guest-direct pages_out=0 pages_in=0 faults=0 refused=8 refused_why=guest-segment store_bytes=0
mode: dual-direct: VMM segment gPA [0x0, 0x4000000) -> hPA +0x400000
[guest] gswap: dual-direct: 8 page-outs refused: inside the guest segment: not paged by the guest's page tables
[guest] RESULT kind=gswap source=guest mode=dual-direct pages_out=0 pages_in=0 faults=0 refused=8 refused_why=guest-segment store_bytes=0
"""

BALLOON = """mode: base
balloon-out: refused: entry 0 (0x80000000): page outside guest RAM, nothing changed
balloon-out: refused: entry 2 (0x9e2000): page named twice, nothing changed
guest segment: gVA [0x10000000000, 0x10000001000) -> gPA [0x800000, 0x801000)
balloon-out: refused: entry 0 (0x800000): page inside the guest segment, nothing changed
hot-add: gPA [0x3e00000, 0x75f0000) on hPA [0x4200000, 0x79f0000), 14320 pages
mode: base
mode: native
mode: vmm-direct: VMM segment gPA [0x3e00000, 0x75f0000) -> hPA +0x400000
mode: guest-direct
mode: dual-direct: VMM segment gPA [0x3e00000, 0x75f0000) -> hPA +0x400000
RESULT kind=balloon source=hypervisor pages_returned=14322 pages_hotadded=14320 pages_taken_back=2 pages_pending=0 hotadds=1 hotadd_gpa=0x3e00000 hotadd_bytes=58654720 ram_bytes=67108864 regions=18
"""

# balloon-vd-qemu-svm: the VM starts in vmm-direct, so the balloon lists are taken there.
BALLOON_VD = """mode: vmm-direct: VMM segment gPA [0x0, 0x4000000) -> hPA +0x400000
balloon-out: refused: entry 0 (0x80000000): page outside guest RAM, nothing changed
guest segment: gVA [0x10000000000, 0x10000001000) -> gPA [0x800000, 0x801000)
balloon-out: refused: entry 0 (0x800000): page inside the guest segment, nothing changed
hot-add: gPA [0x3e00000, 0x75f0000) on hPA [0x4200000, 0x79f0000), 14320 pages
mode: vmm-direct: VMM segment gPA [0x3e00000, 0x75f0000) -> hPA +0x400000
RESULT kind=balloon source=hypervisor pages_returned=14322 pages_hotadded=14320 pages_taken_back=2 pages_pending=0 hotadds=1 hotadd_gpa=0x3e00000 hotadd_bytes=58654720 hotadd_hpa=0x4200000 ram_bytes=67108864 regions=18 vmm_seg=0x3e00000-0x75f0000 vmm_seg_bytes=58654720 ram_outside_vmm_seg=8454144
"""

COMPACT = """mode: base
mode: base
mode: native
RESULT kind=compaction source=hypervisor mode=vmm-direct status=done reason=none guest_frames=16384 frames_moved=20480 bytes_moved=83886080 tenant_frames_moved=4096 guest_frames_moved=16384 frames_unmovable=0 ms=358 hash_equal=yes
mode: vmm-direct: VMM segment gPA [0x0, 0x4000000) -> hPA +0x5400000
mode: guest-direct
mode: dual-direct: VMM segment gPA [0x0, 0x4000000) -> hPA +0x5400000
"""

COMPACT_REFUSED = ("RESULT kind=compaction source=hypervisor mode=vmm-direct status=refused "
                   "reason=unmovable frames in every candidate run guest_frames=16384 "
                   "frames_moved=0 bytes_moved=0 tenant_frames_moved=0 frames_unmovable=4096 "
                   "ms=0 hash_equal=n/a")

NAMES = t.SCENARIOS["qemu"]
SAMPLES = {"share": SHARE, "swap": SWAP, "gswap": GSWAP, "balloon": BALLOON, "compact": COMPACT,
           "share-gd": SHARE_GD, "share-dd": SHARE_DD, "swap-gd": SWAP_GD, "swap-dd": SWAP_DD,
           "balloon-vd": BALLOON_VD}


def table(samples=None, verdicts=None, names=None):
    samples = samples or SAMPLES
    names = names or NAMES
    runs = {k: t.parse_serial(v.splitlines(), names[k]) for k, v in samples.items() if k in names}
    return {(r["feature"], r["mode"]): r for r in t.build_table(runs, names, verdicts or {})}


class Parse(unittest.TestCase):
    def test_value_with_spaces_continues(self):
        f = t.parse_result(COMPACT_REFUSED, "x:1")
        self.assertEqual(f["reason"], "unmovable frames in every candidate run")
        self.assertEqual(f["frames_unmovable"], "4096")

    def test_word_before_any_key_is_refused(self):
        with self.assertRaises(t.InputError):
            t.parse_result("RESULT stray kind=share", "x:1")

    def test_forwarded_hypervisor_kind_is_not_taken(self):
        # A guest could print any figures it liked: a `[guest] RESULT kind=share` is ignored.
        forged = "[guest] " + SHARE.splitlines()[2]
        run = t.parse_serial([forged], "s")
        self.assertEqual(run["results"], [])

    def test_mode_of_balloon_refusals(self):
        run = t.parse_serial(BALLOON.splitlines(), "b")
        self.assertEqual([r["mode"] for r in run["balloon_refused"]], ["base"] * 3)
        self.assertEqual(run["balloon_refused"][-1]["why"], "page inside the guest segment")

    def test_guest_levels_from_base(self):
        # (n+1)(m+1)-1 with m = 4: 24 refs is a 4-level guest walk, 19 a 3-level one.
        self.assertEqual(t.guest_levels(24.0), 4)
        self.assertEqual(t.guest_levels(19.0), 3)
        self.assertIsNone(t.guest_levels(12.937))


class Cells(unittest.TestCase):
    def test_measured_cells_follow_the_poster(self):
        tab = table()
        for (feat, mode), r in tab.items():
            if r["status"] != "not measured" and feat in t.EXPECTED:
                self.assertEqual(r["status"], t.EXPECTED[feat][mode], (feat, mode, r["text"]))
                self.assertEqual(r["flag"], "", (feat, mode))

    def test_base_is_yes_everywhere(self):
        tab = table()
        for feat in t.FEATURES:
            self.assertEqual(tab[(feat, "base")]["status"], "yes", feat)

    def test_vmm_segment_escapes_shared_pages(self):
        r = table()[("page sharing", "vmm-direct")]
        self.assertEqual(r["status"], "limited")
        self.assertEqual(r["figures"]["escaped"], (180, "pages (4 KiB) escaped at the end"))
        self.assertEqual(r["figures"]["fp_rate_model"][0], 57.0)  # 570312 ppm
        self.assertEqual(r["figures"]["refs_per_walk_unescaped"][0], 3)
        self.assertIn("180 pages escaped", r["text"])
        self.assertIn("12.937 refs/walk", r["text"])

    def test_vmm_swap_bytes_moved(self):
        r = table()[("VMM swapping", "vmm-direct")]
        self.assertEqual(r["status"], "limited")
        self.assertEqual(r["figures"]["bytes_out"][0], 112 * 4096)

    def test_guest_segment_refuses_guest_swapping(self):
        for mode in ("guest-direct", "dual-direct"):
            r = table()[("guest OS swapping", mode)]
            self.assertEqual(r["status"], "limited")
            self.assertIn("refused: 8 page-outs", r["text"])

    def test_guest_segment_refuses_ballooning(self):
        r = table()[("ballooning", "guest-direct")]
        self.assertEqual(r["status"], "limited")
        self.assertIn("HC_ESEGMENT", r["text"])
        self.assertEqual(r["figures"]["hotadd_bytes"][0], 14320 * 4096)

    def test_unrun_modes_are_not_measured_not_invented(self):
        samples = {k: v for k, v in SAMPLES.items() if k != "balloon-vd"}
        tab = table(samples)
        cell = ("ballooning", "vmm-direct")
        self.assertEqual(tab[cell]["status"], "not measured", cell)
        self.assertEqual(tab[cell]["figures"], {}, cell)
        self.assertEqual(tab[cell]["flag"], "not measured", cell)

    def test_ballooning_with_a_vmm_segment_set(self):
        r = table()[("ballooning", "vmm-direct")]
        self.assertEqual(r["status"], "yes")
        self.assertEqual(r["figures"]["pages_returned"][0], 14322)
        self.assertEqual(r["figures"]["vmm_seg_bytes"][0], 14320 * 4096)
        self.assertTrue(r["source"].startswith("balloon-vd-qemu-svm"), r["source"])
        # The modes=all run balloons in base: it does not stand for vmm-direct.
        base_only = {k: v for k, v in SAMPLES.items() if k != "balloon-vd"}
        self.assertEqual(table(base_only)[("ballooning", "base")]["status"], "yes")

    def test_guest_direct_shares_and_swaps_as_base(self):
        # No VMM segment: nothing escaped, the filter unused (DESIGN.md: "yes").
        for feat, n in (("page sharing", "share-gd-qemu-svm"), ("VMM swapping", "swap-gd-qemu-svm")):
            r = table()[(feat, "guest-direct")]
            self.assertEqual(r["status"], "yes", feat)
            self.assertEqual(r["figures"]["escaped"][0], 0, feat)
            self.assertIn("4.000 refs/walk", r["text"])
            self.assertTrue(r["source"].startswith(n), r["source"])

    def test_dual_direct_escapes_in_the_combined_segment(self):
        r = table()[("page sharing", "dual-direct")]
        self.assertEqual(r["status"], "limited")
        self.assertEqual(r["figures"]["escaped"][0], 180)
        self.assertEqual(r["figures"]["walks"][0], 252)  # the filter's hits; 4 segment-served
        self.assertIn("over the 252 of 256 accesses that walked", r["text"])
        self.assertTrue(r["source"].startswith("share-dd-qemu-svm"), r["source"])
        r = table()[("VMM swapping", "dual-direct")]
        self.assertEqual(r["status"], "limited")
        self.assertEqual(r["figures"]["escaped"][0], 16)

    def test_engine_without_mode_runs_is_not_measured(self):
        # The Bochs list has no guest-segment share or swap scenario: those cells fall back to
        # the modes=all run, which has no line for them.
        names = {k: v for k, v in NAMES.items() if k in t.SCENARIOS["bochs"]}
        tab = table(names=names)
        for cell in [("page sharing", "guest-direct"), ("page sharing", "dual-direct"),
                     ("VMM swapping", "guest-direct"), ("VMM swapping", "dual-direct"),
                     ("ballooning", "vmm-direct")]:
            self.assertEqual(tab[cell]["status"], "not measured", cell)
            self.assertEqual(tab[cell]["figures"], {}, cell)
            self.assertIn("only a QEMU scenario", tab[cell]["text"])

    def test_failed_mode_run_fails_only_its_cell(self):
        tab = table(verdicts={NAMES["share-dd"]: "FAIL"})
        self.assertEqual(tab[("page sharing", "dual-direct")]["flag"], "FAILED")
        self.assertEqual(tab[("page sharing", "guest-direct")]["flag"], "")
        self.assertEqual(tab[("page sharing", "base")]["flag"], "")

    def test_limited_without_escape_disagrees(self):
        # A VMM segment that escaped nothing would contradict the design's "limited".
        s = SHARE.replace("mode=vmm-direct unit=4KiB-pages pages_scanned=256 pages_shared=189 "
                          "frames_freed=189 shared_now=180 cow_faults=12 hash_collisions=0 "
                          "escaped=180 escaped_max=192 filter_pages=192",
                          "mode=vmm-direct unit=4KiB-pages pages_scanned=256 pages_shared=189 "
                          "frames_freed=189 shared_now=180 cow_faults=12 hash_collisions=0 "
                          "escaped=0 escaped_max=0 filter_pages=0")
        self.assertNotEqual(s, SHARE)
        r = table({**SAMPLES, "share": s})[("page sharing", "vmm-direct")]
        self.assertEqual(r["status"], "yes")
        self.assertEqual(r["flag"], "DISAGREES")

    def test_refused_count_without_named_refusal_fails(self):
        g = "\n".join(ln for ln in GSWAP.splitlines() if "page-outs refused" not in ln)
        r = table({**SAMPLES, "gswap": g})[("guest OS swapping", "guest-direct")]
        self.assertEqual(r["flag"], "FAILED")

    def test_failed_scenario_fails_its_cells(self):
        r = table(verdicts={NAMES["share"]: "FAIL"})[("page sharing", "base")]
        self.assertEqual(r["status"], "failed")
        self.assertEqual(r["flag"], "FAILED")

    def test_data_mismatch_fails(self):
        s = SHARE.replace("model_faults=0 hpa_mismatches=0\nmode: vmm",
                          "model_faults=0 hpa_mismatches=3\nmode: vmm")
        r = table({**SAMPLES, "share": s})[("page sharing", "base")]
        self.assertEqual(r["flag"], "FAILED")

    def test_compaction_row(self):
        tab = table()
        self.assertEqual(tab[("compaction", "vmm-direct")]["status"], "done")
        self.assertEqual(tab[("compaction", "vmm-direct")]["figures"]["bytes_moved"][0], 80 << 20)
        self.assertEqual(tab[("compaction", "base")]["status"], "not needed")
        self.assertEqual(tab[("compaction", "base")]["expected"], "n/a")
        ref = table({**SAMPLES, "compact": COMPACT_REFUSED})[("compaction", "vmm-direct")]
        self.assertEqual(ref["status"], "refused")
        self.assertIn("unmovable frames in every candidate run", ref["text"])


class Output(unittest.TestCase):
    def test_files_carry_units(self):
        rows = list(table().values())
        with tempfile.TemporaryDirectory() as d:
            t.write_results(rows, Path(d))
            doc = json.loads((Path(d) / "tradeoffs.json").read_text())
            self.assertEqual(len(doc["cells"]), len(t.MODES) * (len(t.FEATURES) + 1))
            for c in doc["cells"]:
                for name, fig in c["figures"].items():
                    self.assertTrue(fig["unit"], name)
            csv_text = (Path(d) / "tradeoffs.csv").read_text()
            self.assertIn("% of filter checks (model)", csv_text)
            md = (Path(d) / "tradeoffs.md").read_text()
            self.assertIn("| page sharing |", md)
        text = t.render_text(rows)
        self.assertIn("not measured", text)
        self.assertIn("0 disagree or failed", text)


if __name__ == "__main__":
    unittest.main()
