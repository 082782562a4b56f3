"""The engines that boot an image, and what each needs.

  qemu-kernel  QEMU's own Multiboot loader (-kernel ELF32, -initrd module)
  qemu-iso     QEMU booting a GRUB ISO
  bochs-iso    Bochs booting a GRUB ISO (the VT-x target: Bochs emulates VMX+EPT)
  qemu-uefi    QEMU with OVMF (UEFI firmware) booting the same ISO through GRUB EFI
CPU `host` on a QEMU engine means KVM (-enable-kvm -cpu host), which has VT-x
only when the host CPU offers it (DESIGN.md "Running").

prepare() lays out one run in its own directory (ISO, corrupt module, Bochs
config) and returns the command; every path is relative to the repository root.
"""

import signal
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import mkcorrupt
from harness import paths, scenarios

QEMU = "qemu-system-x86_64"
BOCHS = "bochs"
DEFAULT_MEM = scenarios.DEFAULT_MEM  # MiB; a scenario's mem= word overrides it
KVM_CPU = "host"
ISO_BUILD_TIMEOUT = 120  # seconds; grub-mkrescue takes about half a second
BOCHS_ROMS = ("/usr/share/bochs/BIOS-bochs-latest", "/usr/share/bochs/VGABIOS-lgpl-latest")
GRUB_PC_DIR = "/usr/lib/grub/i386-pc"
GRUB_EFI_DIR = "/usr/lib/grub/x86_64-efi"  # grub-mkrescue adds the EFI image when present
# Debian's ovmf: the firmware code (read-only flash) and the variable store it
# starts from; each run writes to its own copy of the store.
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# isa-debug-exit on the port the images write their exit value to.
QEMU_EXIT_DEVICE = "isa-debug-exit,iobase=0xf4,iosize=0x04"
BOCHS_PLACEHOLDERS = ("@CPU_MODEL@", "@MEGS@", "@ISO@", "@SERIAL@", "@LOG@")


class PrepareError(Exception):
    pass


@dataclass(frozen=True)
class Launch:
    cmd: list
    serial: Path
    stdout: Path  # the emulator's stdout and stderr (Bochs: port 0xE9 bytes too)
    bochs_log: Path = None

    @property
    def is_qemu(self):
        return self.cmd[0] == QEMU


def _run_files(out: Path) -> dict:
    return {"serial": out / "serial.txt", "stdout": out / "stdout.txt",
            "log": out / "bochs.log", "iso": out / "image.iso",
            "rc": out / "bochsrc", "cont": out / "bochs.cont", "cmd": out / "cmd.txt",
            "vars": out / "ovmf-vars.fd"}


def _module_file(scenario, out: Path):
    if scenario.module == "none":
        return None
    if scenario.module == "guest":
        return paths.GUEST_ELF
    if scenario.module == "attack":
        return paths.ATTACK_ELF
    if scenario.module_path:
        return Path(scenario.module_path)
    kind = scenario.corrupt_kind
    bz = kind in mkcorrupt.BZ_KINDS
    source = paths.BZIMAGE_TEST if bz else paths.GUEST_ELF
    dest = out / (f"guest-{kind}.bin" if bz else f"guest-{kind}.elf")
    try:
        mkcorrupt.make(paths.ROOT / source, kind, paths.ROOT / dest)
    except (OSError, mkcorrupt.CorruptError) as e:
        raise PrepareError(f"cannot make corrupt module {kind}: {e}") from None
    return dest


def module_image(module: str):
    """The built image a module field needs (corrupt:KIND is made from the
    test guest), or None for none."""
    if module == "none":
        return None
    if module.startswith("file:"):
        return Path(module.split(":", 1)[1])
    if module.startswith("corrupt:bz-"):
        return paths.BZIMAGE_TEST
    return paths.ATTACK_ELF if module == "attack" else paths.GUEST_ELF


def _kernel_and_cmdline(scenario):
    elf64, elf32 = paths.kernel_images(scenario.image)
    cmdline = scenario.hv_options if scenario.image == "hv" else scenario.guest_args
    return elf64, elf32, cmdline


def _check_images(*images):
    for image in images:
        if image is not None and not (paths.ROOT / image).is_file():
            raise PrepareError(f"image {image} is missing: run `make images`")


def _check_inputs(scenario):
    """A kernel or module file the scenario names (file:PATH, mods=) must exist."""
    named = [Path(p) for p, _ in scenario.mods]
    if scenario.module_path:
        named.insert(0, Path(scenario.module_path))
    for path in named:
        if not (paths.ROOT / path).is_file():
            raise PrepareError(f"{path} is missing (not a file; `make images` builds those "
                               "in build/)")


