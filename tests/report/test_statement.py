"""The pure report core: ReportData from estimates and run summaries, and its renderers.

Figures are hand-computed in each test; the model-card YAML is parsed back with yaml.safe_load.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml
from helpers import run_summary
from hypothesis import given
from hypothesis import strategies as st

import carbonllm
from carbonllm.errors import InputError
from carbonllm.quantities import duration_text, energy_text, sig, span_text
from carbonllm.report.data import ReportData, from_estimate, from_run_summary
from carbonllm.report.statement import (
    latex_escape,
    markdown_escape,
    plain_number,
    render_latex,
    render_markdown,
    render_model_card,
    short_source,
)
from carbonllm.tables.loader import find_zone, grid_table


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


# --- hostile strings and the one number formatter (issue 9) ---------------------------------------


HOSTILE = ("x**bold**_i_ `code` [link](http://evil) <script>alert(1)</script> | a|b ~~s~~ &amp; "
           "\\input{/etc/passwd} $x^2$ 100% #1 {a} ~ --format --- \n# Heading\n- item")


def _hostile_report() -> ReportData:
    return ReportData(kind="run", method="measured", produced_by=HOSTILE, gpu_name=HOSTILE, gpu_count=2,
                      energy_kwh=2.4, co2e_kg=0.12, intensity_g_per_kwh=50, intensity_source=HOSTILE,
                      region="FRA", region_name=HOSTILE, notes=(HOSTILE,), duration_s=16.2)


def test_markdown_escapes_every_hostile_string():
    text = render_markdown(_hostile_report())
    body = text.split("\n", 2)[2]  # the fact lines, after the lead and a blank line
    for line in body.splitlines():
        assert line.startswith("- **"), line  # a value never starts its own line or heading
    for raw in ("**bold**", "`code`", "[link](", "<script>", "~~s~~", "&amp;", "_i_"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), body), raw  # only escaped copies remain
    for escaped in (r"\*\*bold\*\*", r"\`code\`", r"\[link\](http://evil)", r"\<script\>", r"\~\~s\~\~",
                    r"\&amp;", r"\_i\_", r"a\|b"):
        assert escaped in body, escaped
    assert markdown_escape("plain text, 1.5 kWh (FR)") == "plain text, 1.5 kWh (FR)"


def test_latex_escapes_every_hostile_string():
    text = render_latex(_hostile_report())
    items = [line for line in text.splitlines() if line.startswith("  \\item")]
    assert items and all("\n" not in item for item in items)
    body = "\n".join(items)
    for escaped in (r"\input" not in body, r"\textbackslash{}input\{/etc/passwd\}" in body,
                    r"\$x\textasciicircum{}2\$" in body, r"100\%" in body, r"\#1" in body,
                    r"\textless{}script\textgreater{}" in body, r"a\textbar{}b" in body,
                    "-{}-format" in body, "-{}-{}-" in body, r"\&amp;" in body):
        assert escaped
    # no raw special character survives outside an escape
    stripped = body
    for seq in (r"\textbackslash{}", r"\textasciicircum{}", r"\textasciitilde{}", r"\textless{}",
                r"\textgreater{}", r"\textbar{}", r"\textbf{", r"\item", r"\textsubscript{2}",
                r"\&", r"\%", r"\$", r"\#", r"\_", r"\{", r"\}", "-{}"):
        stripped = stripped.replace(seq, "")
    for ch in "&%$#_^~<>|\\":
        assert ch not in stripped, ch
    assert "--" not in stripped
    assert latex_escape("use --format json") == "use -{}-format json"


def test_one_formatter_for_numbers_durations_and_units():
    assert sig(0.398949) == "0.399" and sig(94466.9) == "94,500" and sig(1e6) == "1,000,000"
    assert span_text(0.398949, 0.284964, 0.490138) == "0.399 (0.285-0.49)"
    assert span_text(0.38) == "0.38"
    assert duration_text(16.2) == "16.2 s" and duration_text(162) == "2.70 min"
    assert duration_text(0.0045 * 3600) == "16.2 s"  # was printed "Wall-clock: 0.00450 h"
    assert duration_text(5 * 3600) == "5.00 h" and duration_text(3 * 86400) == "3.00 days"
    assert energy_text(0.5) == "500 Wh" and energy_text(94466.9) == "94.5 MWh" and energy_text(2.5e6) == "2.50 GWh"


def test_paper_text_rounds_to_three_figures(run_cli, tmp_path):
    est = carbonllm.estimate(model="llama2-7b", tokens="2T", gpu="A100", region="FR")
    text = render_markdown(from_estimate(est.to_dict()))
    assert "MFU 0.399 (0.27-0.55)" in text and "0.398949" not in text
    short = render_markdown(_hostile_report())
    assert "Wall-clock:** 16.2 s" in short


@pytest.mark.parametrize("bad", [-5.0, float("nan"), float("inf"), "abc"])
def test_an_impossible_number_inside_an_estimate_file_is_an_input_error(bad):
    data = carbonllm.estimate(params="7B", tokens="2T").to_dict()
    data["energy_kwh"] = bad
    with pytest.raises(InputError, match="energy_kwh"):
        from_estimate(data)


def test_the_statement_cites_the_grid_figure_briefly_and_json_keeps_the_whole_source():
    # France's row cites Ember via co2.js and, for its direct value, OWID × IPCC factors: a paper
    # sentence names Ember and the year; the vendoring path and the direct-basis note stay in JSON
    est = carbonllm.estimate(params="7B", tokens="2T", gpu="H100", region="FR").to_dict()
    line = next(x for x in render_markdown(from_estimate(est)).splitlines() if "Grid intensity" in x)
    assert "Ember, Yearly Electricity Data" in line and "2024" in line
    assert "Direct:" not in line and " via " not in line and len(line) < 200
    assert "Direct:" in est["assumptions"]["intensity_source"]


def test_every_grid_rows_source_shortens_to_a_readable_citation():
    # every row of data/grid_intensity.csv, whatever its source's format: a short, whole citation
    # taken from the row's own source (nothing made up), without the vendoring path or detail
    for zone in grid_table():
        short = short_source(zone.source)
        assert 0 < len(short) <= 60, (zone.zone, short)
        assert not short.endswith("…") and short[0].isupper(), (zone.zone, short)
        assert not any(detail in short for detail in (" via ", "Direct", "data/", "(", "commit")), zone.zone
        assert all(word.strip(",:;") in zone.source for word in short.split()), (zone.zone, short)


@pytest.mark.parametrize(("zone", "short"), [
    ("FRA", "Ember, Yearly Electricity Data"),
    ("BMU", "Our World in Data energy dataset, 2022"),
    # EIA mix × AR5 factors, as rendered in a notebook, with eGRID's direct figure beside it
    ("US-VA", "EIA Electric Power Annual 2023 / Electricity Data Browser"),
    ("US-WY", "EIA Electric Power Annual 2023 / Electricity Data Browser"),
    ("US-MIDA-PJM", "Electricity Maps yearly average carbon intensity 2024"),
    # a region borrows its grid zone's figure, and cites that zone's source
    ("aws:us-east-1", "Electricity Maps yearly average carbon intensity 2024"),
    ("azure:westcentralus", "EIA Electric Power Annual 2023 / Electricity Data Browser"),
    ("gcp:us-west2", "EIA Electric Power Annual 2023 / Electricity Data Browser"),
    ("gcp:europe-west9", "Ember, Yearly Electricity Data"),
    # "Ministry of Ecology and Environment (MEE) and National Bureau of Statistics (NBS) of China"
    ("CN-GD", "MEE and NBS of China, Announcement 2025 No. 47"),
    # "SE1-SE4, NO1-NO5: ENTSO-E Transparency, Actual Generation per Production Type (A75), …"
    ("SE3", "ENTSO-E Transparency, Actual Generation per Production Type"),
    ("CA-QC", "Provincial generation mix"),
])
def test_each_kind_of_grid_source_shortens_to_its_publisher_and_dataset(zone, short):
    assert short_source(find_zone(zone).source) == short


@pytest.mark.parametrize(("source", "short"), [
    ("Luccioni et al. 2022 (BLOOM) §4.3", "Luccioni et al. 2022 §4.3"),  # not initials: dropped
    ("given (--intensity)", "given"),
    ("0.25 of the energy matched by renewable instruments at 0 g/kWh, the rest at the "
     "location-based 44.2 gCO2e/kWh (no residual mix shipped: an upper bound)",
     "0.25 of the energy matched by renewable instruments at 0 g/kWh"),  # never cut from its unit
    ("", ""),
    ("(all of it in brackets)", "(all of it in brackets)"),
])
def test_other_sources_shorten_by_the_same_rules(source, short):
    assert short_source(source) == short


def test_a_source_of_one_endless_clause_is_cut_at_a_word():
    assert short_source("word " * 40) == "word " * 10 + "word…"


def test_a_us_state_statement_cites_eia_briefly():
    est = carbonllm.estimate(params="7B", tokens="2T", gpu="H100", region="US-VA").to_dict()
    line = next(x for x in render_markdown(from_estimate(est)).splitlines() if "Grid intensity" in x)
    assert "EIA Electric Power Annual 2023 / Electricity Data Browser" in line
    assert "VineMapper" not in line and len(line) < 200
    latex = render_latex(from_estimate(est))
    assert "VineMapper" not in latex and "EIA Electric Power Annual 2023" in latex


def test_an_incomplete_run_says_so_in_the_headline():
    # a summary with complete=false (the tracker was killed) must not read as a finished measurement
    data = from_run_summary(run_summary(complete=False))
    assert render_markdown(data).startswith("**Carbon footprint (measured, incomplete: the tracker did not finish).**")
    assert "measured, incomplete" in render_latex(data).splitlines()[0]
    assert render_markdown(from_run_summary(run_summary())).startswith("**Carbon footprint (measured).**")
