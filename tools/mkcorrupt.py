#!/usr/bin/env python3
"""Writes a deliberately malformed copy of an ELF kernel or of a bzImage, to
test the hypervisor's guest-module validator:

    tools/mkcorrupt.py GUEST_ELF KIND OUT      (the ELF kinds)
    tools/mkcorrupt.py BZIMAGE bz-KIND OUT     (the bzImage kinds)

ELF KINDs (each breaks exactly one rule a loader must check):
  truncated     the ELF header alone, no program headers or segments
  badmagic      e_ident does not start with 0x7f 'E' 'L' 'F'
  wrongmachine  e_machine = EM_ARM
  segoob        a PT_LOAD whose p_offset + p_filesz runs past the end of the file
  overlap       two PT_LOADs whose physical ranges overlap
  hugesize      a PT_LOAD whose p_memsz is near 2^64 (2^32 for ELF32), so that
                p_paddr + p_memsz wraps

bzImage KINDs, made from a valid bzImage (build/bzimage-test.bin), each
breaking one rule of the Linux boot protocol's setup header
(Documentation/arch/x86/boot.rst):
  bz-truncated   cut inside the setup header (0x240 bytes: the magic is
                 there, the fields up to init_size at 0x260 are not)
  bz-badmagic    the boot flag 0xAA55 at 0x1FE kept, "HdrS" at 0x202 broken
  bz-oldversion  protocol version 2.01 at 0x206 (the 64-bit entry needs 2.12)
  bz-setupsize   setup_sects = 255 at 0x1F1: 128 KiB of setup, past the file
  bz-toolarge    init_size = 0xFFF00000 at 0x260: the kernel needs nearly
                 4 GiB from its load address

Field offsets follow the System V ABI ELF header and program header layouts,
for ELF32 and ELF64, little-endian (the only byte order x86 uses).
"""

import struct
import sys
from dataclasses import dataclass

ELF_KINDS = ("truncated", "badmagic", "wrongmachine", "segoob", "overlap", "hugesize")
BZ_KINDS = ("bz-truncated", "bz-badmagic", "bz-oldversion", "bz-setupsize", "bz-toolarge")
KINDS = ELF_KINDS + BZ_KINDS

# Setup-header offsets and values (boot.rst, "The Real-Mode Kernel Header").
BZ_SETUP_SECTS = 0x1F1
BZ_BOOT_FLAG = 0x1FE
BZ_BOOT_FLAG_VALUE = 0xAA55
BZ_HEADER = 0x202
BZ_MAGIC = b"HdrS"
BZ_VERSION = 0x206
BZ_INIT_SIZE = 0x260
BZ_TRUNCATE_AT = 0x240  # past the magic, short of init_size
BZ_OLD_VERSION = 0x0201
BZ_SETUP_SECTS_MAX = 255
BZ_HUGE_INIT_SIZE = 0xFFF00000

ELFMAG = b"\x7fELF"
EI_CLASS = 4
ELFCLASS32, ELFCLASS64 = 1, 2
EI_DATA = 5
ELFDATA2LSB = 1
EM_ARM = 40
PT_LOAD = 1
PAGE = 0x1000


@dataclass(frozen=True)
class Layout:
    """Offsets and struct formats of the fields used, for one ELF class."""
    addr: str  # struct format of an address/offset/size field
    ehsize: int
    e_machine: int
    e_phoff: int
    e_phentsize: int
    e_phnum: int
    phentsize: int
    p_type: int
    p_offset: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int


LAYOUTS = {
    ELFCLASS32: Layout(addr="<I", ehsize=52, e_machine=18, e_phoff=28, e_phentsize=42,
                       e_phnum=44, phentsize=32, p_type=0, p_offset=4, p_vaddr=8,
                       p_paddr=12, p_filesz=16, p_memsz=20),
    ELFCLASS64: Layout(addr="<Q", ehsize=64, e_machine=18, e_phoff=32, e_phentsize=54,
                       e_phnum=56, phentsize=56, p_type=0, p_offset=8, p_vaddr=16,
                       p_paddr=24, p_filesz=32, p_memsz=40),
}


class CorruptError(Exception):
    pass


class Elf:
    """A mutable ELF image with typed access to the fields the variants change."""

    def __init__(self, data: bytes):
        if len(data) < 64 or data[:4] != ELFMAG:
            raise CorruptError("input is not an ELF file")
        if data[EI_DATA] != ELFDATA2LSB:
            raise CorruptError("input is not little-endian")
        if data[EI_CLASS] not in LAYOUTS:
            raise CorruptError(f"unknown ELF class {data[EI_CLASS]}")
        self.data = bytearray(data)
        self.lay = LAYOUTS[data[EI_CLASS]]
        self.addr_bits = struct.calcsize(self.lay.addr) * 8

    def get(self, fmt, off):
        return struct.unpack_from(fmt, self.data, off)[0]

    def put(self, fmt, off, value):
        struct.pack_into(fmt, self.data, off, value)

    @property
    def phoff(self):
        return self.get(self.lay.addr, self.lay.e_phoff)

    @property
    def phnum(self):
        return self.get("<H", self.lay.e_phnum)

    def phdr(self, i):
        """File offset of program header i."""
        return self.phoff + i * self.get("<H", self.lay.e_phentsize)

    def loads(self):
        """File offsets of the PT_LOAD program headers."""
        return [self.phdr(i) for i in range(self.phnum)
                if self.get("<I", self.phdr(i) + self.lay.p_type) == PT_LOAD]

    def pget(self, ph, field):
        return self.get(self.lay.addr, ph + getattr(self.lay, "p_" + field))

    def pput(self, ph, field, value):
        self.put(self.lay.addr, ph + getattr(self.lay, "p_" + field), value)


