"""The frozen records of the estimate path behave as frozen dataclasses do."""

from __future__ import annotations

import dataclasses

import pytest

from carbonllm.estimator.defaults import Span
from carbonllm.frozen import Record, record


@record
class Pair(Record):
    name: str
    value: float = 0.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class PairDataclass:
    name: str
    value: float = 0.0


def test_repr_reads_as_a_dataclass_repr():
    assert repr(Pair(name="a", value=2)) == repr(PairDataclass(name="a", value=2.0)).replace("PairDataclass", "Pair")
    assert repr(Pair(name="a", value=2)) == "Pair(name='a', value=2.0)"


def test_equality_and_hash_are_by_value_and_class():
    assert Pair(name="a", value=1) == Pair(name="a", value=1.0)
    assert Pair(name="a", value=1) != Pair(name="a", value=2)
    assert hash(Pair(name="a", value=1)) == hash(Pair(name="a", value=1.0))
    assert len({Pair(name="a"), Pair(name="a"), Pair(name="b")}) == 2
    assert Pair(name="a") != PairDataclass(name="a")  # another class is never equal
    assert Span(value=1.0, low=0.5, high=2.0, source="s") == Span(value=1, low=0.5, high=2, source="s")
    assert Span(value=1.0, low=0.5, high=2.0, source="s") != Span(value=1.0, low=0.5, high=2.0, source="t")


def test_records_are_frozen_keyword_only_dataclasses():
    pair = Pair(name="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Pair("a")  # type: ignore[misc]
    assert dataclasses.is_dataclass(pair)
    assert [f.name for f in dataclasses.fields(pair)] == ["name", "value"]
    assert dataclasses.replace(pair, value=3) == Pair(name="a", value=3.0)
    assert pair.model_copy(update={"name": "c"}).model_dump() == {"name": "c", "value": 0.0}
