#!/usr/bin/env python3
"""The page-size matrix of `make run`: plans its boots, runs them, and writes
a manifest for tools/render.py.

  tools/matrix.py plan [--matrix full|small]   print the boots, run nothing
  tools/matrix.py run  [--matrix full|small]   boot them, write build/run/matrix.json

A row of the matrix is a configuration (tools/render.py, "the matrix"):
native 4K/2M/1G, base 4K+4K, 2M+2M, 1G+1G, 4K+2M, 2M+4K, vmm-direct
4K/2M/1G, guest-direct 4K/2M/1G, dual-direct, and base and native with the
page-walk caches and nested TLB on. The guest runs one mode or all of them
in one boot (modes=), so the plan covers the rows with as little emulated
time as it can: one boot of every mode where several rows share the page
sizes, one boot of one mode otherwise.

A matrix has parts, each on one engine with one set of sizes:
  big         every row, GUPS over SEGVISOR_BIG_SIZE bytes (4G) on the fast
              engine (KVM with VT-x when present, else QEMU TCG with AMD SVM),
              guest RAM SEGVISOR_BIG_RAM (8G), emulator RAM SEGVISOR_MEM
              (guest RAM + 4 GiB, in MiB)
  big-pchase  the pointer chase over SEGVISOR_BIG_SIZE, on the rows of
              SEGVISOR_PCHASE_ROWS ("native 4K,base 4K+4K,dual-direct": a
              chase of 4 GiB costs about 100 s a mode under QEMU TCG)
  bochs       the 4 KiB rows under Bochs VT-x with EPT, every workload at
              the guest's default sizes
The small matrix has the same parts with small sizes (a minute or two).

Environment: SEGVISOR_ENGINE, SEGVISOR_CPU, SEGVISOR_MEM (the big parts'
engine, CPU and emulator MiB), SEGVISOR_OPTIONS and SEGVISOR_GUEST_ARGS
(added to every boot's hypervisor options and guest arguments; a key given
there replaces the matrix's own, and the label follows), SEGVISOR_RUN_TIMEOUT
(seconds per boot, default 900), SEGVISOR_JOBS (boots at a time, default 2;
fewer when the memory free does not hold two), SEGVISOR_PARTS (e.g.
"big,bochs"), SEGVISOR_BIG_RAM, SEGVISOR_BIG_SIZE, SEGVISOR_BIG_STEPS (GUPS
updates and chase steps), SEGVISOR_PCHASE_ROWS.

Exit status: 0 when every boot passed, 1 when one failed (the manifest says
which and why; its results are still rendered), 2 on a bad setting.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import render  # noqa: E402
from harness import engines  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = Path("build/run")
MODES = list(render.MODE_DEPENDS)  # every mode; `modes=all` runs them all
DEFAULT_PCHASE_ROWS = "native 4K,base 4K+4K,dual-direct"
SIZE_RE = re.compile(r"^([0-9]+)([KMG]?)$", re.I)
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
GiB = 1 << 30


class SettingError(Exception):
    pass


def size_bytes(text, name):
    m = SIZE_RE.match(text or "")
    if not m:
        raise SettingError(f"{name}='{text}' is not a size (e.g. 4G, 512M)")
    return int(m.group(1)) * SIZE_UNITS[m.group(2).upper()]


def positive_int(text, name):
    if not re.match(r"^[0-9]+$", text or "") or int(text) < 1:
        raise SettingError(f"{name}='{text}' is not a positive number")
    return int(text)


def row_key(label):
    """(mode, gpage, ept_page, other options) of a row: what a boot must set."""
    mode, options = render.parse_label(label)
    rest = tuple(sorted((k, v) for k, v in options.items() if k not in ("gpage", "ept_page")))
    return mode, options.get("gpage"), options.get("ept_page"), rest


def plan_part(rows, boot_cost, mode_cost):
    """Boots covering `rows` (labels): a list of (options, modes, rows) with
    modes ["all"] or one mode. Greedy cover by cost per new row: a boot of
    all modes costs boot_cost + 5 mode_cost, one of one mode boot_cost +
    mode_cost; ties go to the earlier candidate. Raises ValueError on a bad
    label."""
    need = list(dict.fromkeys(rows))
    keys = {label: row_key(label) for label in need}
    pages = ["4k", "2m", "1g"]
    rests = list(dict.fromkeys(k[3] for k in keys.values()))
    candidates = []
    for rest in rests:
        for g in pages:
            for n in pages:
                options = dict(rest, gpage=g, ept_page=n)
                candidates.append((options, ["all"], boot_cost + len(MODES) * mode_cost))
                for m in MODES:
                    candidates.append((options, [m], boot_cost + mode_cost))
    plan, left = [], set(need)
    while left:
        best = None
        for options, modes, cost in candidates:
            covers = [label for label in need if label in left
                      and (modes == ["all"] or keys[label][0] in modes)
                      and render.config_label(keys[label][0], options) == label]
            if covers and (best is None or cost / len(covers) < best[0] - 1e-9):
                best = (cost / len(covers), options, modes, covers)
        if best is None:  # cannot happen for labels parse_label accepts
            raise ValueError("no boot covers " + ", ".join(sorted(left)))
        _, options, modes, covers = best
        plan.append((options, modes, covers))
        left -= set(covers)
    return plan


def fmt_size(n):
    for unit, div in (("G", GiB), ("M", 1 << 20), ("K", 1 << 10)):
        if n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def settings(env, matrix):
    """The matrix's parts from the environment: a list of dicts."""
    fast_engine, fast_cpu = "qemu-kernel", "max"
    if engines.kvm_status()[0]:
        fast_engine, fast_cpu = engines.best_engine()
    engine = env.get("SEGVISOR_ENGINE") or fast_engine
    if engine == "best":
        engine = fast_engine
    cpu = env.get("SEGVISOR_CPU") or (fast_cpu if engine == fast_engine else
                                      "max" if engine.startswith("qemu") else "corei7_skylake_x")
    full = matrix == "full"
    # The small matrix keeps one whole GiB for its 1 GiB guest pages (a
    # region of 1G pages must be whole, aligned GiB) but chases pointers over
    # 128M only: building a chain costs far more than an update.
    big_ram = size_bytes(env.get("SEGVISOR_BIG_RAM") or ("8G" if full else "2G"),
                         "SEGVISOR_BIG_RAM")
    big_size = size_bytes(env.get("SEGVISOR_BIG_SIZE") or ("4G" if full else "1G"),
                          "SEGVISOR_BIG_SIZE")
    pchase_size = big_size if full or env.get("SEGVISOR_BIG_SIZE") else min(big_size, 128 << 20)
    steps = positive_int(env.get("SEGVISOR_BIG_STEPS") or ("200000" if full else "20000"),
                         "SEGVISOR_BIG_STEPS")
    mem = positive_int(env.get("SEGVISOR_MEM") or str(big_ram // (1 << 20) + 4096),
                       "SEGVISOR_MEM")
    pchase_rows = [r.strip() for r in
                   (env.get("SEGVISOR_PCHASE_ROWS") or DEFAULT_PCHASE_ROWS).split(",")
                   if r.strip()]
    gups = {"region": fmt_size(big_size), "gups_table": fmt_size(big_size),
            "gups_updates": str(steps)}
    pchase = {"region": fmt_size(pchase_size), "pchase_bytes": fmt_size(pchase_size),
              "pchase_steps": str(steps)}
    # The workloads' region is one contiguous gPA run: the big-memory runs keep
    # guest RAM below and above 4 GiB in one piece (io_hole=off, README "Options").
    big_hv = {"guest_ram": fmt_size(big_ram), "io_hole": "off"}
    bochs_guest = {} if full else {"gups_updates": "5000", "stream_bytes": "4M",
                                   "pchase_steps": "5000"}
    bochs_rows = [r for r in render.MATRIX_ROWS
                  if r in ("native 4K", "base 4K+4K", "vmm-direct 4K", "guest-direct 4K",
                           "dual-direct")]
    # The 2 MiB matrix under Bochs VT-x: a 256 MiB GUPS table is 128 pages of
    # 2 MiB, past the L1 TLB's 32 entries and within Bochs' 2 GiB.
    bochs2m_rows = ["native 2M", "base 2M+2M", "base 4K+2M", "base 2M+4K", "vmm-direct 2M",
                    "guest-direct 2M", "dual-direct"]
    bochs2m_guest = {"region": "256M", "gups_table": "256M",
                     "gups_updates": "20000" if full else "5000", "workloads": "gups"}
    where = f"{engine}, cpu {cpu}"
    parts = [
        {"name": "big", "engine": engine, "cpu": cpu, "mem": mem, "hv": big_hv,
         "guest": dict(gups, workloads="gups"), "rows": list(render.MATRIX_ROWS),
         "title": f"big memory, {where}, guest RAM {fmt_size(big_ram)}, GUPS over "
                  f"{fmt_size(big_size)}, {steps} updates",
         "gib_touched": big_size / GiB, "accesses": steps, "workloads": ["gups"]},
        {"name": "big-pchase", "engine": engine, "cpu": cpu, "mem": mem, "hv": big_hv,
         "guest": dict(pchase, workloads="pchase"), "rows": pchase_rows,
         "title": f"big memory, {where}, guest RAM {fmt_size(big_ram)}, pointer chase over "
                  f"{fmt_size(pchase_size)}, {steps} steps",
         "gib_touched": pchase_size / GiB * 20, "accesses": steps, "workloads": ["pchase"]},
        {"name": "bochs", "engine": "bochs-iso", "cpu": "corei7_skylake_x", "mem": 512,
         "hv": {}, "guest": dict(bochs_guest, workloads="all"), "rows": bochs_rows,
         "title": "Bochs VT-x with EPT (corei7_skylake_x), guest RAM 128M, every workload at "
                  + ("the guest's default sizes" if full else
                     "GUPS 5000 updates, stream 4M, chase 5000 steps"),
         "gib_touched": 0.2, "accesses": 600000 if full else 80000,
         "workloads": ["gups", "stream", "pchase"]},
        {"name": "bochs-2m", "engine": "bochs-iso", "cpu": "corei7_skylake_x", "mem": 1024,
         "hv": {"guest_ram": "512M"}, "guest": bochs2m_guest, "rows": bochs2m_rows,
         "title": "Bochs VT-x with EPT (corei7_skylake_x), guest RAM 512M, GUPS over 256M, "
                  + bochs2m_guest["gups_updates"] + " updates",
         "gib_touched": 0.25, "accesses": int(bochs2m_guest["gups_updates"]),
         "workloads": ["gups"]},
    ]
    chosen = env.get("SEGVISOR_PARTS")
    if chosen:
        names = [p.strip() for p in chosen.split(",") if p.strip()]
        unknown = [n for n in names if n not in [p["name"] for p in parts]]
        if unknown:
            raise SettingError(f"SEGVISOR_PARTS: unknown part(s) {', '.join(unknown)}; "
                               "the parts are big, big-pchase, bochs, bochs-2m")
        parts = [p for p in parts if p["name"] in names]
    user_hv = render.parse_options(env.get("SEGVISOR_OPTIONS", ""))
    user_guest = render.parse_options(env.get("SEGVISOR_GUEST_ARGS", ""))
    for p in parts:
        if p["engine"].startswith("bochs") and p["mem"] > 2048:
            raise SettingError(f"part {p['name']}: Bochs allows at most 2048 MiB")
        p["user_hv"], p["user_guest"] = user_hv, user_guest
        for label in p["rows"]:
            try:
                render.parse_label(label)
            except ValueError as e:
                raise SettingError(f"part {p['name']}: row {e}") from e
    return parts


def costs(part):
    """(seconds per boot, seconds per mode) estimated for a part's engine."""
    ram = render.parse_options(" ".join(f"{k}={v}" for k, v in part["hv"].items()))
    ram_gib = size_bytes(ram.get("guest_ram", "128M"), "guest_ram") / GiB
    if part["engine"].startswith("bochs"):
        return 4 + 9 * ram_gib, 2 + 20 * part["gib_touched"] + part["accesses"] / 53000
    return 1 + 3 * ram_gib, 0.3 + 1.2 * part["gib_touched"] + part["accesses"] / 1.2e6


def boots_of(parts):
    """Every boot of the matrix, with its options, in the order they run:
    the longest first, so that two at a time end together."""
    boots = []
    for p in parts:
        boot_cost, mode_cost = costs(p)
        for options, modes, rows in plan_part(p["rows"], boot_cost, mode_cost):
            hv = dict(p["hv"])
            hv["ept_page"] = options["ept_page"]
            for k in ("pwc", "ntlb", "npwc", "tlb"):
                if k in options:
                    hv[k] = options[k]
            hv.update(p["user_hv"])
            guest = {"checks": "off", "modes": modes[0], "gpage": options["gpage"]}
            guest.update(p["guest"])
            guest.update(p["user_guest"])
            merged = dict(hv, **guest)
            # The labels follow what the boot is really given.
            rows = list(dict.fromkeys(
                render.config_label(render.parse_label(r)[0], merged) for r in rows))
            n_modes = len(MODES) if modes == ["all"] else 1
            boots.append({"part": p["name"], "engine": p["engine"], "cpu": p["cpu"],
                          "mem": p["mem"], "hv_options": " ".join(f"{k}={v}" for k, v in
                                                                  hv.items()),
                          "guest_args": " ".join(f"{k}={v}" for k, v in guest.items()),
                          "rows": rows, "workloads": p["workloads"],
                          "estimate": boot_cost + n_modes * mode_cost})
    boots.sort(key=lambda b: -b["estimate"])
    for i, b in enumerate(boots, 1):
        b["name"] = f"{i:02d}-{b['part']}"
        b["serial"] = str(OUT / b["name"] / "serial.txt")
    return boots


def mem_available_mib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def boot_need_mib(b):
    """Host memory a boot touches: its guest RAM and the hypervisor's own,
    bounded by the emulator's RAM."""
    ram = render.parse_options(b["hv_options"]).get("guest_ram", "128M")
    try:
        guest = size_bytes(ram, "guest_ram") // (1 << 20)
    except SettingError:
        guest = b["mem"]
    return min(b["mem"], guest + 1024) + 256


def run_boots(boots, jobs, timeout, out=sys.stdout):
    """Runs the boots, `jobs` at a time while the memory free holds them."""
    avail = mem_available_mib()
    budget = (avail - 1024) if avail else None
    lock, cond = threading.Lock(), threading.Condition()
    in_use = [0, 0]  # MiB, boots
    started_at = time.monotonic()

    def say(text):
        with lock:
            print(f"[{time.monotonic() - started_at:6.1f} s] {text}", file=out, flush=True)

    def one(i, b):
        need = boot_need_mib(b)
        with cond:
            # One boot always runs, even when it alone exceeds the budget.
            cond.wait_for(lambda: in_use[1] == 0 or budget is None
                          or in_use[0] + need <= budget)
            in_use[0] += need
            in_use[1] += 1
        d = ROOT / OUT / b["name"]
        d.mkdir(parents=True, exist_ok=True)
        serial = ROOT / b["serial"]
        if serial.exists():
            serial.unlink()
        cmd = [sys.executable, "tools/runner.py", "boot", "--engine", b["engine"], "--cpu",
               b["cpu"], "--mem", str(b["mem"]), "--timeout", str(timeout), "--out",
               str(OUT / b["name"]), "--", b["hv_options"], b["guest_args"]]
        say(f"boot {i}/{len(boots)} {b['name']} started ({b['engine']}, cpu {b['cpu']}, "
            f"{b['mem']} MiB, about {b['estimate']:.0f} s): {', '.join(b['rows'])}\n"
            f"          hypervisor: {b['hv_options']}\n          guest: {b['guest_args']}")
        t0 = time.monotonic()
        with open(d / "console.txt", "wb") as so, open(d / "runner.txt", "wb") as se:
            status = subprocess.run(cmd, cwd=ROOT, stdout=so, stderr=se).returncode
        b["seconds"] = round(time.monotonic() - t0, 1)
        text = (d / "runner.txt").read_text(errors="replace").splitlines()
        verdict = [l for l in text if re.match(r"^(PASS|FAIL|CRASH|SKIP|TIME)", l)]
        b["status"] = "pass" if status == 0 else "fail"
        b["verdict"] = verdict[-1].strip() if verdict else f"runner status {status}"
        whys = [l.strip()[len("why: "):] for l in text if l.strip().startswith("why: ")]
        b["why"] = whys[0] if whys else ("" if status == 0 else
                                         "; ".join(l.strip() for l in text[-3:]))
        with cond:
            in_use[0] -= need
            in_use[1] -= 1
            cond.notify_all()
        if status == 0:
            say(f"boot {i}/{len(boots)} {b['name']} passed in {b['seconds']} s")
        else:
            say(f"boot {i}/{len(boots)} {b['name']} FAILED after {b['seconds']} s: "
                f"{b['why']}\n          its rows: {', '.join(b['rows'])}; serial, command and "
                f"logs in {OUT / b['name']}/")

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, i, b) for i, b in enumerate(boots, 1)]
        for f in futures:
            f.result()
    return time.monotonic() - started_at


