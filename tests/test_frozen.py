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
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.other = 1  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del pair.value  # type: ignore[misc]
    assert pair.name == "a" and pair.value == 0.0
    with pytest.raises(TypeError):
        Pair("a")  # type: ignore[misc]
    assert dataclasses.is_dataclass(pair)
    assert [f.name for f in dataclasses.fields(pair)] == ["name", "value"]
    assert dataclasses.replace(pair, value=3) == Pair(name="a", value=3.0)
    assert pair.model_copy(update={"name": "c"}).model_dump() == {"name": "c", "value": 0.0}


def test_init_refuses_missing_unknown_and_positional_arguments_as_a_dataclass_does():
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'name'"):
        Pair(value=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Pair(name="a", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Pair("a")  # type: ignore[misc]


@record
class WithFactory(Record):
    items: list[int] = dataclasses.field(default_factory=list)
    total: float = 0

    def check(self) -> None:
        if self.total < 0:
            raise ValueError("total must not be negative")


def test_defaults_factories_conversion_and_check_run_on_init():
    a, b = WithFactory(), WithFactory()
    assert a.items == [] and a.items is not b.items  # a fresh list each, as default_factory gives
    assert isinstance(WithFactory(total=2).total, float)  # an int for a float field becomes a float
    with pytest.raises(ValueError, match="negative"):
        WithFactory(total=-1)
    assert dataclasses.asdict(WithFactory(items=[1])) == {"items": [1], "total": 0}
