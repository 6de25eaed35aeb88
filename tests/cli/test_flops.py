"""``carbonllm flops`` and ``carbonllm estimate --model/--config`` through the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from carbonllm.errors import InputError, UnknownModelError
from carbonllm.estimator.resolve import estimate


def test_flops_json_llama_405b(run_cli):
    result = run_cli("flops", "--model", "llama-3.1-405b", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["params"] == 405_853_388_800 and data["seq_len"] == 8192
    assert data["method"] == "detailed (llama3.1-405b, seq 8192, no causal halving)"
    assert data["six_n_flops_per_token"] == 6 * 405_853_388_800
    assert data["ratio_to_6n"] == pytest.approx(1.078, abs=0.001)
    components = {c["component"]: c for c in data["components"]}
    assert components["FFN"]["layers"] == 126
    assert sum(c["share"] for c in data["components"]) == pytest.approx(1.0)


def test_flops_options_change_the_count(run_cli):
    def per_token(*extra: str) -> float:
        out = run_cli("flops", "--model", "llama2-7b", "--format", "json", *extra).stdout
        return json.loads(out)["training_flops_per_token"]

    base = per_token()
    assert per_token("--causal-half") < base < per_token("--recompute", "selective") < per_token("--recompute", "full")
    assert per_token("--seq-len", "2048") < base


def test_flops_tokens_gives_totals(run_cli):
    data = json.loads(run_cli("flops", "--model", "gpt3", "--tokens", "300B", "--format", "json").stdout)
    assert data["six_nd_flops"] == pytest.approx(3.14e23, rel=0.005)
    assert data["training_flops"] / data["six_nd_flops"] == pytest.approx(1.027, abs=0.002)


def test_flops_table_shows_components_and_ratio(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("flops", "--model", "mixtral-8x7b")
    assert result.exit_code == 0, result.stderr
    for text in ("routed experts", "router", "attention logits", "detailed / 6·N", "1.657"):
        assert text in result.stdout


def test_flops_csv_has_a_total_row(run_cli):
    rows = list(csv.DictReader(io.StringIO(run_cli("flops", "--model", "deepseek-v3", "--format", "csv").stdout)))
    assert rows[-1]["block"] == "total"
    assert {r["block"] for r in rows} >= {"embedding", "dense layer", "MoE layer", "head"}


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_flops_list(run_cli, fmt):
    result = run_cli("flops", "--list", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert "deepseek-v3" in result.stdout and "llama3.1-405b" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --model NAME or --config PATH"),
        (["--model", "lama-2-7b"], "did you mean 'llama2-7b'"),
        (["--model", "gpt2", "--config", "x.json"], "cannot be used together"),
        (["--model", "gpt2", "--seq-len", "0"], "--seq-len must be a whole number"),
        (["--model", "gpt2", "--seq-len", "1.5"], "--seq-len must be a whole number"),
        (["--list", "--model", "gpt2"], "--list cannot be used"),
    ],
)
def test_flops_errors_one_line_exit_2(run_cli, argv, message):
    result = run_cli("flops", *argv)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1


# --- estimate --model / --config -------------------------------------------------------------


def test_estimate_model_json_says_its_method(run_cli):
    result = run_cli("estimate", "--model", "llama-2-7b", "--tokens", "2T", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["assumptions"]["flop_method"] == "detailed (llama2-7b, seq 4096, no causal halving)"
    assert data["flops"] == pytest.approx(4.6085e10 * 2e12, rel=1e-4)  # notes §1.8: 4.608e10 FLOPs/token


def test_estimate_6nd_equals_6nd(run_cli):
    data = json.loads(run_cli("estimate", "--model", "llama-2-7b", "--tokens", "2T", "--flop-method", "6nd",
                              "--format", "json").stdout)
    assert data["flops"] == 6 * 6_738_415_616 * 2e12
    assert data["assumptions"]["flop_method"] == "6ND (llama2-7b)"
    by_params = json.loads(run_cli("estimate", "--params", "6738415616", "--tokens", "2T", "--format", "json").stdout)
    assert by_params["flops"] == data["flops"] and by_params["co2e_kg"] == data["co2e_kg"]


def test_estimate_moe_6nd_uses_active_params():
    result = estimate(model="mixtral", tokens="1T", flop_method="6nd")
    assert result.flops == 6 * 12_879_925_248 * 1e12
    assert result.assumptions.flop_method == "6ND (mixtral-8x7b, active params)"


def test_estimate_seq_len_and_json_keys_unchanged():
    long = estimate(model="llama3.1-405b", tokens="15.6T", seq_len=131072)
    short = estimate(model="llama3.1-405b", tokens="15.6T")
    assert long.flops > short.flops
    assert "seq 131072" in long.assumptions.flop_method
    assert set(long.to_dict()) == set(estimate(params="7B", tokens="1T").to_dict())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "llama2-7b", "params": "7B", "tokens": "1T"}, "--model and --params cannot be used together"),
        ({"model": "llama2-7b", "active_params": "7B", "tokens": "1T"}, "--model and --active-params"),
        ({"model": "llama2-7b", "flops": "1e23"}, "--model and --flops"),
        ({"config": "c.json", "params": "7B", "tokens": "1T"}, "--config and --params"),
        ({"model": "llama2-7b", "config": "c.json", "tokens": "1T"}, "--model and --config"),
        ({"model": "llama2-7b", "gpu_hours": 10}, "--model and --gpu-hours"),
        ({"model": "llama2-7b"}, "need --tokens"),
        ({"params": "7B", "tokens": "1T", "seq_len": 4096}, "need --model NAME or --config PATH"),
        ({"params": "7B", "tokens": "1T", "flop_method": "6nd"}, "need --model NAME or --config PATH"),
        ({"model": "llama2-7b", "tokens": "1T", "flop_method": "exact"}, "--flop-method must be one of"),
        ({"model": "llama2-7b", "tokens": "1T", "flop_method": "6nd", "seq_len": 4096}, "--seq-len only applies"),
        ({"model": "llama2-7b", "tokens": "1T", "seq_len": 0}, "--seq-len must be greater than 0"),
    ],
)
def test_estimate_model_input_errors(kwargs, message):
    with pytest.raises(InputError) as info:
        estimate(**kwargs)
    assert message in str(info.value)


def test_estimate_unknown_model():
    with pytest.raises(UnknownModelError):
        estimate(model="gpt-5", tokens="1T")


def test_estimate_cli_model_conflict_exit_2(run_cli):
    result = run_cli("estimate", "--model", "llama-2-7b", "--params", "7B", "--tokens", "1T")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_estimate_table_shows_the_method(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("estimate", "--model", "gpt2", "--tokens", "10B")
    assert result.exit_code == 0, result.stderr
    # the table names the method and length; the full label is a source footnote (issue 9: the
    # first estimate fits one screen)
    assert "[detailed]" in result.stdout and "detailed, seq 1024" in result.stdout
    full = run_cli("estimate", "--model", "gpt2", "--tokens", "10B", "--sources")
    assert "FLOP count: detailed (gpt2-small, seq 1024, no causal halving)" in full.stdout


# --- speed: the flops and plan paths import no heavy dependency --------------------------------


@pytest.mark.parametrize(
    "argv",
    [["flops", "--model", "llama-3.1-405b", "--format", "json"],
     ["plan", "--flops", "5.76e23", "--format", "json"],
     ["estimate", "--model", "llama-2-7b", "--tokens", "2T", "--format", "json"],
     ["estimate", "--params", "175e9", "--tokens", "300e9", "--gpu", "A100", "--format", "json"],
     ["--help"]],
)
def test_paths_do_not_import_pandas_codecarbon_pynvml_or_rich(argv):
    code = (
        "import sys\n"
        "from carbonllm.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as e:\n    code = e.code\n"
        "bad = [m for m in ('pandas', 'codecarbon', 'pynvml', 'rich') if m in sys.modules]\n"
        "print('HEAVY', bad, file=sys.stderr)\n"
        "sys.exit(3 if bad else code)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_table_path_imports_rich_but_not_pandas():
    code = ("import sys\nfrom carbonllm.cli import main\n"
            "try:\n    main(['flops', '--model', 'llama-3.1-405b'])\nexcept SystemExit:\n    pass\n"
            "sys.exit(3 if any(m in sys.modules for m in ('pandas', 'codecarbon', 'pynvml')) else 0)\n")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0


def test_the_json_estimate_path_imports_no_pydantic():
    # issue 9: pydantic's import and schema building were most of the estimate's start-up
    code = ("import sys\nfrom carbonllm.cli import main\n"
            "try:\n    main(['estimate', '--params', '175e9', '--tokens', '300e9', '--format', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "sys.exit(3 if 'pydantic' in sys.modules else 0)\n")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0
