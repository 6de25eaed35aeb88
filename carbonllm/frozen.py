"""Frozen records for the estimate path: plain dataclasses with the few pydantic-style methods the
rest of carbonllm and its users call (``model_dump``, ``model_copy``, ``model_fields``).

Why not pydantic here: importing pydantic and building the schemas of the estimate's eight models
cost about 70 ms, more than half of ``carbonllm estimate --format json`` (issue 9: 7.9x
``python -c pass``). The estimate's inputs are built by carbonllm itself from parsed and checked
values, so it needs no run-time validation; the models users build (track configuration, run
summaries, report data) stay pydantic.

    @record
    class Span(Record):
        value: float
        low: float

``__init__``, ``repr``, ``==``, ``hash`` and the refusal to assign or delete a field behave as a
frozen keyword-only dataclass's, from one generic method each on :class:`Record` (compiling them
per class cost a tenth of the estimate's start-up); ``dataclasses.fields``, ``replace`` and
``asdict`` work as on any dataclass.

Fields are keyword-only, so their order and defaults read as in a pydantic model. A field
annotated ``float`` (or ``float | None``) turns an ``int`` into a ``float``, as pydantic does,
so JSON output keeps its ``400.0``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:  # type checkers read @record as a dataclass; at run time it needs no import
    from typing import Any, ClassVar, TypeVar

    from typing_extensions import dataclass_transform

    R = TypeVar("R", bound="Record")
    C = TypeVar("C", bound=type)
else:
    def dataclass_transform(**_: object) -> object:
        return lambda function: function

_FLOAT_ANNOTATIONS = {"float", "float | None", "Optional[float]"}


@dataclass_transform(frozen_default=True, kw_only_default=True)
def record(cls: C) -> C:
    """Make ``cls`` a frozen, keyword-only dataclass (the decorator of every :class:`Record`)."""
    # __init__, repr, ==, hash and the frozen __setattr__/__delattr__ come from Record (one generic
    # method each) rather than being generated and compiled per class: compiling them was most of
    # the records' share of an estimate's start-up (the estimate's records have up to 40 fields).
    made: Any = dataclasses.dataclass(kw_only=True, init=False, repr=False, eq=False)(cls)
    made.model_fields = {f.name: f for f in dataclasses.fields(made)}
    return made  # type: ignore[no-any-return]


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_dump(v) for v in value)
    return value


class Record:
    """Base of the frozen records: pydantic-style ``model_dump`` / ``model_copy`` / ``model_fields``."""

    model_fields: ClassVar[dict[str, Any]] = {}  # set by @record: field name -> dataclasses.Field

    def __init__(self, **values: Any) -> None:
        """As a keyword-only dataclass's ``__init__``: every field from ``values`` or its default,
        ``TypeError`` for a missing or unknown one; then :meth:`__post_init__`."""
        cls = type(self)
        for name, field in cls.model_fields.items():
            if name in values:
                value = values.pop(name)
            elif field.default is not dataclasses.MISSING:
                value = field.default
            elif field.default_factory is not dataclasses.MISSING:
                value = field.default_factory()
            else:
                raise TypeError(f"{cls.__qualname__}.__init__() missing 1 required keyword-only argument: {name!r}")
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {next(iter(values))!r}")
        self.__post_init__()

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, int) and not isinstance(value, bool) and str(field.type) in _FLOAT_ANNOTATIONS:
                object.__setattr__(self, field.name, float(value))
        self.check()

    def __setattr__(self, name: str, value: object) -> None:  # frozen, as a frozen dataclass is
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.model_fields)

    def __repr__(self) -> str:  # as dataclasses writes it: Span(value=1.0, low=0.5)
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.model_fields)
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:  # as dataclasses' eq: same class, equal fields
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined, no-any-return]

    def __hash__(self) -> int:  # frozen and compared by value, so hashed by value (as dataclasses')
        return hash(self._values())

    def check(self) -> None:
        """Override to check invariants after construction (raise ``InputError``)."""

    def model_dump(self, exclude: Iterable[str] | None = None) -> dict[str, Any]:
        """The fields as a dict (nested records as dicts), without the names in ``exclude``."""
        skip = set(exclude or ())
        return {f.name: _dump(getattr(self, f.name))
                for f in dataclasses.fields(self) if f.name not in skip}  # type: ignore[arg-type]

    def model_copy(self: R, update: dict[str, Any] | None = None) -> R:
        """A copy with the fields in ``update`` replaced."""
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]


__all__ = ["Record", "record"]
