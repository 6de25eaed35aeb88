"""On a machine with an NVIDIA GPU: measure a real matmul workload with both NVML methods.

Skipped unless NVML finds a GPU and torch with CUDA is installed. The energy counter and the
integration of power samples (every 0.1 s) over the same ~15 s must agree within a few percent.
"""

from __future__ import annotations

import time

import pytest

from carbonllm.errors import MeasurementError
from carbonllm.measure.sampler import Sampler

pytestmark = pytest.mark.gpu


@pytest.fixture
def gpu():
    from carbonllm.measure import nvml

    try:
        gpus = nvml.open_gpus(("0",), None)
    except MeasurementError as e:
        pytest.skip(f"no NVIDIA GPU visible to NVML: {e}")
    yield gpus
    gpus.close()


class PowerOnly:
    """The same GPU read through power samples only (the fall-back path)."""

    def __init__(self, sensor) -> None:
        self.sensor = sensor
        self.device, self.component, self.name = "gpu:0-power", "gpu", sensor.name
        self.method, self.energy_range_j = "nvml-power-integration", None

    def read_energy_j(self):
        return None

    def read_power_w(self):
        return self.sensor.read_power_w()

    def close(self) -> None:
        pass


def test_counter_and_power_integration_agree_on_a_matmul_workload(gpu) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA")
    sensor = gpu.sensors[0]
    if not sensor.has_counter:
        pytest.skip(f"{sensor.name} has no energy counter")
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    sampler = Sampler([sensor, PowerOnly(sensor)], 0.1)
    sampler.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for _ in range(20):
            a = (a @ a).clamp_(-1, 1)
        torch.cuda.synchronize()
    time.sleep(1.0)  # idle tail: both methods see the ramp down
    final = sampler.stop()
    counter_j, power_j = (d.energy_j for d in final.devices)
    print(f"{sensor.name}: counter {counter_j:.0f} J, power integration {power_j:.0f} J, "
          f"mean {counter_j / final.elapsed_s:.0f} W over {final.elapsed_s:.1f} s")
    assert counter_j > 50 * final.elapsed_s  # a busy GPU draws well over 50 W
    assert power_j == pytest.approx(counter_j, rel=0.05)
