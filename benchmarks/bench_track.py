"""Overhead of ``carbonllm track`` on a fixed CPU-bound workload, against bare and codecarbon.

Runs, in turn and interleaved over several rounds: the bare workload, the workload under
``carbonllm track`` (without and with ``--metrics-port``, serving Prometheus metrics), and under
``codecarbon monitor --offline`` (codecarbon 3.x's CLI wrapper)
when that CLI is installed. Prints median wall times, the workload's own time (what a training
run would feel), their ratios to bare, and carbonllm's start-up-to-first-sample time.

    python benchmarks/bench_track.py [--rounds 3] [--n 60000000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WORKLOAD = ("import time; t = time.perf_counter(); s = 0\n"
            "for i in range({n}): s += i * i\n"
            "print(f'workload_s={{time.perf_counter() - t:.4f}}')")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds of the whole command, the workload's own seconds)."""
    t0 = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    match = re.search(r"workload_s=([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no workload time in output of {argv[:3]}: {out[-300:]}")
    return wall, float(match.group(1))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_sample_s(carbonllm: str, env: dict[str, str], out: Path) -> float:
    """Seconds from launching ``carbonllm track`` to its first sample line on disk."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([carbonllm, "track", "--intensity", "1", "--output", str(out), "--", sys.executable,
                             "-c", "import time; time.sleep(1.5)"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    elapsed = float("nan")
    while time.perf_counter() - t0 < 10:
        files = list(out.glob("*.samples.jsonl"))
        if files and files[0].stat().st_size > 0:
            elapsed = time.perf_counter() - t0
            break
        time.sleep(0.002)
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=60_000_000, help="loop iterations of the workload")
    args = parser.parse_args()
    workload = [sys.executable, "-c", WORKLOAD.format(n=args.n)]
    carbonllm = shutil.which("carbonllm", path=str(BIN)) or "carbonllm"
    codecarbon = shutil.which("codecarbon", path=str(BIN))
    tmp = Path(tempfile.mkdtemp(prefix="bench-track-"))
    env = {**os.environ, "HOME": str(tmp)}  # no user config files in the way
    modes: dict[str, list[str]] = {"bare": workload}
    modes["carbonllm track"] = [carbonllm, "track", "--intensity", "1", "--output", str(tmp / "c"), "--",
                                *workload]
    metrics_port = free_port()
    modes["carbonllm track --metrics-port"] = [carbonllm, "track", "--intensity", "1", "--output", str(tmp / "m"),
                                               "--metrics-port", str(metrics_port), "--", *workload]
    if codecarbon:
        modes["codecarbon monitor --offline"] = [codecarbon, "monitor", "--offline", "--country-iso-code", "FRA",
                                                 "--log-level", "error", "--", *workload]
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    for r in range(args.rounds):
        for mode, argv in modes.items():
            if mode.startswith("carbonllm track"):  # a fresh run directory per round
                argv = [*argv[:5], str(tmp / f"{mode[-4:]}{r}"), *argv[6:]]
            results[mode].append(timed(argv, {**env, "PWD": str(tmp)}))
            print(f"round {r + 1} {mode}: wall {results[mode][-1][0]:.3f} s, workload {results[mode][-1][1]:.3f} s",
                  file=sys.stderr)
    bare_wall = statistics.median(w for w, _ in results["bare"])
    bare_work = statistics.median(x for _, x in results["bare"])
    print(f"{'mode':32} {'wall s':>8} {'ratio':>7} {'workload s':>11} {'ratio':>7}")
    for mode, rows in results.items():
        wall = statistics.median(w for w, _ in rows)
        work = statistics.median(x for _, x in rows)
        print(f"{mode:32} {wall:8.3f} {wall / bare_wall:7.3f} {work:11.3f} {work / bare_work:7.3f}")
    starts = [first_sample_s(carbonllm, env, tmp / f"s{i}") for i in range(3)]
    print(f"carbonllm start-up to first sample on disk: median {statistics.median(starts):.3f} s "
          f"(runs: {', '.join(f'{s:.3f}' for s in starts)})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
