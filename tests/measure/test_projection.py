"""Projection arithmetic, hand-computed."""

from __future__ import annotations

import pytest

from carbonllm.measure.projection import EstimateComparison, build_projection, implied_mfu, project_linear


def test_linear_projection() -> None:
    assert project_linear(2.0, 25.0, 100.0) == 8.0
    assert project_linear(2.0, 0.0, 100.0) is None  # nothing done yet: no projection
    assert project_linear(0.0, 10.0, 100.0) == 0.0  # zero measured → zero projected


def test_projection_is_linear_in_measured_energy() -> None:
    for e in (0.5, 1.0, 7.0):
        assert project_linear(2 * e, 10, 40) == pytest.approx(2 * project_linear(e, 10, 40))


def test_implied_mfu_hand_computed() -> None:
    # 6 × 1e9 params × 1e9 tokens = 6e18 FLOPs; 8 GPUs × 3600 s = 28,800 GPU-s at 312 TFLOP/s
    # → 6e18 / (28800 × 312e12) = 0.6677...
    assert implied_mfu(1e9, 1e9, 8 * 3600.0, 312.0) == pytest.approx(6e18 / (28800 * 312e12))
    assert implied_mfu(1e9, 1e9, 0.0, 312.0) is None


def test_build_projection_single_node() -> None:
    est = EstimateComparison(energy_kwh=100.0, co2e_kg=40.0, device_hours=300.0, gpu="A100 SXM4 80GB", mfu=0.4,
                             power_w=400.0)
    p = build_projection(unit="tokens", done=2e9, total=10e9, duration_s=3600.0, energy_kwh=20.0, gpu_count=8,
                         pue=1.2, intensity_g_per_kwh=400.0, params=1e9, peak_tflops=312.0, estimate=est)
    assert p.fraction_done == pytest.approx(0.2)
    assert p.projected_energy_kwh == pytest.approx(100.0)  # 20 kWh × 10/2
    assert p.projected_facility_energy_kwh == pytest.approx(120.0)  # × PUE 1.2
    assert p.projected_co2e_kg == pytest.approx(48.0)  # 120 kWh × 400 g/kWh
    assert p.projected_duration_s == pytest.approx(18000.0)
    assert p.projected_gpu_hours == pytest.approx(40.0)  # 5 h × 8 GPUs
    assert p.ratio_to_estimate == pytest.approx(1.2)  # 120 / 100
    # 6 × 1e9 × 2e9 / (3600 s × 8 × 312e12) = 1.2e19 / 8.9856e18
    assert p.implied_mfu == pytest.approx(1.2e19 / (3600 * 8 * 312e12))


def test_node_share_of_progress() -> None:
    # 4 nodes: this node did a quarter of the tokens; energy projection is unaffected (same fraction)
    p = build_projection(unit="tokens", done=4e9, total=8e9, duration_s=100.0, energy_kwh=1.0, gpu_count=8,
                         pue=1.0, intensity_g_per_kwh=0.0, nodes_in_run=4, params=1e9, peak_tflops=1000.0)
    assert p.node_share == 0.25
    assert p.projected_energy_kwh == pytest.approx(2.0)
    assert p.implied_mfu == pytest.approx(6 * 1e9 * 1e9 / (100.0 * 8 * 1000e12))


def test_steps_give_no_mfu() -> None:
    p = build_projection(unit="steps", done=10, total=100, duration_s=10.0, energy_kwh=1.0, gpu_count=1, pue=1.0,
                         intensity_g_per_kwh=100.0, params=1e9, peak_tflops=100.0)
    assert p.implied_mfu is None and p.projected_energy_kwh == pytest.approx(10.0)
