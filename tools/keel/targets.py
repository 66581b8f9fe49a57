# SPDX-License-Identifier: MIT
"""The targets: one row each. ./keel, the QEMU tests (qemu_tests.py) and docs/targets.md
are made from this table; a new target is a new row.

A row says how the target boots (its QEMU board and CPU, the loader and the function in
loaders.py that makes the QEMU command) and what its boot report must say: the arch, the
boot protocol, how the loader's name starts, where the framebuffer comes from. Every
target gets the per-target QEMU tests (qemu_tests.py); the first target of each arch
also gets that arch's tests; `tests` adds the target's own.
"""

from dataclasses import dataclass, field

from . import loaders


def generated(name):
    """A test argument that is a file the build makes (declared in tests/qemu/meson.build)."""
    return "@%s@" % name


@dataclass(frozen=True)
class Target:
    name: str
    arch: str
    board: str  # QEMU's -M
    cpu: str  # QEMU's -cpu
    loader: str
    description: str  # the line `keel targets` prints
    command: object  # loaders.X(ctx): the QEMU command line of one boot
    protocol: str  # the report's "protocol"
    loader_prefix: str  # how the report's "loader" starts
    fb_source: str  # the report's framebuffer "source" when there is one; None: the row has none
    # The target's own QEMU tests: (name, boot_test.py arguments after the target name);
    # "{target}" in a name is the target's name.
    tests: tuple = field(default=())
    # Which of the tests every target may get (PER_TARGET) this one gets. A boot through
    # OVMF costs 5 to 6 s under TCG, so those rows take the two RAM sizes and the screen.
    per_target: tuple = field(default=None)
    # Memory faults (qemu_tests.MM_FAULTS by kind) this target is tested with; the first
    # target of each arch gets them all.
    faults: tuple = field(default=())
    # The report's "entry_mode" (x86_64: how the loader entered Keel), or None to not check.
    entry_mode: str = None
    # Whether the loader hands each module its own arguments (a cpio initrd has none).
    module_args: bool = True
    # The -smp N boots (qemu_tests.py: boot-TARGET-smpN) whose report must show all N
    # CPUs online, each on its own stack. A new row takes SMP_PER_TARGET; the first row
    # of an arch also gets -smp 8 and the arch's machine variants (SMP_ARCH_VARIANTS).
    smp: tuple = field(default=None)
    # What the loader asks a terminal on the serial line and the answer a terminal gives:
    # ((query bytes, reply bytes), ...); `keel run` and the bench write each reply to
    # QEMU's serial stdin when its query appears on the console (qemu.TerminalAnswers).
    terminal_answers: tuple = field(default=())
    # A board whose loader has no DTB to give: its tree in dts/ (the name, without .dts),
    # which the row's command passes as -dtb; the nodes of its framebuffer devices, which
    # --no-fb disables in a copy.
    dtb: str = None
    fb_nodes: tuple = field(default=())
    # A board with a fixed amount of RAM or CPUs (QEMU's -m and -smp): `keel run` boots
    # it with those and refuses others in one line; None: 512M and 1 CPU by default.
    memory: str = None
    cpus: int = None
    # Bytes of RAM the board's firmware keeps (a GPU's share): the boot test's RAM check
    # expects that much less in the map.
    ram_kept: int = 0
    # Whether bench/ARCH's null kernel boots on the board: it prints on QEMU virt's
    # PL011 (aarch64) or the PC's COM1 (x86_64) only. `keel bench` leaves the others out.
    null_kernel: bool = True

    def __post_init__(self):
        if self.per_target is None:
            object.__setattr__(self, "per_target", PER_TARGET)
        if self.smp is None:
            object.__setattr__(self, "smp", SMP_PER_TARGET)
        assert set(self.per_target) <= set(PER_TARGET), self.per_target


