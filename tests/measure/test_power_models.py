"""The CPU and RAM power known before the first sample (measure/power_models.py): the same numbers
as codecarbon 3.x's own models (cross-checked against codecarbon, imported here in the test only),
from files read directly; overrides; and no codecarbon or py-cpuinfo import while tracking."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from carbonllm.measure import power_models as pm
from carbonllm.measure.sensors import discover_sensors
from carbonllm.measure.track_config import resolve_config

TABLE = pm.codecarbon_cpu_table()
needs_table = pytest.mark.skipif(TABLE is None, reason="codecarbon's cpu_power.csv is not installed")

BRANDS = [
    "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", "AMD EPYC 7763 64-Core Processor",
    "AMD Ryzen 9 5950X 16-Core Processor", "Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz",
    "Intel(R) Xeon(R) Platinum 8480+", "Intel(R) Xeon(R) CPU E5-2698 v4 @ 2.20GHz", "Intel(R) Xeon(R) Processor",
    "Neoverse-N1", "Apple M2", "",
]


@needs_table
def test_cpu_matching_is_codecarbons() -> None:
    """Every brand string matches the table row codecarbon 3.3's ``TDP._get_matching_cpu`` picks
    (or none where it picks none): typical brand strings, 200 table names, 100 of them upper-cased
    with a suffix (the token-set rule)."""
    import pandas as pd
    from codecarbon.core.cpu import TDP

    assert TABLE is not None
    frame = pd.read_csv(TABLE)
    names = list(pm.read_cpu_table(TABLE))
    rng = random.Random(11)
    brands = BRANDS + rng.sample(names, 200) + [n.upper() + " Processor" for n in rng.sample(names, 100)]
    codecarbon = TDP.__new__(TDP)  # only its matcher: no CPU detection
    for brand in brands:
        assert pm.match_cpu(brand, names) == codecarbon._get_matching_cpu(brand, frame), brand


@needs_table
def test_a_known_cpu_gets_its_table_tdp_times_its_sockets(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    block = "processor\t: {i}\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: {s}\n\n"
    cpuinfo.write_text("".join(block.format(i=i, s=i % 2) for i in range(4)))
    power = pm.cpu_power(cpuinfo=cpuinfo)
    assert power.model == "AMD EPYC 7763 64-Core Processor" and power.sockets == 2
    assert power.tdp_w == 280.0  # codecarbon's cpu_power.csv: "AMD EPYC 7763", 280 W (AMD's spec sheet)
    assert power.max_power_w == 560.0 and power.matched
    assert power.source == "codecarbon cpu_power.csv: AMD EPYC 7763"


def test_an_unknown_cpu_gets_4_w_per_thread_and_says_so(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Imaginary CPU 9000\nphysical id\t: 0\n")
    power = pm.cpu_power(cpuinfo=cpuinfo)
    assert not power.matched and power.max_power_w == 4.0 * (os.cpu_count() or 1)
    assert "give --cpu-power-w" in power.source


def test_a_given_cpu_power_replaces_the_table(tmp_path: Path) -> None:
    power = pm.cpu_power(150.0, cpuinfo=tmp_path / "nothing")
    assert power.max_power_w == 150.0 and power.source == "given (--cpu-power-w)"


def test_ram_power_is_codecarbons_model() -> None:
    from codecarbon.external.ram import RAM

    ram = RAM(tracking_mode="machine")
    ram.is_arm_cpu = False
    for gb in (1, 2, 3, 4, 8, 15.6, 16, 17, 31.3, 32, 33, 64, 65, 100, 128, 129, 200, 256, 512, 1024, 2048, 10_000):
        assert pm.ram_power_w(gb) == pytest.approx(ram._calculate_ram_power(gb)), gb
    # by hand: 256 GB → 256/8 = 32 ≥ 32 GB DIMMs → 8 DIMMs → 4·5 + 4·0.9·5 = 38 W
    assert pm.ram_power_w(256) == pytest.approx(38.0)
    # 24 GB → 4 DIMMs × 5 W = 20 W; 2048 GB → 16 DIMMs of 128 → 20 + 18 + 8·0.8·5 = 70 W
    assert pm.ram_power_w(24) == 20.0 and pm.ram_power_w(2048) == pytest.approx(70.0)


def test_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       263941936 kB\nMemFree: 1 kB\n")
    assert pm.memory_gib(meminfo) == pytest.approx(263941936 / 1024**2)  # kB (KiB) → GiB
    ram = pm.ram_power(meminfo=meminfo)
    # by hand: 251.7 GiB / 8 = 31.5 → 16 GB DIMMs → ceil(251.7 / 16) = 16 DIMMs → 20 + 18 + 8·0.8·5 = 70 W
    assert ram.power_w == pytest.approx(70.0)


def test_without_rapl_the_model_power_is_known_at_once_and_overrides_apply(tmp_path: Path) -> None:
    (tmp_path / "no-rapl").mkdir()
    config = resolve_config({"intensity_g_per_kwh": 1, "rapl_root": str(tmp_path / "no-rapl"),
                             "cpu_power_w": "150", "ram_power_w": 7}, environ={}, read_file=False)
    found = discover_sensors(config)
    by_device = {s.device: s for s in found.sensors}
    assert by_device["cpu:0"].method == "codecarbon-cpu-model" and "given (--cpu-power-w)" in by_device["cpu:0"].name
    assert by_device["ram"].method == "ram-model" and "given (--ram-power-w)" in by_device["ram"].name
    assert not found.waiters  # nothing to wait for: no codecarbon loading
    assert any("150 W at full load" in n for n in found.notes) and any("modelled as 7 W" in n for n in found.notes)
    found.close()


@pytest.mark.parametrize(("flag", "value"), [("--cpu-power-w", "-1"), ("--ram-power-w", "1e9"),
                                             ("--cpu-power-w", "lots")])
def test_power_overrides_are_bounded(run_cli, tmp_path: Path, flag: str, value: str) -> None:
    result = run_cli("track", "--output", str(tmp_path / "o"), flag, value, "--", "true")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert flag in result.stderr


def test_tracking_without_rapl_imports_neither_codecarbon_nor_cpuinfo(tmp_path: Path) -> None:
    (tmp_path / "no-rapl").mkdir()
    code = ("import sys, carbonllm\n"
            f"with carbonllm.track(intensity=1, interval_s=0.05, output_dir={str(tmp_path / 'o')!r}) as t:\n"
            "    with t.window('w') as w: pass\n"
            "print(sorted(m for m in ('codecarbon', 'cpuinfo', 'pandas') if m in sys.modules))\n")
    env = {**os.environ, "CARBONLLM_RAPL_ROOT": str(tmp_path / "no-rapl"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_samples_never_carry_0_w_for_unknown(tmp_path: Path) -> None:
    """A real ``carbonllm track`` without RAPL: the CPU and RAM power is null in the first sample
    (no interval yet) and known, > 0, in every later one — never 0 W while a model loads."""
    (tmp_path / "no-rapl").mkdir()
    env = {**os.environ, "CARBONLLM_RAPL_ROOT": str(tmp_path / "no-rapl"), "HOME": str(tmp_path)}
    carbonllm = str(Path(sys.executable).parent / "carbonllm")
    r = subprocess.run([carbonllm, "track", "--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"),
                        "--", sys.executable, "-c", "import time; time.sleep(0.5)"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    files = list((tmp_path / "o").glob("*.samples.jsonl"))
    samples = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    modelled = [s for s in samples if s["component"] in ("cpu", "ram")]
    first_t = min(s["elapsed_s"] for s in modelled)
    later = [s for s in modelled if s["elapsed_s"] > first_t]
    assert len(later) >= 10
    assert all(s["power_w"] is None for s in modelled if s["elapsed_s"] == first_t)
    assert all(s["power_w"] is not None and s["power_w"] > 0 for s in later)
