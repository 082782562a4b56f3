#!/usr/bin/env python3
"""Writes a newc cpio archive (the initramfs format of the kernel's
Documentation/driver-api/early-userspace/buffer-format.rst) of a directory tree.

  tools/mkcpio.py DIR OUT

Every entry is owned by root (uid and gid 0) and keeps its mode; symbolic
links keep their target; files are sorted by path so the archive is the same
for the same tree. Exit status 1 on an entry that is neither a file, a
directory nor a symbolic link.
"""

import os
import stat
import sys

MAGIC = b"070701"  # newc, no checksum
TRAILER = "TRAILER!!!"
ALIGN = 4  # newc pads the header+name and the data to 4 bytes


def _pad(n: int) -> bytes:
    return b"\0" * (-n % ALIGN)


def _entry(name: str, mode: int, data: bytes, ino: int, nlink: int) -> bytes:
    raw = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(raw), 0]
    head = MAGIC + b"".join(b"%08x" % f for f in fields)
    return head + raw + _pad(len(head) + len(raw)) + data + _pad(len(data))


def archive(root: str) -> bytes:
    paths = []
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            paths.append(os.path.join(top, name))
    paths.sort()
    out, ino = [], 1
    for path in paths:
        name = os.path.relpath(path, root)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            data, nlink = os.readlink(path).encode(), 1
        elif stat.S_ISDIR(st.st_mode):
            data, nlink = b"", 2
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                data = f.read()
            nlink = 1
        else:
            raise ValueError(f"{path}: not a file, directory or symbolic link")
        out.append(_entry(name, st.st_mode, data, ino, nlink))
        ino += 1
    out.append(_entry(TRAILER, 0, b"", 0, 1))
    return b"".join(out)


def main(argv) -> int:
    if len(argv) != 3:
        print("usage: mkcpio.py DIR OUT", file=sys.stderr)
        return 1
    try:
        data = archive(argv[1])
    except (OSError, ValueError) as e:
        print(f"mkcpio: {e}", file=sys.stderr)
        return 1
    with open(argv[2], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
