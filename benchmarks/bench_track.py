"""Overhead of ``carbonllm track`` on a fixed CPU-bound workload, against bare and codecarbon.

Runs, in turn and interleaved over several rounds: the bare workload, the workload under
``carbonllm track`` (without and with ``--metrics-port``, serving Prometheus metrics), and under
``codecarbon monitor --offline`` (codecarbon 3.x's CLI wrapper)
when that CLI is installed. Prints median wall times, the workload's own time (what a training
run would feel), their ratios to bare, and carbonllm's start-up-to-first-sample time.

Then, in-process: the same kind of loop in a Python process, bare and inside
``with carbonllm.track():`` (interleaved rounds; the ratio of the loop's own time is the
slowdown a training loop feels), with the time the first ``t.window()`` takes; and the time from
launching ``carbonllm track`` to the first sample on disk whose CPU power is *known* (not null).
Set ``CARBONLLM_RAPL_ROOT`` to an empty directory to measure the modelled CPU/RAM path on a
machine with RAPL (the path that once waited ~1.5 s for codecarbon).

    python benchmarks/bench_track.py [--rounds 3] [--n 60000000] [--inprocess-n 20000000]
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
    # run in the scratch directory: codecarbon writes its emissions.csv (host, CPU, RAM) to the cwd
    out = subprocess.run(argv, env=env, cwd=env.get("PWD"), capture_output=True, text=True, check=True).stdout
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


IN_PROCESS = """\
import sys, time
mode, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def loop(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
if mode == "bare":
    t = time.perf_counter(); loop(n); work = time.perf_counter() - t; window = 0.0
else:
    import carbonllm
    with carbonllm.track(intensity=1, output_dir=out) as tracker:
        t = time.perf_counter()
        with tracker.window("first"):
            pass
        window = time.perf_counter() - t
        t = time.perf_counter(); loop(n); work = time.perf_counter() - t
        sampler = tracker._sampler  # the CPU time one sample costs the process (read, append, summary)
        c = time.thread_time()
        for _ in range(50):
            sampler.sample_now()
        sample_ms = (time.thread_time() - c) / 50 * 1000
print(f"workload_s={work:.4f} window_s={window:.4f}" + ("" if mode == "bare" else f" sample_ms={sample_ms:.3f}"))
"""


def in_process(rounds: int, n: int, env: dict[str, str], tmp: Path) -> None:
    """The loop's own time bare and inside ``carbonllm.track()``, interleaved; the first window."""
    times: dict[str, list[float]] = {"bare": [], "carbonllm.track()": []}
    windows: list[float] = []
    samples_ms: list[float] = []
    for r in range(rounds):
        for mode in times:
            out = subprocess.run([sys.executable, "-c", IN_PROCESS, "bare" if mode == "bare" else "track", str(n),
                                  str(tmp / f"p{r}")], env=env, capture_output=True, text=True, check=True).stdout
            match = re.search(r"workload_s=([\d.]+) window_s=([\d.]+)", out)
            if match is None:
                raise RuntimeError(f"no timing in {out[-300:]}")
            times[mode].append(float(match.group(1)))
            if mode != "bare":
                windows.append(float(match.group(2)))
                cost = re.search(r"sample_ms=([\d.]+)", out)
                if cost is not None:
                    samples_ms.append(float(cost.group(1)))
    bare = statistics.median(times["bare"])
    tracked = statistics.median(times["carbonllm.track()"])
    pairs = ", ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(times["bare"], times["carbonllm.track()"], strict=True))
    print(f"in-process loop ({n:,} iterations): bare {bare:.3f} s, inside carbonllm.track() {tracked:.3f} s, "
          f"ratio {tracked / bare:.3f} (rounds bare/tracked: {pairs})")
    runs = ", ".join(f"{w:.4f}" for w in windows)
    print(f"first t.window(): median {statistics.median(windows):.4f} s (runs: {runs})")
    per = statistics.median(samples_ms)
    print(f"CPU time of one sample (sensors read, lines appended, provisional summary rewritten): median "
          f"{per:.3f} ms, i.e. {per / 2000 * 100:.3f}% of a core at the default 2 s interval")


def first_known_sample_s(carbonllm: str, env: dict[str, str], out: Path) -> float:
    """Seconds from launching ``carbonllm track`` to the first sample line on disk in which every
    CPU device has a known (non-null) power."""
    import json

    t0 = time.perf_counter()
    proc = subprocess.Popen([carbonllm, "track", "--intensity", "1", "--output", str(out), "--",  # default interval
                             sys.executable, "-c", "import time; time.sleep(2)"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = float("nan")
    while time.perf_counter() - t0 < 10 and elapsed != elapsed:
        for f in out.glob("*.samples.jsonl"):
            for line in f.read_text().splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("component") == "cpu" and record.get("power_w") is not None:
                    elapsed = time.perf_counter() - t0
                    break
        time.sleep(0.002)
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=60_000_000, help="loop iterations of the workload")
    parser.add_argument("--inprocess-n", type=int, default=20_000_000, help="loop iterations in-process")
    parser.add_argument("--only-inprocess", action="store_true", help="skip the command-line comparison")
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
    if args.only_inprocess:
        modes = {}
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    for r in range(args.rounds):
        for mode, argv in modes.items():
            if mode.startswith("carbonllm track"):  # a fresh run directory per round
                argv = [*argv[:5], str(tmp / f"{mode[-4:]}{r}"), *argv[6:]]
            results[mode].append(timed(argv, {**env, "PWD": str(tmp)}))
            print(f"round {r + 1} {mode}: wall {results[mode][-1][0]:.3f} s, workload {results[mode][-1][1]:.3f} s",
                  file=sys.stderr)
    if results:
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
    in_process(max(args.rounds, 3), args.inprocess_n, env, tmp)
    known = [first_known_sample_s(carbonllm, env, tmp / f"k{i}") for i in range(3)]
    print(f"carbonllm start-up to the first sample with a known CPU power: median {statistics.median(known):.3f} s "
          f"(runs: {', '.join(f'{s:.3f}' for s in known)})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
