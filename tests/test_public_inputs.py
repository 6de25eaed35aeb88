"""Every public function refuses wrong types, empty values, overflow, NaN and infinities with the
``InputError`` family — never AttributeError, TypeError, OverflowError, and never a silent default
(issue 9). The walk covers every function exported by ``carbonllm`` (a new export without a case
fails ``test_every_public_function_has_a_case``)."""

from __future__ import annotations

import inspect
import math
import warnings
from pathlib import Path
from typing import Any

import pytest

import carbonllm
from carbonllm.errors import InputError

#: Values no argument of a public function accepts (except where a case lists it as valid).
BAD: list[Any] = [[], {}, object(), "", "   ", math.nan, math.inf, -math.inf, 10**400, -1, True, ["x"]]


def _cases(tmp: Path) -> dict[str, tuple[dict[str, Any], dict[str, list[Any]]]]:
    """Function name → (valid keyword arguments, {argument: the BAD values that are valid for it})."""
    missing = str(tmp / "missing")
    return {
        "estimate": (dict(params="7B", tokens="2T", gpu="A100", region="FR"), {"embodied": [True]}),
        "compare": (dict(gpus="A100", regions="FR", params="7B", tokens="2T"), {}),
        "plan_budget": (dict(flops=1e23, gpu="A100", region="FR"), {}),
        "training_flops_6nd": (dict(params=7e9, tokens=2e12), {}),
        "find_accelerator": (dict(name="A100"), {}),
        "find_zone": (dict(name="FR"), {}),
        "find_architecture": (dict(name="llama2-7b"), {}),
        "find_preset": (dict(name="llama2-7b"), {}),
        "count_flops": (dict(arch=carbonllm.find_architecture("gpt2"), seq_len=1024), {"causal_half": [True]}),
        "load_config": (dict(path=missing), {}),
        "load_run": (dict(path=missing), {}),
        "merge_runs": (dict(directory=missing), {}),
        "load_report": (dict(path=missing), {}),
        "samples_to_pandas": (dict(run=missing), {}),
        "read_emissions_csv": (dict(path=Path(missing)), {}),
        # sensors=[] keeps the walk off the machine's devices; nothing is started
        "track": (dict(region="FR", output_dir=str(tmp / "runs"), sensors=[]),
                  {"gpu_ids": [10**400, -1, ["x"]],  # any id is a name; a missing one is said at start
                   "embodied": [True]}),
        "hardware_table": ({}, {}),
        "grid_table": ({}, {}),
    }


def _public_functions() -> dict[str, Any]:
    functions = {}
    for name in carbonllm._EXPORTS:  # type: ignore[attr-defined]
        value = getattr(carbonllm, name)
        if inspect.isfunction(value) or (callable(value) and hasattr(value, "cache_clear")):
            functions[name] = value
    return functions


def test_every_public_function_has_a_case(tmp_path):
    assert set(_public_functions()) == set(_cases(tmp_path))


def test_every_argument_of_every_public_function_refuses_bad_values(tmp_path):
    cases = _cases(tmp_path)
    failures = []
    for name, function in _public_functions().items():
        valid, allowed = cases[name]
        if not any(str(v).endswith("missing") for v in valid.values()):
            function(**valid)  # the valid call works, so what fails below fails for the bad value
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind is parameter.VAR_KEYWORD or parameter.name in ("sensors", "config", "fit"):
                continue  # test seams and typed model objects, not user input
            for bad in BAD:
                if any(bad is ok or (type(bad) is type(ok) and bad == ok) for ok in allowed.get(parameter.name, [])):
                    continue
                try:
                    with warnings.catch_warnings():  # a deprecated spelling must refuse bad values too
                        warnings.simplefilter("ignore", DeprecationWarning)
                        function(**{**valid, parameter.name: bad})
                except InputError:
                    continue
                except Exception as e:  # noqa: BLE001 - the point is to name whatever escaped
                    failures.append(f"{name}({parameter.name}={bad!r:.30}): {type(e).__name__}: {e}")
                else:
                    failures.append(f"{name}({parameter.name}={bad!r:.30}): accepted")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(gpu=""), "--gpu is empty"),
        (dict(region=""), "--region is empty"),
        (dict(gpu=["A100"]), "--gpu must be a name"),
        (dict(region=123), "--region must be a name"),
        (dict(params=10**400), "--params is beyond the range of a number"),
        (dict(pue=3.5), "--pue 3.5 is above the plausible limit of 3"),
        (dict(power_w=7000), "--power-w 7000 is above the plausible limit of 5,000"),
        (dict(devices=2_000_000), "--devices 2e+06 is above the plausible limit of 1e+06"),
        (dict(mfu=1.2), "--mfu must be in (0, 1]"),
        (dict(mfu=math.nan), "--mfu must be a finite number"),
        (dict(power_w=-math.inf), "--power-w must be a finite number"),
    ],
)
def test_estimate_names_the_bad_value_and_the_fix(kwargs, message):
    with pytest.raises(InputError) as info:
        carbonllm.estimate(**{"params": "7B", "tokens": "2T", **kwargs})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--gpu", ""], "--gpu is empty"),
        (["--pue", "4"], "--pue 4 is above the plausible limit of 3"),
        (["--power-w", "10kW"], "not a number"),
        (["--power-w", "9000"], "--power-w 9000 is above the plausible limit"),
        (["--devices", "5e6"], "above the plausible limit"),
        (["--params", "1e400"], "finite number"),
    ],
)
def test_cli_bad_input_is_exit_2_and_one_line(run_cli, argv, message):
    out = run_cli("estimate", "--params", "7B", "--tokens", "2T", *argv)
    assert out.exit_code == 2
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr
    assert "Traceback" not in out.stderr and not out.stdout
