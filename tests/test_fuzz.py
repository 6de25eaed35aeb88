"""Property-based fuzzing (hypothesis) of every subcommand and the public functions with generated
bad values and malformed files.

The properties: a command exits 0 (or the child's status) or 2 with exactly one line on stderr,
never a traceback; a function returns a result whose numbers are all finite or raises a
:class:`~carbonllm.errors.CarbonLLMError`; nothing hangs (an alarm bounds each test) and no
``inf``/``nan`` is ever printed as a result. The suite is bounded: a fixed number of examples per
property (:data:`EXAMPLES`, derandomized so CI runs the same cases), well under 2 minutes in all.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import fails_after, run_summary
from hostile import CODECARBON_HEADER, CODECARBON_ROW, ESTIMATE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbonllm
from carbonllm.errors import CarbonLLMError
from carbonllm.measure.records import summary_problem
from carbonllm.measure.runfiles import load_run
from carbonllm.quantities import parse_quantity

EXAMPLES = 200
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NON_FINITE = re.compile(r"(?<![\w.-])(inf|-inf|nan|NaN|Infinity|-Infinity)(?![\w.-])")


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    with fails_after(90, "a fuzzed call hung"):
        yield


# --- generated values -------------------------------------------------------------------------

NUMBER_TEXT = st.one_of(
    st.sampled_from(["0", "-1", "1e999", "-1e999", "nan", "inf", "-inf", "1e-320", "", " ", "7B", "1.5T", "1,2",
                     "0x10", "1e", "--1", "1__0", "١٢", "1e308", "9" * 400, "true", "None", "1/0", "½"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=12),
)
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), NUMBER_TEXT,
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                   max_size=2),
)
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


def all_finite(value: Any, seen: set[int] | None = None) -> bool:
    """Whether every float reachable in ``value`` (a model, dict, list, number) is finite."""
    seen = seen if seen is not None else set()
    if isinstance(value, float):
        return math.isfinite(value)
    if id(value) in seen or isinstance(value, (str, bytes, bool, int, type(None))):
        return True
    seen.add(id(value))
    if hasattr(value, "model_dump"):
        return all_finite(value.model_dump(), seen)
    if hasattr(value, "__dataclass_fields__"):
        return all(all_finite(getattr(value, f), seen) for f in value.__dataclass_fields__)
    if isinstance(value, dict):
        return all(all_finite(v, seen) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(all_finite(v, seen) for v in value)
    return True


def check_cli(result: Any, ok: tuple[int, ...] = (0,)) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    if result.exit_code == 2:
        # one error line; notes saying where a value came from (a config file) may precede it
        lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("carbonllm: note: ")]
        assert len(lines) == 1 and lines[0].startswith("carbonllm: error: "), result.stderr
    else:
        assert result.exit_code in ok, (result.exit_code, result.stderr)
        assert not NON_FINITE.search(result.stdout), result.stdout


# --- functions --------------------------------------------------------------------------------


@FUZZ
@given(text=st.one_of(NUMBER_TEXT, ANY_VALUE))
def test_parse_quantity(text: Any) -> None:
    try:
        value = parse_quantity(text, "x")
    except CarbonLLMError:
        return
    assert math.isfinite(value)


ESTIMATE_KEYS = ["params", "tokens", "active_params", "flops", "gpu", "devices", "dtype", "mfu", "power_w", "pue",
                 "region", "intensity", "gpu_hours", "hours", "seq_len", "flop_method", "model", "basis",
                 "market_intensity", "renewable_share"]


@FUZZ
@given(kwargs=st.dictionaries(st.sampled_from(ESTIMATE_KEYS), ANY_VALUE, max_size=5),
       base=st.sampled_from([{}, {"params": "7B", "tokens": "1T", "gpu": "H100"}, {"gpu_hours": 1000, "gpu": "A100"}]))
def test_estimate(kwargs: dict[str, Any], base: dict[str, Any]) -> None:
    try:
        result = carbonllm.estimate(**{**base, **kwargs})
    except CarbonLLMError:
        return
    assert all_finite(result)


@FUZZ
@given(kwargs=st.dictionaries(st.sampled_from(["flops", "gpu_hours", "kwh", "co2e_kg", "gpu", "mfu", "power_w", "pue",
                                               "region", "intensity", "tokens_per_param"]), ANY_VALUE, max_size=4))
def test_plan_budget(kwargs: dict[str, Any]) -> None:
    try:
        result = carbonllm.plan_budget(**{"gpu_hours": 1000, "gpu": "A100", **kwargs})
    except CarbonLLMError:
        return
    assert all_finite(result)


@FUZZ
@given(kwargs=st.dictionaries(st.sampled_from(["params", "tokens", "devices", "mfu", "power_w", "pue", "dtype"]),
                              ANY_VALUE, max_size=3))
def test_compare(kwargs: dict[str, Any]) -> None:
    try:
        result = carbonllm.compare(gpus="A100,H100", regions="FR,US", **{"params": "1B", "tokens": "20B", **kwargs})
    except CarbonLLMError:
        return
    assert all_finite(result)


TRACK_KEYS = ["region", "intensity_g_per_kwh", "pue", "interval_s", "output_dir", "gpu_ids", "total_tokens",
              "total_steps", "params", "gpu", "dtype", "progress_file", "cpu_power_w", "ram_power_w", "rapl_root"]


@FUZZ
@given(flags=st.dictionaries(st.sampled_from(TRACK_KEYS), ANY_VALUE, max_size=4),
       env=st.dictionaries(st.sampled_from(["CARBONLLM_PUE", "CARBONLLM_INTERVAL", "CARBONLLM_REGION", "LOCAL_RANK",
                                            "NODE_RANK", "SLURM_NNODES", "CARBONLLM_CPU_POWER_W", "WORLD_SIZE"]),
                           NUMBER_TEXT, max_size=2))
def test_track_configuration(flags: dict[str, Any], env: dict[str, str]) -> None:
    from carbonllm.measure.track_config import resolve_config

    try:
        config = resolve_config(flags, environ={k: v for k, v in env.items() if "\x00" not in v}, read_file=False)
    except CarbonLLMError:
        return
    assert all_finite(config)
    assert 0.05 <= config.interval_s <= 3600 and config.pue >= 1 and config.intensity_g_per_kwh >= 0


@FUZZ
@given(tokens=ANY_VALUE, steps=ANY_VALUE)
def test_tracker_progress(tokens: Any, steps: Any) -> None:
    from carbonllm.measure.sensors import FakeSensor

    with tempfile.TemporaryDirectory() as out:
        tracker = carbonllm.track(intensity=1, interval_s=60, output_dir=out,
                                  sensors=[FakeSensor(energies_j=[0.0, 1.0])])
        with tracker:
            try:
                tracker.step(tokens=tokens, steps=steps if steps is not None else 1)
            except CarbonLLMError:
                pass
        assert tracker.result is not None and all_finite(tracker.result)
        text = next(Path(out).glob("*.summary.json")).read_text()
        assert not NON_FINITE.search(text)


# --- malformed files --------------------------------------------------------------------------


def mutate(document: Any, path: list[Any], value: Any) -> Any:
    """``document`` with the item at ``path`` (keys/indices, taken modulo what exists) replaced."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return value
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)] if isinstance(path[0], int) else path[0]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = mutate(document[key] if key in keys else None, path[1:], value)  # type: ignore[index]
    return copy


