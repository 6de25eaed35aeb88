"""Number parsing and forgiving name matching."""

from __future__ import annotations

import pytest

from carbonllm.errors import InputError
from carbonllm.names import nearest, normalize, normalize_many
from carbonllm.quantities import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [("175e9", 175e9), ("175B", 175e9), ("7b", 7e9), ("1.5T", 1.5e12), ("300_000_000", 3e8),
     ("1,082,990", 1082990.0), ("12k", 12e3), ("0.5", 0.5), (".5", 0.5), ("3M", 3e6), (42, 42.0),
     ("1,000.5", 1000.5), ("-1,000", -1000.0), ("2,048k", 2048e3)],
)
def test_parse_quantity(text: str, value: float):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["seven", "7 B B", "", "1e", "nan", "inf", "1.5X", True])
def test_parse_quantity_rejects(text: object):
    with pytest.raises(InputError):
        parse_quantity(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1,5T", "7,5B", "12,34", "1,0000", "1,000,00", "1,000.5,3", ",5"])
def test_a_decimal_comma_is_refused_not_read_as_thousands(text: str):
    # '1,5T' is 1.5T written with a decimal comma; reading it as 15T would be a silent 10x error
    with pytest.raises(InputError, match="not a thousands separator; write decimals with a point"):
        parse_quantity(text, "tokens")


@pytest.mark.parametrize("text", ["٣T", "１２", "7B\u0663"])
def test_only_ascii_digits_are_numbers(text: str):
    with pytest.raises(InputError, match="must be a number"):
        parse_quantity(text)


def test_normalize_ignores_case_spaces_and_punctuation():
    assert normalize("TPU v3") == normalize("tpuv3") == normalize("tpu-v3") == normalize("TPU_V3") == "tpuv3"


def test_nearest_puts_the_closest_first():
    names = ["H100", "H200", "A100", "TPU v4", "MI300X"]
    assert nearest("H10", names)[0] == "H100"
    assert nearest("zzzzzzzz", names) == []


@pytest.mark.parametrize("value", [[1], None, {"a": 1}])
def test_parse_quantity_rejects_other_types_with_an_input_error(value: object):
    with pytest.raises(InputError, match="must be a number or a string"):
        parse_quantity(value, "params")  # type: ignore[arg-type]


@pytest.mark.parametrize("names", [
    ["US-CA", " aws:us-east-1 ", "Côte d'Ivoire", "ĞÜŞ", "", "a\tb\nc", "İstanbul", "x" * 300],
    ["NUL\0inside", "plain"],
])
def test_normalize_many_matches_normalize_one_by_one(names):
    # İ lowers to two code points; joining must not shift the names apart
    assert normalize_many(names) == [normalize(n) for n in names]
