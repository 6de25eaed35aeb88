"""PNG charts for ``compare --plot`` and ``report --plot``, drawn with matplotlib.

matplotlib is the optional ``plot`` extra: it is imported inside each function, with the
non-interactive Agg backend, and its absence is one line telling how to install it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carbonllm.errors import InputError
from carbonllm.report.statement import sig

if TYPE_CHECKING:  # pragma: no cover
    from carbonllm.estimator.comparison import Comparison

INSTALL_HINT = ("install the plot extra: pip install 'carbonllm[plot]' (from a source checkout: "
                "pip install '.[plot]'; or just pip install matplotlib)")


#: Image formats matplotlib's Agg backend writes, by file extension.
PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")


def check_plot_path(path: str | Path) -> Path:
    """``path`` if its extension is an image format matplotlib writes, else a one-line ``InputError``."""
    path = Path(path)
    extension = path.suffix.lower().lstrip(".")
    if extension not in PLOT_FORMATS:
        raise InputError(f"--plot {path}: unknown image format {path.suffix or '(none)'!r}; "
                         f"end the file name with one of: .{', .'.join(PLOT_FORMATS)}")
    return path


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` with the Agg backend, or a one-line ``InputError`` saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise InputError(f"--plot needs matplotlib; {INSTALL_HINT}") from e
    return plt


def _save(fig: Any, path: Path) -> None:
    try:
        fig.savefig(path, dpi=100)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from e


def plot_comparison(comparison: Comparison, path: str | Path) -> Path:
    """A horizontal bar chart of CO2e per GPU × region, lowest at the top, with its range as error
    bars and the value printed at the end of each bar. Returns the path written."""
    path = check_plot_path(path)
    plt = require_matplotlib()
    rows = list(comparison.rows)
    if not rows:
        raise InputError("nothing to plot: every combination was skipped")
    labels = [f"{r.gpu} · {r.region}" for r in rows]
    values = [r.co2e_kg for r in rows]
    lows = [r.co2e_kg - r.co2e_kg_low for r in rows]
    highs = [r.co2e_kg_high - r.co2e_kg for r in rows]
    height_in = max(2.5, 0.45 * len(rows) + 1.5)
    fig, ax = plt.subplots(figsize=(9, height_in))
    try:
        positions = list(range(len(rows)))
        ax.barh(positions, values, xerr=[lows, highs], color="#3b7d5a", ecolor="#555555", capsize=3)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()  # lowest CO2e at the top
        for y, row in zip(positions, rows, strict=True):
            ax.annotate(f"  {sig(row.co2e_kg)} kg", (row.co2e_kg_high, y), va="center", fontsize=8)
        ax.set_xlim(0, max(r.co2e_kg_high for r in rows) * 1.18)
        if comparison.skipped:
            names = sorted({s.gpu for s in comparison.skipped})
            fig.text(0.01, 0.01, f"skipped (see the table): {', '.join(names)}", fontsize=7, color="#555555")
        ax.set_xlabel("operational CO2e (kg), bars: central estimate, whiskers: low-high range")
        ax.set_title(comparison.title)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        _save(fig, path)
    finally:
        plt.close(fig)
    return path


def plot_power_timeline(series: Mapping[str, Sequence[tuple[float, float]]], path: str | Path,
                        title: str = "power per device") -> Path:
    """Power (W) against elapsed time (s), one line per device, from a run's samples."""
    path = check_plot_path(path)
    plt = require_matplotlib()
    if not any(series.values()):
        raise InputError("nothing to plot: the run's samples hold no power readings")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    try:
        for device, points in sorted(series.items()):
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, label=device, linewidth=1.2)
        ax.set_xlabel("elapsed time (s)")
        ax.set_ylabel("power (W)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        _save(fig, path)
    finally:
        plt.close(fig)
    return path