def first_load(elf):
    loads = elf.loads()
    if not loads:
        raise CorruptError("input has no PT_LOAD program header")
    return loads


def truncated(elf):
    del elf.data[elf.lay.ehsize:]


def badmagic(elf):
    elf.data[1:4] = b"BAD"


def wrongmachine(elf):
    elf.put("<H", elf.lay.e_machine, EM_ARM)


def segoob(elf):
    ph = first_load(elf)[0]
    past_end = len(elf.data) - elf.pget(ph, "offset") + PAGE
    elf.pput(ph, "filesz", past_end)
    elf.pput(ph, "memsz", max(past_end, elf.pget(ph, "memsz")))


def overlap(elf):
    loads = first_load(elf)
    first = loads[0]
    if len(loads) >= 2:
        second = loads[1]
        elf.pput(second, "paddr", elf.pget(first, "paddr"))
        elf.pput(second, "vaddr", elf.pget(first, "vaddr"))
        return
    # One PT_LOAD only: move the program header table to the end of the file with
    # a copy of that PT_LOAD appended, so two segments claim the same range.
    lay = elf.lay
    table = bytes(elf.data[elf.phoff:elf.phoff + elf.phnum * lay.phentsize])
    copy = bytes(elf.data[first:first + lay.phentsize])
    new_off = (len(elf.data) + 7) & ~7
    elf.data.extend(b"\0" * (new_off - len(elf.data)))
    elf.data.extend(table + copy)
    elf.put(lay.addr, lay.e_phoff, new_off)
    elf.put("<H", lay.e_phnum, elf.phnum + 1)


def hugesize(elf):
    ph = first_load(elf)[0]
    elf.pput(ph, "memsz", (1 << elf.addr_bits) - PAGE)


VARIANTS = {
    "truncated": truncated,
    "badmagic": badmagic,
    "wrongmachine": wrongmachine,
    "segoob": segoob,
    "overlap": overlap,
    "hugesize": hugesize,
}
assert tuple(VARIANTS) == ELF_KINDS


def bz_truncated(img):
    del img[BZ_TRUNCATE_AT:]


def bz_badmagic(img):
    img[BZ_HEADER:BZ_HEADER + 4] = b"HdrX"


def bz_oldversion(img):
    struct.pack_into("<H", img, BZ_VERSION, BZ_OLD_VERSION)


def bz_setupsize(img):
    img[BZ_SETUP_SECTS] = BZ_SETUP_SECTS_MAX


def bz_toolarge(img):
    struct.pack_into("<I", img, BZ_INIT_SIZE, BZ_HUGE_INIT_SIZE)


BZ_VARIANTS = {
    "bz-truncated": bz_truncated,
    "bz-badmagic": bz_badmagic,
    "bz-oldversion": bz_oldversion,
    "bz-setupsize": bz_setupsize,
    "bz-toolarge": bz_toolarge,
}
assert tuple(BZ_VARIANTS) == BZ_KINDS


def corrupt_bz(data: bytes, kind: str) -> bytes:
    if (len(data) < BZ_INIT_SIZE + 4 or data[BZ_HEADER:BZ_HEADER + 4] != BZ_MAGIC
            or struct.unpack_from("<H", data, BZ_BOOT_FLAG)[0] != BZ_BOOT_FLAG_VALUE):
        raise CorruptError("input is not a bzImage (no boot flag and \"HdrS\" setup header)")
    img = bytearray(data)
    BZ_VARIANTS[kind](img)
    return bytes(img)


def corrupt(data: bytes, kind: str) -> bytes:
    if kind in BZ_VARIANTS:
        return corrupt_bz(data, kind)
    if kind not in VARIANTS:
        raise CorruptError(f"unknown kind '{kind}' (one of {', '.join(KINDS)})")
    elf = Elf(data)
    VARIANTS[kind](elf)
    return bytes(elf.data)


def make(src, kind, out):
    with open(src, "rb") as f:
        data = corrupt(f.read(), kind)
    with open(out, "wb") as f:
        f.write(data)


def main(argv):
    if len(argv) != 4:
        print(f"usage: {argv[0]} GUEST_ELF|BZIMAGE KIND OUT\n"
              f"  KIND (ELF): {' | '.join(ELF_KINDS)}\n"
              f"  KIND (bzImage): {' | '.join(BZ_KINDS)}", file=sys.stderr)
        return 2
    try:
        make(argv[1], argv[2], argv[3])
    except (OSError, CorruptError) as e:
        print(f"mkcorrupt: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
