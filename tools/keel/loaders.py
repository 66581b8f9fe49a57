# SPDX-License-Identifier: MIT
"""How each loader is booted in QEMU: the files it needs and the QEMU command line.

Each function takes `ctx` (the target, the image, the modules, the command line, memory,
CPUs and a scratch directory) and returns the command for one boot; the targets table
(targets.py) names one per target.
"""

import os
import shutil
import subprocess
import tarfile

from .packages import (AAVMF_CODE, AAVMF_VARS, GRUB_EFI_DIR, GRUB_PC_DIR, OPENSBI_FW_DYNAMIC,
                       OVMF_CODE, OVMF_VARS, UBOOT_ARM64, UBOOT_RISCV64_SMODE)


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
    lines = ["set timeout=0", "set default=0", 'menuentry "Keel" {']
    # GRUB's acpi command puts each table in place of the firmware's of the same signature
    # (new RSDP, RSDT and XSDT in low memory), and the multiboot2 ACPI tags point there.
    modules = "multiboot2 normal iso9660 biosdisk configfile"
    for i, path in enumerate(ctx.acpi_tables):
        os.makedirs(os.path.join(iso_root, "boot", "acpi"), exist_ok=True)
        shutil.copyfile(path, os.path.join(iso_root, "boot", "acpi", "%d.aml" % i))
        lines.append("  acpi /boot/acpi/%d.aml" % i)
        modules += "" if i else " acpi"
    lines.append(("  multiboot2 /boot/keel.elf " + grub_words(ctx.cmdline)).rstrip())
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
                    "--locales=", "--fonts=", "--themes=", "--install-modules=" + modules],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return machine(ctx) + ["-cdrom", iso, "-boot", "d",
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def ovmf(ctx, code=OVMF_CODE, store=OVMF_VARS):
    """OVMF (or AAVMF) as the firmware: its code read-only, and a fresh copy of its
    variable store for every boot, so that no boot sees the boot options an earlier one
    left behind."""
    vars_copy = os.path.join(ctx.work, "ovmf_vars.fd")
    shutil.copyfile(store, vars_copy)
    return ["-drive", "if=pflash,format=raw,readonly=on,file=" + code,
            "-drive", "if=pflash,format=raw,file=" + vars_copy]


# GRUB's own modules in the EFI image: the memdisk that holds Keel and its modules, the
# serial console, multiboot2. efi_gop only with a framebuffer: every module in the image is
# started, and with efi_gop running GRUB sets a graphics mode for the image's framebuffer tag.
GRUB_EFI_MODULES = ["memdisk", "tar", "multiboot2", "serial", "terminal", "boot"]


def grub_efi_multiboot2(ctx):
    """GRUB 2 from grub-efi-amd64-bin as \EFI\BOOT\BOOTX64.EFI on an ESP, booted by OVMF.

    The image is made by grub-mkimage with an embedded early config and a memdisk (a tar
    of the kernel file and the modules), so GRUB reads nothing from the disk itself. The
    kernel file is whatever ctx.image is: GRUB's multiboot2 command finds its header.
    """
    disk = os.path.join(ctx.work, "memdisk")
    os.makedirs(os.path.join(disk, "modules"))
    shutil.copyfile(ctx.image, os.path.join(disk, "keel"))
    lines = ["serial --unit=0 --speed=115200", "terminal_output serial"]
    if not ctx.no_fb:
        lines.append("insmod efi_gop")
    lines.append(("multiboot2 (memdisk)/keel " + grub_words(ctx.cmdline)).rstrip())
    for path, args in ctx.modules:
        name = os.path.basename(path)
        shutil.copyfile(path, os.path.join(disk, "modules", name))
        lines.append("module2 (memdisk)/modules/%s %s" % (name, grub_words(name + " " + args)))
    lines.append("boot")
    early = os.path.join(ctx.work, "grub-early.cfg")
    with open(early, "w") as f:
        f.write("\n".join(lines) + "\n")
    tar = os.path.join(ctx.work, "memdisk.tar")
    with tarfile.open(tar, "w", format=tarfile.USTAR_FORMAT) as t:
        for name in ["keel", "modules"] + ["modules/" + n for n in sorted(
                os.listdir(os.path.join(disk, "modules")))]:
            t.add(os.path.join(disk, name), arcname=name, recursive=False)
    esp = os.path.join(ctx.work, "esp")
    os.makedirs(os.path.join(esp, "EFI", "BOOT"))
    subprocess.run(["grub-mkimage", "-O", "x86_64-efi", "-d", GRUB_EFI_DIR, "-c", early,
                    "-m", tar, "-p", "(memdisk)/", "-o",
                    os.path.join(esp, "EFI", "BOOT", "BOOTX64.EFI")]
                   + GRUB_EFI_MODULES + ([] if ctx.no_fb else ["efi_gop"]), check=True)
    # q35's std VGA gives OVMF's GOP. The ESP is the scratch directory as QEMU's virtual
    # FAT disk, read-only: nothing is written back into it.
    return machine(ctx) + ovmf(ctx) + [
        "-drive", "if=virtio,format=raw,readonly=on,file=fat:" + esp,
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


# Keel leaves through Arm semihosting SYS_EXIT, whose code QEMU exits with.
SEMIHOSTING = ["-semihosting-config", "enable=on,target=native"]


# The display device a row's framebuffer source needs QEMU to add; every other source is
# QEMU's ramfb. riscv64's virt board refuses ramfb on QEMU 7.2 (it makes its fw_cfg only
# once the machine is done: "ramfb device requires fw_cfg with DMA"), so its rows use
# bochs-display on the board's PCIe bus, which Keel programs itself.
DISPLAY_DEVICES = {"bochs-pci": "bochs-display"}


def ramfb(ctx):
    """The row's display: QEMU's ramfb, which Keel (or AAVMF's GOP) configures through
    fw_cfg, or the device DISPLAY_DEVICES names; none with --no-fb, and none for a row
    that has no framebuffer (fb_source None)."""
    if ctx.no_fb or ctx.target.fb_source is None:
        return []
    return ["-device", DISPLAY_DEVICES.get(ctx.target.fb_source, "ramfb")]


# What a -kernel boot of each arch adds: aarch64 leaves through semihosting; riscv64 is
# entered in S-mode by OpenSBI (Debian's fw_dynamic, which QEMU tells where the kernel is)
# and leaves through the virt board's test finisher, which needs no option.
KERNEL_BOOT_ARGS = {
    "aarch64": SEMIHOSTING,
    "riscv64": ["-bios", OPENSBI_FW_DYNAMIC],
}


def qemu_kernel(ctx):
    """QEMU's own loader: -kernel with the arm64 or RISC-V Image, QEMU's DTB in x0 / a1."""
    cmd = machine(ctx) + KERNEL_BOOT_ARGS[ctx.target.arch] + [
        "-kernel", ctx.image, "-append", ctx.cmdline]
    cmd += ramfb(ctx)
    if ctx.modules:
        cmd += ["-initrd", modules_cpio(ctx)]
    return cmd


DTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "dts")


def board_dtb(ctx):
    """The row's board tree (dts/NAME.dts): the build's dts/NAME.dtb, or dtc's output in the
    scratch directory when no build directory is at hand (`keel run --kernel`).

    With --no-fb its framebuffer devices (the nodes the row's `fb_nodes` names) are
    disabled in a copy: the board's display cannot be unplugged from QEMU."""
    name = ctx.target.dtb
    dtb = os.path.join(ctx.build_dir, "dts", name + ".dtb") if ctx.build_dir else ""
    if not os.path.isfile(dtb):
        dtb = os.path.join(ctx.work, name + ".dtb")
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb,
                        os.path.join(DTS_DIR, name + ".dts")], check=True)
    if ctx.no_fb and ctx.target.fb_nodes:
        copy = os.path.join(ctx.work, name + "-no-fb.dtb")
        shutil.copyfile(dtb, copy)
        for node in ctx.target.fb_nodes:
            subprocess.run(["fdtput", "-t", "s", copy, node, "status", "disabled"], check=True)
        dtb = copy
    return dtb


