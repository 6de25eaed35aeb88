"""GPU energy from DCGM exporter metrics in Prometheus (``report --prometheus``).

The arithmetic is checked on hand-built series; the whole path on a real Prometheus scraping a
fake DCGM exporter (tests/servers.py) for more than 30 s, with a counter reset and NaN samples.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from servers import free_port

from carbonllm.errors import InputError
from carbonllm.report.prometheus import Series, finish, host_matcher, parse_time, selector

# --- arithmetic on hand-built series -------------------------------------------------------


def counter(samples: list[tuple[float, float]]) -> Series:
    s = Series(host="n1", gpu="0", uuid="GPU-1", model="H100", counter=True)
    for t, mj in samples:
        s.add(t, mj)
    return s


def test_counter_increase_with_a_reset_is_filled_at_the_mean_power() -> None:
    # 100 W = 100,000 mJ/s, sampled every 10 s from t=0 to t=60 over the window [0, 60];
    # the counter resets at t=35 (between the samples at 30 and 40): after it, it reads 5 s × 100 W.
    values = [(0, 1e6), (10, 2e6), (20, 3e6), (30, 4e6), (40, 0.5e6), (50, 1.5e6), (60, 2.5e6)]
    g = finish(counter(values), 0.0, 60.0)
    # counted: 3 × 1000 J before, 500 J after the reset, 2 × 1000 J after = 5,500 J;
    # filled: the 5 s before the reset at the mean power 100 W = 500 J → 6,000 J = 100 W × 60 s.
    assert g.method == "dcgm-counter" and g.resets == 1
    assert g.filled_j == pytest.approx(500.0)
    assert g.energy_j == pytest.approx(6000.0)
    assert g.gaps == 0


def test_window_edges_are_extended_like_prometheus_increase() -> None:
    # samples at 5, 15, …, 55 in the window [0, 60]: 5 s short at each edge (< 1.1 intervals) →
    # extended at the mean power 100 W: 500 J counted + 2 × 500 J filled = 100 W × 60 s.
    g = finish(counter([(t, 1e6 + 1e5 * t) for t in range(5, 60, 10)]), 0.0, 60.0)
    assert g.energy_j == pytest.approx(6000.0)
    # a series that starts 30 s into the window (3 intervals) gets half an interval, not 30 s
    assert g.covered_s == pytest.approx(60.0)
    late = finish(counter([(t, 1e5 * t) for t in range(30, 61, 10)]), 0.0, 60.0)
    assert late.energy_j == pytest.approx(3000.0 + 500.0)
    assert late.covered_s == pytest.approx(35.0)  # 30 s of samples + half an interval: its GPU-hours


def test_missed_scrapes_are_counted_and_what_they_could_hide_is_bounded() -> None:
    times = [0, 10, 20, 50, 60]  # two scrapes missing between 20 and 50
    g = finish(counter([(t, 1e5 * t) for t in times]), 0.0, 60.0)
    assert g.energy_j == pytest.approx(6000.0)  # the counter counts through the gap
    assert (g.gaps, g.missed_scrapes, g.gap_s) == (1, 2, 20.0)
    assert g.at_risk_j == pytest.approx(20.0 * 100.0)  # a reset inside the gap: up to 20 s × 100 W


def test_power_integration_skips_nan_and_draws_a_line_across() -> None:
    s = Series(host="n1", gpu="1", uuid="GPU-2", model="H100", counter=False)
    for t, w in [(0, 200.0), (10, 200.0), (20, math.nan), (30, 200.0), (40, 200.0)]:
        s.add(t, w)
    g = finish(s, 0.0, 40.0)
    assert g.method == "dcgm-power-integration" and g.bad_samples == 1
    assert g.energy_j == pytest.approx(8000.0)  # 200 W × 40 s


def test_one_gpu_under_two_label_sets_is_one_series() -> None:
    from carbonllm.report.prometheus import read_series

    class Client:  # a pod change half-way: the same GPU, two series, listed newest first
        def query(self, promql: str, at_unix: float) -> list[dict[str, Any]]:
            labels = {"Hostname": "n1", "UUID": "GPU-1", "gpu": "0", "modelName": "H100"}
            return [{"metric": {**labels, "pod": "b"}, "values": [[t, str(1e5 * t)] for t in (40, 50, 60)]},
                    {"metric": {**labels, "pod": "a"}, "values": [[t, str(1e5 * t)] for t in (0, 10, 20, 30)]}]

    found, _ = read_series(Client(), "M", "", 0.0, 60.0, counter=True)  # type: ignore[arg-type]
    (series,) = found.values()
    assert series.samples == 7 and finish(series, 0.0, 60.0).energy_j == pytest.approx(6000.0)  # 100 W × 60 s


def test_times_and_selectors() -> None:
    assert parse_time("2026-12-01T00:00:00Z", "--start") == 1796083200.0  # date -d 2026-12-01Z +%s
    assert parse_time("1796083200", "--start") == 1796083200.0
    with pytest.raises(InputError, match="no time zone"):
        parse_time("2026-12-01T00:00:00", "--start")
    with pytest.raises(InputError, match="is not a time"):
        parse_time("yesterday", "--start")
    assert selector('{Hostname=~"node[0-9]+"}', "dcgm") == 'Hostname=~"node[0-9]+", job="dcgm"'
    with pytest.raises(InputError, match="braces"):
        selector("Hostname=node1", None)
    assert host_matcher(["node01", "a.b"]) == 'Hostname=~"node01|a\\\\.b"'


# --- a real Prometheus scraping a fake DCGM exporter ---------------------------------------

WINDOW_S = 32.0  # the dcgm fixture's window (tests/report/conftest.py)


def test_recovers_the_known_energy_within_1_percent(dcgm: dict[str, Any]) -> None:
    from carbonllm.report.prometheus import read_dcgm

    reading = read_dcgm(dcgm["url"], dcgm["start"], dcgm["end"])
    by_gpu = {(g.host, g.gpu): g for g in reading.gpus}
    assert sorted(by_gpu) == [("node1", "0"), ("node1", "1"), ("node2", "0"), ("node2", "1")]
    for (host, gpu), power_w in {("node1", "0"): 400, ("node1", "1"): 300, ("node2", "0"): 250,
                                 ("node2", "1"): 200}.items():
        assert by_gpu[host, gpu].energy_j == pytest.approx(power_w * WINDOW_S, rel=0.01), (host, gpu)
    assert by_gpu["node1", "1"].resets == 1
    assert by_gpu["node2", "1"].method == "dcgm-power-integration" and by_gpu["node2", "1"].bad_samples >= 1
    assert by_gpu["node1", "0"].method == "dcgm-counter"
    assert reading.energy_j == pytest.approx(dcgm["known_j"], rel=0.01)
    assert any("counter resets" in n for n in reading.notes)


def test_model_card_and_saved_summary_from_prometheus(dcgm: dict[str, Any], run_cli: Any, tmp_path: Path) -> None:
    args = ["report", "--prometheus", dcgm["url"], "--start", f"{dcgm['start']:.3f}", "--end", f"{dcgm['end']:.3f}",
            "--match", '{Hostname=~"node[0-9]+"}', "--job", "dcgm", "--intensity", "100", "--pue", "1"]
    card = run_cli(*args, "--format", "model-card", "--save", str(tmp_path))
    assert card.exit_code == 0, card.stderr
    meta = yaml.safe_load(card.stdout)["co2_eq_emissions"]
    emissions_g = meta["emissions"]
    assert "measured by NVIDIA DCGM via Prometheus" in meta["source"]
    # 36,800 J / 3.6e6 J/kWh × PUE 1 × 100 g/kWh = 1.0222 g
    assert emissions_g == pytest.approx(36800 / 3.6e6 * 100, rel=0.01)
    saved = list(tmp_path.glob("*.summary.json"))
    assert len(saved) == 1
    summary = json.loads(saved[0].read_text())
    assert summary["format"] == "carbonllm.run/1" and summary["node_count"] == 2 and summary["gpu_count"] == 4
    assert summary["gpu_hours"] == pytest.approx(4 * 32 / 3600, rel=0.01)  # 4 GPUs seen through the 32 s window
    assert {d["method"] for d in summary["devices"]} == {"dcgm-counter", "dcgm-power-integration"}
    assert any(n.startswith("query: DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{") for n in summary["notes"])
    merged = run_cli("track", "--merge", str(tmp_path), "--format", "json")
    assert merged.exit_code == 0, merged.stderr
    assert json.loads(merged.stdout)["energy_kwh"] == pytest.approx(36800 / 3.6e6, rel=0.01)
    again = run_cli(*args, "--save", str(saved[0]))  # never over another run
    assert again.exit_code == 2 and "exists" in again.stderr


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--match", '{Hostname="nowhere"}'], "no data"),
    (["--match", '{Hostname=~"("}'], "answered HTTP 400"),
    (["--job", "other"], "no data"),
])
def test_bad_queries_are_one_line(dcgm: dict[str, Any], run_cli: Any, extra: list[str], fragment: str) -> None:
    result = run_cli("report", "--prometheus", dcgm["url"], "--start", f"{dcgm['start']:.3f}", "--end",
                     f"{dcgm['end']:.3f}", *extra)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr


def test_a_window_without_data_is_one_line(dcgm: dict[str, Any], run_cli: Any) -> None:
    result = run_cli("report", "--prometheus", dcgm["url"], "--start", "2020-01-01T00:00:00Z",
                     "--end", "2020-01-01T01:00:00Z")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "no data" in result.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (["--prometheus", "http://127.0.0.1:{port}", "--start", "1700000000", "--end", "1700000100"], "cannot reach"),
    (["--prometheus", "http://127.0.0.1:{web}", "--start", "1700000000", "--end", "1700000100"],
     "answered HTTP 501"),
    (["--prometheus", "prom:9090", "--start", "1700000000"], "http:// or https://"),
    (["--prometheus", "http://127.0.0.1:{port}"], "needs --start"),
    (["--prometheus", "http://127.0.0.1:{port}", "--start", "1700000100", "--end", "1700000000"], "after --start"),
    (["--start", "1700000000"], "go with --prometheus"),
    ([], "give INPUT"),
])
def test_bad_input_without_a_server(run_cli: Any, args: list[str], fragment: str) -> None:
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    port = free_port()  # nothing listens there
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    web = HTTPServer(("127.0.0.1", 0), Quiet)  # a web server that is not Prometheus
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_cli("report", *[a.format(port=port, web=web.server_address[1]) for a in args])
    finally:
        web.shutdown()
        web.server_close()
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr


def test_a_window_up_to_now_is_marked_incomplete(dcgm: dict[str, Any], run_cli: Any) -> None:
    result = run_cli("report", "--prometheus", dcgm["url"], "--start", f"{dcgm['start']:.3f}", "--intensity", "1",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["complete"] is False  # the job may still be running: figures up to now
    assert data["it_energy_kwh"] > dcgm["known_j"] / 3.6e6 * 0.99  # at least the closed window's energy
