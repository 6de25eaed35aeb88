"""The preset table: exact published counts, sources, forgiving lookup and malformed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonllm.errors import DataTableError, UnknownModelError
from carbonllm.flops import presets
from carbonllm.flops.presets import find_architecture, find_preset, preset_table
from carbonllm.tables import loader

REPO = Path(__file__).resolve().parents[2]

# Exact parameter counts (HF num_parameters() where the checkpoint is public; reference notes §1.8).
EXACT = {
    "gpt2-small": (124_439_808, 124_439_808),
    "gpt2-medium": (354_823_168, 354_823_168),
    "gpt2-large": (774_030_080, 774_030_080),
    "gpt2-xl": (1_557_611_200, 1_557_611_200),
    "gpt3-175b": (174_604_259_328, 174_604_259_328),
    "opt-175b": (174_604_468_224, 174_604_468_224),
    "bloom-176b": (176_247_271_424, 176_247_271_424),
    "chinchilla-70b": (70_057_992_192, 70_057_992_192),
    "llama2-7b": (6_738_415_616, 6_738_415_616),
    "llama2-13b": (13_015_864_320, 13_015_864_320),
    "llama2-70b": (68_976_648_192, 68_976_648_192),
    "llama3.1-8b": (8_030_261_248, 8_030_261_248),
    "llama3.1-70b": (70_553_706_496, 70_553_706_496),
    "llama3.1-405b": (405_853_388_800, 405_853_388_800),
    "mistral-7b": (7_241_732_096, 7_241_732_096),
    "mixtral-8x7b": (46_702_792_704, 12_879_925_248),
    "falcon-40b": (41_303_293_952, 41_303_293_952),
    "gemma-7b": (8_537_680_896, 8_537_680_896),
    "qwen2-72b": (72_706_203_648, 72_706_203_648),
    "deepseek-v3": (671_026_419_200, 37_552_297_472),
}


@pytest.fixture
def preset_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Point CARBONLLM_DATA_DIR at tmp_path and forget cached presets around the test."""
    monkeypatch.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    presets.clear_cache()
    yield tmp_path
    monkeypatch.delenv(loader.DATA_DIR_ENV)
    presets.clear_cache()


@pytest.mark.parametrize(("name", "counts"), sorted(EXACT.items()))
def test_exact_counts(name, counts):
    preset = find_preset(name)
    arch = preset.architecture
    assert (arch.params(), arch.active_params()) == counts
    assert (preset.params, preset.active_params) == counts


def test_every_row_has_a_source_and_the_required_presets_are_there():
    names = {p.name for p in preset_table()}
    assert set(EXACT) <= names
    for preset in preset_table():
        assert len(preset.source) > 20, preset.name
        assert any(ch.isdigit() for ch in preset.source), f"{preset.name}: source needs a year"


@pytest.mark.parametrize(
    ("query", "name"),
    [("Llama-2-7B", "llama2-7b"), ("llama-3.1-405b", "llama3.1-405b"), ("meta-llama/Llama-2-7b-hf", "llama2-7b"),
     ("MIXTRAL", "mixtral-8x7b"), ("gpt2", "gpt2-small"), ("GPT 3", "gpt3-175b"), ("deepseek_v3", "deepseek-v3")],
)
def test_forgiving_lookup(query, name):
    assert find_preset(query).name == name


def test_unknown_model_suggests_nearest():
    with pytest.raises(UnknownModelError) as info:
        find_architecture("lama2-7")
    assert "llama2-7b" in info.value.suggestions
    assert "did you mean" in str(info.value) and "\n" not in str(info.value)


def test_llama31_trains_at_8k_but_supports_128k():
    arch = find_architecture("llama3.1-405b")
    assert arch.context_length == 8192 and arch.max_context_length == 131072


def _shipped_with(replace: tuple[str, str] | None = None) -> str:
    text = (REPO / "data" / "model_presets.csv").read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1], 1)
    return text


def test_wrong_listed_count_is_a_data_table_error(preset_dir):
    (preset_dir / "model_presets.csv").write_text(_shipped_with(("6738415616", "6738415617")), encoding="utf-8")
    with pytest.raises(DataTableError, match=r"model_presets.csv, line \d+: llama2-7b: listed params"):
        preset_table()


def test_malformed_number_is_a_data_table_error(preset_dir):
    (preset_dir / "model_presets.csv").write_text(_shipped_with((",32,4096,32,32,", ",32,4096,thirty-two,32,")),
                                                  encoding="utf-8")
    with pytest.raises(DataTableError, match="n_heads is not a whole number"):
        find_preset("llama2-7b")


def test_invalid_architecture_row_is_a_data_table_error(preset_dir):
    (preset_dir / "model_presets.csv").write_text(_shipped_with((",8,2,,,,false,none,0,rmsnorm,,",
                                                                 ",8,9,,,,false,none,0,rmsnorm,,")),
                                                  encoding="utf-8")
    with pytest.raises(DataTableError, match="top-k"):
        preset_table()


def test_empty_source_is_a_data_table_error(preset_dir):
    header = _shipped_with().splitlines()[0]
    row = _shipped_with().splitlines()[1].rsplit(',"', 1)[0] + ","
    (preset_dir / "model_presets.csv").write_text(header + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(DataTableError, match="source"):
        preset_table()


def test_missing_table_is_a_data_table_error(preset_dir):
    with pytest.raises(DataTableError, match="model_presets.csv is missing"):
        preset_table()
