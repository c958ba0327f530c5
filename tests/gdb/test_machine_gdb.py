#!/usr/bin/env python3
"""test_machine_gdb.py - a real gdb debugs the real machine (TAP output).

usage: test_machine_gdb.py MMULAB GDB KERNEL KERNEL_TRIPLE

KERNEL is tests/kernels/gdb.c: gdb_target() to break at, gdb_watched to
watch, gdb_spin to make it spin, a periodic timer throughout.  Each scenario
starts `mmulab run --gdb 0` (an ephemeral loopback port, read from its
stderr) and runs `gdb -batch -nx` with the kernel's ELF for symbols, with
timeouts everywhere; the only waits poll for the port or for output.
"""
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

from gdbtest import TIMEOUT, Tap, finish, gdb_args, has, run_gdb, wait_for

MMULAB, GDB, KERNEL, TRIPLE = sys.argv[1:5]
tap = Tap()
check = tap.check
tmp = tempfile.TemporaryDirectory(prefix="mmulab-gdb-")

# Under the sanitizer build (the 'asan' suite), leaks inside Unicorn itself
# are not ours to fix: suppress those, and only those.
SUPPRESSIONS = os.path.join(tmp.name, "lsan.supp")
with open(SUPPRESSIONS, "w", encoding="utf-8") as f:
    f.write("leak:libunicorn.so\n")
ENV = dict(os.environ)
ENV["LSAN_OPTIONS"] = ":".join(filter(None, [ENV.get("LSAN_OPTIONS"),
                                             f"suppressions={SUPPRESSIONS}"]))


