#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/TARGET/: small valid and
near-valid inputs, in each target's input format (the comment at the top of its .c file).
Deterministic, so the committed files are its output: run it again after changing a format.
"""
import pathlib
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"

MB_MAGIC = 0x1BADB002
MB_FLAGS = 0x3  # page-align, memory info (hv/vm/loader.c also takes video, flag 2)
MiB = 1 << 20


def mb_header(flags=MB_FLAGS, checksum=None):
    if checksum is None:
        checksum = (-(MB_MAGIC + flags)) & 0xFFFFFFFF
    return struct.pack("<III", MB_MAGIC, flags, checksum)


def elf(cls, segments, entry, mbhdr=None, etype=2, pad_to=None):
    """An ELF32 (cls 1) or ELF64 (cls 2) executable: segments are (paddr, data, memsz); the
    Multiboot header is the first thing after the program headers, then the segments' data."""
    ehsize, phentsize = (52, 32) if cls == 1 else (64, 56)
    machine = 3 if cls == 1 else 62
    phoff = ehsize
    data_off = phoff + phentsize * len(segments)
    mb = mb_header() if mbhdr is None else mbhdr
    data_off += len(mb)
    body, phdrs, off = b"", b"", data_off
    for paddr, data, memsz in segments:
        if cls == 1:
            phdrs += struct.pack("<IIIIIIII", 1, off, paddr, paddr, len(data), memsz, 5, 0x1000)
        else:
            phdrs += struct.pack("<IIQQQQQQ", 1, 5, off, paddr, paddr, len(data), memsz, 0x1000)
        body += data
        off += len(data)
    ident = b"\x7fELF" + bytes([cls, 1, 1]) + bytes(9)
    if cls == 1:
        hdr = ident + struct.pack("<HHIIIIIHHHHHH", etype, machine, 1, entry, phoff, 0, 0,
                                  ehsize, phentsize, len(segments), 40, 0, 0)
    else:
        hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, 0, 0,
                                  ehsize, phentsize, len(segments), 64, 0, 0)
    out = hdr + phdrs + mb + body
    if pad_to:
        out += bytes(pad_to - len(out))
    return out


CODE = bytes([0xB8, 0x00, 0x00, 0x00, 0x00, 0xF4, 0xEB, 0xFD]) * 4  # mov eax, 0; hlt; jmp


def loader_seeds():
    k = 1 * MiB
    return {
        "elf32-one-segment": elf(1, [(k, CODE, len(CODE))], k),
        "elf64-one-segment": elf(2, [(k, CODE, len(CODE))], k),
        "elf32-bss": elf(1, [(k, CODE, 0x3000)], k + 4),
        "elf64-text-data-bss": elf(2, [(k, CODE, 0x1000), (k + 0x1000, b"\x11" * 64, 0x2000)],
                                   k),
        "elf32-entry-in-bss": elf(1, [(k, CODE, 0x1000)], k + 0x800),
        "elf64-below-1m": elf(2, [(0x80000, CODE, len(CODE))], 0x80000),
        "elf32-overlap": elf(1, [(k, CODE, 0x1000), (k + 0x800, CODE, 0x1000)], k),
        "elf64-past-ram": elf(2, [(4 * MiB - 16, CODE, len(CODE))], 4 * MiB - 16),
        "elf32-bad-checksum": elf(1, [(k, CODE, len(CODE))], k, mbhdr=mb_header(checksum=0)),
        "elf32-video-flag": elf(1, [(k, CODE, len(CODE))], k,
                                mbhdr=mb_header(flags=0x7) + bytes(36)),
        "elf32-aout-kludge": elf(1, [(k, CODE, len(CODE))], k,
                                 mbhdr=mb_header(flags=0x10003) +
                                 struct.pack("<IIIII", k + 84, k, k + 0x100, k + 0x200, k)),
        "elf64-not-exec": elf(2, [(k, CODE, len(CODE))], k, etype=3),
        # Linux boot-protocol images go to hv/vm/bzload.c (the loader detects the header).
        "bzimage-memtest-like": bzimage(),
        "bzimage-one-initrd": bzimage(kernel=8193),
        "bzimage-bad-magic": bzimage()[:0x202] + b"HdrX" + bzimage()[0x206:],
    }


