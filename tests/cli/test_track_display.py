"""The live line of ``carbonllm track`` on a terminal (a real pseudo-terminal here): it lives on
the bottom row behind a scroll region, so the command's output is never drawn over, and it is
off when stderr is not a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from carbonllm.cli.track_cmd import StatusLine

CARBONLLM = shutil.which("carbonllm") or str(Path(sys.executable).parent / "carbonllm")


def terminal(rows: int, columns: int) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return master, slave


def read_all(fd: int, until: float) -> bytes:
    out = b""
    while time.monotonic() < until:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    return out


def test_the_status_line_keeps_to_the_bottom_row() -> None:
    master, slave = terminal(10, 40)
    try:
        line = StatusLine.open(slave)
        assert line is not None
        line.show("x" * 100)  # longer than the row: cut, never wrapped onto the command's rows
        line.close()
        os.close(slave)
        out = read_all(master, time.monotonic() + 2).decode()
    finally:
        os.close(master)
    assert "\x1b[1;9r" in out  # rows 1-9 scroll; row 10 is the status line's
    assert "\x1b7\x1b[10;1H\x1b[2K" + "x" * 38 + "…\x1b8" in out
    assert out.endswith("\x1b7\x1b[10;1H\x1b[2K\x1b[r\x1b8")  # cleared, whole screen given back


def test_no_status_line_off_a_terminal(tmp_path: Path) -> None:
    with (tmp_path / "f").open("w") as f:
        assert StatusLine.open(f.fileno()) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty behaviour checked on Linux")
def test_on_a_terminal_the_command_output_is_never_drawn_over(tmp_path: Path) -> None:
    rapl = tmp_path / "rapl" / "intel-rapl:0"
    rapl.mkdir(parents=True)
    (rapl / "name").write_text("package-0\n")
    (rapl / "energy_uj").write_text("1000\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONLLM_")}
    env.update(CARBONLLM_RAPL_ROOT=str(tmp_path / "rapl"), HOME=str(tmp_path), TERM="xterm")
    master, slave = terminal(24, 100)
    child = "import time\nfor i in range(5):\n    print(f'line {i} of the command', flush=True); time.sleep(0.1)\n"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.05", "--output",
                             str(tmp_path / "o"), "--", sys.executable, "-c", child],
                            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path, start_new_session=True)
    os.close(slave)
    try:
        out = read_all(master, time.monotonic() + 30).decode(errors="replace")
    finally:
        os.close(master)
        proc.wait(timeout=30)
    assert proc.returncode == 0, out
    assert "\x1b[1;23r" in out and "\x1b[r" in out
    for i in range(5):
        assert f"line {i} of the command" in out  # whole: never cut by a status draw
    draws = out.count("\x1b[24;1H\x1b[2Kcarbonllm  elapsed")
    assert draws >= 5 and out.count("\x1b7\x1b[24;1H") == out.count("\x1b8") - 1  # every draw restores the cursor
