"""A corpus of hostile input files, generated into a directory (never committed as blobs).

Each entry is a file (or a FIFO, a device link, a directory) that a carbonllm reader must refuse
with one line naming it, or read while skipping what is bad, and never hang on, crash on or turn
into a non-finite number. ``from hostile import make_corpus`` (tests/ is on the import path).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from helpers import run_summary

#: An estimate as ``carbonllm estimate --format json`` prints it (the fields report reads).
ESTIMATE: dict[str, Any] = {
    "method": "estimated", "carbonllm_version": "0.1.0", "energy_kwh": 100.0, "co2e_kg": 10.0,
    "device_hours": 50.0, "wall_clock_hours": 6.25, "devices": 8, "intensity_g_per_kwh": 100.0,
    "assumptions": {"gpu": "NVIDIA A100 SXM4 80GB", "pue": 1.2, "power_w": 400, "region": "FR",
                    "power_source": "TDP", "pue_source": "default", "flop_method": "6nd"},
    "flops": 1e21,
}

CODECARBON_HEADER = "timestamp,run_id,duration,emissions,energy_consumed,cpu_energy,gpu_energy,ram_energy,gpu_count,pue"
CODECARBON_ROW = "2025-01-01T00:00:00,r1,3600,0.5,2.0,0.5,1.2,0.3,1,1.0"


def _summary(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(run_summary())
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value
    return data


def _bad_summaries() -> dict[str, str]:
    """Run summaries with one impossible value each (JSON text, so ``1e999`` stays as written)."""
    projection = {"unit": "tokens", "done": 10.0, "total": 100.0, "fraction_done": 0.1, "nodes": 1,
                  "node_share": 0.0, "measured_duration_s": 1.0, "measured_energy_kwh": 1.0,
                  "projected_duration_s": 10.0, "projected_energy_kwh": 10.0, "projected_facility_energy_kwh": 12.0,
                  "projected_co2e_kg": 1.0, "projected_gpu_hours": 1.0}
    texts = {
        "node-share-zero": json.dumps(_summary(projection=projection)),
        "bad-started-at": json.dumps(_summary(started_at="yesterday")),
        "negative-energy": json.dumps(_summary(energy_kwh=-5.0)),
        "negative-device-energy": json.dumps(_summary(devices__0__energy_kwh=-1.0)),
        "pue-zero": json.dumps(_summary(pue=0)),
        "node-count-zero": json.dumps(_summary(node_count=0)),
        "gpu-count-negative": json.dumps(_summary(gpu_count=-2)),
        "energy-type": json.dumps(_summary(energy_kwh="lots")),
        "devices-not-a-list": json.dumps(_summary(devices={"a": 1})),
    }
    good = json.dumps(run_summary())
    texts["infinite-co2e"] = good.replace('"co2e_kg": 0.12', '"co2e_kg": 1e999')
    texts["nan-literal"] = good.replace('"co2e_kg": 0.12', '"co2e_kg": NaN')
    texts["infinite-gpu-count"] = good.replace('"gpu_count": 2', '"gpu_count": 1e999')
    return texts


def make_corpus(directory: Path) -> dict[str, Path]:
    """Write the corpus into ``directory``; name → path. Summaries end in ``.summary.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> None:
        path = directory / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        files[name] = path

    fifo = directory / "fifo.summary.json"
    os.mkfifo(fifo)
    files["fifo.summary.json"] = fifo
    zero = directory / "dev-zero.summary.json"
    zero.symlink_to("/dev/zero")
    files["dev-zero.summary.json"] = zero
    (directory / "a-directory.summary.json").mkdir()
    files["a-directory.summary.json"] = directory / "a-directory.summary.json"
    sparse = directory / "huge.summary.json"
    with sparse.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # 200 MiB of holes: over every bound, costs no disk
    files["huge.summary.json"] = sparse
    put("binary.summary.json", bytes(range(256)) * 16)
    put("empty.summary.json", "")
    put("utf16.summary.json", json.dumps(run_summary()).encode("utf-16"))
    put("deep.summary.json", "[" * 100_000 + "]" * 100_000)
    put("deep-object.summary.json", '{"format": "carbonllm.run/1", "x": ' + '{"a": ' * 5000 + "1" + "}" * 5001)
    put("truncated.summary.json", json.dumps(run_summary())[:300])
    for name, text in _bad_summaries().items():
        put(f"{name}.summary.json", text)

    estimate = json.dumps(ESTIMATE)
    put("estimate-inf.json", estimate.replace('"co2e_kg": 10.0', '"co2e_kg": 1e999'))
    put("estimate-negative.json", estimate.replace('"energy_kwh": 100.0', '"energy_kwh": -100.0'))
    put("estimate-pue-zero.json", estimate.replace('"pue": 1.2', '"pue": 0'))
    put("estimate-devices-text.json", estimate.replace('"devices": 8', '"devices": "eight"'))
    put("estimate-devices-inf.json", estimate.replace('"devices": 8', '"devices": 1e999'))
    put("estimate-gpu-number.json", estimate.replace('"gpu": "NVIDIA A100 SXM4 80GB"', '"gpu": 5'))

    def csv_with(row: str) -> str:
        return CODECARBON_HEADER + "\n" + row + "\n"

    put("cc-inf.csv", csv_with(CODECARBON_ROW.replace(",0.5,2.0,", ",inf,2.0,")))
    put("cc-negative.csv", csv_with(CODECARBON_ROW.replace(",0.5,2.0,", ",0.5,-2.0,")))
    put("cc-pue-zero.csv", csv_with(CODECARBON_ROW[: -len("1.0")] + "0"))
    put("cc-gpu-count-inf.csv", csv_with(CODECARBON_ROW.replace(",1,1.0", ",1e999,1.0")))
    put("cc-huge-field.csv", csv_with(CODECARBON_ROW.replace("r1", "r" * 300_000)))
    put("cc-nul.csv", csv_with(CODECARBON_ROW.replace("r1", "r\x001")))
    return files


def good_summary_text() -> str:
    return json.dumps(run_summary())


__all__ = ["CODECARBON_HEADER", "CODECARBON_ROW", "ESTIMATE", "good_summary_text", "make_corpus"]
