"""The sampler's arithmetic, driven by hand with a fake clock and fake sensors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from carbonllm.errors import DeviceUnavailableError, InputError
from carbonllm.measure.sampler import JsonlSink, Sampler
from carbonllm.measure.sensors import FakeSensor


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def run(sampler: Sampler, clock: Clock, times: list[float]):
    snaps = []
    for t in times:
        clock.t = t
        snaps.append(sampler.sample_now())
    return snaps


def by_device(snapshot):
    return {d.device: d for d in snapshot.devices}


def test_counter_deltas_and_trapezoid_hand_computed() -> None:
    clock = Clock()
    counter = FakeSensor("gpu:0", energies_j=[1000.0, 1300.0, 1900.0])  # counter starts anywhere
    power = FakeSensor("gpu:1", powers_w=[100.0, 200.0, 200.0])
    sampler = Sampler([counter, power], 1.0, clock=clock, wall_clock=lambda: 1e9 + clock.t)
    last = run(sampler, clock, [0.0, 2.0, 4.0])[-1]
    d = by_device(last)
    # counter: (1300 - 1000) + (1900 - 1300) = 900 J
    assert d["gpu:0"].energy_j == pytest.approx(900.0)
    assert d["gpu:0"].power_w == pytest.approx(300.0)  # 600 J over 2 s, derived from the delta
    # trapezoid: (100 + 200)/2 × 2 s + (200 + 200)/2 × 2 s = 300 + 400 = 700 J
    assert d["gpu:1"].energy_j == pytest.approx(700.0)
    assert last.energy_j == pytest.approx(1600.0)
    assert last.elapsed_s == 4.0
    assert d["gpu:0"].samples == 3 and d["gpu:0"].method == "fake"


def test_counter_wrap_around_adds_the_range() -> None:
    clock = Clock()
    # RAPL-like: wraps at 1000 J. 900 → 950 (+50) → 30 (+80 across the wrap) → 130 (+100)
    s = FakeSensor("cpu:0", "cpu", energies_j=[900.0, 950.0, 30.0, 130.0], energy_range_j=1000.0)
    sampler = Sampler([s], 1.0, clock=clock)
    last = run(sampler, clock, [0, 1, 2, 3])[-1]
    assert by_device(last)["cpu:0"].energy_j == pytest.approx(230.0)
    assert by_device(last)["cpu:0"].errors == ()


def test_counter_going_back_without_range_is_recorded() -> None:
    clock = Clock()
    s = FakeSensor("gpu:0", energies_j=[500.0, 600.0, 10.0, 60.0])  # driver reload resets the counter
    sampler = Sampler([s], 1.0, clock=clock)
    last = run(sampler, clock, [0, 1, 2, 3])[-1]
    d = by_device(last)["gpu:0"]
    assert d.energy_j == pytest.approx(150.0)  # 100 before the reset + 50 after it
    assert any("backwards" in e for e in d.errors)


def test_device_failing_mid_run_is_recorded_and_the_rest_keep_measuring(tmp_path: Path) -> None:
    clock = Clock()
    flaky = FakeSensor("gpu:0", energies_j=[0.0, 100.0, DeviceUnavailableError("GPU fell off the bus"),
                                            DeviceUnavailableError("GPU fell off the bus"), 400.0])
    steady = FakeSensor("gpu:1", energies_j=[0.0, 50.0, 100.0, 150.0, 200.0])
    path = tmp_path / "s.jsonl"
    sampler = Sampler([flaky, steady], 1.0, sink=JsonlSink(path), clock=clock)
    last = run(sampler, clock, [0, 1, 2, 3, 4])[-1]
    d = by_device(last)
    assert d["gpu:0"].energy_j == pytest.approx(400.0)  # the counter covers the gap exactly
    assert d["gpu:0"].errors == ("GPU fell off the bus",)  # recorded once
    assert d["gpu:0"].samples == 3
    assert d["gpu:1"].energy_j == pytest.approx(200.0)
    sampler.stop()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 12  # 5 samples + the final one, × 2 devices
    errors = [r for r in lines if r["error"]]
    assert [(r["device"], r["elapsed_s"]) for r in errors] == [("gpu:0", 2), ("gpu:0", 3)]
    assert errors[0]["energy_j"] == 100.0  # the last good total


def test_sample_records_have_the_documented_fields(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "s.jsonl"
    sampler = Sampler([FakeSensor("ram", "ram", energies_j=[0.0, 5.0])], 1.0, sink=JsonlSink(path), clock=clock,
                      wall_clock=lambda: 1700000000.0 + clock.t)
    run(sampler, clock, [0.0, 1.5])
    sampler.stop()
    record = json.loads(path.read_text().splitlines()[1])
    assert record == {"time_unix": 1700000001.5, "elapsed_s": 1.5, "device": "ram", "component": "ram",
                      "energy_j": 5.0, "power_w": pytest.approx(5.0 / 1.5), "method": "fake", "error": None}


def test_background_thread_samples_at_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    seen = []
    sampler = Sampler([FakeSensor(powers_w=[100.0])], 0.05, sink=JsonlSink(path), on_sample=seen.append)
    first = sampler.start()
    assert first.elapsed_s == 0.0 and path.read_text().count("\n") == 1  # the baseline is on disk at once
    time.sleep(0.4)
    final = sampler.stop()
    assert 5 <= len(seen) <= 12
    # constant 100 W over the run: trapezoid is exact
    assert final.devices[0].energy_j == pytest.approx(100.0 * final.elapsed_s, rel=1e-9)


@pytest.mark.parametrize("interval", [0.0, -1.0])
def test_interval_must_be_positive(interval: float) -> None:
    with pytest.raises(InputError, match="--interval"):
        Sampler([], interval)


def test_unwritable_samples_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write samples"):
        JsonlSink(tmp_path / "missing-dir" / "s.jsonl")


class LoadingModels:
    """Stands in for ``CodecarbonModels``: codecarbon "loads" until ``loaded`` is set; then the RAM
    model says 20 W. ``wait()`` blocks like the real one."""

    def __init__(self, loaded: bool = False) -> None:
        self.loaded = threading.Event()
        if loaded:
            self.loaded.set()

    @property
    def ready(self) -> bool:
        return self.loaded.is_set()

    def wait(self) -> None:
        self.loaded.wait()

    def ram(self):
        from carbonllm.measure.modelled import RamModelInfo

        self.loaded.wait()
        return RamModelInfo(memory_gb=24.0, power_w=20.0)


def test_a_settled_sample_is_exact_as_of_its_own_time_while_a_model_loads(tmp_path: Path) -> None:
    """Periodic samples do not wait for codecarbon (the RAM model answers with its last counter);
    a settled sample waits, then counts the energy up to the moment it was taken, not later."""
    from carbonllm.measure.modelled import RamModelSensor

    clock = Clock()
    models = LoadingModels()
    ram = RamModelSensor(models, clock=clock)  # type: ignore[arg-type]
    path = tmp_path / "s.jsonl"
    sampler = Sampler([ram], 1.0, sink=JsonlSink(path), clock=clock)
    assert by_device(run(sampler, clock, [0.0, 1.0])[-1])["ram"].energy_j == 0.0  # loading: provisional
    assert ram.pending
    clock.t = 2.0

    def codecarbon_finishes() -> None:  # later, at t = 9 s
        clock.t = 9.0
        models.loaded.set()

    timer = threading.Timer(0.05, codecarbon_finishes)
    timer.start()
    settled = sampler.sample_now(settle=True)
    timer.join()
    d = by_device(settled)["ram"]
    assert settled.elapsed_s == 2.0  # the sample keeps its time
    assert d.energy_j == pytest.approx(20.0 * 2.0)  # 20 W × 2 s, not × 9 s
    assert d.power_w == pytest.approx(20.0) and not ram.pending
    clock.t = 3.0
    assert by_device(sampler.sample_now())["ram"].energy_j == pytest.approx(20.0 * 3.0)
    sampler.stop()
    last_line = json.loads(path.read_text().splitlines()[-3])  # the settled sample's line
    assert last_line["elapsed_s"] == 2.0 and last_line["energy_j"] == pytest.approx(40.0)
