"""MFU defaults on the FLOP basis the estimate uses, calibrated on published whole runs (issue 9)."""

from __future__ import annotations

import json

import pytest

import carbonllm
from carbonllm.errors import InputError
from carbonllm.estimator.mfu_calibration import (
    all_run_mfus,
    coverage,
    derived_span,
    detailed_from_6nd,
    median_ratio,
)
from carbonllm.flops.presets import preset_table
from carbonllm.tables.loader import hardware_table
from carbonllm.tables.mfu import mfu_table, published_runs


def test_whole_run_mfus_match_published_and_hand_figures():
    by_name = {r.run.run: r for r in all_run_mfus()}
    # shared/reference/published_runs_public.csv, MFU column (6ND / (GPU-h x 3600 x peak)):
    assert by_name["GPT-3 175B"].mfu_6nd == pytest.approx(0.197, abs=0.0005)
    assert by_name["BLOOM-176B"].mfu_6nd == pytest.approx(0.318, abs=0.0005)
    assert by_name["LLaMA-65B"].mfu_6nd == pytest.approx(0.477, abs=0.0005)
    # hand: 6 x 13.0e9 x 1.0e12 = 7.8e22; 135,168 h x 3600 x 312e12 = 1.518e23 -> 0.514
    assert by_name["LLaMA-13B"].mfu_6nd == pytest.approx(7.8e22 / 1.5182e23, rel=1e-3)
    # hand: 6 x 405.85e9 x 15.6e12 = 3.799e25; 30.84e6 h x 3600 x 989.4e12 = 1.0985e26 -> 0.346
    assert by_name["Llama-3.1 405B"].mfu_6nd == pytest.approx(0.3458, abs=0.0005)
    # the detailed count adds the attention term: more FLOPs, so a higher MFU for the same hours;
    # GPT-3 at 2,048 is 1.025 x 6N (Narayanan's 72(1 + s/6h + V/12lh) gives 1.027 with the 6ND of 175B)
    assert by_name["GPT-3 175B"].ratio == pytest.approx(1.025, abs=0.003)
    for r in by_name.values():
        assert 1.0 < r.ratio < 1.3 and 0 < r.mfu_6nd < r.mfu_detailed < 1


@pytest.mark.parametrize("basis", ["6nd", "detailed"])
def test_every_span_covers_at_least_90_percent_of_its_runs(basis):
    runs = all_run_mfus()
    for generation, row in mfu_table().items():
        values = [r.mfu_6nd if basis == "6nd" else r.mfu_detailed
                  for r in runs if r.run.generation == generation]
        _, low, high, _ = row.span(basis)
        assert coverage(low, high, values) >= 0.9, (generation, basis, low, high, values)
        assert row.runs == len(values), generation


def test_coverage_counts_what_is_inside():
    assert coverage(0.3, 0.5, [0.2, 0.3, 0.4, 0.5, 0.6]) == pytest.approx(3 / 5)
    assert coverage(0.3, 0.5, []) == 1.0


def test_defaults_file_follows_the_documented_rules():
    runs = all_run_mfus()
    for generation, row in mfu_table().items():
        own = [r for r in runs if r.run.generation == generation]
        six = (row.mfu, row.mfu_low, row.mfu_high)
        assert derived_span(six, [r.mfu_6nd for r in own]) == pytest.approx(six), generation
        detailed = detailed_from_6nd(six, median_ratio(runs, generation), [r.mfu_detailed for r in own])
        assert (row.mfu_detailed, row.mfu_detailed_low, row.mfu_detailed_high) == pytest.approx(detailed)
        assert f"x{median_ratio(runs, generation):.3f}" in row.detailed_source


def test_every_generation_and_run_is_known():
    generations = {a.generation for a in hardware_table()}
    assert generations <= set(mfu_table())
    assert {r.generation for r in published_runs()} <= set(mfu_table())
    for run in published_runs():
        assert run.source and 2017 <= run.year <= 2026


