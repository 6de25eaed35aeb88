"""docs/grafana-dashboard.json: the fields Grafana's dashboard model needs, panels that fit the
24-column grid without overlapping, and queries that name only metrics carbonllm exports and
that a real Prometheus accepts."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from servers import Prometheus, http_get

from carbonllm.measure.metrics import RunCollector
from carbonllm.measure.sampler import DeviceReading, Snapshot
from carbonllm.measure.track_config import resolve_config

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
VARIABLES = {"$run_id": ".*", "$node": ".*", "$__range": "1h", "${datasource}": "prometheus"}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def exported_names() -> set[str]:
    config = resolve_config({"intensity_g_per_kwh": 100}, environ={}, read_file=False)
    collector = RunCollector(config, "run-1", "host-node0")
    collector.update(Snapshot(time_unix=0, elapsed_s=1, devices=(DeviceReading(
        device="gpu:0", component="gpu", name="GPU", method="fake", energy_j=1.0, power_w=1.0, samples=1,
        errors=()),)))
    return {sample.name for family in collector.collect() for sample in family.samples}


def targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in dashboard["panels"] for t in p["targets"]]


def test_dashboard_model_fields(dashboard: dict[str, Any]) -> None:
    assert isinstance(dashboard["title"], str) and dashboard["title"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dashboard["uid"])  # Grafana's uid limit
    assert isinstance(dashboard["schemaVersion"], int)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        assert panel["type"] in {"timeseries", "stat", "table", "bargauge"}
        assert panel["datasource"]["uid"] == "${datasource}"
        g = panel["gridPos"]
        assert all(isinstance(g[k], int) for k in "xywh") and 0 <= g["x"] and g["x"] + g["w"] <= 24
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not mine & cells, f"panel {panel['id']} overlaps another"
        cells |= mine
        assert panel["targets"] and all(t["refId"] and t["expr"] for t in panel["targets"])


def test_queries_name_only_exported_metrics(dashboard: dict[str, Any]) -> None:
    exported = exported_names()
    assert exported == {"carbonllm_energy_joules_total", "carbonllm_power_watts", "carbonllm_co2e_grams_total",
                        "carbonllm_run_info"}
    used = {name for t in targets(dashboard) for name in re.findall(r"\bcarbonllm_\w+", t["expr"])}
    assert used == exported  # every metric shown, none invented
    titles = " ".join(p["title"] for p in dashboard["panels"])
    assert "per node" in titles and "per run" in titles and "CO2e" in titles and "Power" in titles


def test_a_real_prometheus_accepts_every_query(dashboard: dict[str, Any], tmp_path: Path) -> None:
    prom = Prometheus(tmp_path, [], scrape_interval="15s")
    try:
        for t in targets(dashboard):
            expr = t["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            answer = json.loads(http_get(f"{prom.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
            assert answer["status"] == "success", (t["expr"], answer)
    finally:
        prom.stop()