PATHS = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=3)
REPLACEMENT = st.one_of(JSON_VALUE, st.sampled_from(["1e999", "-1e999", "NaN"]).map(lambda t: ("raw", t)))


def dump_with(document: Any, path: list[int], value: Any) -> str:
    if isinstance(value, tuple):  # a raw token JSON cannot express (1e999 → inf), spliced in
        marker = "__RAW__"
        return json.dumps(mutate(document, path, marker)).replace(f'"{marker}"', value[1])
    return json.dumps(mutate(document, path, value))


@FUZZ
@given(path=PATHS, value=REPLACEMENT, cut=st.one_of(st.none(), st.integers(min_value=0, max_value=3000)))
def test_malformed_run_summaries(run_cli, path: list[int], value: Any, cut: int | None) -> None:
    text = dump_with(run_summary(), path, value)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "n.summary.json"
        f.write_text(text if cut is None else text[:cut])
        try:
            summary = load_run(f)
        except CarbonLLMError as e:
            assert "\n" not in str(e)
        else:
            assert summary_problem(summary) is None and all_finite(summary)
        check_cli(run_cli("report", str(f), "--format", "json"))
        check_cli(run_cli("track", "--merge", d, "--format", "json"))


@FUZZ
@given(path=PATHS, value=REPLACEMENT)
def test_malformed_estimates(run_cli, path: list[int], value: Any) -> None:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "e.json"
        f.write_text(dump_with(ESTIMATE, path, value))
        for fmt in ("json", "model-card", "codecarbon-csv"):
            check_cli(run_cli("report", str(f), "--format", fmt))


CSV_CELL = st.one_of(st.sampled_from(["", "nan", "inf", "-1", "1e999", "0", "1", "x", '"', "1,2", "\x00"]),
                     st.text(max_size=6))


