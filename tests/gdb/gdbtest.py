"""gdbtest.py - helpers for the tests that drive a real gdb (TAP output).

Used by test_real_gdb.py (the stub against a fake machine) and
test_machine_gdb.py (the stub in the real machine).  Every wait is bounded:
a hung gdb or emulator fails the test instead of hanging it.
"""
import re
import select
import signal
import subprocess
import time

TIMEOUT = 60


class Tap:
    """Numbered TAP results, printed as they come."""

    def __init__(self):
        self.results = []

    def check(self, ok, what, detail=""):
        self.results.append(bool(ok))
        n = len(self.results)
        print(f"{'ok' if ok else 'not ok'} {n} - {what}", flush=True)
        if not ok and detail:
            for line in str(detail).splitlines()[-40:]:
                print(f"# {line}")
        return ok

    def done(self):
        print(f"1..{len(self.results)}")
        return 0 if all(self.results) else 1


def has(out, pattern):
    return re.search(pattern, out, re.M) is not None


def gdb_args(gdb, port, commands, program=None):
    args = [gdb, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    if program:
        args.append(program)
    return args


def run_gdb(gdb, port, commands, program=None, interrupt_when=None, interrupt_after=None):
    """Run gdb -batch with commands against 127.0.0.1:port; its output.

    interrupt_when: a function called (repeatedly, until TIMEOUT) with gdb's
    output so far; once it returns true, gdb gets SIGINT, as Ctrl-C at its
    terminal would send.  interrupt_after: seconds to wait instead.
    """
    p = subprocess.Popen(gdb_args(gdb, port, commands, program), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        p.send_signal(signal.SIGINT)
    elif interrupt_when is not None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and p.poll() is None:
            ready, _, _ = select.select([p.stdout], [], [], 0.05)
            if ready:
                chunk = p.stdout.read1(65536)
                out += chunk
            if interrupt_when(out.decode(errors="replace")):
                p.send_signal(signal.SIGINT)
                break
    try:
        rest, _ = p.communicate(timeout=TIMEOUT)
        out += rest
    except subprocess.TimeoutExpired:
        p.kill()
        rest, _ = p.communicate()
        out += rest + b"\n[gdb timed out]"
    return out.decode(errors="replace")


def wait_for(predicate, timeout=TIMEOUT):
    """Poll predicate() every 20 ms until it is true; False after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def finish(proc, timeout=10):
    """Wait for a process (killing it after timeout); its exit status."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return proc.returncode
