#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds the test initrd with the real `cpio -o` command, so the reader is tested on
what the tool writes rather than on what we think it writes.

  mkcpio.py --format newc|crc --pad BYTES OUT

The tree is fixed (tests/host/test_cpio.c knows it): a text file, a directory with a
binary file, an empty file, a three-letter name, a symlink and a hard link. Entries go
in sorted order, named as `find .` names them ("./hello.txt"), so "." and the "./"
prefix are exercised. The archive is zero-padded to BYTES, which the test DTBs give
as the initrd size.
"""

import argparse
import os
import subprocess
import sys
import tempfile


def build_tree(root):
    with open(os.path.join(root, "hello.txt"), "wb") as f:
        f.write(b"hello from the initrd\n")
    os.mkdir(os.path.join(root, "dir"))
    with open(os.path.join(root, "dir", "data.bin"), "wb") as f:
        f.write(bytes((i * 7) & 0xFF for i in range(1000)))
    open(os.path.join(root, "empty"), "wb").close()
    with open(os.path.join(root, "abc"), "wb") as f:
        f.write(b"xyz")
    os.symlink("hello.txt", os.path.join(root, "link"))
    os.link(os.path.join(root, "abc"), os.path.join(root, "zz-hardlink"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", choices=["newc", "crc"], required=True)
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("out")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as root:
        build_tree(root)
        names = ["."]
        for dirpath, dirnames, filenames in os.walk(root):
            rel = os.path.relpath(dirpath, root)
            for n in dirnames + filenames:
                names.append("./" + os.path.normpath(os.path.join(rel, n)))
        names.sort()
        listing = "".join(n + "\n" for n in names).encode()
        data = subprocess.run(["cpio", "-o", "--quiet", "-H", args.format], cwd=root,
                              input=listing, stdout=subprocess.PIPE, check=True).stdout
    if args.pad:
        if len(data) > args.pad:
            sys.exit("mkcpio: archive of %d bytes does not fit %d" % (len(data), args.pad))
        data += bytes(args.pad - len(data))
    with open(args.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
