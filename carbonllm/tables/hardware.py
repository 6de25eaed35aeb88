"""Accelerators: the frozen model of one row of ``data/hardware.csv`` and the name lookup.

Peak rates are dense (no 2:4 sparsity) tensor/matrix TFLOP/s per dtype, from vendor datasheets;
``fp32`` is the non-tensor vector rate. ``tdp_w`` is the board power (TDP/TBP); for TPU v3 and v4
it is Google's measured maximum chip power, the only figure Google publishes. Sources per row.
"""

from __future__ import annotations

from carbonllm.errors import InputError
from carbonllm.frozen import Record, record

DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8")


@record
class Accelerator(Record):
    """One accelerator (GPU, TPU chip, Gaudi card) and its published figures."""

    name: str
    full_name: str
    aliases: tuple[str, ...] = ()
    vendor: str
    kind: str
    generation: str
    form_factor: str = ""
    tdp_w: float | None = None
    peak_tflops: dict[str, float]
    memory_gb: float | None = None
    year: int
    verification: str
    source: str

    def default_dtype(self) -> str:
        """bf16, or fp16 where the chip has no bf16 (V100, T4), else the fastest it has."""
        for dtype in ("bf16", "fp16", "tf32", "fp32"):
            if dtype in self.peak_tflops:
                return dtype
        return next(iter(self.peak_tflops))

    def peak_tflops_for(self, dtype: str) -> float:
        """Dense peak TFLOP/s for ``dtype``; ``InputError`` if the chip has no such rate."""
        dtype = dtype.lower()
        if dtype not in DTYPES:
            raise InputError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        if dtype not in self.peak_tflops:
            have = ", ".join(self.peak_tflops)
            raise InputError(
                f"{self.name} has no {dtype} peak rate in the hardware table; "
                f"choose --dtype from: {have}"
            )
        return self.peak_tflops[dtype]
