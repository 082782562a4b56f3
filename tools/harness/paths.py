"""Where things live in the repository. Every path the harness hands to an
emulator is relative to the repository root, which is the working directory
of every emulator it starts. SEGVISOR_BUILD names another build directory
(images in, results out), to try the harness on other kernels."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
BUILD = Path(os.environ.get("SEGVISOR_BUILD") or "build")
SCENARIOS = Path("tests/system/scenarios")
SYSTEM_OUT = BUILD / "system"

HV_ELF = BUILD / "hv.elf"
HV_ELF32 = BUILD / "hv.elf32"
GUEST_ELF = BUILD / "guest.elf"
GUEST_ELF32 = BUILD / "guest.elf32"
ATTACK_ELF = BUILD / "attack.elf"  # tests/attack/: a guest that attacks the hypervisor
BZIMAGE_TEST = BUILD / "bzimage-test.bin"  # tests/bzimage/: a Linux boot-protocol guest

MKISO = TOOLS / "mkiso.sh"
BOCHSRC_TEMPLATE = TOOLS / "bochsrc.in"


def kernel_images(image: str) -> tuple:
    """(ELF64 for GRUB, ELF32 for QEMU -kernel) of image 'hv' or 'guest'."""
    return (HV_ELF, HV_ELF32) if image == "hv" else (GUEST_ELF, GUEST_ELF32)
