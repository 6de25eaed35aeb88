"""The compute-optimal planner: Chinchilla's split by hand, and budgets that round-trip through estimate()."""

from __future__ import annotations

import json
import math

import pytest

from carbonllm.errors import InputError
from carbonllm.estimator.planner import (
    CHINCHILLA_FIT,
    budget_flops,
    optimal_by_fit,
    optimal_by_ratio,
    plan,
    plan_budget,
    predicted_loss,
    resolve_rates,
)
from carbonllm.estimator.resolve import estimate

CHINCHILLA_C = 5.76e23  # Hoffmann et al. 2022 App. F: the Gopher/Chinchilla budget


def test_chinchilla_budget_by_hand():
    # C = 6·N·D with D = 20·N ⇒ C = 120·N² ⇒ N = √(5.76e23 / 120) = √4.8e21 = 6.928e10, D = 1.386e12.
    n, d = optimal_by_ratio(CHINCHILLA_C)
    assert n == pytest.approx(math.sqrt(4.8e21))
    assert n == pytest.approx(69.28e9, rel=1e-3)  # ≈ 69B (Chinchilla: 70B)
    assert d == pytest.approx(1.3856e12, rel=1e-3)  # ≈ 1.39T (Chinchilla: 1.4T)
    assert 6 * n * d == pytest.approx(CHINCHILLA_C)


def test_parametric_fit_closed_form():
    n, d = optimal_by_fit(CHINCHILLA_C)
    assert 6 * n * d == pytest.approx(CHINCHILLA_C)
    # G = (αA/(βB))^(1/(α+β)), a = β/(α+β) (Hoffmann et al. 2022 Eq. 4) with Eq. 10's constants.
    f = CHINCHILLA_FIT
    g = (0.34 * 406.4 / (0.28 * 410.7)) ** (1 / 0.62)
    assert n == pytest.approx(g * (CHINCHILLA_C / 6) ** (0.28 / 0.62))
    # it is the minimum of L on the iso-FLOP line: nudging N either way raises the loss
    for factor in (0.9, 1.1):
        assert predicted_loss(n * factor, d / factor, f) > predicted_loss(n, d, f)


def test_fit_exponents_scale_as_published():
    # a = β/(α+β) = 0.45: 10× the compute gives 10^0.45 × the parameters.
    n1, _ = optimal_by_fit(1e22)
    n2, _ = optimal_by_fit(1e23)
    assert n2 / n1 == pytest.approx(10 ** (0.28 / 0.62))


def test_flops_budget_needs_no_hardware_resolution_for_the_split():
    result = plan_budget(flops=CHINCHILLA_C)
    assert result.optimal.params == pytest.approx(69.28e9, rel=1e-3)
    assert [p.scale for p in result.table] == [0.1, 0.3, 1.0, 3.0, 10.0]
    assert result.table[2] == result.optimal


@pytest.mark.parametrize(
    ("budget", "key"),
    [({"kwh": 1_000_000}, "energy_kwh"), ({"co2e_kg": 50_000}, "co2e_kg"), ({"gpu_hours": 250_000}, "device_hours")],
)
@pytest.mark.parametrize(
    "setting",
    [{"gpu": "H100", "region": "FR"}, {"gpu": "A100"}, {"gpu": "V100", "mfu": 0.3, "power_w": 330, "pue": 1.1,
                                                       "intensity": 429}],
)
def test_budget_round_trips_through_estimate(budget, key, setting):
    result = plan_budget(**budget, **setting)
    back = estimate(params=result.optimal.params, tokens=result.optimal.tokens, **setting)
    assert getattr(back, key) == pytest.approx(next(iter(budget.values())), rel=0.01)
    assert back.flops == pytest.approx(result.optimal.flops, rel=1e-9)
    assert back.energy_kwh == pytest.approx(result.optimal.energy_kwh, rel=1e-9)
    assert back.co2e_kg == pytest.approx(result.optimal.co2e_kg, rel=1e-9)


def test_rates_are_estimates_assumptions():
    rates = resolve_rates(gpu="H100", region="FR", pue=1.1)
    a = estimate(flops=1e22, gpu="H100", region="FR", pue=1.1).assumptions
    assert (rates.peak_tflops, rates.mfu, rates.power_w, rates.pue) == (a.peak_tflops, a.mfu, a.power_w, 1.1)
    # kWh = device-hours × P/1000 × PUE, so one kWh buys 1000/(P·PUE) device-hours of peak·MFU·3600 FLOPs
    assert budget_flops("kwh", 1.0, rates) == pytest.approx(
        1000 / (rates.power_w * 1.1) * rates.peak_tflops * 1e12 * rates.mfu * 3600)


def test_tokens_per_param_option():
    result = plan_budget(flops=1e24, tokens_per_param=40)
    assert result.optimal.tokens / result.optimal.params == pytest.approx(40)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give a budget"),
        ({"flops": 1e23, "kwh": 10}, "give one budget, not --flops and --kwh"),
        ({"flops": 0}, "--flops must be greater than 0"),
        ({"kwh": -5}, "--kwh must be greater than 0"),
        ({"co2e_kg": "-1"}, "--co2e-kg must be greater than 0"),
        ({"gpu_hours": "lots"}, "--gpu-hours must be a number"),
        ({"co2e_kg": 10, "intensity": 0}, "grid intensity > 0"),
        ({"flops": 1e23, "mfu": 1.5}, "--mfu must be in (0, 1]"),
        ({"flops": 1e23, "tokens_per_param": 0}, "--tokens-per-param must be greater than 0"),
    ],
)
def test_bad_budgets(kwargs, message):
    with pytest.raises(InputError) as info:
        plan_budget(**kwargs)
    assert message in str(info.value)


def test_pure_plan_rejects_bad_kind():
    rates = resolve_rates()
    with pytest.raises(InputError):
        plan("joules", 1.0, rates)  # type: ignore[arg-type]


def test_cli_plan_json(run_cli):
    result = run_cli("plan", "--flops", "5.76e23", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["optimal"]["params"] == pytest.approx(69.28e9, rel=1e-3)
    assert data["optimal"]["tokens"] == pytest.approx(1.386e12, rel=1e-3)
    assert len(data["table"]) == 5 and data["rates"]["gpu"]


def test_cli_plan_table_and_csv(run_cli):
    table = run_cli("plan", "--co2e-kg", "50000", "--gpu", "H100", "--region", "FR")
    assert table.exit_code == 0, table.stderr
    assert "compute-optimal plan" in table.stdout and "10×" in table.stdout
    csv_out = run_cli("plan", "--kwh", "1M", "--format", "csv")
    assert csv_out.exit_code == 0 and len(csv_out.stdout.strip().splitlines()) == 6


@pytest.mark.parametrize(
    "argv",
    [[], ["--flops", "1e23", "--kwh", "5"], ["--kwh", "0"], ["--co2e-kg", "-3"],
     ["--gpu-hours", "1e6", "--gpu", "H10"]],
)
def test_cli_plan_errors_are_one_line_exit_2(run_cli, argv):
    result = run_cli("plan", *argv)
    assert result.exit_code == 2
    assert result.stderr.startswith("carbonllm: error: ") and result.stderr.count("\n") == 1
