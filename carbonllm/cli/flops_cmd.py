"""``carbonllm flops``: parameters and FLOPs per token of an architecture, component by component."""

from __future__ import annotations

from typing import Any

import click

from carbonllm.cli.options import QUANTITY
from carbonllm.cli.output import FORMATS, echo_csv, echo_json, grouped, si, table_console
from carbonllm.errors import InputError
from carbonllm.flops.count import RECOMPUTE, FlopCount, count_flops
from carbonllm.quantities import count_text


def _seq_len(value: float | None) -> int | None:
    if value is None:
        return None
    if value <= 0 or not float(value).is_integer():
        raise InputError(f"--seq-len must be a whole number of tokens > 0, got {value:g}")
    return int(value)


def _component_rows(count: FlopCount) -> list[dict[str, Any]]:
    return [
        {"block": c.block, "layers": c.layers, "component": c.component,
         "params_per_layer": c.params_per_layer, "params": c.params, "active_params": c.active_params,
         "forward_flops_per_token_per_layer": c.forward_flops_per_token_per_layer,
         "forward_flops_per_token": c.forward_flops_per_token,
         "training_flops_per_token": c.training_flops_per_token, "share": c.share, "formula": c.formula}
        for c in count.components
    ]


def _summary(count: FlopCount, tokens: float | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "model": count.model, "method": count.method, "seq_len": count.seq_len,
        "causal_half": count.causal_half, "recompute": count.recompute,
        "params": count.params, "active_params": count.active_params,
        "non_embedding_params": count.non_embedding_params,
        "forward_flops_per_token": count.forward_flops_per_token,
        "backward_flops_per_token": count.backward_flops_per_token,
        "recompute_flops_per_token": count.recompute_flops_per_token,
        "model_flops_per_token": count.model_flops_per_token,
        "training_flops_per_token": count.training_flops_per_token,
        "six_n_flops_per_token": count.six_n_flops_per_token,
        "ratio_to_6n": count.ratio_to_6n, "approximate": count.approximate, "notes": list(count.notes),
    }
    if tokens is not None:
        summary.update(tokens=tokens, training_flops=count.training_flops(tokens), six_nd_flops=count.six_nd(tokens))
    return summary


def _short(value: float) -> str:
    return si(value).replace(" ", "")


def render_table(count: FlopCount, tokens: float | None) -> None:
    """The per-layer table and the detailed-vs-6N summary, with rich."""
    from rich.markup import escape
    from rich.table import Table

    console = table_console()
    moe = count.params != count.active_params
    title = (f"{count.model}: {grouped(count.params)} params"
             + (f" ({grouped(count.active_params)} active)" if moe else "")
             + f", seq {count.seq_len}; FLOPs per token")
    caption = "params/layer and fwd/layer: one layer of the block; train total: fwd+bwd over all its layers"
    table = Table(title=escape(title), caption=caption, show_header=True, header_style="bold")
    table.add_column("component", ratio=1)
    for column in ("params/layer", "fwd/layer", "train total", "share"):
        table.add_column(column, justify="right", no_wrap=True)
    block = None
    for c in count.components:
        if c.block != block:  # one heading row per block of identical layers
            block = c.block
            table.add_row(f"[bold]{escape(block if c.layers == 1 else f'{block} ×{c.layers}')}[/bold]")
        params = count_text(c.params_per_layer) if c.params == c.active_params else (
            f"{count_text(c.params_per_layer)} ({count_text(c.active_params_per_layer)} act.)")
        table.add_row("  " + escape(c.component), params, _short(c.forward_flops_per_token_per_layer),
                      _short(c.training_flops_per_token), f"{c.share:.1%}")
    console.print(table)

    summary = Table(show_header=False, box=None)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_column()
    summary.add_row("forward FLOPs/token", f"{count.forward_flops_per_token:.4e}", "")
    summary.add_row("+ backward (2× forward)", f"{count.backward_flops_per_token:.4e}", "")
    if count.recompute != "none":
        summary.add_row(f"+ recompute ({count.recompute})", f"{count.recompute_flops_per_token:.4e}",
                        "hardware FLOPs, not model FLOPs (HFU, not MFU)")
    summary.add_row("detailed training FLOPs/token", f"{count.training_flops_per_token:.4e}",
                    escape(count.method))
    n_label = "6·N (N = active params)" if moe else "6·N"
    summary.add_row(f"{n_label} FLOPs/token", f"{count.six_n_flops_per_token:.4e}", "Kaplan et al. 2020 §2.1")
    summary.add_row("detailed / 6·N", f"{count.ratio_to_6n:.3f}", "")
    if tokens is not None:
        summary.add_row(f"training FLOPs for {count_text(tokens)} tokens", f"{count.training_flops(tokens):.4e}",
                        f"6·N·D = {count.six_nd(tokens):.4e}")
    console.print(summary)
    for note in count.notes:
        console.print(f"note: {escape(note)}")


