# SPDX-License-Identifier: MIT
"""Building: one Meson build directory per arch and compiler, build/ARCH-COMPILER."""

import os
import subprocess

from . import BUILD, ROOT, fail

COMPILERS = ("gcc", "clang")

# The bootable image each arch's build makes (arch/ARCH/meson.build): on x86_64 one file
# that is a PE32+ EFI application and a multiboot2 kernel, on aarch64 the arm64 Image.
IMAGE_NAMES = {"x86_64": "keel-example.efi", "aarch64": "keel-example.Image",
               "riscv64": "keel-example.Image"}
# The null kernels of bench/ARCH: the smallest image of each arch's boot path.
NULL_IMAGE_NAMES = {"x86_64": "keel-null.efi", "aarch64": "keel-null.Image",
                    "riscv64": "keel-null.Image"}


def build_dir(arch, compiler="gcc"):
    return os.path.join(BUILD, "%s-%s" % (arch, compiler))


def setup_and_build(arch, compiler="gcc", bdir=None, out=None):
    """Configures (once) and builds; the tools' output goes to `out` (default: stdout)."""
    bdir = bdir or build_dir(arch, compiler)
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        cmd = ["meson", "setup", bdir,
               "--cross-file", os.path.join(ROOT, "cross", "%s-%s.ini" % (arch, compiler)),
               "--native-file", os.path.join(ROOT, "cross", "native-clang.ini")]
        if subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(cmd + ["--wipe"], cwd=ROOT, stdout=out)
            fail("meson setup failed for %s with %s" % (arch, compiler))
    if subprocess.run(["ninja", "-C", bdir], cwd=ROOT,
                      stdout=subprocess.DEVNULL if os.environ.get("KEEL_QUIET") else out
                      ).returncode != 0:
        fail("build failed in %s" % os.path.relpath(bdir, ROOT))
    return bdir


# What the first bytes of a file say about its arch, where they say it: an ELF's e_machine,
# the arm64 and RISC-V Image headers' magic at 0x38. Other forms (a flat image) are not checked.
ELF_MACHINES = {62: "x86_64", 183: "aarch64", 243: "riscv64"}


def image_arch_mismatch(path, arch):
    """Why the image at `path` cannot be for `arch`, or None when nothing says so."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:4] == b"\x7fELF" and len(head) >= 20:
        machine = ELF_MACHINES.get(int.from_bytes(head[18:20], "little"), "another arch")
        return None if machine == arch else "an ELF for %s" % machine
    if head[0x38:0x3c] == b"ARM\x64":
        return None if arch == "aarch64" else "an arm64 Image"
    if head[0x38:0x3c] == b"RSC\x05":
        return None if arch == "riscv64" else "a RISC-V Image"
    return None


def image_path(bdir, arch, null=False):
    """The bootable image in a build directory: the example kernel or the null one."""
    if null:
        return os.path.join(bdir, "bench", arch, NULL_IMAGE_NAMES[arch])
    return os.path.join(bdir, "example", IMAGE_NAMES[arch])
