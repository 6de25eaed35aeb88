"""Architecture presets: ``data/model_presets.csv`` loaded into :class:`~carbonllm.flops.architecture.Architecture`.

Each row carries the published architecture, a ``source`` and the exact parameter count (and the
active count for MoE). On load the count computed from the architecture must equal the listed one,
so a typo in a width is a :class:`~carbonllm.errors.DataTableError`, not a silently wrong FLOP
count. Names match forgivingly (``Llama-2-7B`` = ``llama2-7b`` = ``meta-llama/Llama-2-7b-hf``);
a miss raises :class:`~carbonllm.errors.UnknownModelError` with the nearest names.
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict

from carbonllm.errors import CarbonLLMError, DataTableError, UnknownModelError
from carbonllm.flops.architecture import MLA, Architecture
from carbonllm.names import nearest, normalize
from carbonllm.tables.loader import read_rows

PRESETS_CSV = "model_presets.csv"

_REQUIRED = ("name", "family", "params", "n_layers", "d_model", "n_heads", "d_ff", "vocab_size",
             "context_length", "ffn_type", "tied_embeddings", "source")
_INT_OPTIONS = ("norms_per_layer",)
_BOOL_OPTIONS = ("embedding_norm", "relative_positions", "moe_router_bias")
_MLA_PREFIX = "mla_"


class Preset(BaseModel):
    """One row of the preset table: the architecture, its published parameter counts and source."""

    model_config = ConfigDict(frozen=True)

    name: str
    aliases: tuple[str, ...]
    family: str
    params: int
    active_params: int
    architecture: Architecture
    source: str


def _int(row: dict[str, str], column: str, default: int | None = None) -> int | None:
    text = (row.get(column) or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"column {column} is not a whole number: {text!r}") from None


def _bool(text: str, column: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise ValueError(f"column {column} is not true/false: {text!r}")


def _options(text: str) -> tuple[dict[str, object], MLA | None]:
    extra: dict[str, object] = {}
    mla: dict[str, int] = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"option {item!r} is not key=value")
        if key.startswith(_MLA_PREFIX):
            mla[key.removeprefix(_MLA_PREFIX)] = int(value)
        elif key in _BOOL_OPTIONS:
            extra[key] = _bool(value, key)
        elif key in _INT_OPTIONS:
            extra[key] = int(value)
        else:
            raise ValueError(f"unknown option {key!r}")
    return extra, (MLA(**mla) if mla else None)


def _preset(row: dict[str, str]) -> Preset:
    name = row["name"].strip()
    extra, mla = _options(row.get("options") or "")
    fields: dict[str, object] = dict(
        name=name,
        n_layers=_int(row, "n_layers"), d_model=_int(row, "d_model"), n_heads=_int(row, "n_heads"),
        n_kv_heads=_int(row, "n_kv_heads"), head_dim=_int(row, "head_dim"), d_ff=_int(row, "d_ff"),
        vocab_size=_int(row, "vocab_size"), context_length=_int(row, "context_length"),
        max_context_length=_int(row, "max_context_length"), ffn_type=row["ffn_type"].strip(),
        moe_experts=_int(row, "moe_experts", 0), moe_top_k=_int(row, "moe_top_k", 0),
        moe_shared_experts=_int(row, "moe_shared_experts", 0), moe_d_ff=_int(row, "moe_d_ff"),
        moe_dense_layers=_int(row, "moe_dense_layers", 0),
        tied_embeddings=_bool(row["tied_embeddings"], "tied_embeddings"),
        bias=(row.get("bias") or "none").strip(), learned_positions=_int(row, "learned_positions", 0),
        norm=(row.get("norm") or "rmsnorm").strip(), mla=mla, **extra,
    )
    try:
        arch = Architecture(**fields)  # type: ignore[arg-type]
    except CarbonLLMError as e:
        raise ValueError(str(e)) from None
    params = _int(row, "params")
    active = _int(row, "active_params", params)
    if params != arch.params() or active != arch.active_params():
        raise ValueError(f"{name}: listed params {params:,}/{active:,} (total/active) but the architecture "
                         f"gives {arch.params():,}/{arch.active_params():,}")
    source = (row.get("source") or "").strip()
    if not source:
        raise ValueError(f"{name}: the source column is empty; every figure needs a source")
    aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
    return Preset(name=name, aliases=aliases, family=row["family"].strip(), params=arch.params(),
                  active_params=arch.active_params(), architecture=arch, source=source)


@functools.cache
def preset_table() -> tuple[Preset, ...]:
    """Every preset in ``data/model_presets.csv``, in file order."""
    rows = read_rows(PRESETS_CSV, _REQUIRED)
    presets = []
    for line, row in enumerate(rows, start=2):
        try:
            presets.append(_preset(row))
        except (ValueError, TypeError, KeyError) as e:
            detail = str(e).splitlines()[0]
            raise DataTableError(f"data table {PRESETS_CSV}, line {line}: {detail}") from e
    return tuple(presets)


@functools.cache
def _preset_index() -> dict[str, Preset]:
    index: dict[str, Preset] = {}
    for preset in preset_table():
        for key in (preset.name, *preset.aliases):
            index.setdefault(normalize(key), preset)
    return index


def find_preset(name: str) -> Preset:
    """The preset called ``name`` (forgiving match, aliases such as ``meta-llama/Llama-2-7b-hf``).

    Raises :class:`~carbonllm.errors.UnknownModelError` with the nearest names when there is none.
    """
    found = _preset_index().get(normalize(name))
    if found is None:
        raise UnknownModelError(name, nearest(name, [p.name for p in preset_table()]))
    return found


def find_architecture(name: str) -> Architecture:
    """The architecture of the preset called ``name``."""
    return find_preset(name).architecture


def clear_cache() -> None:
    """Forget the cached table (after changing ``CARBONLLM_DATA_DIR``)."""
    preset_table.cache_clear()
    _preset_index.cache_clear()


__all__ = ["PRESETS_CSV", "Preset", "clear_cache", "find_architecture", "find_preset", "preset_table"]