def _list_presets(fmt: str) -> None:
    from carbonllm.flops.presets import preset_table

    rows = [
        {"name": p.name, "family": p.family, "params": p.params, "active_params": p.active_params,
         "layers": p.architecture.n_layers, "d_model": p.architecture.d_model,
         "heads": p.architecture.n_heads, "kv_heads": p.architecture.kv_heads,
         "ffn": p.architecture.ffn_type + (f" {p.architecture.moe_top_k}/{p.architecture.moe_experts}"
                                           if p.architecture.is_moe else ""),
         "seq_len": p.architecture.context_length, "aliases": ";".join(p.aliases), "source": p.source}
        for p in preset_table()
    ]
    if fmt == "json":
        echo_json(rows)
        return
    if fmt == "csv":
        echo_csv(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="architecture presets (data/model_presets.csv)", header_style="bold")
    for column, justify in (("name", "left"), ("params", "right"), ("active", "right"), ("L", "right"),
                            ("d", "right"), ("H/KV", "right"), ("FFN", "left"), ("seq", "right")):
        table.add_column(column, justify=justify, no_wrap=column == "name")  # type: ignore[arg-type]
    for r in rows:
        table.add_row(escape(str(r["name"])), count_text(float(r["params"])),  # type: ignore[arg-type]
                      count_text(float(r["active_params"])), str(r["layers"]),  # type: ignore[arg-type]
                      str(r["d_model"]), f"{r['heads']}/{r['kv_heads']}", escape(str(r["ffn"])), str(r["seq_len"]))
    table_console().print(table)


@click.command("flops")
@click.option("--model", help="Architecture preset, e.g. llama-3.1-405b (see --list).")
@click.option("--config", type=click.Path(dir_okay=True), help="Hugging Face config.json (file or directory).")
@click.option("--list", "list_presets", is_flag=True, help="List the architecture presets and exit.")
@click.option("--seq-len", type=QUANTITY, help="Training sequence length (default: the model's training context).")
@click.option("--causal-half", is_flag=True, help="Halve QKᵀ and AV for a causal mask (default: PaLM, no halving).")
@click.option("--recompute", type=click.Choice(RECOMPUTE), default="none", show_default=True,
              help="Activation recomputation: adds hardware FLOPs (HFU), not model FLOPs.")
@click.option("--tokens", type=QUANTITY, help="Also give the training FLOPs for D tokens.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def flops(model: str | None, config: str | None, list_presets: bool, seq_len: float | None, causal_half: bool,
          recompute: str, tokens: float | None, fmt: str) -> None:
    """Parameters and FLOPs per token of an architecture, component by component, beside 6·N.

    \b
    carbonllm flops --model llama-3.1-405b
    carbonllm flops --config ./config.json --seq-len 4096 --causal-half --format json
    carbonllm flops --list
    """
    if list_presets:
        if model or config:
            raise InputError("--list cannot be used with --model or --config")
        _list_presets(fmt)
        return
    from carbonllm.estimator.resolve import config_seq_len, resolve_architecture

    if model is not None and config is not None:
        raise InputError("--model and --config cannot be used together; give one of them")
    arch = resolve_architecture(model, config)
    if arch is None:
        raise InputError("give --model NAME or --config PATH (or --list to see the presets)")
    if tokens is not None and tokens <= 0:
        raise InputError(f"--tokens must be greater than 0, got {tokens:g}")
    seq = _seq_len(seq_len)
    if seq is None and config is not None:  # a config's max_position_embeddings is not its training length
        seq, _ = config_seq_len(arch)
    count = count_flops(arch, seq, causal_half=causal_half, recompute=recompute)  # type: ignore[arg-type]
    if fmt == "json":
        echo_json({**_summary(count, tokens), "components": _component_rows(count)})
    elif fmt == "csv":
        summary = _summary(count, tokens)
        total = {"block": "total", "layers": "", "component": count.method, "params_per_layer": "",
                 "params": count.params, "active_params": count.active_params,
                 "forward_flops_per_token_per_layer": "", "forward_flops_per_token": count.forward_flops_per_token,
                 "training_flops_per_token": count.training_flops_per_token, "share": 1.0,
                 "formula": f"6N = {summary['six_n_flops_per_token']:.6e}; ratio {count.ratio_to_6n:.4f}"}
        echo_csv(_component_rows(count) + [total])
    else:
        render_table(count, tokens)
