# SPDX-License-Identifier: MIT
"""How each loader is booted in QEMU: the files it needs and the QEMU command line.

Each function takes `ctx` (the target, the image, the modules, the command line, memory,
CPUs and a scratch directory) and returns the command for one boot; the targets table
(targets.py) names one per target.
"""

import os
import shutil
import subprocess

from .packages import GRUB_PC_DIR, OVMF_CODE, OVMF_VARS, UBOOT_ARM64


def machine(ctx):
    """QEMU for the target's arch, its board and CPU, with the boot's memory and CPUs."""
    t = ctx.target
    return ["qemu-system-" + t.arch, "-M", t.board, "-cpu", t.cpu, "-m", ctx.memory,
            "-smp", str(ctx.smp)]


def modules_cpio(ctx):
    """A newc cpio archive with one file per module, named by its base name."""
    stage = os.path.join(ctx.work, "initrd")
    os.makedirs(stage, exist_ok=True)
    names = []
    for path, _args in ctx.modules:
        name = os.path.basename(path)
        shutil.copyfile(path, os.path.join(stage, name))
        names.append(name)
    out = os.path.join(ctx.work, "modules.cpio")
    with open(out, "wb") as f:
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=stage, check=True,
                       input=("\n".join(names) + "\n").encode() if names else b"", stdout=f)
    return out


def grub_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def grub_words(s):
    """A command line as GRUB script words, one quoted word per word of `s`.

    GRUB's multiboot2 and module2 join their arguments with spaces and put double
    quotes around any argument that contains one, so the line must not be passed
    as a single quoted word. Runs of spaces become one space.
    """
    return " ".join(grub_quote(w) for w in s.split())


