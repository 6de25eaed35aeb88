"""Start-up time of carbonllm's commands, measured side by side with reference commands.

Runs each command ``--rounds`` times, interleaved (A B C A B C …) so that machine noise hits all
of them alike, and prints the median wall time of each and its ratio to ``python -c pass`` and to
``codecarbon --help``. The aim (issue 9): ``carbonllm estimate … --format json`` at most 4x
``python -c pass``; the last line prints that ratio.

    python benchmarks/bench_startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: Issue 9: an estimate's start-up at most this many times that of ``python -c pass``.
AIM_RATIO = 4.0


def _exe(name: str) -> str | None:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def _commands() -> dict[str, list[str]]:
    carbonllm = _exe("carbonllm")
    if carbonllm is None:
        sys.exit("carbonllm is not installed in this environment: pip install . first")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "carbonllm --help": [carbonllm, "--help"],
        "carbonllm estimate --format json": [carbonllm, "estimate", "--params", "175e9", "--tokens", "300e9",
                                             "--gpu", "A100", "--format", "json"],
        "carbonllm estimate (table)": [carbonllm, "estimate", "--params", "175e9", "--tokens", "300e9",
                                       "--gpu", "A100"],
        "carbonllm flops --model llama-3.1-405b": [carbonllm, "flops", "--model", "llama-3.1-405b",
                                                   "--format", "json"],
        "carbonllm plan --gpu-hours 1e6": [carbonllm, "plan", "--gpu-hours", "1e6", "--gpu", "H100",
                                           "--format", "json"],
    }
    codecarbon = _exe("codecarbon")
    if codecarbon:
        commands["codecarbon --help"] = [codecarbon, "--help"]
    return commands


def _editable() -> bool:
    """Whether carbonllm is an editable install here: its import finder slows every Python start,
    ``python -c pass`` included, so the ratios flatter it (docs/benchmarks.md)."""
    import json
    from importlib import metadata

    try:
        text = metadata.distribution("carbonllm").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return False
    return bool(text and json.loads(text).get("dir_info", {}).get("editable"))


def _time(argv: list[str]) -> float | None:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return elapsed if done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    commands = _commands()
    times: dict[str, list[float]] = {name: [] for name in commands}
    failed: set[str] = set()
    for name, argv in commands.items():  # one warm-up each (page cache, .pyc)
        if _time(argv) is None:
            failed.add(name)
    for _ in range(args.rounds):
        for name, argv in commands.items():
            if name in failed:
                continue
            elapsed = _time(argv)
            if elapsed is None:
                failed.add(name)
            else:
                times[name].append(elapsed)
    medians = {name: statistics.median(t) for name, t in times.items() if t and name not in failed}
    base = medians["python -c pass"]
    reference = medians.get("codecarbon --help")
    print(f"{'command':42s} {'median ms':>10s} {'x python':>9s} {'x codecarbon --help':>20s}")
    for name, median in medians.items():
        vs_cc = f"{median / reference:.2f}" if reference else "n/a"
        print(f"{name:42s} {median * 1000:10.1f} {median / base:9.2f} {vs_cc:>20s}")
    for name in sorted(failed):
        print(f"{name:42s} {'failed (non-zero exit): not timed':>40s}")
    print(f"({args.rounds} interleaved rounds; medians)")
    estimate = medians.get("carbonllm estimate --format json")
    if estimate is not None:
        verdict = "met" if estimate / base <= AIM_RATIO else "NOT met"
        print(f"estimate --format json / python -c pass = {estimate / base:.2f}x "
              f"(aim <= {AIM_RATIO:g}x: {verdict})")
    if _editable():
        print("note: carbonllm is an editable install here, whose import finder slows python -c pass "
              "as well; the aim is judged in a regular install (pip install . in a new venv)")


if __name__ == "__main__":
    main()