def mmap_entry(base, length, typ, size=20):
    e = struct.pack("<IQQI", size, base, length, typ)
    return e + bytes(size + 4 - len(e)) if size + 4 > len(e) else e[:size + 4]


def mbmap_seeds():
    def seed(entries, flags=0x40, rbase=0x200000, rlen=0x1000):
        return struct.pack("<IQQ", flags, rbase, rlen) + b"".join(entries)

    pc = [mmap_entry(0, 0x9FC00, 1), mmap_entry(0x9FC00, 0x400, 2),
          mmap_entry(0xF0000, 0x10000, 2), mmap_entry(0x100000, 0x7EE0000, 1),
          mmap_entry(0x7FE0000, 0x20000, 3), mmap_entry(0xFFFC0000, 0x40000, 2)]
    return {
        "pc": seed(pc),
        "above-4g": seed(pc + [mmap_entry(0x100000000, 0x40000000, 1)]),
        "bochs-acpi-nvs": seed(pc[:4] + [mmap_entry(0x7FFF0000, 0x10000, 4),
                                         mmap_entry(0x7FF00000, 0x1000, 5)]),
        "overlapping": seed([mmap_entry(0, 0x1000000, 1), mmap_entry(0x800000, 0x1000, 2),
                             mmap_entry(0x7FF, 0x2001, 1)]),
        "large-entries": seed([mmap_entry(0, 0x9F000, 1, size=28),
                               mmap_entry(0x100000, 0x100000, 1, size=20)]),
        "truncated": seed(pc)[:-7],
        "size-too-small": seed([mmap_entry(0, 0x9F000, 1), mmap_entry(0x100000, 0x1000, 1, 16)]),
        "wraps-and-clips": seed([mmap_entry(0xFFFFFFFFFFFFF000, 0x2000, 1),
                                 mmap_entry(0xFFFFFFFFF000, 0x100000000000000, 1)]),
        "no-map-flag": seed(pc, flags=0x7),
        "reserve-wraps": seed(pc, rbase=0xFFFFFFFFFFFFF000, rlen=0x2000),
    }


def opts_seeds():
    hv = [
        "/boot/hv.elf selftest=on",
        "hv.elf mode=vmm-direct ept_page=2m guest_ram=512M guest_ram_at=0x40000000",
        "tlb=sandybridge pwc=on ntlb=yes npwc=1 seg_fill=both bloom_bits=4096 bloom_hashes=16",
        "badpages=0x1000,0x2000,0xfffffffffffff ept_ad=off watchdog=0 vm_entry_test=cs_l",
        "mode=dual-direct guest_ram=64G",
        "guest_ram=15M",
        "mode=base mode=native",
        "bloom_bits=0x10 vm=off",
        "guest_ram=18446744073709551616",
    ]
    guest = [
        "/boot/guest.elf checks=on pattern=16M workloads=gups modes=all gpage=2m",
        "region=64M gups_table=32M gups_updates=20000 stream_bytes=4K pchase_bytes=16M",
        "pchase_steps=4294967296 seed=0x5e9f trace=65536 escape_test=on crash=triple-fault",
        "oob=on workloads=none modes=guest-direct gpage=1g region=1G",
        "trace=1023",
        "pattern=1k",
    ]
    seeds = {f"hv-{i}": b"\x00" + s.encode() for i, s in enumerate(hv)}
    seeds.update({f"guest-{i}": b"\x01" + s.encode() for i, s in enumerate(guest)})
    return seeds