class Machine:
    """`mmulab run` in the background; console to a file, stderr piped."""

    count = 0

    def __init__(self, kernel, *args):
        Machine.count += 1
        self.console = os.path.join(tmp.name, f"console{Machine.count}.txt")
        self.stats = os.path.join(tmp.name, f"stats{Machine.count}.json")
        self.proc = subprocess.Popen(
            [MMULAB, "run", "--kernel", kernel, "--console", self.console,
             "--stats-json", self.stats, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
        self.err = b""
        self.port = None
        deadline_lines = 20
        while self.port is None and deadline_lines > 0:
            ready, _, _ = select.select([self.proc.stderr], [], [], 10)
            line = self.proc.stderr.readline() if ready else b""
            if not line:
                break
            self.err += line
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            deadline_lines -= 1
        if self.port is None:
            self.proc.kill()
            raise SystemExit(f"Bail out! mmulab did not listen: {self.err!r}")

    def wait_log(self, pattern):
        """Read stderr until a line matches pattern (bounded by TIMEOUT)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if re.search(pattern, self.err):
                return True
            ready, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if ready:
                line = self.proc.stderr.readline()
                if not line:
                    return False
                self.err += line
        return False

    def output(self):
        try:
            with open(self.console, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def finish(self):
        """Exit status, console, stderr, instruction count."""
        status = finish(self.proc, TIMEOUT)
        self.err += self.proc.stderr.read()
        insns = None
        try:
            with open(self.stats, encoding="utf-8") as f:
                insns = json.load(f)["instructions"]
        except (OSError, ValueError, KeyError):
            pass
        return status, self.output(), self.err.decode(errors="replace"), insns


def gdb(machine, commands, **kw):
    return run_gdb(GDB, machine.port, commands, program=KERNEL, **kw)


def plain_run():
    """The reference: the same kernel without a debugger."""
    console = os.path.join(tmp.name, "plain.txt")
    stats = os.path.join(tmp.name, "plain.json")
    p = subprocess.run([MMULAB, "run", "--kernel", KERNEL, "--console", console,
                        "--stats-json", stats], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=TIMEOUT, check=False, env=ENV)
    with open(console, encoding="utf-8") as f, open(stats, encoding="utf-8") as s:
        return p.returncode, f.read(), json.load(s)["instructions"]


def hexnum(out, pattern):
    m = re.search(pattern, out, re.M)
    return int(m.group(1), 0) if m else None


def main_session(ref_out, ref_insns):
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    out = gdb(mach, [
        "info registers rip cs cr0 efer",
        "break gdb_target",
        "continue",
        "info registers rip",
        "p/x gdb_watched",
        "x/2i $pc",
        "set var $rax = 0x1122334455667788",
        "p/x $rax",
        "set var gdb_watched = 0x7777",
        "p/x gdb_watched",
        "x/gx 0",
        "monitor time",
        "stepi",
        "info registers rip",
        "monitor time",
        "delete",
        "watch gdb_watched",
        "continue",
        "x/i $pc",
        "continue",
        "delete",
        "eval \"monitor walk %p\", &gdb_watched",
        "eval \"monitor phys %p\", &gdb_watched",
        "monitor tlb",
        "monitor no-such-command",
        "info registers st0 fstat xmm0 mxcsr fs_base k_gs_base cr2 cr3 cr8",
        "hbreak on_timer",
        "continue",
        "delete",
        "stepi 200",
        "continue",
    ])
    status, console, err, insns = mach.finish()
    check(has(out, r"^rip\s+0x\w+\s+0x\w+ <_start>"), "--gdb-wait stops before the first instruction", out)
    check(has(out, r"^cs\s+0x8\s") and has(out, r"^cr0\s+0x\w+\s+\[ PE .*PG \]")
          and has(out, r"^efer\s+0x\w+\s+\[.*LMA.*\]"), "segment and system registers", out)
    check(has(out, r"^Breakpoint 1, gdb_target \(x=x@entry=0\)"), "a breakpoint at a symbol stops", out)
    rip = hexnum(out, r"^rip\s+(0x\w+)\s+0x\w+ <gdb_target>")
    check(rip is not None, "RIP is the function's first instruction", out)
    check(has(out, r"^\$1 = 0x5eed$"), "memory read by virtual address (the variable's value)", out)
    check(has(out, r"^\$2 = 0x1122334455667788$"), "a register write lands", out)
    check(has(out, r"^\$3 = 0x7777$"), "a memory write lands", out)
    check(has(out, r"Cannot access memory at address 0x0"), "an unmapped address is an error", out)
    second = hexnum(out, r"^   (0x\w+) <gdb_target\+\d+>:")
    after = hexnum(out, r"^rip\s+(0x\w+)\s+0x\w+ <gdb_target\+\d+>")
    check(second is not None and after == second, "stepi goes to the next instruction", out)
    times = [int(t) for t in re.findall(r"^(\d+) instructions$", out, re.M)]
    check(len(times) == 2 and times[1] == times[0] + 1, f"stepi advances virtual time by one {times}", out)
    check(has(out, r"Hardware watchpoint 2: gdb_watched\s+Old value = 30583\s+New value = 4660"),
          "a write watchpoint: old and new values", out)
    check(has(out, r"Old value = 4660\s+New value = 4661"), "and again on the next write", out)
    stop = re.search(r"New value = 4660\n(?:.*\n)*?=> (0x\w+) .*", out)
    check(stop and "$0x1234" not in stop.group(0), "the watchpoint stops after the writing instruction",
          out)
    check(has(out, r"^\s+PML4E\s*\[.*\n\s+PDPTE\s*\[.*\n\s+PDE\s*\[.*\n(\s+PTE\s*\[.*\n)?\s+=> PA 0x"),
          "monitor walk prints the page walk level by level", out)
    check(has(out, r"^0xffffffff\w+ -> physical 0x\w+$"), "monitor phys", out)
    check(has(out, r"^no TLB model attached$"), "monitor tlb without a model", out)
    check(has(out, r"unknown monitor command 'no-such-command'"), "an unknown monitor command fails", out)
    check(has(out, r"^cr3\s+0x\w+") and has(out, r"^xmm0\s+\{") and has(out, r"^st0\s+0\s"),
          "x87, SSE and control registers read", out)
    check(has(out, r"^(Hardware assisted )?[Bb]reakpoint 3, on_timer"),
          "a hardware breakpoint in the timer handler", out)
    check(has(out, r"\[Inferior 1 \(Remote target\) exited normally\]"), "gdb sees the exit code (0)", out)
    check(status == 0 and console == ref_out and insns == ref_insns,
          "breakpoints, steps through an interrupt handler and watchpoints leave the run "
          f"as it was ({insns} vs {ref_insns} instructions)", console + err)


def determinism(ref_out, ref_insns):
    free = Machine(KERNEL, "--gdb", "0")
    status, out, err, insns = free.finish()
    check(status == 0 and out == ref_out and insns == ref_insns,
          f"--gdb without a debugger: same output, same instruction count ({insns})", out + err)
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    gout = gdb(mach, ["continue"])
    status, out, err, insns = mach.finish()
    check(status == 0 and out == ref_out and insns == ref_insns,
          f"attached, continue: same output, same instruction count ({insns})", out + err + gout)


def spinning(mach):
    return lambda: "# spinning" in mach.output()


def interrupt_session():
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    out = gdb(mach, ["set var gdb_spin = 1", "continue", "info symbol $pc", "p gdb_spin",
                     "set var gdb_spin = 0", "continue"],
              interrupt_when=lambda _: "# spinning" in mach.output())
    status, console, err, _ = mach.finish()
    check(has(out, r"received signal SIGINT"), "Ctrl-C stops a spinning guest", out)
    check(has(out, r"^(gdb_spin_here|on_timer|ktest_\w+|isr\w*) .*in section") and has(out, r"^\$1 = 1$"),
          "where it spun, with the flag still set", out)
    check(has(out, r"exited normally") and status == 0 and "not ok" not in console,
          "cleared, it runs to its end", out + console + err)


def reattach_session():
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    first = gdb(mach, ["set var gdb_spin = 1", "monitor time", "detach"])
    spun = wait_for(spinning(mach))
    second = gdb(mach, ["monitor time", "p gdb_spin", "set var gdb_spin = 0", "continue"])
    status, console, err, _ = mach.finish()
    check(has(first, r"\[Inferior 1 \(Remote target\) detached\]") and spun,
          "detach: the machine runs on without the debugger", first + console)
    t1 = hexnum(first, r"^(\d+) instructions$")
    t2 = hexnum(second, r"^(\d+) instructions$")
    check(t1 is not None and t2 is not None and t2 > t1 and has(second, r"^\$1 = 1$"),
          f"a second debugger attaches to the running machine ({t1} then {t2})", first + second)
    check(has(second, r"exited normally") and status == 0, "and takes it to its end", second + err)


def vanish_session():
    """gdb killed while the machine runs with a watchpoint set."""
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    p = subprocess.Popen(gdb_args(GDB, mach.port, ["set var gdb_spin = 1", "watch gdb_watched",
                                                   "continue", "continue", "continue"], KERNEL),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    spun = wait_for(spinning(mach))
    p.kill()
    p.wait()
    gone = mach.wait_log(rb"gdb: debugger disconnected")
    out = gdb(mach, ["info breakpoints", "set var gdb_spin = 0", "continue"])
    status, console, err, _ = mach.finish()
    check(spun and gone and has(out, r"No breakpoints or watchpoints"),
          "a debugger killed while the machine runs is dropped with its watchpoint", out + err)
    check(has(out, r"exited normally") and status == 0 and "not ok" not in console,
          "the next one attaches and the machine runs to its end", out + console + err)


def code_write_session():
    """Patch the code gdb_target runs (already translated): the patch runs."""
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    out = gdb(mach, ["break gdb_target", "continue", "x/i $pc",
                     "set var *(unsigned char *)($pc + 4) = 2", "x/i $pc", "delete", "continue"])
    status, console, err, _ = mach.finish()
    check(has(out, r"lea\s+0x1\(%rdi,%rdi,2\),%rax") and has(out, r"lea\s+0x2\(%rdi,%rdi,2\),%rax"),
          "a write to code is read back", out)
    check(status == 1 and "gdb_target(0..3) summed = 0x1a" in console,
          "and the patched code runs (3x + 2 summed: 0x1a)", out + console + err)


def kill_session():
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    out = gdb(mach, ["break gdb_target", "continue", "kill"])
    status, _, err, _ = mach.finish()
    check(status == 125 and "killed by the debugger" in err,
          f"kill ends the machine (status {status})", out + err)


def triple_fault_session():
    mach = Machine(TRIPLE, "--gdb", "0", "--gdb-wait")
    out = run_gdb(GDB, mach.port, ["continue", "info registers rip", "continue"], program=TRIPLE)
    status, _, err, _ = mach.finish()
    check(has(out, r"received signal SIGSEGV"), "a triple fault is a SIGSEGV stop", out)
    check(has(out, r"exited with code 0?171\]") and status == 121,
          "then the machine exits (121)", out + err)


def bad_client_session():
    """Garbage, a bad checksum and a disconnection: the machine runs on."""
    mach = Machine(KERNEL, "--gdb", "0", "--gdb-wait")
    def packet(body):
        return b"$%s#%02x" % (body, sum(body) & 0xff)

    replies = b""
    with socket.create_connection(("127.0.0.1", mach.port), timeout=10) as s:
        s.sendall(b"garbage\x00\xff$g#00")    # bad checksum: '-'
        s.sendall(packet(b"m0,8"))            # unmapped address: E14
        s.sendall(packet(b"Z9,0,1") + packet(b"qFoo"))  # unsupported: empty replies
        while replies.count(b"#") < 3:
            chunk = s.recv(4096)
            if not chunk:
                break
            replies += chunk
    status, console, err, _ = mach.finish()
    check(b"-" in replies and b"$E14#" in replies and b"$#00" in replies,
          f"malformed packets get the protocol's answers ({replies[:60]!r})", replies)
    check(status == 0 and "not ok" not in console and "ok 3" in console,
          "a debugger that vanishes is a detach: the machine runs to its end", console + err)


def cli_errors():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    p = subprocess.run([MMULAB, "run", "--kernel", KERNEL, "--gdb", str(port)],
                       capture_output=True, timeout=TIMEOUT, check=False, env=ENV)
    busy.close()
    check(p.returncode == 1 and b"cannot listen" in p.stderr, "a port in use is an error", p.stderr)
    p = subprocess.run([MMULAB, "run", "--kernel", KERNEL, "--gdb-wait"],
                       capture_output=True, timeout=TIMEOUT, check=False, env=ENV)
    check(p.returncode == 2 and b"--gdb-wait needs --gdb" in p.stderr, "--gdb-wait alone is a usage error",
          p.stderr)


def main():
    status, ref_out, ref_insns = plain_run()
    if status != 0:
        print(f"Bail out! the kernel fails on its own (status {status})")
        return 1
    main_session(ref_out, ref_insns)
    determinism(ref_out, ref_insns)
    interrupt_session()
    reattach_session()
    vanish_session()
    code_write_session()
    kill_session()
    triple_fault_session()
    bad_client_session()
    cli_errors()
    return tap.done()


sys.exit(main())