# The tests every target may get (qemu_tests.py): boots at three sizes of RAM, a long
# command line, the screenshot, and a boot without a framebuffer.
PER_TARGET = ("boot-512M", "boot-4G", "boot-64G", "long-cmdline", "screen", "no-fb")
# What an OVMF target takes of them (issue 9, section 6: the budget of the UEFI boots).
PER_TARGET_OVMF = ("boot-512M", "boot-4G", "screen")
# The -smp sizes every target boots at (issue 11, section 5), and what an OVMF row takes
# of them (a boot there costs about 6 s under TCG).
SMP_PER_TARGET = (1, 2, 4)
SMP_OVMF = (2,)
# What riscv64's rows take of PER_TARGET: the first row all of it, the others two RAM
# sizes and the screen (issue 14, section 3). Their framebuffer is QEMU's bochs-display on
# the PCIe bus (loaders.DISPLAY_DEVICES: QEMU 7.2's riscv virt refuses ramfb).
RISCV_PER_TARGET = ("boot-512M", "boot-4G", "screen")
RISCV_VIRT_PER_TARGET = PER_TARGET
# What the x86_64 UEFI rows share: OVMF on q35, entered in long mode, the OVMF budget.
OVMF_Q35 = dict(board="q35", cpu="qemu64", per_target=PER_TARGET_OVMF, faults=("write-rodata",),
                entry_mode="long64", smp=SMP_OVMF)


# The first row of each arch also boots at -smp 8 and on these machine variants, each
# at -smp 4: (test name suffix, QEMU arguments after --).
SMP_ARCH_VARIANTS = {
    "aarch64": (("el2", ["-M", "virt,virtualization=on"]), ("gicv3", ["-M", "virt,gic-version=3"])),
    "x86_64": (("q35", ["-M", "q35"]),),
}

EXIT_BAD_INPUT = 2  # KEEL_EXIT_BAD_INPUT: the loader, firmware or DTB gave bad input
EXIT_NO_KERNEL_CODE = 125  # `keel run`: QEMU ended without a code from the kernel

