# SPDX-License-Identifier: MIT
"""One boot in QEMU: the command from the target's row, the serial console streamed,
QMP for a screenshot, and QEMU's exit status turned back into the kernel's exit code."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import ROOT, fail
from .build import image_path
from .screenshot import read_ppm, write_png


def kernel_exit_code(arch, status):
    """Turns QEMU's exit status into the kernel's exit code, or None if it is not one.

    x86_64 leaves through isa-debug-exit, which makes QEMU exit with (code << 1) | 1;
    aarch64 leaves through semihosting SYS_EXIT and riscv64 through the virt board's test
    finisher, whose code QEMU exits with as it is.
    """
    if status < 0:
        return None  # QEMU was killed by a signal: no code came from the kernel
    if arch == "x86_64":
        return (status - 1) >> 1 if status > 0 and status & 1 else None
    return status


class TerminalAnswers:
    """Answers a loader's terminal queries on QEMU's serial stdin, as a terminal would.

    `answers` is a target row's terminal_answers, ((query, reply), ...). replies(chunk)
    takes each chunk of console output as it comes and returns the replies owed for the
    queries in it, one per query seen, also when a query is split between two chunks.
    """

    def __init__(self, answers):
        self.answers = answers
        self.keep = max((len(q) for q, _ in answers), default=1) - 1
        self.tail = b""

    def replies(self, chunk):
        text = self.tail + chunk
        out = []
        for query, reply in self.answers:
            # Only matches that end in the new chunk: the tail's own were answered before.
            start = 0
            while True:
                at = text.find(query, start)
                if at < 0:
                    break
                if at + len(query) > len(self.tail):
                    out.append(reply)
                start = at + 1
        self.tail = text[max(0, len(text) - self.keep):] if self.keep else b""
        return out

    def send(self, proc, chunk):
        """Writes the replies `chunk` asks for to proc's stdin (while it is open)."""
        for reply in self.replies(chunk):
            if proc.stdin is None or proc.stdin.closed:
                return
            try:
                proc.stdin.write(reply)
                proc.stdin.flush()
            except BrokenPipeError:  # QEMU has ended: nobody is left to answer
                return


DEFAULT_MEMORY = "512M"


class Ctx:
    """What a loader function (loaders.py) makes one boot's QEMU command from."""


class BootOptions:
    """What one boot is given; the defaults are a plain `keel run TARGET`."""

    def __init__(self, modules=(), cmdline="", memory=None, smp=None, extra=(), null=False,
                 timeout=120, no_fb=False, display=False, screenshot=None, kernel=None,
                 esp=None, acpi_tables=(), serial_port=0):
        self.modules, self.cmdline, self.memory, self.smp = list(modules), cmdline, memory, smp
        self.extra, self.null, self.timeout = list(extra), null, timeout
        self.no_fb, self.display, self.screenshot = no_fb, display, screenshot
        self.kernel = kernel  # an image to boot instead of the build directory's
        self.esp = esp  # a directory whose files the UEFI targets add to the ESP
        self.acpi_tables = list(acpi_tables)  # x86_64-grub: tables GRUB's acpi command loads
        self.serial_port = serial_port  # QEMU's -serial the console is on (0: the first)


def qmp_connect(sock_path, timeout=20):
    """Connects to QEMU's QMP socket (waiting for QEMU to open it) and returns
    (socket, call), where call(command, **arguments) returns the command's result."""
    deadline = time.monotonic() + timeout
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    while True:
        try:
            s.connect(sock_path)
            break
        except OSError:
            if time.monotonic() > deadline:
                s.close()
                raise
            time.sleep(0.05)
    f = s.makefile("rw")

    def call(command, **arguments):
        f.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError("QMP %s: %s" % (command, reply["error"]["desc"]))

    json.loads(f.readline())  # the greeting
    call("qmp_capabilities")
    return s, call


def qmp_screendump(sock_path, ppm_path, timeout=20):
    """Asks QEMU, through its QMP socket, to write the display to ppm_path (PPM)."""
    s, call = qmp_connect(sock_path, timeout)
    with s:
        call("screendump", filename=ppm_path)


