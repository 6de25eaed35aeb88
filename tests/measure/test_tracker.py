"""The Python tracker: context manager, decorator, windows, progress, ranks, configuration."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from carbonllm.errors import InputError, UnknownRegionError
from carbonllm.measure.modelled import CpuModelInfo, CpuModelSensor, RamModelInfo, RamModelSensor
from carbonllm.measure.progress import read_progress_file
from carbonllm.measure.records import RunSummary
from carbonllm.measure.runfiles import load_run
from carbonllm.measure.sensors import FakeSensor, SensorSet
from carbonllm.measure.track_config import TrackConfig, resolve_config
from carbonllm.measure.tracker import track

NO_ENV: dict[str, str] = {}


def counters() -> list[FakeSensor]:
    """A GPU whose counter rises 3600 J per read and a CPU 360 J per read."""
    gpu = FakeSensor("gpu:0", "gpu", energies_j=[3600.0 * i for i in range(200)], name="NVIDIA A100-SXM4-80GB")
    cpu = FakeSensor("cpu:0", "cpu", energies_j=[360.0 * i for i in range(200)], name="package-0")
    return [gpu, cpu]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LOCAL_RANK", "SLURM_LOCALID", "NODE_RANK", "GROUP_RANK", "SLURM_NODEID", "SLURM_JOB_ID",
                 "CARBONLLM_REGION", "CARBONLLM_INTENSITY", "CARBONLLM_PUE", "CARBONLLM_CONFIG", "WORLD_SIZE",
                 "SLURM_NNODES", "TORCHELASTIC_RUN_ID", "CARBONLLM_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def test_context_manager_measures_and_writes_a_complete_summary(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with track(intensity=500, pue=1.5, interval_s=60, output_dir=out, sensors=counters()) as t:
        pass  # start() reads once (baseline), stop() once more: one delta each
    s = t.result
    assert s is not None and s.complete
    by = {d.device: d for d in s.devices}
    assert by["gpu:0"].energy_kwh == pytest.approx(0.001)  # 3600 J
    assert by["cpu:0"].energy_kwh == pytest.approx(0.0001)  # 360 J
    assert s.energy_kwh == pytest.approx(0.0011)
    assert s.facility_energy_kwh == pytest.approx(0.0011 * 1.5)
    assert s.co2e_kg == pytest.approx(0.0011 * 1.5 * 500 / 1000)
    assert s.gpu_count == 1 and s.gpu_name == "NVIDIA A100-SXM4-80GB"
    on_disk = load_run(t.summary_path)
    assert on_disk == s
    assert len((out / t.samples_path.name).read_text().splitlines()) == 4  # 2 samples × 2 devices


def test_windows_are_frozen_measurements_with_units_in_names(tmp_path: Path) -> None:
    with track(intensity=100, pue=1.0, interval_s=60, output_dir=tmp_path, sensors=counters()) as t:
        with t.window("epoch-3") as w:
            pass
    m = w.result
    assert m is not None and m.name == "epoch-3" and m.method == "measured"
    assert m.energy_kwh_by_device == {"gpu:0": pytest.approx(0.001), "cpu:0": pytest.approx(0.0001)}
    assert m.energy_kwh == pytest.approx(0.0011)
    assert m.co2e_kg == pytest.approx(0.0011 * 100 / 1000)
    with pytest.raises(ValidationError):  # frozen
        m.energy_kwh = 0  # type: ignore[misc]
    assert [x.name for x in t.result.windows] == ["epoch-3"]


def test_decorator_measures_each_call(tmp_path: Path) -> None:
    tracker = track(intensity=100, interval_s=60, output_dir=tmp_path / "d", sensors=lambda cfg: __import__(
        "carbonllm.measure.sensors", fromlist=["SensorSet"]).SensorSet(sensors=counters()))

    @tracker
    def work(x: int) -> int:
        return x * 2

    assert work(21) == 42
    assert tracker.result is not None and tracker.result.energy_kwh == pytest.approx(0.0011)


def test_step_progress_projects_the_full_run(tmp_path: Path) -> None:
    with track(intensity=400, pue=1.0, interval_s=60, output_dir=tmp_path, total_tokens=1000,
               sensors=counters()) as t:
        t.step(tokens=100)
        t.step(tokens=150)
    p = t.result.projection
    assert p is not None and p.unit == "tokens" and p.done == 250
    assert p.projected_energy_kwh == pytest.approx(0.0011 * 4)  # 1000 / 250
    assert t.result.tokens_done == 250 and t.result.steps_done == 2


def test_projection_compares_with_the_flop_model_and_implies_mfu(tmp_path: Path) -> None:
    with track(intensity=400, pue=1.2, interval_s=60, output_dir=tmp_path, total_tokens=1e9, params=1e6,
               gpu="A100", sensors=counters()) as t:
        t.step(tokens=1e8)
    p = t.result.projection
    assert p is not None and p.estimate is not None and p.peak_tflops is not None
    assert p.ratio_to_estimate == pytest.approx(p.projected_facility_energy_kwh / p.estimate.energy_kwh)
    gpu_seconds = t.result.duration_s * 1
    assert p.implied_mfu == pytest.approx(6 * 1e6 * 1e8 / (gpu_seconds * p.peak_tflops * 1e12))


def test_other_local_ranks_do_not_measure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_RANK", "3")
    sensors = counters()
    with track(intensity=100, output_dir=tmp_path / "r3", sensors=sensors) as t:
        t.step(tokens=10)  # accepted
        with t.window("w") as w:
            pass
    assert not t.measuring
    assert t.result.method == "not-measured" and t.result.devices == [] and t.result.energy_kwh == 0
    assert w.result is not None and w.result.method == "not-measured"
    assert not (tmp_path / "r3").exists()  # writes nothing
    assert sensors[0]._energy_reads == 0  # never read: local rank 0 measures this node's GPUs


def test_slurm_local_id_and_node_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"SLURM_LOCALID": "0", "SLURM_NODEID": "2", "SLURM_JOB_ID": "77", "SLURM_NNODES": "4"}
    cfg = resolve_config({"intensity_g_per_kwh": 1}, environ=env, read_file=False)
    assert cfg.measures and cfg.node_rank == 2 and cfg.nodes == 4 and cfg.run_id == "slurm-77"
    env = {"LOCAL_RANK": "1", "GROUP_RANK": "1", "WORLD_SIZE": "16", "LOCAL_WORLD_SIZE": "8"}
    cfg = resolve_config({"intensity_g_per_kwh": 1}, environ=env, read_file=False)
    assert not cfg.measures and cfg.node_rank == 1 and cfg.nodes == 2


def test_config_precedence_flags_env_file_default(tmp_path: Path) -> None:
    (tmp_path / "carbonllm.toml").write_text('[track]\nregion = "FR"\npue = 1.4\ninterval_s = 5\n')
    cfg = resolve_config({}, environ={}, config_file=tmp_path / "carbonllm.toml")
    assert (cfg.region, cfg.pue, cfg.interval_s, cfg.region_is_default) == ("FRA", 1.4, 5.0, False)
    env = {"CARBONLLM_PUE": "1.3", "CARBONLLM_INTENSITY": "123"}
    cfg = resolve_config({}, environ=env, config_file=tmp_path / "carbonllm.toml")
    assert (cfg.region, cfg.intensity_g_per_kwh, cfg.pue, cfg.interval_s) == ("custom", 123.0, 1.3, 5.0)
    cfg = resolve_config({"pue": 1.1, "region": "DE"}, environ=env, config_file=tmp_path / "carbonllm.toml")
    assert (cfg.region, cfg.pue) == ("DEU", 1.1)
    assert cfg.sources["pue"] == "flag" and cfg.sources["interval_s"].startswith("file")
    cfg = resolve_config({}, environ={}, read_file=False)
    assert cfg.region == "world" and cfg.region_is_default and cfg.pue == 1.2 and cfg.pue_is_default


def test_config_file_is_found_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "carbonllm.toml").write_text('region = "SE"\n')
    assert resolve_config({}, environ={}).region == "SWE"
    (tmp_path / "carbonllm.toml").write_text('colour = "red"\n')
    with pytest.raises(InputError, match="unknown key"):
        resolve_config({}, environ={})


@pytest.mark.parametrize(
    ("flags", "match"),
    [({"interval_s": 0}, "--interval"), ({"interval_s": -2}, "--interval"), ({"pue": 0.9}, "--pue"),
     ({"region": "FR", "intensity_g_per_kwh": 5}, "cannot be used together"),
     ({"total_tokens": 5, "total_steps": 5}, "cannot be used together"), ({"gpu_ids": "0,x"}, "--gpu-ids")],
)
def test_bad_config_values(flags: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        resolve_config(flags, environ={}, read_file=False)


def test_unknown_region() -> None:
    with pytest.raises(UnknownRegionError):
        resolve_config({"region": "Atlantis"}, environ={}, read_file=False)


def test_progress_file_formats(tmp_path: Path) -> None:
    f = tmp_path / "progress"
    assert read_progress_file(f) is None
    f.write_text("100\n2.5e3\n\n")
    assert read_progress_file(f) == {"value": 2500.0}
    f.write_text('{"tokens": 1000, "steps": 4}\n')
    assert read_progress_file(f) == {"tokens": 1000.0, "steps": 4.0}
    f.write_text("1.5M\n")
    assert read_progress_file(f) == {"value": 1.5e6}
    f.write_text("garbage\n")
    with pytest.raises(InputError):
        read_progress_file(f)


def test_progress_file_feeds_the_projection(tmp_path: Path) -> None:
    progress = tmp_path / "progress.txt"
    progress.write_text("50\n")
    with track(intensity=100, pue=1.0, interval_s=60, output_dir=tmp_path / "o", total_steps=200,
               progress_file=progress, sensors=counters()):
        pass
    data = json.loads(next((tmp_path / "o").glob("*.summary.json")).read_text())
    assert data["steps_done"] == 50 and data["projection"]["unit"] == "steps"
    assert data["projection"]["projected_energy_kwh"] == pytest.approx(0.0011 * 4)


def test_unwritable_output_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write to output directory"):
        track(intensity=1, output_dir=blocker / "sub", sensors=counters()).start()


class LoadingModels:
    """Stands in for ``CodecarbonModels`` (codecarbon is what is faked, not the model sensors):
    "loading" for ``load_s`` seconds, then a 100 W-TDP CPU and 20 W of RAM."""

    def __init__(self, load_s: float) -> None:
        self.loaded = threading.Event()
        self._timer = threading.Timer(load_s, self.loaded.set)
        self._timer.start()

    @property
    def ready(self) -> bool:
        return self.loaded.is_set()

    def wait(self) -> None:
        self.loaded.wait()

    def cpu(self) -> tuple[CpuModelInfo, None]:
        self.loaded.wait()
        return CpuModelInfo(model="Test CPU", tdp_w=100.0, sockets=1, max_power_w=100.0, matched=True), None

    def ram(self) -> RamModelInfo:
        self.loaded.wait()
        return RamModelInfo(memory_gb=24.0, power_w=20.0)


def half_busy_cpu_times() -> tuple[float, float]:
    """The machine's CPUs exactly 50 % busy at every moment: busy = total / 2."""
    t = time.monotonic()
    return t / 2, t


