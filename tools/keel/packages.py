# SPDX-License-Identifier: MIT
"""The Debian packages Keel needs on the build machine, and installing the missing ones."""

import os
import shutil
import subprocess

from . import fail, say

UBOOT_ARM64 = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"
UBOOT_RISCV64_SMODE = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
OPENSBI_FW_DYNAMIC = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
GRUB_PC_DIR = "/usr/lib/grub/i386-pc"
GRUB_EFI_DIR = "/usr/lib/grub/x86_64-efi"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
AAVMF_CODE = "/usr/share/AAVMF/AAVMF_CODE.fd"
AAVMF_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd"

# What Keel needs on the machine: (what to look for, Debian package). A name with a
# slash is a file, anything else a program on PATH.
REQUIREMENTS = [
    ("meson", "meson"),
    ("ninja", "ninja-build"),
    ("gcc", "gcc"),
    ("g++", "g++"),  # the public headers are checked as C++ too (tests/host/api)
    ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    ("riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu"),
    ("clang", "clang"),
    ("ld.lld", "lld"),
    ("llvm-objcopy", "llvm"),
    ("llvm-profdata", "llvm"),  # keel fuzz --coverage
    ("llvm-cov", "llvm"),
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("qemu-system-aarch64", "qemu-system-arm"),
    ("qemu-system-riscv64", "qemu-system-misc"),
    (OPENSBI_FW_DYNAMIC, "opensbi"),
    ("dtc", "device-tree-compiler"),
    (UBOOT_ARM64, "u-boot-qemu"),
    (UBOOT_RISCV64_SMODE, "u-boot-qemu"),
    ("mkenvimage", "u-boot-tools"),
    ("mkimage", "u-boot-tools"),  # riscv64-uboot's boot script
    (GRUB_PC_DIR + "/multiboot2.mod", "grub-pc-bin"),
    (GRUB_EFI_DIR + "/multiboot2.mod", "grub-efi-amd64-bin"),
    ("grub-mkimage", "grub-common"),
    (OVMF_CODE, "ovmf"),
    (AAVMF_CODE, "qemu-efi-aarch64"),
    ("grub-mkrescue", "grub-common"),
    ("xorriso", "xorriso"),
    ("mformat", "mtools"),
    (OVMF_CODE, "ovmf"),
    ("cpio", "cpio"),
    ("/usr/include/libfdt.h", "libfdt-dev"),
    ("pkg-config", "pkg-config"),
    ("/usr/share/consolefonts/Lat15-Terminus16.psf.gz", "console-setup-linux"),
    ("clang-format", "clang-format"),
]

# Only `keel run --display` needs QEMU's GTK window (a Recommends of qemu-system-x86).
DISPLAY_REQUIREMENTS = [("/usr/lib/x86_64-linux-gnu/qemu/ui-gtk.so", "qemu-system-gui")]


def missing_packages(requirements=REQUIREMENTS):
    missing = []
    for thing, package in requirements:
        found = os.path.exists(thing) if "/" in thing else shutil.which(thing)
        if not found and package not in missing:
            missing.append(package)
    return missing


def ensure_packages(requirements=REQUIREMENTS, out=None):
    """Installs the Debian packages that provide missing programs, or says how to.

    apt-get's output goes to `out` (a file; by default this process's stdout).
    """
    missing = missing_packages(requirements)
    if not missing:
        return
    if os.geteuid() == 0:
        prefix = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                                 stderr=subprocess.DEVNULL).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        fail("missing packages; install them with:\n  sudo apt-get update && "
             "sudo apt-get install -y " + " ".join(missing))
    say("keel: installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends"]
                + missing):
        if subprocess.run(prefix + cmd, env=env, stdin=subprocess.DEVNULL,
                          stdout=out).returncode != 0:
            fail("'%s' failed; run it by hand:\n  %s" % (" ".join(cmd), " ".join(prefix + cmd)))
    still = missing_packages(requirements)
    if still:
        fail("still missing after install: " + " ".join(still))