@FUZZ
@given(cells=st.lists(st.tuples(st.integers(min_value=0, max_value=9), CSV_CELL), max_size=4),
       extra_rows=st.integers(min_value=0, max_value=3))
def test_malformed_codecarbon_files(run_cli, cells: list[tuple[int, str]], extra_rows: int) -> None:
    row = CODECARBON_ROW.split(",")
    for index, cell in cells:
        row[index] = cell
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "emissions.csv"
        f.write_text(CODECARBON_HEADER + "\n" + "\n".join([",".join(row)] * (1 + extra_rows)) + "\n")
        check_cli(run_cli("report", str(f), "--format", "json"))


TOML_VALUE = st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
                       st.floats(allow_nan=True, allow_infinity=True).map(lambda x: str(x).lower()),
                       st.booleans().map(lambda b: str(b).lower()), st.text(max_size=8).map(json.dumps),
                       st.sampled_from(["[1, 2]", '["0", 1]', "{a = 1}", '"FR"', '""', "1979-05-27", "[]", "= ="]))


@FUZZ
@given(entries=st.lists(st.tuples(st.sampled_from(sorted(TRACK_KEYS) + ["intensity", "interval", "track", "bogus"]),
                                  TOML_VALUE), max_size=3),
       table=st.booleans())
def test_malformed_config_files(run_cli, entries: list[tuple[str, str]], table: bool,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as d:
        config = Path(d) / "c.toml"
        config.write_text(("[track]\n" if table else "") + "".join(f"{k} = {v}\n" for k, v in entries))
        monkeypatch.setenv("CARBONLLM_CONFIG", str(config))
        check_cli(run_cli("estimate", "--params", "1B", "--tokens", "20B", "--gpu", "A100"))
        from carbonllm.measure.track_config import resolve_config

        try:
            resolved = resolve_config({"output_dir": d}, environ={"CARBONLLM_CONFIG": str(config)})
        except CarbonLLMError:
            return
        assert all_finite(resolved)


# --- every subcommand -------------------------------------------------------------------------

SUBCOMMANDS: dict[str, tuple[list[str], list[str]]] = {
    # name: (options to fuzz, a valid base)
    "estimate": (["--params", "--tokens", "--gpu", "--devices", "--mfu", "--power-w", "--pue", "--region",
                  "--intensity", "--hours", "--gpu-hours", "--dtype", "--format", "--seq-len", "--model",
                  "--market-intensity", "--renewable-share"],
                 ["--params", "1B", "--tokens", "20B", "--gpu", "A100"]),
    "compare": (["--params", "--tokens", "--gpu", "--region", "--mfu", "--power-w", "--pue", "--devices",
                 "--market-intensity", "--renewable-share"],
                ["--params", "1B", "--tokens", "20B", "--gpu", "A100,H100", "--region", "FR"]),
    "plan": (["--flops", "--gpu-hours", "--kwh", "--co2e-kg", "--gpu", "--mfu", "--pue", "--tokens-per-param"],
             ["--gpu-hours", "1000", "--gpu", "A100"]),
    "flops": (["--model", "--seq-len", "--params", "--format"], ["--model", "llama-2-7b"]),
    "regions": (["--search", "--format", "--sort"], []),
    "hardware": (["--search", "--format"], []),
    "track": (["--region", "--intensity", "--pue", "--interval", "--gpu-ids", "--total-tokens", "--total-steps",
               "--params", "--gpu", "--dtype", "--pid", "--kill-after", "--cpu-power-w", "--ram-power-w", "--format",
               "--regoin", "--run-id"], []),
    "report": (["--format", "--training", "--plot"], []),
    "doctor": (["--gpu-ids", "--format"], []),
}


@FUZZ
@given(name=st.sampled_from(sorted(SUBCOMMANDS)), data=st.data())
def test_every_subcommand(run_cli, name: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("fuzz-cwd"))  # whatever a fuzzed --plot writes lands here
    options, base = SUBCOMMANDS[name]
    picked = data.draw(st.lists(st.tuples(st.sampled_from(options), NUMBER_TEXT), max_size=3))
    argv = [name, *base]
    for option, value in picked:
        argv += [option, value]
    if name == "track":
        out = tmp_path_factory.mktemp("fuzz-track")
        argv[1:1] = ["--output", str(out)]
        argv += ["--", "true"]
    elif name == "report":
        run = tmp_path_factory.mktemp("fuzz-report") / "n.summary.json"
        run.write_text(json.dumps(run_summary()))
        argv.insert(1, str(run))
    result = run_cli(*argv)
    check_cli(result)