RAM_W = 20.0
CPU_W = 100.0 * (0.1 + 0.9 * 0.5**3)  # codecarbon's load model at 50 % load: 21.25 W


def modelled(load_s: float) -> Callable[[TrackConfig], SensorSet]:
    def source(config: TrackConfig) -> SensorSet:
        models = LoadingModels(load_s)
        sensors = [CpuModelSensor(models, cpu_times=half_busy_cpu_times),  # type: ignore[arg-type]
                   RamModelSensor(models)]  # type: ignore[arg-type]
        return SensorSet(sensors=sensors, waiters=[models.wait])  # type: ignore[arg-type]

    return source


def test_windows_while_codecarbon_loads_get_their_own_energy(tmp_path: Path) -> None:
    """Windows that start or end while codecarbon's models load (here the first 0.8 s) get the
    energy of their own time, not 0 for the first ones and the backlog in a later one."""
    t0 = time.monotonic()
    with track(intensity=100, pue=1.0, interval_s=0.1, output_dir=tmp_path, sensors=modelled(0.8)) as t:
        assert time.monotonic() - t0 < 0.5  # the baseline never waits for codecarbon
        windows = []
        for i in range(5):
            with t.window(f"w{i}") as w:
                time.sleep(0.3)
            windows.append(w)
    for w in windows:
        m = w.result
        assert m is not None and m.duration_s == pytest.approx(0.3, abs=0.1)
        # by hand: constant modelled power × the window's own duration
        assert m.energy_kwh_by_device["ram"] == pytest.approx(RAM_W * m.duration_s / 3.6e6, rel=1e-3)
        assert m.energy_kwh_by_device["cpu:0"] == pytest.approx(CPU_W * m.duration_s / 3.6e6, rel=1e-3)
    s = t.result
    assert s is not None
    assert s.energy_kwh == pytest.approx((RAM_W + CPU_W) * s.duration_s / 3.6e6, rel=1e-3)
    assert [m.name for m in s.windows] == [f"w{i}" for i in range(5)]


