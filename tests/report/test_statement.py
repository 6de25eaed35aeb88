"""The pure report core: ReportData from estimates and run summaries, and its renderers.

Figures are hand-computed in each test; the model-card YAML is parsed back with yaml.safe_load.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from helpers import run_summary
from hypothesis import given
from hypothesis import strategies as st

import carbonllm
from carbonllm.errors import InputError
from carbonllm.report.data import from_estimate, from_run_summary
from carbonllm.report.statement import (
    latex_escape,
    plain_number,
    render_latex,
    render_markdown,
    render_model_card,
)


def test_model_card_of_a_tracked_run_parses_and_carries_grams():
    card = render_model_card(from_run_summary(run_summary()), "fine-tuning")
    meta = yaml.safe_load(card)["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(2.0 * 1.2 * 50)  # 120 g: kWh × PUE × g/kWh
    assert meta["training_type"] == "fine-tuning"
    assert meta["hardware_used"] == "2 x NVIDIA A100-SXM4-80GB"
    assert meta["geographical_location"] == "France (FRA)"
    assert "measured" in meta["source"] and carbonllm.__version__ in meta["source"]
    assert set(meta) == {"emissions", "source", "training_type", "geographical_location", "hardware_used"}


def test_model_card_of_an_estimate_parses_and_carries_grams():
    # 1,000 A100-hours × 0.4 kW × PUE 1.1 = 440 kWh; × 100 g/kWh = 44,000 g
    est = carbonllm.estimate(gpu_hours=1000, gpu="A100", power_w=400, pue=1.1, intensity=100, devices=8)
    meta = yaml.safe_load(render_model_card(from_estimate(est.to_dict())))["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(44_000)
    assert meta["training_type"] == "pre-training"
    assert meta["hardware_used"] == "8 x A100 SXM4 80GB"
    assert "estimated" in meta["source"] and "not measured" in meta["source"]


def test_model_card_gives_embodied_emissions_in_a_comment_only():
    est = carbonllm.estimate(gpu_hours=1000, gpu="A100", power_w=400, pue=1.1, intensity=100, embodied=True)
    card = render_model_card(from_estimate(est.to_dict()))
    assert "# embodied" in card
    assert yaml.safe_load(card)["co2_eq_emissions"]["emissions"] == pytest.approx(44_000)
    assert "embodied" not in render_markdown(from_estimate(est.to_dict())).split("Excluded:")[1]


def test_model_card_rejects_an_unknown_training_type():
    with pytest.raises(InputError, match="pre-training, fine-tuning"):
        render_model_card(from_run_summary(run_summary()), "pretraining")


def test_model_card_quotes_names_that_would_break_yaml():
    data = from_run_summary(run_summary(gpu_name='GPU: "x" # y', region_name="Quebec: Canada"))
    meta = yaml.safe_load(render_model_card(data))["co2_eq_emissions"]
    assert meta["hardware_used"] == '2 x GPU: "x" # y'
    assert meta["geographical_location"] == "Quebec: Canada (FRA)"


@given(st.floats(min_value=1e-9, max_value=1e15, allow_nan=False))
def test_plain_numbers_read_back_as_yaml_floats(value: float):
    # YAML 1.1 (PyYAML) reads "1e+07" as a string; plain_number never writes an exponent.
    parsed = yaml.safe_load(f"x: {plain_number(value)}")["x"]
    assert isinstance(parsed, (int, float))
    assert parsed == pytest.approx(value, rel=1e-5)


def test_markdown_statement_of_a_measured_run_says_what_a_paper_needs():
    text = render_markdown(from_run_summary(run_summary()))
    for expected in ("measured", "2 x NVIDIA A100-SXM4-80GB", "2.00 GPU-hours", "2.40 kWh", "PUE 1.2",
                     "50.0 gCO2e/kWh", "France (FRA)", "test grid table, 2023", "120 gCO2e",
                     f"carbonllm {carbonllm.__version__}", "nvml-energy-counter", "Excluded",
                     "embodied", "networking and storage"):
        assert expected in text, expected


def test_markdown_statement_of_an_estimate_says_estimated_and_gives_the_range():
    est = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", region="FR")
    text = render_markdown(from_estimate(est.to_dict()))
    assert "(estimated)" in text and "plausible range" in text and "MFU 0.38" in text
    assert "measured" not in text.replace("not measured", "")


def test_statement_notes_an_incomplete_run_and_sensor_errors():
    devices = run_summary()["devices"]
    devices[0] = {**devices[0], "errors": ["NVML read failed at 12:30"]}
    text = render_markdown(from_run_summary(run_summary(complete=False, exit_status=1, devices=devices)))
    assert "incomplete" in text and "exited with status 1" in text and "NVML read failed" in text


def test_default_region_is_flagged():
    data = from_run_summary(run_summary(region="world", region_name="World", region_is_default=True))
    assert "default: no region was given" in render_markdown(data)


def test_latex_escapes_special_characters():
    assert latex_escape("50% of a_b & $c #d {e} ~^\\") == (
        r"50\% of a\_b \& \$c \#d \{e\} \textasciitilde{}\textasciicircum{}\textbackslash{}")
    text = render_latex(from_run_summary(run_summary(intensity_source="grid_table 100% clean & co")))
    assert r"grid\_table 100\% clean \& co" in text
    assert text.count("{") == text.count("}")
    assert r"\begin{itemize}" in text and r"\end{itemize}" in text and r"CO\textsubscript{2}e" in text


def test_json_and_flat_dict_keep_units_in_names():
    data = from_run_summary(run_summary())
    flat = data.to_flat_dict()
    assert flat["energy_kwh"] == pytest.approx(2.4) and flat["it_energy_kwh"] == pytest.approx(2.0)
    assert flat["it_energy_kwh_gpu"] == pytest.approx(1.5) and flat["co2e_kg"] == pytest.approx(0.12)
    assert flat["reported_with"] == f"carbonllm {carbonllm.__version__}"
    assert all(not isinstance(v, (dict, list, tuple)) for v in flat.values())


def test_not_a_run_summary_is_an_input_error():
    with pytest.raises(InputError, match="not a carbonllm run summary"):
        from_run_summary({"format": "something/2"})
    with pytest.raises(InputError, match="lacks the field 'co2e_kg'"):
        from_run_summary({k: v for k, v in run_summary().items() if k != "co2e_kg"})
    with pytest.raises(InputError, match="assumptions"):
        from_estimate({"method": "estimated", "energy_kwh": 1.0, "co2e_kg": 1.0})


def test_core_modules_import_no_pandas_matplotlib_rich_or_frameworks():
    code = ("import sys, carbonllm.report.statement, carbonllm.estimator.comparison, "
            "carbonllm.report.codecarbon_csv, carbonllm.report.inputs, carbonllm.report.plots\n"
            "heavy = [m for m in ('pandas', 'matplotlib', 'rich', 'click', 'torch', 'transformers', 'lightning',"
            " 'codecarbon', 'pynvml', 'yaml') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_model_card_source_names_the_basis_of_a_time_mode_estimate():
    import carbonllm
    from carbonllm.report.data import from_estimate
    from carbonllm.report.statement import model_card_source

    timed = from_estimate(carbonllm.estimate(gpu_hours=1000, gpu="A100", intensity=57).to_dict())
    assert "estimated from device-hours" in model_card_source(timed)
    computed = from_estimate(carbonllm.estimate(params=7e9, tokens=1e12, gpu="A100", intensity=57).to_dict())
    assert "estimated from FLOPs" in model_card_source(computed)
