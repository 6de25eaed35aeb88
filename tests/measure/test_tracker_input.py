"""The Python tracker refuses bad values with an ``InputError`` (never a traceback of another kind),
and never writes a non-finite number; overrides reach the sensors; a merge cannot overflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_summary

import carbonllm
from carbonllm.errors import InputError
from carbonllm.measure.runfiles import merge_runs
from carbonllm.measure.sensors import FakeSensor


def tracker(tmp_path: Path) -> carbonllm.measure.tracker.Tracker:  # type: ignore[name-defined]
    return carbonllm.track(intensity=1, interval_s=60, output_dir=tmp_path / "o",
                           sensors=[FakeSensor(energies_j=[0.0, 10.0])])


@pytest.mark.parametrize("tokens", [float("nan"), float("inf"), -1.0, "many", True])
def test_step_refuses_what_is_not_a_finite_count(tmp_path: Path, tokens: object) -> None:
    with tracker(tmp_path) as t:
        with pytest.raises(InputError, match="tokens must be a finite number >= 0"):
            t.step(tokens=tokens)  # type: ignore[arg-type]
        t.step(tokens=5)
    assert t.result is not None and t.result.tokens_done == 5
    text = next((tmp_path / "o").glob("*.summary.json")).read_text()
    assert "NaN" not in text and "Infinity" not in text


def test_a_window_name_must_be_text(tmp_path: Path) -> None:
    with tracker(tmp_path) as t:
        with pytest.raises(InputError, match="window's name must be text"):
            with t.window(5):  # type: ignore[arg-type]
                pass


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"output_dir": 5}, "output_dir must be a file or directory path"),
    ({"region": 123}, "region must be a name"),
    ({"region": ""}, "region is empty"),
    ({"interval_s": "1e12"}, "--interval must be between"),
    ({"cpu_power_w": -5}, "--cpu-power-w must be between"),
    ({"gpu": 7}, "gpu must be a name"),
])
def test_track_keywords_are_checked(kwargs: dict[str, object], match: str) -> None:
    grid = {} if "region" in kwargs else {"intensity": 1}
    with pytest.raises(InputError, match=match):
        carbonllm.track(**grid, **kwargs)  # type: ignore[arg-type]


def test_track_takes_the_power_overrides(tmp_path: Path) -> None:
    (tmp_path / "no-rapl").mkdir()
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CARBONLLM_RAPL_ROOT", str(tmp_path / "no-rapl"))
        t = carbonllm.track(intensity=1, interval_s=60, output_dir=tmp_path / "o", ram_power_w=7, cpu_power_w="150")
    assert t.config.ram_power_w == 7.0 and t.config.cpu_power_w == 150.0


def test_a_merge_that_would_overflow_is_refused(tmp_path: Path) -> None:
    for rank in (0, 1):
        data = run_summary(node_rank=rank, host=f"h{rank}", energy_kwh=1.5e308, facility_energy_kwh=1.5e308)
        (tmp_path / f"h{rank}-node{rank}.summary.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match="cannot be merged: energy_kwh"):
        merge_runs(tmp_path)


@pytest.mark.parametrize(("env", "match"), [({"SLURM_NNODES": "0"}, "number of nodes must be at least 1"),
                                            ({"NODE_RANK": "-1"}, "node rank must be >= 0"),
                                            ({"LOCAL_RANK": "x"}, "LOCAL_RANK must be an integer")])
def test_rank_variables_are_checked(env: dict[str, str], match: str) -> None:
    from carbonllm.measure.track_config import resolve_config

    with pytest.raises(InputError, match=match):
        resolve_config({"intensity_g_per_kwh": 1}, environ=env, read_file=False)
