"""``carbonllm estimate``: the estimator on the command line (the click command; what it does is
in :mod:`carbonllm.cli.estimate_output`)."""

from __future__ import annotations

import click

from carbonllm.cli import estimate_output
from carbonllm.cli.option_specs import ESTIMATE
from carbonllm.cli.options import click_options


@click.command("estimate")
@click_options(ESTIMATE)
def estimate(**options: object) -> None:
    """Estimate FLOPs, device-hours, kWh and CO2e of a training run.

    \b
    Compute mode:  carbonllm estimate --params 175e9 --tokens 300e9 --gpu A100
    Time mode:     carbonllm estimate --gpu-hours 1082990 --gpu A100 --region FR
    Architecture:  carbonllm estimate --model llama-2-7b --tokens 2T --gpu A100

    Region, intensity and PUE not given here come from CARBONLLM_REGION, CARBONLLM_INTENSITY,
    CARBONLLM_PUE or the config file, as for 'carbonllm track'.
    """
    estimate_output.run(options)