TARGETS = {t.name: t for t in [
    Target("x86_64-grub", arch="x86_64", board="pc", cpu="qemu64", loader="GRUB 2",
           description="GRUB 2 (grub-mkrescue ISO), multiboot2, SeaBIOS",
           command=loaders.grub_multiboot2,
           protocol="multiboot2", loader_prefix="GRUB", fb_source="multiboot2",
           entry_mode="protected32",
           tests=(
               # MADTs that GRUB's acpi command puts in QEMU's place (-smp 2, a third
               # processor entry): one warning for that CPU, the boot goes on with two.
               # An APIC ID no CPU has: the INIT and SIPIs reach nobody.
               ("bad-{target}-madt-absent-id", [
                   "--no-fb", "--acpi-table", generated("bad-madt-absent-id.bin"),
                   "--expect-warning", "cpu 2 (id 0x77) did not start: no check-in in 2000 ms",
                   "--expect-report", "cpus=3", "--expect-report", "cpus_online=2",
                   "--", "-smp", "2"]),
               # Online Capable, not Enabled: kept in the list, never started.
               ("bad-{target}-madt-online-capable", [
                   "--no-fb", "--acpi-table", generated("bad-madt-online-capable.bin"),
                   "--expect-warning", "cpu 2 (id 0x2) did not start: cpus: the firmware marks "
                   "the cpu disabled", "--expect-report", "cpus=3", "--expect-report",
                   "cpus_online=2", "--", "-smp", "2"]),
           )),
    Target("x86_64-grub-efi", arch="x86_64", loader="GRUB 2 EFI", **OVMF_Q35,
           description="GRUB 2 EFI (grub-mkimage BOOTX64.EFI on an ESP), multiboot2, OVMF",
           command=loaders.grub_efi_multiboot2,
           protocol="multiboot2", loader_prefix="GRUB", fb_source="multiboot2",
           tests=(
               # The image without its EFI boot services tag: GRUB leaves boot services
               # itself and enters the 32-bit entry, with the EFI memory map tag.
               ("boot-{target}-32bit", ["--kernel", generated("keel-no-efi-bs.efi"),
                                        "--expect-report", "entry_mode=protected32"]),
           )),
    Target("x86_64-uefi", arch="x86_64", loader="OVMF", **OVMF_Q35,
           description="OVMF (UEFI): Keel's own EFI application on an ESP, keel.cfg",
           command=loaders.uefi_app,
           protocol="uefi", loader_prefix="EDK II", fb_source="gop",
           tests=(
               # LoadOptions (OVMF's -kernel/-append path) override keel.cfg's command line.
               ("boot-{target}-load-options", ["--via-load-options"]),
               # keel.efi_retry makes the first ExitBootServices key stale: one retry.
               ("boot-{target}-efi-retry", ["--append", "keel.efi_retry",
                                            "--expect-report", "efi.exit_attempts=2"]),
               # keel.cfg names a file the ESP lacks, or breaks a rule: one line on the
               # firmware's console before ExitBootServices, exit 2.
               ("bad-{target}-module-missing", [
                   "--esp", "esp/missing-module", "--expect-code", str(EXIT_BAD_INPUT),
                   "--expect-line", "efi: a file keel.cfg names is not on the boot volume: "
                   "/EFI/keel/modules/absent.bin"]),
               ("bad-{target}-cfg", ["--esp", "esp/bad-cfg", "--expect-code", str(EXIT_BAD_INPUT),
                                     "--expect-line", "keel.cfg: unknown keyword: line 3"]),
           )),
    Target("aarch64-virt", arch="aarch64", board="virt", cpu="cortex-a72",
           loader="QEMU -kernel",
           description="QEMU -kernel, arm64 Image header, DTB in x0",
           command=loaders.qemu_kernel,
           protocol="fdt", loader_prefix="qemu", fb_source="ramfb", module_args=False,
           tests=(
               # EL2 entry (virtualization=on): the entry code must drop to EL1 itself.
               ("boot-{target}-el2", ["--", "-M", "virt,virtualization=on"]),
               # Semihosting off: the exit falls back to PSCI SYSTEM_OFF through the
               # conduit the DTB's /psci names (QEMU then exits with 0, the code lost).
               ("boot-{target}-psci-exit", ["--no-fb", "--", "-semihosting-config", "enable=off"]),
               # No ramfb, QEMU's bochs-display on the PCIe bus instead (behind the
               # high ECAM window at 0x4010000000): the bus driver riscv64's rows use
               # draws here too.
               ("boot-{target}-bochs-pci", ["--no-fb", "--fb-source", "bochs-pci",
                                            "--", "-device", "bochs-display"]),
               # A framebuffer record that overflows: one warning, then the boot goes on
               # on serial.
               ("bad-fb-{target}", ["--no-fb", "--expect-warning",
                                    "framebuffer: pitch x height overflows",
                                    "--", "-dtb", generated("bad-fb-overflow.dtb")]),
               # Corrupt DTBs that QEMU's libfdt load still accepts for -dtb.
               ("bad-dtb-nameoff", ["--expect-line",
                                    "dtb: string offset outside the strings block",
                                    "--expect-code", str(EXIT_BAD_INPUT),
                                    "--", "-dtb", generated("bad-nameoff.dtb")]),
               ("bad-dtb-memreserve-wrap", ["--expect-line", "memory map: entry wraps around",
                                            "--expect-code", str(EXIT_BAD_INPUT),
                                            "--", "-dtb", generated("bad-memreserve-wrap.dtb")]),
               # A stdout-path UART that is another device, or none: the console stays on
               # the board's PL011 and says so in one line; the boot goes on.
               ("console-uart-on-gic", ["--no-fb", "--expect-warning",
                                        "console: the UART's registers do not answer",
                                        "--", "-dtb", generated("bad-uart-on-gic.dtb")]),
               ("console-uart-in-hole", ["--no-fb", "--expect-warning",
                                         "console: the UART's registers do not answer",
                                         "--", "-dtb", generated("bad-uart-in-hole.dtb")]),
               ("console-ns16550-on-gic", ["--no-fb", "--expect-warning",
                                           "console: the UART did not take a character in time",
                                           "--", "-dtb", generated("bad-ns16550-on-gic.dtb")]),
               # A DTB without /cpus: the boot CPU is still counted (the report's cpus >= 1).
               ("boot-{target}-no-cpus", ["--no-fb", "--", "-dtb", generated("bad-no-cpus.dtb")]),
               # A cpu whose MPIDR no CPU has: PSCI CPU_ON refuses it, one warning for cpu 1,
               # the boot goes on. (A bad /psci method cannot be booted: QEMU's -dtb load
               # rewrites /psci's method; test_cpus covers it on the host.)
               ("bad-{target}-cpu-mpidr", [
                   "--no-fb", "--expect-warning", "cpu 1 (id 0x77) did not start: cpus: the "
                   "firmware refused to start the cpu", "--expect-report", "cpus_online=1",
                   "--", "-smp", "2", "-dtb", generated("bad-cpu-bad-mpidr.dtb")]),
               # QEMU itself dies on this DTB: `keel run` says so and exits 125.
               ("qemu-killed-{target}", ["--expect-line", "QEMU was killed by signal",
                                         "--expect-code", str(EXIT_NO_KERNEL_CODE),
                                         "--", "-dtb", generated("bad-qemu-segv.dtb")]),
           )),
    Target("aarch64-uboot", arch="aarch64", board="virt", cpu="cortex-a72", loader="U-Boot",
           description="U-Boot (u-boot-qemu qemu_arm64) booti",
           command=loaders.uboot_booti, terminal_answers=loaders.UBOOT_TERMINAL_ANSWERS,
           protocol="fdt", loader_prefix="u-boot", fb_source="ramfb", module_args=False),
    Target("aarch64-uefi", arch="aarch64", board="virt", cpu="cortex-a72", loader="AAVMF",
           description="AAVMF (UEFI): Keel's own EFI application on an ESP, keel.cfg",
           command=loaders.aavmf_app, per_target=PER_TARGET_OVMF, faults=("write-rodata",),
           protocol="uefi", loader_prefix="EDK II", fb_source="gop",
           tests=(
               # AAVMF at EL2 (virtualization=on) starts Keel at EL2: the EFI entry runs
               # there on the firmware's one translation range, the Image path drops to EL1.
               ("boot-{target}-el2", ["--smp", "2", "--expect-report", "entry_el=2",
                                      "--", "-M", "virt,virtualization=on"]),
           )),
    Target("aarch64-uboot-efi", arch="aarch64", board="virt", cpu="cortex-a72",
           loader="U-Boot EFI",
           description="U-Boot (u-boot-qemu qemu_arm64) bootefi, keel.cfg on a virtio ESP",
           command=loaders.uboot_bootefi, per_target=("boot-512M", "boot-4G", "screen"),
           faults=("write-rodata",), terminal_answers=loaders.UBOOT_TERMINAL_ANSWERS,
           protocol="uefi", loader_prefix="Das U-Boot", fb_source="ramfb"),
    Target("aarch64-raspi3b", arch="aarch64", board="raspi3b", cpu="cortex-a53",
           loader="QEMU -kernel",
           description="Raspberry Pi 3B: QEMU -kernel, Keel's dts/raspi3b.dts as -dtb, spin-table CPUs",
           command=loaders.qemu_kernel_board_dtb, dtb="raspi3b",
           fb_nodes=("/soc/mailbox@7e00b880",),
           memory="1G", cpus=4, ram_kept=64 << 20, smp=(4,), null_kernel=False,
           per_target=("long-cmdline", "screen", "no-fb"),
           faults=("write-rodata", "exec-data", "stack-overflow", "use-after-reclaim"),
           protocol="fdt", loader_prefix="qemu", fb_source="rpi-mailbox", module_args=False,
           tests=(
               # The board's only size: 1 GiB, the VideoCore's 64 MiB kept, four CPUs.
               ("boot-{target}", []),
               # stdout-path at the aux mini-UART, QEMU's -serial #1: the whole boot there.
               ("boot-{target}-aux-console", ["--serial-port", "1", "--", "-dtb",
                                              generated("raspi3b-aux-console.dtb")]),
               # A mailbox where no VideoCore answers: a bounded wait, one warning, serial.
               ("bad-{target}-mbox-silent", ["--no-fb", "--expect-warning",
                                             "rpi-mailbox: the VideoCore did not answer in time",
                                             "--", "-dtb", generated("raspi3b-mbox-silent.dtb")]),
               # A spin-table CPU without cpu-release-addr: one warning, the other three start.
               ("bad-{target}-no-release-addr", [
                   "--expect-warning", "cpu 2 (id 0x2) did not start: cpus: a "
                   "spin-table cpu has no valid cpu-release-addr", "--expect-report",
                   "cpus_online=3", "--", "-dtb", generated("raspi3b-no-release-addr.dtb")]),
               # RAM (a ram@ node: QEMU replaces memory@ ones) over the peripheral window.
               ("bad-{target}-ram-over-devices", [
                   "--expect-code", str(EXIT_BAD_INPUT), "--expect-line",
                   "memory map: RAM overlaps a bus's device window: RAM 0x3f000000-0x3fffffff",
                   "--", "-dtb", generated("raspi3b-ram-over-devices.dtb")]),
               # Another size of RAM is refused by `keel run` in one line.
               ("bad-{target}-memory", ["--memory", "512M", "--expect-code", "64",
                                        "--expect-line",
                                        "the board has 1G of RAM, --memory 512M cannot be given"]),
               ("bad-{target}-smp", ["--smp", "2", "--expect-code", "64", "--expect-line",
                                     "the board has 4 CPUs, --smp 2 cannot be given"]),
           )),
    # riscv64: OpenSBI enters Keel in S-mode with the hart id in a0 and the DTB in a1.
    Target("riscv64-virt", arch="riscv64", board="virt", cpu="rv64", loader="QEMU -kernel",
           description="OpenSBI fw_dynamic, QEMU -kernel, RISC-V Image header, DTB in a1",
           command=loaders.qemu_kernel, per_target=RISCV_VIRT_PER_TARGET,
           protocol="fdt", loader_prefix="qemu", fb_source="bochs-pci", module_args=False,
           tests=(
               # Corrupt DTBs through -dtb, as on aarch64: one line, exit 2. The first does
               # not parse at all: the console and the exit device are the board table's.
               # (A DTB without /cpus cannot be tried: OpenSBI does not start on it.)
               ("bad-dtb-nameoff-{target}", ["--expect-line",
                                             "dtb: string offset outside the strings block",
                                             "--expect-code", str(EXIT_BAD_INPUT),
                                             "--", "-dtb", generated("bad-nameoff.dtb")]),
               ("bad-dtb-memreserve-wrap-{target}", [
                   "--expect-line", "memory map: entry wraps around",
                   "--expect-code", str(EXIT_BAD_INPUT),
                   "--", "-dtb", generated("bad-memreserve-wrap.dtb")]),
               # A DTB that names no UART (no stdout-path, no serial0, an unknown board):
               # the console is the SBI's putchar, and the report still comes out.
               ("boot-{target}-firmware-console", [
                   "--no-fb", "--", "-dtb", generated("bad-no-console.dtb")]),
               # A stdout-path UART where the board has nothing: on riscv virt that access
               # faults (it reads no all-ones), which is the DTB's bad input: one line, 2.
               ("console-pl011-in-hole-{target}", [
                   "--no-fb", "--expect-line",
                   "dtb: a device the DTB names does not answer at 0x9000018",
                   "--expect-code", str(EXIT_BAD_INPUT),
                   "--", "-dtb", generated("bad-pl011-in-riscv-hole.dtb")]),
               # A cpu whose hart id no hart has: OpenSBI takes the DTB's word and accepts
               # the hart_start, the hart never checks in: one warning after the bounded
               # wait, and the boot goes on.
               ("bad-{target}-cpu-hartid", [
                   "--no-fb", "--expect-warning",
                   "cpu 1 (id 0x77) did not start: no check-in in 2000 ms",
                   "--expect-report", "cpus_online=1",
                   "--", "-smp", "2", "-dtb", generated("bad-cpu-bad-mpidr.dtb")]),
               # Harts whose mmu-type is riscv,sv39: Keel's table is Sv39 (three levels,
               # the kernel half scaled into 39 bits) on all four, and the identity maps
               # still go after the CPU start; then a fault in that layout is named.
               ("boot-{target}-sv39-smp4", [
                   "--smp", "4", "--no-fb", "--expect-report", "mm.va_bits=39",
                   "--expect-report", "mm.direct_map.base=0xffffffc000000000",
                   "--", "-dtb", generated("bad-sv39.dtb")]),
               # A hart with no paging at all (QEMU's mmu=false): the entry tries Sv48,
               # then Sv39, and says so in one line through the SBI before anything is
               # mapped. The code is lost: without the DTB's finisher the entry has only
               # the SBI's reset, which OpenSBI 1.1 reports to QEMU as success.
               ("bad-{target}-no-paging", [
                   "--no-fb", "--expect-line",
                   "entry: the hart has neither Sv48 nor Sv39 paging",
                   "--expect-code", "0", "--", "-cpu", "rv64,mmu=false"]),
               # A PCIe window the DTB puts on RAM: no BAR is placed there, one warning,
               # and the boot goes on on serial.
               ("bad-{target}-pci-window", [
                   "--no-fb", "--expect-warning",
                   "pci: the host bridge's memory window overlaps the memory map",
                   "--", "-device", "bochs-display",
                   "-dtb", generated("bad-pci-window-on-ram.dtb")]),
               # RAM past what Sv39's direct map holds (128 GiB of physical addresses; RAM
               # starts at 2 GiB here): refused in one line, exit 2, where Sv48 boots.
               ("bad-{target}-sv39-128G", [
                   "--no-fb", "--memory", "128G", "--expect-line",
                   "mm.map: mm: RAM lies beyond the direct map", "--expect-code", "2",
                   "--", "-dtb", generated("bad-sv39-128g.dtb")]),
               ("fault-{target}-sv39-use-after-reclaim", [
                   "--smp", "4", "--no-fb", "--cmdline", "keel.fault=use-after-reclaim",
                   "--expect-line", "keel: fault: read of reclaimed boot-info page",
                   "--expect-code", "13", "--", "-dtb", generated("bad-sv39.dtb")]),
           )),
    Target("riscv64-uboot", arch="riscv64", board="virt", cpu="rv64", loader="U-Boot",
           description="OpenSBI, then U-Boot (u-boot-qemu qemu-riscv64_smode) booti",
           command=loaders.uboot_riscv_booti, per_target=RISCV_PER_TARGET,
           faults=("write-rodata", "exec-data", "stack-overflow", "use-after-reclaim"),
           terminal_answers=loaders.UBOOT_RISCV_TERMINAL_ANSWERS,
           protocol="fdt", loader_prefix="u-boot", fb_source="bochs-pci", module_args=False),
]}

DEFAULT_TARGET = next(iter(TARGETS))  # the first row
ARCHES = tuple(dict.fromkeys(t.arch for t in TARGETS.values()))


def targets_of(arch):
    """The targets of one arch, in table order; the first is the arch's main target."""
    return [t for t in TARGETS.values() if t.arch == arch]