def write_manifest(parts, boots, path):
    doc = {"generator": "tools/matrix.py",
           "parts": [{"name": p["name"], "title": p["title"], "workloads": p["workloads"]}
                     for p in parts],
           "boots": boots}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def describe(parts, boots, jobs):
    lines = []
    for p in parts:
        mine = [b for b in boots if b["part"] == p["name"]]
        lines.append(f"part {p['name']}: {p['title']}: {len(p['rows'])} rows in "
                     f"{len(mine)} boots")
        for b in mine:
            modes = render.parse_options(b["guest_args"]).get("modes")
            lines.append(f"  {b['name']}  modes={modes:<12} {b['hv_options']} | "
                         f"{b['guest_args']}  -> {', '.join(b['rows'])}")
    total = sum(b["estimate"] for b in boots)
    lines.append(f"{len(boots)} boots, about {total / max(1, jobs) / 60:.1f} min at "
                 f"{jobs} at a time (estimate)")
    return "\n".join(lines)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("plan", "run"))
    ap.add_argument("--matrix", default=None, help="full or small "
                    "(default: SEGVISOR_MATRIX, else full)")
    ap.add_argument("--manifest", default=str(OUT / "matrix.json"))
    args = ap.parse_args(argv)
    env = os.environ
    matrix = args.matrix or env.get("SEGVISOR_MATRIX") or "full"
    try:
        if matrix not in ("full", "small"):
            raise SettingError(f"matrix '{matrix}' is not full or small")
        parts = settings(env, matrix)
        jobs = positive_int(env.get("SEGVISOR_JOBS") or "2", "SEGVISOR_JOBS")
        timeout = positive_int(env.get("SEGVISOR_RUN_TIMEOUT") or "900",
                               "SEGVISOR_RUN_TIMEOUT")
        boots = boots_of(parts)
    except (SettingError, ValueError) as e:
        print(f"matrix: {e}", file=sys.stderr)
        return 2
    print(f"matrix {matrix}:\n" + describe(parts, boots, jobs), flush=True)
    if args.command == "plan":
        return 0
    manifest = ROOT / args.manifest
    for b in boots:
        b["status"] = "not run"
    write_manifest(parts, boots, manifest)
    try:
        seconds = run_boots(boots, jobs, timeout)
    except KeyboardInterrupt:
        write_manifest(parts, boots, manifest)
        print("matrix: interrupted", file=sys.stderr)
        return 1
    write_manifest(parts, boots, manifest)
    failed = [b for b in boots if b["status"] != "pass"]
    print(f"matrix: {len(boots) - len(failed)} of {len(boots)} boots passed in "
          f"{seconds:.0f} s; manifest {args.manifest}", flush=True)
    for b in failed:
        print(f"matrix: FAILED {b['name']}: {b.get('why') or b.get('verdict')}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
