#!/usr/bin/env python3
"""test_real_gdb.py - drive the stub with a real gdb (TAP output).

usage: test_real_gdb.py GDB_FAKE_SERVER GDB

Each scenario starts gdb_fake_server (the fake machine behind the stub, on
an ephemeral loopback port) and runs `gdb -batch -nx` against it with a
timeout, then checks what gdb printed: registers from our target
description, memory, faults, a single step, breakpoints, watchpoints of the
three kinds, monitor commands, Ctrl-C, detach and re-attach, the machine's
exit.
"""
import re
import select
import subprocess
import sys
import time

from gdbtest import TIMEOUT, Tap, finish, has, run_gdb

SERVER, GDB = sys.argv[1], sys.argv[2]
tap = Tap()
check = tap.check


def start_server(*extra):
    srv = subprocess.Popen([SERVER, "0", str(TIMEOUT), *extra], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([srv.stdout], [], [], 10)
    line = srv.stdout.readline() if ready else ""
    m = re.match(r"port (\d+)", line)
    if not m:
        srv.kill()
        raise SystemExit(f"Bail out! gdb_fake_server did not start: {line!r}")
    return srv, int(m.group(1))


def gdb(port, commands, interrupt_after=None):
    return run_gdb(GDB, port, commands, interrupt_after=interrupt_after)


def main_session():
    srv, port = start_server()
    out = gdb(port, [
        "info registers rip",
        "x/4xb 0x400000",
        "p $cr3",
        "p $cr0",
        "info registers cr4 efer eflags",
        "p $k_gs_base",
        "x/1xb 0x408000",
        "set var *(unsigned char *)0x400004 = 0x5a",
        "x/1xb 0x400004",
        "set var $rax = 0x1234",
        "p/x $rax",
        "stepi",
        "info registers rip",
        "break *0x401010",
        "continue",
        "delete",
        "watch *(long *)0x400100",
        "continue",
        "delete",
        "rwatch *(long *)0x400200",
        "continue",
        "delete",
        "awatch *(long *)0x400200",
        "continue",
        "delete",
        "hbreak *0x401040",
        "continue",
        "delete",
        "monitor echo hi there",
        "monitor walk 0x408000",
        "p $xmm1.v4_int32",
        "detach",
    ])
    check(has(out, r"^rip\s+0x401000\s"), "info registers rip shows the fake RIP", out)
    check(has(out, r"^0x400000:\s+0xa0\s+0xa1\s+0xa2\s+0xa3$"), "x/4xb reads memory", out)
    check(has(out, r"^\$1 = 4096$"), "p $cr3 from the custom feature", out)
    check(has(out, r"^\$2 = \[ PE ET WP PG \]$"), "cr0 shows named flag bits", out)
    check(has(out, r"^cr4\s+0xa0\s+\[ PAE PGE \]") and has(out, r"^efer\s+0xd01\s+\[ SCE LME LMA NXE \]")
          and has(out, r"^eflags\s+0x202\s+\[ IF \]"), "cr4, efer and eflags decode", out)
    check(has(out, r"^\$3 = <unavailable>$"), "an unmodelled register is <unavailable>", out)
    check(has(out, r"Cannot access memory at address 0x408000"),
          "a page fault is an error, not a crash", out)
    check(has(out, r"^0x400004:\s+0x5a$"), "memory writes land", out)
    check(has(out, r"^\$4 = 0x1234$"), "register writes land", out)
    check(has(out, r"^rip\s+0x401001\s"), "stepi executes one instruction", out)
    check(has(out, r"^Breakpoint 1, 0x0000000000401010 in"), "a Z0 breakpoint stops", out)
    check(has(out, r"Hardware watchpoint 2: \*\(long \*\)0x400100\s+Old value = \d+\s+New value = \d+"),
          "a write watchpoint reports old and new values", out)
    check(has(out, r"Hardware read watchpoint 3: \*\(long \*\)0x400200\s+Value = 0"),
          "a read watchpoint stops", out)
    check(has(out, r"Hardware access \(read/write\) watchpoint 4: \*\(long \*\)0x400200\s+Value = 0"),
          "an access watchpoint stops", out)
    check(has(out, r"^Breakpoint 5, 0x0000000000401040 in"), "a hardware breakpoint stops", out)
    check(has(out, r"^hi there$"), "monitor output reaches gdb", out)
    check(has(out, r"^walk 0x408000: #PF$"), "monitor walk reaches the target", out)
    check(has(out, r"^\$5 = \{0, 0, 0, 0\}$"), "XMM registers use the vec128 type", out)
    check(has(out, r"\[Inferior 1 \(Remote target\) detached\]"), "detach", out)
    warnings = [l for l in out.splitlines() if "warning" in l.lower()
                and "No executable has been specified" not in l]
    check(not warnings, "no warnings (the target description is accepted)", out)
    check(finish(srv) == 0, "the machine ends cleanly after the detach")


def interrupt_session():
    srv, port = start_server()
    out = gdb(port, ["continue", "info registers rip", "kill"], interrupt_after=1.5)
    check(has(out, r"received signal SIGINT"), "Ctrl-C interrupts a running machine", out)
    m = re.search(r"^rip\s+(0x[0-9a-f]+)", out, re.M)
    check(m and int(m.group(1), 16) > 0x401000, "and it had been running", out)
    check(finish(srv) == 0, "kill ends the machine")


def reattach_session():
    srv, port = start_server("keep")
    first = gdb(port, ["p $rax", "detach"])
    time.sleep(0.5)  # the machine runs freely in between
    second = gdb(port, ["p $rax", "kill"])
    a = re.search(r"^\$1 = (\d+)$", first, re.M)
    b = re.search(r"^\$1 = (\d+)$", second, re.M)
    check(a and b, "a second debugger attaches after the first detached", first + second)
    check(a and b and int(b.group(1)) > int(a.group(1)), "the machine ran between the two",
          first + second)
    check(finish(srv) == 0, "kill from the second debugger ends the machine")


def exit_session():
    srv, port = start_server("exit=100000")
    out = gdb(port, ["continue"])
    check(has(out, r"\[Inferior 1 \(Remote target\) exited with code 07\]"),
          "gdb hears that the machine ended", out)
    check(finish(srv) == 0, "and the machine ends")


for scenario in (main_session, interrupt_session, reattach_session, exit_session):
    scenario()
sys.exit(tap.done())
