"""Running an emulator so that it can never outlive its time limit or the
runner: each one gets its own process group (session), the group is killed at
the timeout, and every group still alive is killed when the runner exits or
receives SIGINT/SIGTERM. Bochs spawns no helpers, but a group kill also covers
anything an engine might start."""

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from harness.judge import ANSI_RE

TERM_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
POLL = 0.1  # seconds between looks at the serial file when streaming

_live = set()
_live_lock = threading.RLock()  # re-entered by the signal handler
# Set when the runner is being stopped: no new emulator may start after it.
stopping = threading.Event()


class Stopped(Exception):
    pass


def _kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(proc):
    """SIGTERM the group, then SIGKILL whatever is left of it."""
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(TERM_GRACE)
    except subprocess.TimeoutExpired:
        pass
    # The leader may be gone while a child lingers: the group kill reaches it.
    _kill_group(proc.pid, signal.SIGKILL)
    proc.wait()


def kill_all():
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _stop(proc)


# A closed terminal (SIGHUP) must not leave emulators running either.
_CLEANUP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum, _frame):
    stopping.set()
    kill_all()
    sys.exit(128 + signum)


def install_cleanup():
    """Call once from the main thread of the command-line program."""
    atexit.register(kill_all)
    for sig in _CLEANUP_SIGNALS:
        signal.signal(sig, _on_signal)


@dataclass(frozen=True)
class Outcome:
    status: int  # exit status; negative: killed by that signal
    timed_out: bool
    seconds: float


def run(cmd, cwd, stdout_path, timeout, stream_path=None, stream_to=None) -> Outcome:
    """Runs cmd with stdin from /dev/null and stdout+stderr to stdout_path. With
    stream_path/stream_to, copies what appears in stream_path (the serial file)
    to stream_to while the command runs."""
    start = time.monotonic()
    deadline = start + timeout
    with _live_lock:
        if stopping.is_set():
            raise Stopped()
        # No cleanup signal between the start and the registration: the
        # handler would not know the new process group.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _CLEANUP_SIGNALS)
        try:
            with open(stdout_path, "wb") as out:
                proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            _live.add(proc)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    streamer = _Streamer(stream_path, stream_to) if stream_to else None
    timed_out = False
    try:
        while True:
            try:
                proc.wait(POLL if streamer else max(0.0, deadline - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                if streamer:
                    streamer.pump()
                if time.monotonic() >= deadline:
                    timed_out = True
                    _stop(proc)
                    break
        # An emulator that exited normally may have left children in its group.
        _kill_group(proc.pid, signal.SIGKILL)
    finally:
        with _live_lock:
            _live.discard(proc)
    if streamer:
        streamer.pump()
        streamer.end_line()
    return Outcome(proc.returncode, timed_out, time.monotonic() - start)


class _Streamer:
    """Copies bytes appended to a file (which may not exist yet) to a stream."""

    def __init__(self, path, to):
        self.path, self.to, self.offset = path, to, 0
        self.at_line_start = True

    def end_line(self):
        """A kernel that stops mid-line (e.g. before the UART drained) leaves no
        newline: add one so that what follows starts on its own line."""
        if not self.at_line_start:
            self.to.write("\n")
            self.to.flush()

    def pump(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        if data:
            self.offset += len(data)
            text = data.decode("utf-8", errors="replace")
            text = ANSI_RE.sub("", text).replace("\r\n", "\n").replace("\0", "")
            if text:
                self.to.write(text)
                self.at_line_start = text.endswith("\n")
            self.to.flush()