# fuzz_hypercall's operations.
OP_HYPERCALL, OP_WRITE, OP_PTE, OP_CPU = 0, 2, 3, 4
HC = dict(VERSION=0, CONSOLE_WRITE=1, EXIT=2, READ_COUNTERS=3, SET_MODE=4, SET_GSEG=5,
          TRACE_SETUP=6, TRACE_REPLAY=7, ESCAPE_PAGE=8, CHECK_BAD=9, BALLOON_OUT=10,
          BALLOON_IN=11, HOTADD=12, MEM_STATS=13, SHARE_SCAN=14, SWAP_OUT=15, VMM_HASH=16,
          VMM_END=17)
SHARE_STEPS = 4  # exits a scan of 1 MiB takes (hv/mem/share.h SHARE_STEP_PAGES = 64)


def hc(name, a0=0, a1=0, a2=0):
    nr = HC[name] if isinstance(name, str) else name
    return bytes([OP_HYPERCALL, nr]) + b"".join(b"\x00" + struct.pack("<Q", a) for a in
                                                 (a0, a1, a2))


def pte(slot, gpa, flags=0x3):
    return bytes([OP_PTE]) + struct.pack("<IHH", slot, gpa >> 12, flags)


def write(gpa, data):
    return bytes([OP_WRITE]) + struct.pack("<IB", gpa, len(data) - 1) + data


DATA_GVA = 2 * MiB  # = its gPA
TRACE_GPA = 3 * MiB


def guest_tables(pages=4):
    """A 4-level table at CR3 = 1 MiB mapping gVA 2 MiB.. onto gPA 2 MiB.. with 4 KiB pages."""
    pml4, pdpt, pd, pt = 0x100000, 0x101000, 0x102000, 0x103000
    ops = pte(pml4, pdpt) + pte(pdpt, pd) + pte(pd + 8 * 1, pt)
    for p in range(pages):
        ops += pte(pt + 8 * p, DATA_GVA + p * 0x1000)
    return ops


def trace(entries=4):
    addrs = b"".join(struct.pack("<Q", DATA_GVA + (i % 4) * 0x1000 + i * 16)
                     for i in range(entries))
    return write(TRACE_GPA, addrs) + hc("TRACE_SETUP", TRACE_GPA, len(addrs))


def hypercall_seeds():
    seeds = {}
    for mode in range(5):
        for cfg_bits, name in ((0x00, "ept-4k"), (0x18, "npt-2m"), (0x30, "ept-2m-2m")):
            ops = guest_tables() + trace() + hc("SET_MODE", mode)
            if mode in (3, 4):
                ops += hc("SET_GSEG", DATA_GVA, DATA_GVA + 0x4000, 0)
            ops += hc("TRACE_REPLAY", 4, 0, 3)
            seeds[f"mode{mode}-{name}"] = bytes([mode | cfg_bits, 0x10]) + ops
    seeds["escape-and-measure"] = bytes([2 | 0x10, 0x1e]) + guest_tables() + trace(8) + \
        hc("ESCAPE_PAGE", DATA_GVA + 0x1000) + hc("TRACE_REPLAY", 8, 1, 1) + \
        hc("TRACE_REPLAY", 8, 1, 2) + hc("CHECK_BAD")
    seeds["console-counters-exit"] = bytes([0, 0]) + write(0x5000, b"hello\nfrom the guest") + \
        hc("CONSOLE_WRITE", 0x5000, 20) + hc("READ_COUNTERS", 0x6000, 8 * 40) + hc(200) + \
        hc("VERSION") + hc("EXIT", 0)
    seeds["bad-pointers"] = bytes([0, 0]) + hc("CONSOLE_WRITE", 4 * MiB - 4, 8) + \
        hc("READ_COUNTERS", 0xFFFFFFFFFFFFFFF8, 304) + hc("TRACE_SETUP", 4 * MiB - 8, 16) + \
        hc("SET_GSEG", 1 << 47, (1 << 47) + 0x1000, 0) + hc("ESCAPE_PAGE", 4 * MiB)
    # Sharing over mostly zero RAM, a write that breaks it, the hash and the end; swapping out
    # pages, a write and a read (the hash) that bring them back.
    for mode in (0, 2):
        seeds[f"share-cow-mode{mode}"] = bytes([mode | 0x10, 0x10]) + guest_tables() + \
            write(DATA_GVA + 0x2000, b"same") + write(DATA_GVA + 0x5000, b"same") + \
            hc("SHARE_SCAN", DATA_GVA, MiB) + b"\x01" * (SHARE_STEPS - 1) + \
            write(DATA_GVA + 0x3000, b"x") + hc("VMM_HASH", DATA_GVA, MiB) + \
            hc("READ_COUNTERS", DATA_GVA + 0x8000, 8 * 40) + hc("SET_MODE", 0) + \
            hc("VMM_END", 0, DATA_GVA, 0x4000) + hc("SET_MODE", 2)
        seeds[f"swap-mode{mode}"] = bytes([mode | 0x10, 0x10]) + guest_tables() + \
            write(DATA_GVA + 0x1000, b"data") + hc("SWAP_OUT", DATA_GVA, 16) + \
            hc("VMM_HASH", DATA_GVA, 0x10000) + write(DATA_GVA + 0x1008, b"more") + \
            hc("ESCAPE_PAGE", DATA_GVA + 0x2000) + hc("VMM_END", 1, DATA_GVA, 0x4000)
    seeds["cpu-user-mode"] = bytes([1, 0]) + bytes([OP_CPU, 0x00, 0x01, 0x03]) + \
        guest_tables() + trace() + hc("TRACE_REPLAY", 4, 2, 3)
    return seeds