def test_stop_while_codecarbon_loads_ends_the_run_at_the_stop(tmp_path: Path) -> None:
    """A run shorter than codecarbon's load time: stop() waits for the models but the run ends
    (and is charged) at the moment stop() was called."""
    t = track(intensity=100, pue=1.0, interval_s=0.05, output_dir=tmp_path, sensors=modelled(0.8)).start()
    time.sleep(0.1)
    s = t.stop()
    assert s.duration_s < 0.3
    assert s.energy_kwh_by_component["ram"] == pytest.approx(RAM_W * s.duration_s / 3.6e6, rel=1e-2)
    assert s.energy_kwh == pytest.approx((RAM_W + CPU_W) * s.duration_s / 3.6e6, rel=1e-2)


def test_the_decorated_function_holds_its_last_summary(tmp_path: Path) -> None:
    @track(intensity=100, interval_s=60, output_dir=tmp_path / "d", sensors=lambda cfg: SensorSet(sensors=counters()))
    def evaluate(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x * 2

    assert evaluate.result is None  # type: ignore[attr-defined]  # not called yet
    assert evaluate(21) == 42
    first = evaluate.result  # type: ignore[attr-defined]
    assert isinstance(first, RunSummary) and first.complete and first.energy_kwh == pytest.approx(0.0011)
    with pytest.raises(ValueError, match="negative"):
        evaluate(-1)
    assert evaluate.result is not first and evaluate.result.complete  # type: ignore[attr-defined]


def test_projection_inputs_without_a_total_are_noted(tmp_path: Path) -> None:
    cfg = resolve_config({"intensity_g_per_kwh": 1, "params": 1e9}, environ={}, read_file=False)
    assert cfg.projection_warning is not None and "--total-tokens or --total-steps" in cfg.projection_warning
    cfg = resolve_config({"intensity_g_per_kwh": 1, "params": 1e9, "total_steps": 10}, environ={}, read_file=False)
    assert cfg.projection_warning is not None and "need --total-tokens" in cfg.projection_warning
    cfg = resolve_config({"intensity_g_per_kwh": 1, "params": 1e9, "total_tokens": 10}, environ={}, read_file=False)
    assert cfg.projection_warning is None
    with track(intensity=1, interval_s=60, output_dir=tmp_path, progress_file=tmp_path / "p",
               sensors=counters()) as t:
        pass
    assert t.result is not None and t.result.projection is None
    assert any("--progress-file given without --total-tokens" in n for n in t.result.notes)


# --- grid basis and market-based figures (issue 10) -----------------------------------------------


def test_config_resolves_basis_and_market_factor() -> None:
    cfg = resolve_config({"region": "FR", "renewable_share": 0.5}, environ={}, read_file=False)
    # France 44.2 g/kWh lifecycle (Ember 2024); half matched: market = 0.5 × 44.2
    assert (cfg.intensity_g_per_kwh, cfg.intensity_basis) == (44.2, "lifecycle")
    assert cfg.market_intensity_g_per_kwh == pytest.approx(22.1)
    cfg = resolve_config({"region": "FR", "basis": "direct"}, environ={}, read_file=False)
    assert (cfg.intensity_g_per_kwh, cfg.intensity_basis, cfg.market_intensity_g_per_kwh) == (
        33.5, "direct_combustion", None)


@pytest.mark.parametrize("flags", [{"market_intensity": -1}, {"renewable_share": 1.2},
                                   {"market_intensity": 0, "renewable_share": 0.1},
                                   {"region": "SE3", "basis": "direct"}])
def test_config_refuses_bad_market_or_basis_input(flags) -> None:
    with pytest.raises(InputError):
        resolve_config(flags, environ={}, read_file=False)


def test_summary_carries_market_based_beside_location_based(tmp_path: Path) -> None:
    cfg = resolve_config({"intensity_g_per_kwh": 100, "market_intensity": 20,
                          "output_dir": str(tmp_path / "run")}, environ={}, read_file=False)
    with track(config=cfg, sensors=counters()) as t:
        pass
    summary = t.result
    assert summary.intensity_basis == "user_given"
    assert summary.co2e_kg == pytest.approx(summary.facility_energy_kwh * 100 / 1000)
    assert summary.market_co2e_kg == pytest.approx(summary.facility_energy_kwh * 20 / 1000)
    assert any("own basis" in note for note in summary.notes)


def test_embodied_is_charged_for_the_measured_gpu_hours_in_every_summary(tmp_path: Path) -> None:
    with track(intensity=100, interval_s=60, output_dir=tmp_path / "run", sensors=counters(), embodied=True) as t:
        provisional = load_run(t.summary_path)  # written at start: a killed tracker leaves it
        assert provisional.embodied_co2e_kg is not None and not provisional.complete
        time.sleep(0.2)
    s = t.result
    assert s is not None and s.gpu_count == 1 and s.gpu_hours > 0
    # Luccioni et al. 2022 §4.3: 462.5 kg per GPU / (6 × 8,760 h × 0.85 = 44,676 h) = 0.0103523 kg per GPU-hour
    assert s.embodied_co2e_kg == pytest.approx(s.gpu_hours * 0.0103523, rel=1e-5)
    assert s.embodied_source is not None and "applied to" not in s.embodied_source  # an A100
    assert s.co2e_kg == pytest.approx(s.facility_energy_kwh * 100 / 1000)  # embodied not added in
    assert load_run(t.summary_path) == s


def test_embodied_without_a_gpu_is_a_note_not_a_zero(tmp_path: Path) -> None:
    cpu = FakeSensor("cpu:0", "cpu", energies_j=[0.0, 360.0], name="package-0")
    with track(intensity=100, interval_s=60, output_dir=tmp_path / "run", sensors=[cpu], embodied=True) as t:
        pass
    assert t.result is not None and t.result.embodied_co2e_kg is None
    assert any(n.startswith("embodied emissions not charged: no GPU was measured") for n in t.result.notes)


def test_embodied_must_be_true_or_false() -> None:
    with pytest.raises(InputError, match="embodied must be True or False"):
        track(intensity=100, embodied="yes", sensors=[])  # type: ignore[arg-type]
    assert not track(intensity=100, sensors=[]).config.embodied  # off unless asked for