def grub_multiboot2(ctx):
    """GRUB 2 from grub-pc-bin on an ISO made by grub-mkrescue, booted by SeaBIOS."""
    iso_root = os.path.join(ctx.work, "iso")
    os.makedirs(os.path.join(iso_root, "boot", "grub"))
    os.makedirs(os.path.join(iso_root, "boot", "modules"))
    shutil.copyfile(ctx.image, os.path.join(iso_root, "boot", "keel.elf"))
    lines = ["set timeout=0", "set default=0", 'menuentry "Keel" {',
             ("  multiboot2 /boot/keel.elf " + grub_words(ctx.cmdline)).rstrip()]
    # The image's multiboot2 header asks for 1024x768x32, and GRUB's multiboot2 command
    # turns that into gfxpayload=1024x768x32,1024x768,auto by itself; at boot it sets the
    # mode through VBE (vbe.mod comes in as a dependency of multiboot2.mod) and falls back
    # to EGA text. So no gfxpayload=keep: that keeps GRUB's own terminal, which is text.
    # --no-fb overrides the header's request; it must come after the multiboot2 command,
    # which writes gfxpayload. Keel then gets an EGA text tag, which means no framebuffer.
    if ctx.no_fb:
        lines.append("  set gfxpayload=text")
    for path, args in ctx.modules:
        name = os.path.basename(path)
        shutil.copyfile(path, os.path.join(iso_root, "boot", "modules", name))
        # The module string is "NAME ARGS": Keel takes its first word as the name.
        lines.append("  module2 /boot/modules/%s %s" % (name, grub_words(name + " " + args)))
    lines += ["  boot", "}"]
    with open(os.path.join(iso_root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(ctx.work, "keel.iso")
    subprocess.run(["grub-mkrescue", "-d", GRUB_PC_DIR, "-o", iso, iso_root,
                    "--locales=", "--fonts=", "--themes=", "--install-modules=multiboot2 normal "
                    "iso9660 biosdisk configfile"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return machine(ctx) + ["-cdrom", iso, "-boot", "d",
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


# Keel leaves through Arm semihosting SYS_EXIT, whose code QEMU exits with.
SEMIHOSTING = ["-semihosting-config", "enable=on,target=native"]


def ramfb(ctx):
    """QEMU's ramfb, which Keel configures through fw_cfg; none with --no-fb."""
    return [] if ctx.no_fb else ["-device", "ramfb"]


def qemu_kernel(ctx):
    """QEMU's own loader: -kernel with the arm64 Image, QEMU's DTB in x0."""
    cmd = machine(ctx) + SEMIHOSTING + ["-kernel", ctx.image, "-append", ctx.cmdline]
    cmd += ramfb(ctx)
    if ctx.modules:
        cmd += ["-initrd", modules_cpio(ctx)]
    return cmd


# U-Boot's qemu_arm64 keeps its environment in the second flash bank; the image
# must fill the whole 64 MiB bank.
UBOOT_ENV_SIZE = 0x40000
UBOOT_FLASH_SIZE = 64 << 20
UBOOT_KERNEL_ADDR = 0x40400000
UBOOT_INITRD_ADDR = 0x48000000


def uboot_booti(ctx):
    """U-Boot (u-boot-qemu's qemu_arm64) as the firmware, `booti` with its own DTB."""
    env = ["bootdelay=0", "bootargs=" + ctx.cmdline]
    cmd = machine(ctx) + SEMIHOSTING + [
        "-bios", UBOOT_ARM64,
        "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (ctx.image, UBOOT_KERNEL_ADDR)]
    cmd += ramfb(ctx)
    initrd = "-"
    if ctx.modules:
        cpio = modules_cpio(ctx)
        cmd += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (cpio, UBOOT_INITRD_ADDR)]
        initrd = "0x%x:0x%x" % (UBOOT_INITRD_ADDR, os.path.getsize(cpio))
    env.append("bootcmd=booti 0x%x %s ${fdtcontroladdr}" % (UBOOT_KERNEL_ADDR, initrd))
    env_txt = os.path.join(ctx.work, "uboot-env.txt")
    env_img = os.path.join(ctx.work, "uboot-env.img")
    with open(env_txt, "w") as f:
        f.write("\n".join(env) + "\n")
    subprocess.run(["mkenvimage", "-s", str(UBOOT_ENV_SIZE), "-o", env_img, env_txt], check=True)
    with open(env_img, "r+b") as f:
        f.truncate(UBOOT_FLASH_SIZE)
    # -bios fills the first flash bank itself; a second -drive for it is refused. No NIC:
    # probing virtio-net costs U-Boot time and nothing here uses the network.
    return cmd + ["-drive", "if=pflash,format=raw,index=1,file=" + env_img, "-nic", "none"]


# Keel's configuration file on the EFI system partition: the command line and the
# modules, which Keel's EFI entry loads itself (docs/targets.md).
KEEL_CFG = "EFI/keel/keel.cfg"


def esp_dir(ctx, boot_file, image):
    """An EFI system partition as a directory (QEMU's fat: driver serves it as a disk)."""
    esp = os.path.join(ctx.work, "esp")
    os.makedirs(os.path.join(esp, "EFI", "BOOT"))
    shutil.copyfile(image, os.path.join(esp, "EFI", "BOOT", boot_file))
    return esp


def keel_cfg(ctx, esp):
    """keel.cfg with the boot's command line and one module line per module."""
    os.makedirs(os.path.join(esp, "EFI", "keel", "modules"))
    lines = ["# made by ./keel run"]
    if ctx.cmdline:
        lines.append("cmdline " + ctx.cmdline)
    for path, args in ctx.modules:
        name = os.path.basename(path)
        shutil.copyfile(path, os.path.join(esp, "EFI", "keel", "modules", name))
        lines.append(("module /EFI/keel/modules/%s %s" % (name, args)).rstrip())
    with open(os.path.join(esp, KEEL_CFG), "w") as f:
        f.write("\n".join(lines) + "\n")


def ovmf(ctx):
    """OVMF on q35: its code read-only, a fresh copy of its variable store every boot."""
    vars_copy = os.path.join(ctx.work, "ovmf-vars.fd")
    shutil.copyfile(OVMF_VARS, vars_copy)
    return machine(ctx) + [
        "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
        "-drive", "if=pflash,format=raw,file=" + vars_copy,
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-nic", "none"]


def uefi_app(ctx):
    """Keel's own image as \\EFI\\BOOT\\BOOTX64.EFI on an ESP, started by OVMF."""
    esp = esp_dir(ctx, "BOOTX64.EFI", ctx.image)
    keel_cfg(ctx, esp)
    cmd = ovmf(ctx) + ["-drive", "if=virtio,format=raw,file=fat:rw:" + esp]
    return cmd + (["-vga", "none"] if ctx.no_fb else [])
