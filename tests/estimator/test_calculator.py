"""The pure calculator: hand-computed values, properties, and purity of the module."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonllm.estimator.calculator import (
    Embodied,
    RunSpec,
    calculate,
    co2e_kg,
    default_embodied_co2e_kg,
    device_seconds,
    embodied_co2e_kg,
    energy_kwh,
    training_flops_6nd,
)
from carbonllm.estimator.defaults import Span


def test_6nd_gpt3_matches_the_paper():
    # Brown et al. 2020 Table D.1 / Patterson et al. 2021 Table 4: GPT-3 175B, 300B tokens, 3.14e23 FLOPs.
    assert training_flops_6nd(175e9, 300e9) == pytest.approx(3.14e23, rel=0.005)


def test_device_seconds_by_hand():
    # 1e18 FLOPs at 50% of 100 TFLOP/s = 1e18 / 5e13 = 20,000 s.
    assert device_seconds(1e18, 100.0, 0.5) == pytest.approx(20_000.0)


def test_energy_and_co2e_by_hand():
    # 1,000 device-hours at 400 W with PUE 1.5 = 1000 * 0.4 kW * 1.5 = 600 kWh; at 50 g/kWh = 30 kg.
    assert energy_kwh(1000.0, 400.0, 1.5) == pytest.approx(600.0)
    assert co2e_kg(600.0, 50.0) == pytest.approx(30.0)


def test_embodied_by_hand():
    # 462.5 kg over 6 years * 8760 h * 0.85 = 44,676 h in use → 0.0103523 kg per device-hour.
    per_hour = 462.5 / (6 * 8760 * 0.85)
    assert embodied_co2e_kg(100.0, 462.5, 6.0, 0.85) == pytest.approx(100 * per_hour)


def test_default_embodied_share_by_hand_and_its_source():
    # Luccioni et al. 2022 §4.3: 150 kg per GPU + 2,500 kg per 8-GPU server = 462.5 kg per GPU, over
    # 6 years × 8,760 h × 0.85 = 44,676 h of use → 1 GPU-hour is charged 462.5 / 44,676 = 0.0103523 kg.
    kg, source = default_embodied_co2e_kg(1.0, "NVIDIA A100-SXM4-80GB")
    assert kg == pytest.approx(0.0103523, rel=1e-5)
    assert source.startswith("Luccioni et al. 2022") and "applied to" not in source
    kg_h100, source_h100 = default_embodied_co2e_kg(2.0, "NVIDIA H100 80GB HBM3")
    assert kg_h100 == pytest.approx(0.0207047, rel=1e-5)  # linear in GPU-hours
    assert source_h100.endswith("A100-server figures applied to NVIDIA H100 80GB HBM3")


def _spec(flops: float, **overrides: object) -> RunSpec:
    values: dict[str, object] = dict(
        flops=flops,
        peak_tflops=312.0,
        mfu=Span(value=0.4, low=0.3, high=0.5, source="test"),
        power_w=Span(value=400.0, low=320.0, high=440.0, source="test"),
        pue=Span(value=1.2, low=1.1, high=1.5, source="test"),
        intensity_g_per_kwh=100.0,
    )
    values.update(overrides)
    return RunSpec(**values)  # type: ignore[arg-type]


def test_calculate_compute_mode_by_hand():
    flops = 6 * 1e9 * 1e12  # 6e21
    result = calculate(_spec(flops, devices=8))
    hours = 6e21 / (312e12 * 0.4) / 3600  # 13,354.7 device-hours
    assert result.device_hours == pytest.approx(hours)
    assert result.wall_clock_hours == pytest.approx(hours / 8)
    assert result.energy_kwh == pytest.approx(hours * 0.4 * 1.2)
    assert result.co2e_kg == pytest.approx(hours * 0.4 * 1.2 * 100 / 1000)
    # low end: best MFU, lowest power and PUE; high end: the opposite
    low_hours = 6e21 / (312e12 * 0.5) / 3600
    high_hours = 6e21 / (312e12 * 0.3) / 3600
    assert result.energy_kwh_low == pytest.approx(low_hours * 0.32 * 1.1)
    assert result.energy_kwh_high == pytest.approx(high_hours * 0.44 * 1.5)
    assert result.co2e_kg_low < result.co2e_kg < result.co2e_kg_high


def test_calculate_time_mode_has_no_hours_spread():
    spec = _spec(None, device_hours=1000.0, peak_tflops=None, mfu=None)
    result = calculate(spec)
    assert result.mode == "time"
    assert result.device_hours_low == result.device_hours == result.device_hours_high == 1000.0
    assert result.energy_kwh == pytest.approx(1000 * 0.4 * 1.2)


def test_calculate_with_embodied():
    embodied = Embodied(kg_per_device=462.5, lifetime_years=6, utilisation=0.85, source="test")
    result = calculate(_spec(None, device_hours=44_676.0, peak_tflops=None, mfu=None, embodied=embodied))
    assert result.embodied_co2e_kg == pytest.approx(462.5)


def test_zero_tokens_zero_emissions():
    result = calculate(_spec(training_flops_6nd(7e9, 0.0)))
    assert result.device_hours == 0 and result.energy_kwh == 0 and result.co2e_kg == 0


@given(
    tokens=st.floats(min_value=1e6, max_value=1e14),
    factor=st.floats(min_value=0.01, max_value=100.0),
)
def test_energy_and_co2e_linear_in_tokens(tokens: float, factor: float):
    base = calculate(_spec(training_flops_6nd(7e9, tokens)))
    scaled = calculate(_spec(training_flops_6nd(7e9, tokens * factor)))
    assert scaled.energy_kwh == pytest.approx(base.energy_kwh * factor, rel=1e-9)
    assert scaled.co2e_kg == pytest.approx(base.co2e_kg * factor, rel=1e-9)
    assert scaled.co2e_kg_high == pytest.approx(base.co2e_kg_high * factor, rel=1e-9)


def test_core_modules_import_nothing_heavy():
    code = (
        "import sys, carbonllm.estimator.calculator, carbonllm.estimator.defaults, carbonllm.units;"
        "heavy = [m for m in ('pandas', 'rich', 'click', 'pynvml', 'codecarbon', 'numpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
