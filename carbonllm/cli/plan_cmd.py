"""``carbonllm plan``: compute-optimal parameters and tokens for a FLOP, device-hour, kWh or CO2e budget."""

from __future__ import annotations

from typing import Any

import click

from carbonllm.cli.options import QUANTITY, efficiency_options, grid_options
from carbonllm.cli.output import (
    FORMATS,
    count_text,
    echo_csv,
    echo_json,
    environment_settings,
    grouped,
    table_console,
)
from carbonllm.estimator.planner import Plan, PlanPoint, plan_budget
from carbonllm.quantities import energy_text, mass_text, sig


def _point(p: PlanPoint) -> dict[str, Any]:
    return p.model_dump()


def render_table(result: Plan) -> None:
    """The optimum, the table around it and the assumptions, with rich."""
    from rich.markup import escape
    from rich.table import Table

    console = table_console()
    o, r = result.optimal, result.rates
    unit = {"flops": "FLOPs", "gpu_hours": "device-hours", "kwh": "kWh", "co2e_kg": "kgCO2e"}[result.budget_kind]
    top = Table(title=f"compute-optimal plan for {sig(result.budget)} {unit}", show_header=False)
    top.add_column(style="bold")
    top.add_column(justify="right")
    top.add_column()
    top.add_row("training FLOPs (C = 6·N·D)", f"{o.flops:.3e}", "")
    top.add_row("parameters N", count_text(o.params), f"{result.tokens_per_param:g} tokens/parameter: N = √(C/(6·r))")
    top.add_row("tokens D", count_text(o.tokens), "D = r·N")
    fit_text = f"{count_text(o.fit_params)} / {count_text(o.fit_tokens)}"
    top.add_row("parametric fit N / D", fit_text, escape(result.fit.source))
    top.add_row("predicted loss L(N, D)", f"{o.predicted_loss:.3f}", "nats/token on MassiveText (fit)")
    top.add_row("device-hours", grouped(o.device_hours), escape(r.gpu))
    top.add_row("energy (kWh)", grouped(o.energy_kwh), "")
    top.add_row("operational CO2e (kg)", grouped(o.co2e_kg), escape(r.region))
    console.print(top)

    table = Table(title="budgets around it", header_style="bold")
    for column in ("budget", "FLOPs", "params", "tokens", "fit params", "fit tokens", "device-hours", "energy",
                   "CO2e"):
        table.add_column(column, justify="right")
    for p in result.table:
        table.add_row(f"{p.scale:g}×", f"{p.flops:.2e}", count_text(p.params), count_text(p.tokens),
                      count_text(p.fit_params), count_text(p.fit_tokens), sig(p.device_hours),
                      energy_text(p.energy_kwh), mass_text(p.co2e_kg))
    console.print(table)

    notes: list[str] = []

    def cite(text: str) -> str:  # sources as numbered footnotes: the table keeps values whole
        notes.append(text)
        return f"[{len(notes)}]"

    assumed = Table(title="assumptions (as carbonllm estimate)", header_style="bold")
    assumed.add_column("assumption", no_wrap=True)
    assumed.add_column("value", no_wrap=True)
    assumed.add_column("source", no_wrap=True)
    assumed.add_row("accelerator", escape(f"{r.gpu}, {r.dtype} {r.peak_tflops:g} TFLOP/s dense"),
                    cite("accelerator: data/hardware.csv"))
    assumed.add_row("MFU", f"{r.mfu:g}", cite(f"MFU: {r.mfu_source}"))
    assumed.add_row("power per device", f"{r.power_w:g} W", cite(f"power: {r.power_source}"))
    assumed.add_row("PUE", f"{r.pue:g}", cite(f"PUE: {r.pue_source}"))
    assumed.add_row("grid intensity", f"{r.intensity_g_per_kwh:g} gCO2e/kWh", cite(f"grid: {r.intensity_source}"))
    assumed.add_row("split", f"{result.tokens_per_param:g} tokens/param", cite(f"split: {result.rule_source}"))
    console.print(assumed)
    for number, note in enumerate(notes, start=1):
        console.print(f"[{number}] {note}", markup=False)
    console.print("Central values only; the estimator's low–high spans are not propagated. Estimated, not measured.")


@click.command("plan")
@click.option("--flops", type=QUANTITY, help="Budget in training FLOPs, e.g. 5.76e23.")
@click.option("--gpu-hours", type=QUANTITY, help="Budget in device-hours on --gpu.")
@click.option("--kwh", type=QUANTITY, help="Budget in facility kWh (device power × PUE).")
@click.option("--co2e-kg", type=QUANTITY, help="Budget in kgCO2e in --region (or at --intensity).")
@click.option("--gpu", default=None, help="Accelerator name (default A100); see 'carbonllm hardware'.")
@efficiency_options
@grid_options
@click.option("--tokens-per-param", type=QUANTITY, default=20.0, show_default=True,
              help="Tokens per parameter of the compute-optimal split (Hoffmann et al. 2022: ~20).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def plan(fmt: str, **options: Any) -> None:
    """Compute-optimal model size and tokens for a budget (Hoffmann et al. 2022, Chinchilla).

    \b
    carbonllm plan --flops 5.76e23
    carbonllm plan --gpu-hours 1M --gpu H100
    carbonllm plan --co2e-kg 50000 --gpu H100 --region FR

    Region, intensity and PUE not given here come from CARBONLLM_REGION, CARBONLLM_INTENSITY,
    CARBONLLM_PUE or the config file, as for 'carbonllm track'.
    """
    with environment_settings(options):
        result = plan_budget(**options)
    if fmt == "json":
        echo_json(result.model_dump())
    elif fmt == "csv":
        rates = {f"assumptions_{k}": v for k, v in result.rates.model_dump().items()}
        echo_csv([{"budget_kind": result.budget_kind, "budget": result.budget,
                   "tokens_per_param": result.tokens_per_param, **_point(p), **rates} for p in result.table])
    else:
        render_table(result)