def _build_iso(kernel, module, cmdline, module_args, iso: Path, mods=()):
    cmd = [str(paths.MKISO), str(kernel), str(module) if module else "none", cmdline,
           module_args, str(iso)]
    for path, args in mods:
        cmd += [str(path), args]
    # A session of its own, so that a timeout ends grub-mkrescue and xorriso
    # too, not only the shell.
    child = subprocess.Popen(cmd, cwd=paths.ROOT, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        output, _ = child.communicate(timeout=ISO_BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.communicate()
        raise PrepareError(f"mkiso.sh took more than {ISO_BUILD_TIMEOUT} s") from None
    done = subprocess.CompletedProcess(cmd, child.returncode, output)
    if done.returncode != 0:
        tail = done.stdout.decode(errors="replace").strip().splitlines()[-8:]
        raise PrepareError("ISO build failed:\n" + "\n".join(tail))


# console=comN in the hypervisor's options (lib/x86/uart.h) moves its console
# off COM1; QEMU's -serial options fill COM1, COM2, ... in order.
CONSOLE_PORTS = ("com1", "com2", "com3", "com4")


def console_index(scenario) -> int:
    """Which COM port (0 for COM1) the judged serial file captures."""
    if scenario.image != "hv":
        return 0
    for word in shlex.split(scenario.hv_options):
        key, _, value = word.partition("=")
        if key == "console" and value in CONSOLE_PORTS:
            return CONSOLE_PORTS.index(value)
    return 0


def _qemu_serials(scenario, files) -> list:
    """serial.txt on the console's port; the ports before it to files of their
    own (out/comN.txt), where nothing of segvisor's should appear."""
    out = []
    for k in range(console_index(scenario)):
        out += ["-serial", f"file:{files['serial'].parent / f'com{k + 1}.txt'}"]
    return out + ["-serial", f"file:{files['serial']}"]


def _qemu_common(scenario, files, megs) -> list:
    accel = ["-enable-kvm"] if scenario.cpu == KVM_CPU else []
    return accel + ["-display", "none"] + _qemu_serials(scenario, files) + [
        "-no-reboot", "-device", QEMU_EXIT_DEVICE, "-cpu", scenario.cpu, "-m", str(megs)]


def _qemu_kernel(scenario, files, module, megs) -> list:
    _, elf32, cmdline = _kernel_and_cmdline(scenario)
    cmd = [QEMU, "-kernel", str(elf32)]
    if module is not None:
        # -initrd separates modules with commas, so a comma in the text is doubled.
        # The guest's own modules follow, each as "FILE ARGS".
        items = [f"{module} {scenario.guest_args}"] + [f"{p} {a}" for p, a in scenario.mods]
        cmd += ["-initrd", ",".join(i.strip().replace(",", ",,") for i in items)]
    return cmd + ["-append", cmdline] + _qemu_common(scenario, files, megs)


def _qemu_uefi(files) -> list:
    """QEMU's firmware flash: OVMF's code read-only, a fresh copy of its
    variable store writable (OVMF keeps boot entries there)."""
    try:
        shutil.copyfile(OVMF_VARS, paths.ROOT / files["vars"])
    except OSError as e:
        raise PrepareError(f"cannot copy the OVMF variable store {OVMF_VARS}: {e}") from None
    return [QEMU, "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,unit=1,file={files['vars']}"]


def render_bochsrc(cpu: str, megs: int, iso, serial, log) -> str:
    text = (paths.BOCHSRC_TEMPLATE).read_text()
    for key, value in zip(BOCHS_PLACEHOLDERS, (cpu, str(megs), iso, serial, log)):
        text = text.replace(key, str(value))
    left = [p for p in BOCHS_PLACEHOLDERS if p in text]
    if left:
        raise PrepareError(f"bochsrc.in placeholders left unfilled: {', '.join(left)}")
    return text


def prepare(scenario, out: Path) -> Launch:
    """Makes out/ ready for one run of the scenario and returns its command.
    The emulator gets scenario.mem MiB of RAM."""
    megs = scenario.mem
    why = scenarios.mem_unmet(scenario.engine, megs)
    if why:
        raise PrepareError(why)
    if scenario.engine.startswith("bochs") and console_index(scenario):
        raise PrepareError("a console other than COM1 is captured under QEMU only")
    (paths.ROOT / out).mkdir(parents=True, exist_ok=True)
    files = _run_files(out)
    for stale in ("serial", "stdout", "log"):
        (paths.ROOT / files[stale]).unlink(missing_ok=True)
    elf64, elf32, cmdline = _kernel_and_cmdline(scenario)
    _check_inputs(scenario)
    _check_images(elf64 if scenario.uses_iso else elf32, module_image(scenario.module))
    module = _module_file(scenario, out)

    if scenario.engine == "qemu-kernel":
        launch = Launch(_qemu_kernel(scenario, files, module, megs), files["serial"],
                        files["stdout"])
    else:
        module_args = scenario.guest_args if scenario.image == "hv" else ""
        _build_iso(elf64, module, cmdline, module_args, files["iso"], scenario.mods)
        if scenario.engine == "qemu-iso":
            cmd = [QEMU, "-cdrom", str(files["iso"]), "-boot", "d"]
            launch = Launch(cmd + _qemu_common(scenario, files, megs), files["serial"],
                            files["stdout"])
        elif scenario.engine == "qemu-uefi":
            cmd = _qemu_uefi(files) + ["-cdrom", str(files["iso"])]
            launch = Launch(cmd + _qemu_common(scenario, files, megs), files["serial"],
                            files["stdout"])
        else:
            # Bochs resolves relative paths from its working directory, the root.
            rc = render_bochsrc(scenario.cpu, megs, files["iso"], files["serial"],
                                files["log"])
            (paths.ROOT / files["rc"]).write_text(rc)
            # Bochs starts in its debugger prompt: continue, then quit when stopped.
            (paths.ROOT / files["cont"]).write_text("c\nquit\n")
            cmd = [BOCHS, "-q", "-f", str(files["rc"]), "-rc", str(files["cont"])]
            launch = Launch(cmd, files["serial"], files["stdout"], files["log"])
    (paths.ROOT / files["cmd"]).write_text(shlex.join(launch.cmd) + "\n")
    return launch


# --- what this machine can run -------------------------------------------------


def host_virt_flags(cpuinfo="/proc/cpuinfo") -> set:
    """The hardware-virtualization flags (vmx, svm) /proc/cpuinfo shows."""
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            words = set()
            for line in f:
                if line.startswith("flags"):
                    words.update(line.partition(":")[2].split())
            return words & {"vmx", "svm"}
    except OSError:
        return set()


def kvm_status(kvm="/dev/kvm", cpuinfo="/proc/cpuinfo"):
    """(usable, why): KVM counts only where it passes VT-x or SVM on to a
    guest (-cpu host); a KVM without them (EMULATORS.md: module kvm_pvm, where
    -cpu host aborts) is refused with the reason."""
    if not os.path.exists(kvm):
        return False, f"no {kvm}"
    if not os.access(kvm, os.R_OK | os.W_OK):
        return False, f"{kvm} is not readable and writable by this user"
    flags = host_virt_flags(cpuinfo)
    if not flags:
        return False, (f"{kvm} present but {cpuinfo} shows neither vmx nor svm: no nested "
                       "VT-x or SVM, and -cpu host would abort")
    if shutil.which(QEMU) is None:
        return False, f"{QEMU} not installed"
    names = " and ".join("VT-x" if f == "vmx" else "SVM" for f in sorted(flags, reverse=True))
    return True, f"KVM with {names} (-enable-kvm -cpu host; {cpuinfo} flags {' '.join(sorted(flags))})"


def engine_status(engine: str):
    """(usable, why) for one of scenarios.ENGINES."""
    if engine.startswith("qemu"):
        if shutil.which(QEMU) is None:
            return False, f"{QEMU} not installed (package qemu-system-x86)"
        why = "QEMU TCG: no VT-x; AMD SVM with nested paging under -cpu max"
    else:
        if shutil.which(BOCHS) is None:
            return False, "bochs not installed (packages bochs bochsbios vgabios)"
        missing = [rom for rom in BOCHS_ROMS if not os.path.exists(rom)]
        if missing:
            return False, f"missing {', '.join(missing)} (packages bochsbios vgabios)"
        why = "Bochs: emulated VT-x with EPT (cpu models per EMULATORS.md)"
    if engine.endswith("-iso") or engine == "qemu-uefi":
        for tool in ("grub-mkrescue", "xorriso", "mformat"):
            if shutil.which(tool) is None:
                return False, f"{tool} not installed (packages grub-common xorriso mtools)"
        if engine == "qemu-uefi":
            if not os.path.isdir(GRUB_EFI_DIR):
                return False, f"no {GRUB_EFI_DIR} (package grub-efi-amd64-bin)"
            for firmware in (OVMF_CODE, OVMF_VARS):
                if not os.path.exists(firmware):
                    return False, f"no {firmware} (package ovmf)"
            why += "; OVMF UEFI firmware, GRUB EFI from the hybrid ISO"
        elif not os.path.isdir(GRUB_PC_DIR):
            return False, f"no {GRUB_PC_DIR} (package grub-pc-bin)"
        else:
            why += "; GRUB ISO"
    return True, why


def best_engine():
    """(engine, cpu) for a boot that needs VT-x: KVM if it has it, else Bochs."""
    usable, _ = kvm_status()
    if usable:
        return "qemu-kernel", KVM_CPU
    return "bochs-iso", "corei7_skylake_x"