def size_bytes(s):
    """QEMU's -m sizes: a number with an optional K, M, G or T suffix (binary units)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    s = s.strip().upper()
    return int(s[:-1]) * units[s[-1]] if s[-1:] in units else int(s)


def memory_backend(memory, work):
    """QEMU arguments that back guest RAM larger than the host's with a sparse file.

    Plain -m of more than the host has fails in QEMU. A file-backed backend in the boot's
    scratch directory holds only the pages the guest touches, so 64 GiB or 1 TiB
    machines can be tried; the file goes with the directory when the boot ends.
    """
    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if size_bytes(memory) <= host:
        return []
    path = os.path.join(work, "guest-ram")
    return ["-object", "memory-backend-file,id=keel-ram,size=%s,mem-path=%s,share=on" % (
        memory, path), "-machine", "memory-backend=keel-ram"]


def machine_size(target, memory, smp):
    """The boot's -m and -smp: what was asked, or the row's (a board whose RAM or CPU
    count is fixed: asking for another is refused in one line), or 512M and 1 CPU."""
    if memory is None:
        memory = target.memory or DEFAULT_MEMORY
    elif target.memory and size_bytes(memory) != size_bytes(target.memory):
        fail("%s: the board has %s of RAM, --memory %s cannot be given" % (
            target.name, target.memory, memory), 64)
    if smp is None:
        smp = target.cpus or 1
    elif target.cpus and smp != target.cpus:
        fail("%s: the board has %d CPUs, --smp %d cannot be given" % (target.name, target.cpus,
                                                                     smp), 64)
    return memory, smp


def qemu_command(target, bdir, opts, work):
    """The QEMU command of one boot, with the files it needs (an ISO, a cpio, a U-Boot
    environment) made in `work`, which must outlive the boot; no QMP socket."""
    ctx = Ctx()
    ctx.target = target
    ctx.image = opts.kernel or image_path(bdir, target.arch, opts.null)
    if not os.path.exists(ctx.image):
        fail("no image at %s" % os.path.relpath(ctx.image, ROOT))
    ctx.memory, ctx.smp = machine_size(target, opts.memory, opts.smp)
    ctx.modules, ctx.no_fb, ctx.build_dir = opts.modules, opts.no_fb, bdir
    ctx.cmdline = (opts.cmdline + " keel.hold").strip() if opts.screenshot else opts.cmdline
    ctx.work, ctx.esp, ctx.acpi_tables = work, opts.esp, opts.acpi_tables
    cmd = target.command(ctx) + memory_backend(ctx.memory, work)
    # The console is QEMU's serial port opts.serial_port; the ones before it lead nowhere.
    cmd += ["-serial", "null"] * opts.serial_port
    cmd += ["-serial", "stdio", "-monitor", "none", "-no-reboot"]
    if not opts.display:
        cmd += ["-display", "none"]
    return cmd + opts.extra


def boot(target, bdir, opts, out=None):
    """Boots once; streams the serial console to `out` (stdout by default).

    With opts.screenshot, the kernel is asked to hold after its report (keel.hold) until
    a byte arrives on its serial line; meanwhile QEMU's display is dumped through QMP.
    Returns (kernel exit code or None, the console text, QEMU's status).
    """
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="keel-") as work:
        qmp = os.path.join(work, "qmp.sock")
        cmd = qemu_command(target, bdir, opts, work)
        if opts.screenshot:
            cmd += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
        answers = TerminalAnswers(target.terminal_answers)
        proc = subprocess.Popen(cmd,
                                stdin=subprocess.PIPE if opts.screenshot or answers.answers
                                else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        text = []
        deadline = time.monotonic() + opts.timeout
        timed_out, dumped = False, not opts.screenshot
        os.set_blocking(proc.stdout.fileno(), False)
        while True:
            chunk = proc.stdout.read()
            if chunk:
                answers.send(proc, chunk)
                s = chunk.decode("utf-8", "replace").replace("\r", "")
                text.append(s)
                out.write(s)
                out.flush()
                if not dumped and "\nKEEL-HOLD\n" in "".join(text)[-256:]:
                    dumped = True
                    ppm = os.path.join(work, "screen.ppm")
                    qmp_screendump(qmp, ppm)
                    w, h, rgb = read_ppm(ppm)
                    if opts.screenshot.endswith(".png"):
                        write_png(opts.screenshot, w, h, rgb)
                    else:
                        shutil.copyfile(ppm, opts.screenshot)
                    proc.stdin.write(b"\n")
                    proc.stdin.close()
            elif proc.poll() is not None:
                break
            else:
                if time.monotonic() > deadline:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    break
                time.sleep(0.01)
        status = proc.wait()
        if proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
    if timed_out:
        return None, "".join(text), "timeout after %d s" % opts.timeout
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.valid_signals() else "?"
        return None, "".join(text), "QEMU was killed by signal %d, %s" % (-status, name)
    if not dumped:
        fail("%s: the kernel ended before it held for the screenshot" % target.name)
    return kernel_exit_code(target.arch, status), "".join(text), status
