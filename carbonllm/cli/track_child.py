"""Running the command ``carbonllm track`` measures: signals, waiting, SIGKILL after a grace period.

* Signals (:class:`Signals`): SIGINT, SIGTERM, SIGHUP and SIGQUIT ask the child to stop
  (:data:`STOPPING`); SIGUSR1 and SIGUSR2 are passed on without stopping anything. Each is
  recorded from before the tracker starts and forwarded to the child once it exists.
* A child still running ``kill_after_s`` after the first stopping signal gets SIGKILL, and the
  summary says so (:func:`run_child`).
* On Linux the child is started with ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: if the tracker dies
  (``kill -9``), so does the child, instead of running on unmeasured.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from carbonllm.measure.tracker import Tracker


def exit_status_of(returncode: int) -> int:
    """A child's exit status as a shell reports it: 128 + N when signal N killed it."""
    return 128 - returncode if returncode < 0 else returncode


#: Signals that ask the child to stop: forwarded, then SIGKILL if it has not exited after the
#: grace period. SIGHUP (the terminal or SSH session closed) and SIGQUIT stop it as SIGTERM does.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
#: Signals forwarded to the child without stopping anything (a checkpoint request, say).
PASSED_ON = (signal.SIGUSR1, signal.SIGUSR2)
FORWARDED = STOPPING + PASSED_ON
#: Default seconds a child has to exit after a stopping signal before it gets SIGKILL (SLURM's
#: default KillWait is 30 s; Docker's stop timeout is 10 s).
DEFAULT_KILL_AFTER_S = 30.0
MIN_KILL_AFTER_S, MAX_KILL_AFTER_S = 0.1, 3600.0


def _terminal_sent_it() -> bool:
    """Whether a terminal SIGINT also reached the child: we share a foreground process group."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


class Signals:
    """The forwarded signals for the whole of ``track``: from before the tracker starts until the
    summary has been written and printed, so no signal can cut the finalisation short.

    A signal is recorded; once the child exists it is forwarded to it (a terminal's Ctrl-C has
    reached it already). A stopping signal (:data:`STOPPING`) that arrives before the child is
    started stops ``track`` from starting it; one that arrives while it is being started is
    forwarded as soon as it exists. Python's own handlers are restored on exit.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._unforwarded: list[int] = []  # indices into received, taken before the child existed
        self._child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, Any] = {}
        self.stop_requested_at: float | None = None  # monotonic time of the first stopping signal

    def __enter__(self) -> Signals:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in FORWARDED}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)

    @property
    def stopping(self) -> list[int]:
        """The stopping signals received, in order."""
        return [s for s in self.received if s in STOPPING]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread between two bytecodes: it cannot interleave with attach()
        # inside one statement, only between statements.
        self.received.append(signum)
        if signum in STOPPING and self.stop_requested_at is None:
            self.stop_requested_at = time.monotonic()
        if self._child is None:
            self._unforwarded.append(len(self.received) - 1)
        else:
            self._forward(self._child, signum)

    @staticmethod
    def _forward(child: subprocess.Popen[bytes], signum: int) -> None:
        if signum == signal.SIGINT and _terminal_sent_it():
            return  # Ctrl-C went to the whole foreground group, the child included
        if child.returncode is None:
            try:
                child.send_signal(signum)
            except ProcessLookupError:  # it has just exited
                return

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        """Forward signals to ``child`` from now on, and those that came while it was started."""
        self._child = child
        while self._unforwarded:  # the handler adds no more now that the child is set
            self._forward(child, self.received[self._unforwarded.pop(0)])


def _stopped_before_start(tracker: Tracker | None, signals: Signals) -> int:
    """The exit status when a signal came before the command was started (it is not started)."""
    signum = signals.stopping[0]
    status = 128 + signum
    if tracker is not None:
        tracker.note(f"stopped by {signal.Signals(signum).name} before the command started; it was not run")
        tracker.stop(exit_status=status)
    click.echo(f"carbonllm: {signal.Signals(signum).name} before the command started; not running it", err=True)
    return status


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when the tracker dies (Linux
    ``prctl(PR_SET_PDEATHSIG)``, see prctl(2)), so that ``kill -9`` of the tracker never leaves the
    command running unmeasured. None elsewhere (macOS has no equivalent)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1  # <linux/prctl.h>

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the tracker died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def _wait(child: subprocess.Popen[bytes], tracker: Tracker | None, signals: Signals, kill_after_s: float) -> int:
    """Wait for ``child``; SIGKILL it ``kill_after_s`` after the first stopping signal if it is
    still running (the summary notes it). Returns its return code."""
    killed = False
    while True:
        try:
            return child.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
        asked = signals.stop_requested_at
        if not killed and asked is not None and time.monotonic() - asked >= kill_after_s:
            name = signal.Signals(signals.stopping[0]).name
            message = (f"the command was still running {kill_after_s:g} s after {name}; sent SIGKILL "
                       "(--kill-after)")
            click.echo(f"carbonllm: {message}", err=True)
            if tracker is not None:
                tracker.note(message)
            try:
                child.kill()
            except ProcessLookupError:
                pass
            killed = True


def run_child(tracker: Tracker | None, command: list[str], signals: Signals,
              kill_after_s: float = DEFAULT_KILL_AFTER_S, stdout: int | None = None) -> int:
    """Start ``command`` (unless a stopping signal came first), forward signals, wait for it, then
    stop the tracker at its exit, with its status. Returns the exit status."""
    if signals.stopping:
        return _stopped_before_start(tracker, signals)
    child = subprocess.Popen(command, preexec_fn=_die_with_parent(), stdout=stdout)  # noqa: PLW1509
    if tracker is not None:
        tracker.pid = child.pid
    signals.attach(child)
    status = exit_status_of(_wait(child, tracker, signals, kill_after_s))  # signals are forwarded meanwhile
    if tracker is not None:
        tracker.stop(exit_status=status)  # the final sample is taken now, at the child's exit
    return status


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, exited but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    except OverflowError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs (macOS): os.kill said it exists
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def watch_pid(tracker: Tracker, pid: int, signals: Signals) -> int:
    """Measure until process ``pid`` exits (or until a stopping signal). Returns 0, or 128+N."""
    poll_s = min(tracker.config.interval_s, 0.5)
    while process_exists(pid) and not signals.stopping:
        time.sleep(poll_s)
    tracker.stop()  # the watched process's own exit status is not ours to know
    return 128 + signals.stopping[0] if signals.stopping else 0


__all__ = ["DEFAULT_KILL_AFTER_S", "FORWARDED", "MAX_KILL_AFTER_S", "MIN_KILL_AFTER_S", "PASSED_ON", "STOPPING",
           "Signals", "exit_status_of", "process_exists", "run_child", "watch_pid"]