def qemu_kernel_board_dtb(ctx):
    """QEMU's own loader on a board that has no DTB of its own to give (raspi3b): the
    same -kernel, -append and -initrd as qemu_kernel, and the board's tree from dts/ as
    -dtb, which QEMU completes (/memory, /chosen's bootargs and initrd) and puts in x0.
    A -dtb after `--` replaces it (QEMU takes the last one)."""
    cmd = machine(ctx) + SEMIHOSTING + ["-kernel", ctx.image, "-append", ctx.cmdline,
                                        "-dtb", board_dtb(ctx)]
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
    return cmd + uboot_env(ctx, env)


def uboot_env(ctx, env):
    """U-Boot's environment `env` (lines) in the second flash bank, and no NIC."""
    env_txt = os.path.join(ctx.work, "uboot-env.txt")
    env_img = os.path.join(ctx.work, "uboot-env.img")
    with open(env_txt, "w") as f:
        f.write("\n".join(env) + "\n")
    subprocess.run(["mkenvimage", "-s", str(UBOOT_ENV_SIZE), "-o", env_img, env_txt], check=True)
    with open(env_img, "r+b") as f:
        f.truncate(UBOOT_FLASH_SIZE)
    # -bios fills the first flash bank itself; a second -drive for it is refused. No NIC:
    # probing virtio-net costs U-Boot time and nothing here uses the network.
    return ["-drive", "if=pflash,format=raw,index=1,file=" + env_img, "-nic", "none"]