def test_device_hours_rise_with_seq_len_under_the_detailed_count():
    hours = [carbonllm.estimate(model="llama2-7b", tokens="1T", gpu="A100", intensity=0, seq_len=s).device_hours
             for s in (2048, 8192, 32768, 131072)]
    assert hours == sorted(hours) and len(set(hours)) == 4
    # hand: Llama-2-7B attention adds 2 x 2 x s x d x L = 4 x 32768 x 4096 x 32 per token forward,
    # x3 for training = 5.15e10 FLOP/token over 6N = 4.04e10 at 32k: more than double the 2k cost
    assert hours[2] > 2 * hours[0]
    for s, h in zip((2048, 32768), (hours[0], hours[2]), strict=True):
        six = carbonllm.estimate(params=6_738_415_616, tokens="1T", gpu="A100", intensity=0)
        assert h != pytest.approx(six.device_hours), s


def test_no_path_yields_mfu_above_one():
    for name in (p.name for p in preset_table()):
        for gpu in ("V100", "A100", "H100", "TPUv5p"):
            for seq in (None, 131072, 10_000_000):
                kwargs = dict(model=name, tokens="1T", gpu=gpu, intensity=0, power_w=300, seq_len=seq)
                a = carbonllm.estimate(**kwargs).assumptions  # type: ignore[arg-type]
                assert a.mfu is not None and a.mfu_high is not None
                assert 0 < a.mfu <= a.mfu_high <= 1, (name, gpu, seq)
    with pytest.raises(InputError, match="--mfu must be in"):
        carbonllm.estimate(params="7B", tokens="1T", mfu=1.01)
    with pytest.raises(InputError, match="plausible limit of 10,000,000"):
        carbonllm.estimate(model="llama2-7b", tokens="1T", seq_len=10_000_001)


def test_config_uses_a_stated_training_length_not_max_position_embeddings(tmp_path):
    # Llama-3.1-8B's config.json says max_position_embeddings 131072; it pretrained at 8,192
    # (Llama Team 2024 §3.4), the length of the preset whose shape it matches
    config = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
              "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
              "max_position_embeddings": 131072}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    known = carbonllm.estimate(config=str(path), tokens="1T", intensity=0).assumptions.flop_method or ""
    assert "seq 8192" in known and "llama3.1-8b preset" in known
    # a shape no preset has: the stated default, 4,096 capped at max_position_embeddings
    custom = dict(config, vocab_size=100_000)
    path.write_text(json.dumps(custom))
    default = carbonllm.estimate(config=str(path), tokens="1T", intensity=0)
    method = default.assumptions.flop_method or ""
    assert "seq 4096" in method and "--config default" in method and "max_position_embeddings 131072" in method
    given = carbonllm.estimate(config=str(path), tokens="1T", intensity=0, seq_len=131072)
    assert "--config default" not in (given.assumptions.flop_method or "")
    assert given.device_hours > 2 * default.device_hours
    path.write_text(json.dumps(dict(custom, max_position_embeddings=2048)))
    short = carbonllm.estimate(config=str(path), tokens="1T", intensity=0).assumptions.flop_method or ""
    assert "seq 2048" in short


def test_a_table_intensity_carries_the_accounting_basis_spread():
    # IPCC AR5 WG3 Annex III medians, natural gas: 490 lifecycle vs 370 direct -> x0.76 to x1.32
    r = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", region="FR", mfu=0.4, power_w=400, pue=1.2)
    intensity = r.intensity_g_per_kwh
    spread = (r.intensity_g_per_kwh_low, r.intensity_g_per_kwh_high)
    assert spread == pytest.approx((intensity * 0.76, intensity * 1.32))
    # MFU, power and PUE were given, so the CO2e range is the intensity's alone
    assert r.co2e_kg_low == pytest.approx(r.energy_kwh * intensity * 0.76 / 1000)
    assert r.co2e_kg_high == pytest.approx(r.energy_kwh * intensity * 1.32 / 1000)
    assert "IPCC AR5" in (r.assumptions.intensity_spread_source or "")
    given = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", intensity=56, mfu=0.4, power_w=400, pue=1.2)
    assert given.co2e_kg_low == given.co2e_kg == given.co2e_kg_high
    assert given.assumptions.intensity_spread_source is None
