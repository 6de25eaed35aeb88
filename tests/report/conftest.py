"""The real Prometheus scraping fake DCGM exporters that the report tests share (one 35 s run)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from servers import FakeDcgmExporter, FakeGpu, Prometheus, wait_until

WINDOW_S = 32.0


@pytest.fixture(scope="session")
def dcgm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two nodes' exporters scraped every second; a window of 32 s with known energy.

    node1: gpu0 400 W; gpu1 300 W whose counter resets (a reboot) in the middle of the window.
    node2: gpu0 250 W; gpu1 200 W with no energy counter (power only) and NaN for 2 s.
    Known GPU energy over the window: (400 + 300 + 250 + 200) W × 32 s = 36,800 J.
    """
    tmp = tmp_path_factory.mktemp("prom")
    t0 = time.time()
    gpu12 = FakeGpu(1, "GPU-12", 300.0)
    gpu22 = FakeGpu(1, "GPU-22", 200.0, counter=False)
    node1 = FakeDcgmExporter("node1", [FakeGpu(0, "GPU-11", 400.0), gpu12], t0=t0)
    node2 = FakeDcgmExporter("node2", [FakeGpu(0, "GPU-21", 250.0), gpu22], t0=t0)
    (addr1, server1), (addr2, server2) = node1.serve(), node2.serve()
    prom = Prometheus(tmp, [addr1, addr2], scrape_interval="1s")
    # the window opens once Prometheus has scraped both exporters (its first scrape comes seconds
    # after it says it is ready)
    wait_until(lambda: len(prom.query("DCGM_FI_DEV_POWER_USAGE")) == 4, 30, "the first scrapes")
    start = time.time() + 2.0
    end = start + WINDOW_S
    gpu12.reset_at = start + WINDOW_S / 2
    gpu22.nan_between = (start + 10, start + 12)
    try:
        time.sleep(max(0.0, end + 2.5 - time.time()))
        yield {"url": prom.url, "start": start, "end": end, "known_j": (400 + 300 + 250 + 200) * WINDOW_S,
               "tmp": tmp, "prom": prom}
    finally:
        prom.stop()
        for server in (server1, server2):
            server.shutdown()
            server.server_close()