def bzimage(setup_sects=2, version=0x020C, reloc=0, align=0x1000, pref=MiB, kernel=8192,
            init_size=0x20000, xlf=0x1, cmdline_size=255, initrd_max=0x7FFFFFFF):
    """A bzImage of the boot protocol's header fields (boot.rst), memtest86+-shaped by default."""
    img = bytearray((setup_sects + 1) * 512 + kernel)
    struct.pack_into("<B", img, 0x1F1, setup_sects)
    struct.pack_into("<I", img, 0x1F4, (kernel + 15) // 16)
    struct.pack_into("<H", img, 0x1FE, 0xAA55)
    struct.pack_into("<BB", img, 0x200, 0xEB, 0x66)
    struct.pack_into("<IH", img, 0x202, 0x53726448, version)
    struct.pack_into("<B", img, 0x211, 0x01)
    struct.pack_into("<III", img, 0x22C, initrd_max, align, 0)
    struct.pack_into("<BBHI", img, 0x234, reloc, 0, xlf, cmdline_size)
    struct.pack_into("<QI", img, 0x258, pref, init_size)
    return bytes(img)


def bzimage_seeds():
    def seed(img, ram_mib=64, cmdline=20, initrd=0, e820=3):
        return struct.pack("<HHIB", ram_mib, cmdline, initrd, e820) + img
    return {
        "memtest-like": seed(bzimage()),
        "linux-like-initrd": seed(bzimage(setup_sects=30, version=0x020F, reloc=1, align=2 * MiB,
                                          pref=16 * MiB, init_size=8 * MiB, xlf=0x3,
                                          cmdline_size=2047), ram_mib=256, initrd=MiB + 5),
        "relocated-low-ram": seed(bzimage(reloc=1, align=2 * MiB, pref=16 * MiB,
                                          init_size=4 * MiB), ram_mib=12),
        "old-protocol": seed(bzimage(version=0x020B)),
        "too-many-e820": seed(bzimage(), e820=200),
    }


def main():
    targets = {"fuzz_bzimage": bzimage_seeds(), "fuzz_loader": loader_seeds(), "fuzz_mbmap": mbmap_seeds(),
               "fuzz_opts": opts_seeds(), "fuzz_hypercall": hypercall_seeds()}
    for target, seeds in targets.items():
        d = CORPUS / target
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            old.unlink()
        for name, data in seeds.items():
            (d / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")


if __name__ == "__main__":
    main()