# U-Boot's EFI console asks the terminal for its size when bootefi starts it (the cursor
# moved to 999;999, then ESC[6n, "where is the cursor?") and waits about 100 ms for each
# byte of a reply before it takes 80x25. A terminal would answer at once; `keel run` and
# the bench answer as one of 24 rows of 80 columns (the targets' `terminal_answers`).
# booti starts no EFI and never asks.
UBOOT_TERMINAL_ANSWERS = ((b"\x1b[6n", b"\x1b[24;80R"),)


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


def uefi_app(ctx):
    """Keel's own image as \\EFI\\BOOT\\BOOTX64.EFI on an ESP, started by OVMF.

    `keel run --esp DIR` copies DIR's files on top, its keel.cfg over the one made here."""
    esp = esp_dir(ctx, "BOOTX64.EFI", ctx.image)
    keel_cfg(ctx, esp)
    if ctx.esp:
        shutil.copytree(ctx.esp, esp, dirs_exist_ok=True)
    # The ESP is the scratch directory as QEMU's virtual FAT disk, read-only. q35's std
    # VGA gives OVMF's GOP; --no-fb takes it away.
    return machine(ctx) + ovmf(ctx) + [
        "-drive", "if=virtio,format=raw,readonly=on,file=fat:" + esp,
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + (["-vga", "none"] if ctx.no_fb else [])


def aavmf_app(ctx):
    """Keel's image as \\EFI\\BOOT\\BOOTAA64.EFI on an ESP with keel.cfg, started by AAVMF.

    `-boot menu=on,splash-time=0` sets the boot manager's timeout to 0 through fw_cfg:
    without it AAVMF waits 5 s before it boots. AAVMF has a GOP only on ramfb."""
    esp = esp_dir(ctx, "BOOTAA64.EFI", ctx.image)
    keel_cfg(ctx, esp)
    if ctx.esp:
        shutil.copytree(ctx.esp, esp, dirs_exist_ok=True)
    return machine(ctx) + SEMIHOSTING + ovmf(ctx, AAVMF_CODE, AAVMF_VARS) + [
        "-boot", "menu=on,splash-time=0",
        "-drive", "if=virtio,format=raw,readonly=on,file=fat:" + esp] + ramfb(ctx)


def uboot_bootefi(ctx):
    """U-Boot's `bootefi ADDR:SIZE ${fdtcontroladdr}` of Keel's image in RAM.

    The image is placed by QEMU's loader device, so no U-Boot command loaded it and the
    size must be given. The modules and the command line come from keel.cfg on an ESP on
    a virtio disk, which U-Boot's EFI serves as the loaded image's device: the same way
    as on AAVMF, with each module's own arguments."""
    esp = os.path.join(ctx.work, "esp")
    os.makedirs(esp)
    keel_cfg(ctx, esp)
    if ctx.esp:
        shutil.copytree(ctx.esp, esp, dirs_exist_ok=True)
    size = os.path.getsize(ctx.image)
    env = ["bootdelay=0",
           "bootcmd=virtio scan; bootefi 0x%x:0x%x ${fdtcontroladdr}" % (UBOOT_KERNEL_ADDR, size)]
    cmd = machine(ctx) + SEMIHOSTING + [
        "-bios", UBOOT_ARM64,
        "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (ctx.image, UBOOT_KERNEL_ADDR),
        "-drive", "if=virtio,format=raw,readonly=on,file=fat:" + esp]
    return cmd + ramfb(ctx) + uboot_env(ctx, env)


# riscv64's U-Boot (u-boot-qemu's qemu-riscv64_smode) runs in S-mode after OpenSBI, which
# QEMU's -kernel hands it to like a kernel. It has nowhere to keep an environment, so its
# built-in one applies, with a 2 s autoboot wait. Instead of waiting, a terminal answers
# the countdown: a key stops it, and at the prompt `source` runs a boot script that QEMU's
# loader device put in RAM with the kernel (and the initrd): the script sets the command
# line and runs booti with U-Boot's own DTB. booti moves the Image to RAM's first 2 MiB
# boundary plus the header's text_offset (0x80200000), where U-Boot itself was loaded
# before it relocated to the top of RAM.
UBOOT_RISCV_KERNEL_ADDR = 0x84000000
UBOOT_RISCV_SCRIPT_ADDR = 0x88000000
UBOOT_RISCV_INITRD_ADDR = 0x88100000
UBOOT_RISCV_TERMINAL_ANSWERS = ((b"Hit any key to stop autoboot",
                                 b"\nsource 0x%x\n" % UBOOT_RISCV_SCRIPT_ADDR),)


def uboot_riscv_booti(ctx):
    """OpenSBI, then U-Boot (qemu-riscv64_smode), `booti` from a boot script in RAM."""
    cmd = machine(ctx) + ["-bios", OPENSBI_FW_DYNAMIC, "-kernel", UBOOT_RISCV64_SMODE,
                          "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (
                              ctx.image, UBOOT_RISCV_KERNEL_ADDR), "-nic", "none"]
    initrd = "-"
    if ctx.modules:
        cpio = modules_cpio(ctx)
        cmd += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (
            cpio, UBOOT_RISCV_INITRD_ADDR)]
        initrd = "0x%x:0x%x" % (UBOOT_RISCV_INITRD_ADDR, os.path.getsize(cpio))
    script_txt = os.path.join(ctx.work, "boot.txt")
    script = os.path.join(ctx.work, "boot.scr")
    with open(script_txt, "w") as f:
        f.write("setenv bootargs %s\nbooti 0x%x %s ${fdtcontroladdr}\n" % (
            grub_quote(ctx.cmdline), UBOOT_RISCV_KERNEL_ADDR, initrd))
    subprocess.run(["mkimage", "-A", "riscv", "-T", "script", "-C", "none", "-d", script_txt,
                    script], check=True, stdout=subprocess.DEVNULL)
    return cmd + ramfb(ctx) + ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (
        script, UBOOT_RISCV_SCRIPT_ADDR)]
