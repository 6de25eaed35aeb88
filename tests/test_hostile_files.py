"""Every reader against the hostile-file corpus (tests/hostile.py, generated per test session):
exit 2 and one line naming the file, or a carbonllm error — never a traceback, a hang or a
non-finite number. A directory with one bad node file still reports the good ones.

Hangs are caught by an alarm: a reader that blocks (a FIFO) or reads without bound (/dev/zero)
fails the test after a few seconds instead of hanging the suite.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fails_after
from hostile import CODECARBON_HEADER, CODECARBON_ROW, make_corpus

from carbonllm.errors import CarbonLLMError
from carbonllm.measure.runfiles import load_run, load_samples, merge_runs
from carbonllm.report.inputs import load_report

SUMMARY_CASES = [
    "fifo", "dev-zero", "a-directory", "huge", "binary", "empty", "utf16", "deep", "deep-object", "truncated",
    "node-share-zero", "bad-started-at", "negative-energy", "negative-device-energy", "pue-zero", "node-count-zero",
    "gpu-count-negative", "energy-type", "devices-not-a-list", "infinite-co2e", "nan-literal", "infinite-gpu-count",
]
OTHER_CASES = ["estimate-inf.json", "estimate-negative.json", "estimate-pue-zero.json", "estimate-devices-text.json",
               "estimate-devices-inf.json", "estimate-gpu-number.json", "cc-inf.csv", "cc-negative.csv",
               "cc-pue-zero.csv", "cc-gpu-count-inf.csv", "cc-huge-field.csv"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    with fails_after(10, "the reader hung"):
        yield


def assert_one_line(result, *names: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("carbonllm: error: ")
    assert "Traceback" not in result.stderr
    assert any(name in lines[0] for name in names), lines[0]


def no_non_finite(text: str) -> None:
    def check(value: object) -> None:
        if isinstance(value, float):
            assert math.isfinite(value)
        elif isinstance(value, dict):
            for v in value.values():
                check(v)
        elif isinstance(value, list):
            for v in value:
                check(v)

    check(json.loads(text, parse_constant=lambda name: float(name)))


@pytest.mark.parametrize("case", SUMMARY_CASES)
def test_report_refuses_a_hostile_summary_in_one_line(run_cli, corpus: dict[str, Path], case: str) -> None:
    path = corpus[f"{case}.summary.json"]
    assert_one_line(run_cli("report", str(path), "--format", "json"), path.name)


@pytest.mark.parametrize("case", SUMMARY_CASES)
def test_load_run_raises_a_carbonllm_error(corpus: dict[str, Path], case: str) -> None:
    with pytest.raises(CarbonLLMError) as e:
        load_run(corpus[f"{case}.summary.json"])
    assert "\n" not in str(e.value) and f"{case}.summary.json" in str(e.value)


@pytest.mark.parametrize("case", OTHER_CASES)
def test_report_refuses_a_hostile_estimate_or_codecarbon_file(run_cli, corpus: dict[str, Path], case: str) -> None:
    path = corpus[case]
    result = run_cli("report", str(path), "--format", "json")
    assert_one_line(result, path.name, "codecarbon file line")


def test_a_nul_byte_in_a_codecarbon_file_is_read_or_refused_cleanly(run_cli, corpus: dict[str, Path]) -> None:
    result = run_cli("report", str(corpus["cc-nul.csv"]), "--format", "json")
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr
    if result.exit_code == 0:
        no_non_finite(result.stdout)
        assert json.loads(result.stdout)["co2e_kg"] == pytest.approx(0.5)


@pytest.mark.parametrize("case", ["fifo", "dev-zero", "binary", "deep", "nan-literal", "node-share-zero"])
def test_a_run_directory_with_one_bad_node_reports_the_good_one(run_cli, tmp_path: Path, corpus: dict[str, Path],
                                                                case: str) -> None:
    from helpers import run_summary

    run = tmp_path / "run"
    run.mkdir()
    (run / "good-node0.summary.json").write_text(json.dumps(run_summary()))
    bad = corpus[f"{case}.summary.json"]
    (run / "bad-node1.summary.json").symlink_to(bad)
    result = run_cli("report", str(run), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["co2e_kg"] == pytest.approx(0.12)  # the good node's, hand figure in helpers
    assert "skipped bad-node1.summary.json" in result.stderr
    no_non_finite(result.stdout)
    merged = merge_runs(run)
    assert merged.co2e_kg == pytest.approx(0.12)
    assert any(n.startswith("skipped bad-node1.summary.json") for n in merged.notes)


def test_merge_refuses_a_directory_of_only_bad_files(run_cli, tmp_path: Path, corpus: dict[str, Path]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for case in ("binary", "infinite-co2e"):
        shutil.copy(corpus[f"{case}.summary.json"], run / f"{case}.summary.json")
    assert_one_line(run_cli("track", "--merge", str(run)), "no readable run summary")


@pytest.mark.parametrize("case", ["fifo", "dev-zero", "a-directory"])
def test_samples_readers_refuse_what_is_not_a_regular_file(corpus: dict[str, Path], case: str) -> None:
    with pytest.raises(CarbonLLMError, match="samples file"):
        load_samples(corpus[f"{case}.summary.json"])


def test_samples_with_hostile_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    good = {"time_unix": 1.0, "elapsed_s": 0.0, "device": "gpu:0", "energy_j": 5.0, "power_w": 100.0}
    lines = [json.dumps(good), '{"device": "gpu:0", "energy_j": 1e999}', '{"device": "gpu:0", "energy_j": NaN}',
             "[" * 50_000, '{"device": 5, "energy_j": 1}', '{"device": "gpu:0", "energy_j": true}',
             "x" * (2 * 1024 * 1024), json.dumps({**good, "energy_j": 6.0})]
    path = tmp_path / "s.samples.jsonl"
    path.write_text("\n".join(lines) + "\n")
    records, skipped = load_samples(path)
    assert [r["energy_j"] for r in records] == [5.0, 6.0]
    assert skipped == 6


def test_the_codecarbon_reader_is_linear(tmp_path: Path) -> None:
    """200,000 rows with distinct run ids read in a few seconds (a quadratic reader took 11 s for
    40,000): the time is bounded by the alarm, not asserted as a speed."""
    rows = [CODECARBON_ROW.replace("r1", f"run-{i}") for i in range(200_000)]
    path = tmp_path / "big.csv"
    path.write_text(CODECARBON_HEADER + "\n" + "\n".join(rows) + "\n")
    data = load_report(path).data
    assert data.records == 200_000
    assert data.co2e_kg == pytest.approx(0.5 * 200_000)
    assert len(data.run_id or "") < 200  # the ids are summarised, not all printed


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('track = "FR"\n', "track must be a [track] table"),
        ("output_dir = 5\n", "output_dir must be a string"),
        ("region = 123\n", "region must be a string"),
        ("pue = true\n", "pue must be a number"),
        ('region = ""\n', "region is empty"),
        ("[track]\ninterval = [1, 2]\n", "interval must be a number"),
        ("pue = \n", "cannot read config file"),
    ],
)
def test_config_file_types_are_checked(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str,
                                       expected: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(toml)
    monkeypatch.setenv("CARBONLLM_CONFIG", str(config))
    for argv in (["track", "--output", str(tmp_path / "o"), "--", "true"], ["estimate", "--params", "1e9",
                                                                          "--tokens", "1e10", "--gpu", "A100"]):
        result = run_cli(*argv)
        assert_one_line(result, expected)


@pytest.mark.parametrize("case", ["fifo", "dev-zero"])
def test_a_config_file_that_is_not_a_regular_file(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  corpus: dict[str, Path], case: str) -> None:
    monkeypatch.setenv("CARBONLLM_CONFIG", str(corpus[f"{case}.summary.json"]))
    assert_one_line(run_cli("track", "--output", str(tmp_path / "o"), "--", "true"), "CARBONLLM_CONFIG")
    monkeypatch.delenv("CARBONLLM_CONFIG")
    assert_one_line(run_cli("estimate", "--config", str(corpus[f"{case}.summary.json"]), "--tokens", "1e9",
                            "--gpu", "A100"), f"{case}.summary.json")


def test_a_config_file_in_the_current_directory_is_announced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carbonllm.measure.track_config import resolve_config

    (tmp_path / "carbonllm.toml").write_text('output_dir = "/tmp/elsewhere"\npue = 1.5\n')
    monkeypatch.chdir(tmp_path)
    config = resolve_config({}, environ={"HOME": str(tmp_path / "home")})
    assert config.notices == (f"config file {tmp_path / 'carbonllm.toml'} in the current directory sets "
                              "output_dir = '/tmp/elsewhere', pue = 1.5",)
