"""Values no training run can have are refused, not priced (docs/methodology.md, "Plausibility
limits"): the estimate, compare and the tracker refuse the same values with one line."""

from __future__ import annotations

import pytest

import carbonllm
from carbonllm.errors import InputError
from carbonllm.measure.track_config import resolve_config


@pytest.mark.parametrize(("kwargs", "flag"), [
    ({"params": 1e30, "tokens": "2T"}, "--params"),
    ({"params": "7e9B", "tokens": "2T"}, "--params"),  # 7e18: a "B" typed after an exponent
    ({"params": "7B", "tokens": 1e17}, "--tokens"),
    ({"flops": 1e31}, "--flops"),
    ({"gpu_hours": 2e10}, "--gpu-hours"),
    ({"hours": 2e6, "devices": 8}, "--hours"),
    ({"params": "7B", "tokens": "2T", "intensity": 1e9}, "--intensity"),
    ({"params": "7B", "tokens": "2T", "market_intensity": 5000}, "--market-intensity"),
])
def test_impossible_workloads_and_intensities_are_refused(kwargs, flag):
    with pytest.raises(InputError, match=f"{flag} .* is above the plausible limit"):
        carbonllm.estimate(gpu="A100", **kwargs)


def test_the_largest_published_runs_stay_within_the_limits():
    # Llama 3.1 405B: 405.85B params, 15.6T tokens, 3.08e7 H100-hours (model card); 2,000 g/kWh
    # is above every grid's average, so a real coal-heavy figure such as 1,100 passes
    big = carbonllm.estimate(params="405.85B", tokens="15.6T", gpu="H100", intensity=1100)
    assert big.co2e_kg > 0
    assert carbonllm.estimate(gpu_hours=3.08e7, gpu="H100", region="US").co2e_kg > 0


@pytest.mark.parametrize(("flags", "flag"), [({"pue": 5}, "--pue"), ({"intensity_g_per_kwh": 1e9}, "--intensity")])
def test_the_tracker_refuses_what_the_estimate_refuses(flags, flag):
    with pytest.raises(InputError, match=f"{flag} .* is above the plausible limit"):
        resolve_config(flags, environ={}, read_file=False)
    with pytest.raises(InputError, match="above the plausible limit"):
        carbonllm.estimate(params="7B", tokens="2T", **{"intensity" if "intensity" in k else k: v
                                                         for k, v in flags.items()})


def test_cli_track_refuses_a_pue_of_5_before_running_the_command(run_cli, tmp_path):
    marker = tmp_path / "ran"
    result = run_cli("track", "--pue", "5", "--output", str(tmp_path / "out"), "--", "touch", str(marker))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "carbonllm: error: --pue 5 is above the plausible limit of 3; give facility energy / IT energy, "
        "typically 1.1-1.6"]
    assert not marker.exists()
