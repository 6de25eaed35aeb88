"""``carbonllm doctor``: what the tracker can see on this machine, and what it falls back to.

It answers "why is my GPU energy zero?" before anyone files an issue: whether NVML loads and
which GPUs it sees (with or without the energy counter), where it has none whether AMD SMI
(``amdsmi``) sees AMD GPUs, which RAPL files exist and whether they
can be read, codecarbon's version and what its CPU table says about this CPU, and, for each
component, the method ``carbonllm track`` will use. It reads; it changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from carbonllm.cli.output import echo_json, table_console
from carbonllm.errors import MeasurementError
from carbonllm.measure.track_config import resolve_config


def check_nvml(gpu_ids: tuple[str, ...] | None, cuda_visible_devices: str | None) -> dict[str, Any]:
    """NVML's state and one entry per GPU."""
    from carbonllm.measure import nvml as sensor_nvml

    report: dict[str, Any] = {"available": False, "driver": None, "gpus": [], "selected": [], "error": None}
    try:
        pynvml = sensor_nvml.init_nvml()
    except MeasurementError as e:
        report["error"] = str(e)
        return report
    report["available"] = True
    try:
        try:
            driver = pynvml.nvmlSystemGetDriverVersion()
            report["driver"] = driver.decode() if isinstance(driver, bytes) else str(driver)
        except pynvml.NVMLError as e:
            report["driver"] = f"unknown ({e})"
        for index in range(int(pynvml.nvmlDeviceGetCount())):
            entry: dict[str, Any] = {"index": index}
            try:
                sensor = sensor_nvml.NvmlGpuSensor(pynvml, index)
                entry.update(name=sensor.name, uuid=sensor.uuid, energy_counter=sensor.has_counter,
                             method=sensor.method, power_w=sensor.read_power_w())
            except MeasurementError as e:
                entry.update(error=str(e))
            report["gpus"].append(entry)
        try:
            indices, how = sensor_nvml.select_indices(pynvml, gpu_ids, cuda_visible_devices)
            report["selected"] = indices
            report["selected_by"] = how
        except MeasurementError as e:
            report["error"] = str(e)
    finally:
        pynvml.nvmlShutdown()
    return report


def check_amd(gpu_ids: tuple[str, ...] | None) -> dict[str, Any]:
    """AMD SMI's state and one entry per AMD GPU (``track`` uses them where NVML has no GPU)."""
    from carbonllm.measure import amd as sensor_amd

    report: dict[str, Any] = {"available": False, "gpus": [], "error": None}
    try:
        gpus = sensor_amd.open_gpus(gpu_ids)
    except MeasurementError as e:
        report["error"] = str(e)
        return report
    report["available"] = True
    try:
        for sensor in gpus.sensors:
            entry: dict[str, Any] = {"index": sensor.index, "name": sensor.name, "uuid": sensor.uuid,
                                     "energy_counter": sensor.has_counter, "method": sensor.method}
            try:
                entry["power_w"] = sensor.read_power_w()
            except MeasurementError as e:
                entry["error"] = str(e)
            report["gpus"].append(entry)
    finally:
        gpus.close()
    return report


def check_rapl(root: Path | None) -> dict[str, Any]:
    """Each RAPL domain file and whether it can be read."""
    from carbonllm.measure import rapl as sensor_rapl

    root = root or sensor_rapl.DEFAULT_RAPL_ROOT
    found = sensor_rapl.find_rapl(root)
    files = []
    if root.is_dir():
        for energy_file in sorted(root.glob("intel-rapl:*/energy_uj")):
            name_file = energy_file.parent / "name"
            readable = True
            try:
                energy_file.read_text()
            except OSError:
                readable = False
            files.append({"path": str(energy_file), "domain": sensor_rapl.read_domain_name(name_file.parent),
                          "readable": readable})
    return {"root": str(root), "files": files, "packages": [s.device for s in found.packages],
            "dram": [s.device for s in found.dram], "problem": found.problem or None}


def check_codecarbon() -> dict[str, Any]:
    """codecarbon's version and its CPU-table match for this CPU (no tracker, no network)."""
    from carbonllm.measure import modelled as sensor_models

    version = sensor_models.codecarbon_version()
    report: dict[str, Any] = {"version": version, "cpu": None, "ram": None, "error": None}
    if version is None:
        report["error"] = "codecarbon is not installed"
        return report
    try:
        info, _ = sensor_models.codecarbon_cpu(make_cpu=False)
        report["cpu"] = {"model": info.model, "tdp_w": info.tdp_w, "sockets": info.sockets,
                         "max_power_w": info.max_power_w, "in_codecarbon_table": info.matched,
                         "messages": list(info.messages)}
        ram = sensor_models.codecarbon_ram()
        report["ram"] = {"memory_gb": ram.memory_gb, "power_w": ram.power_w}
    except MeasurementError as e:
        report["error"] = str(e)
    return report


def diagnose(gpu_ids: tuple[str, ...] | None = None, cuda_visible_devices: str | None = None,
             rapl_root: Path | None = None) -> dict[str, Any]:
    """Everything ``doctor`` prints, as a dict (the ``--format json`` object)."""
    nvml = check_nvml(gpu_ids, cuda_visible_devices)
    amd: dict[str, Any] = (check_amd(gpu_ids) if not nvml["available"] else
                           {"available": False, "gpus": [], "error": "not looked for: NVML is available"})
    rapl = check_rapl(rapl_root)
    codecarbon = check_codecarbon()
    plan: dict[str, str] = {}
    selected = [g for g in nvml["gpus"] if g["index"] in nvml.get("selected", [])]
    if selected:
        methods = sorted({g.get("method", "error") for g in selected})
        plan["gpu"] = f"{len(selected)} GPU(s) via {', '.join(methods)}"
    elif amd["gpus"]:
        methods = sorted({g["method"] for g in amd["gpus"]})
        plan["gpu"] = f"{len(amd['gpus'])} AMD GPU(s) via {', '.join(methods)} (amdsmi)"
    else:
        plan["gpu"] = "not measured: " + (nvml["error"] or "no GPU selected")
    # what track uses without RAPL: codecarbon's models, their power read directly (power_models)
    from carbonllm.measure import power_models

    if rapl["packages"]:
        plan["cpu"] = f"rapl ({', '.join(rapl['packages'])})"
    else:
        cpu = power_models.cpu_power()
        plan["cpu"] = (f"codecarbon-cpu-model: {cpu.model}, {cpu.max_power_w:g} W at full load × load model "
                       f"({cpu.source}; RAPL {rapl['problem']})")
    if rapl["dram"]:
        plan["ram"] = f"rapl ({', '.join(rapl['dram'])})"
    else:
        ram = power_models.ram_power()
        plan["ram"] = f"ram-model: {ram.power_w:g} W ({ram.source})"
    return {"nvml": nvml, "amd": amd, "rapl": rapl, "codecarbon": codecarbon, "plan": plan,
            "network": "none: carbonllm makes no network call; region comes from --region, "
                       "CARBONLLM_REGION or a config file"}


def render(report: dict[str, Any]) -> None:
    from rich.table import Table

    console = table_console()
    nvml = report["nvml"]
    state = f"available, driver {nvml['driver']}" if nvml["available"] else "unavailable"
    console.print(f"[bold]NVML[/bold]: {state}" + (f" - {nvml['error']}" if nvml["error"] else ""), highlight=False)
    if nvml["gpus"]:
        gpus = Table(show_header=True, header_style="bold")
        for column in ("index", "name", "energy counter", "method", "power (W)", "measured"):
            gpus.add_column(column)
        for g in nvml["gpus"]:
            power = g.get("power_w")
            gpus.add_row(str(g["index"]), g.get("name", g.get("error", "?")),
                         "yes" if g.get("energy_counter") else "no", g.get("method", "-"),
                         "-" if power is None else f"{power:.0f}", "yes" if g["index"] in nvml["selected"] else "no")
        console.print(gpus)
    amd = report["amd"]
    console.print("[bold]AMD SMI[/bold]: " + ("available" if amd["available"] else "unavailable")
                  + (f" - {amd['error']}" if amd["error"] else ""), highlight=False)
    for g in amd["gpus"]:  # one line per GPU: a name or method is never cut to fit a table
        power = g.get("power_w")
        console.print(f"  GPU {g['index']} {g['name']}: energy counter {'yes' if g['energy_counter'] else 'no'}, "
                      f"method {g['method']}, power {'-' if power is None else f'{power:.0f}'} W",
                      highlight=False, soft_wrap=True)
    rapl = report["rapl"]
    console.print(f"[bold]RAPL[/bold] ({rapl['root']}): "
                  + (f"{len(rapl['files'])} domain file(s)" if rapl["files"] else "none"), highlight=False)
    for f in rapl["files"]:
        console.print(f"  {f['path']} ({f['domain']}): {'readable' if f['readable'] else 'NOT readable'}",
                      highlight=False)
    cc = report["codecarbon"]
    console.print(f"[bold]codecarbon[/bold]: {cc['version'] or 'not installed'}", highlight=False)
    if cc["cpu"]:
        cpu = cc["cpu"]
        match = "found in its CPU table" if cpu["in_codecarbon_table"] else "NOT in its CPU table (default 4 W/thread)"
        console.print(f"  CPU {cpu['model']!r}: {match}; TDP {cpu['tdp_w']:g} W × {cpu['sockets']} socket(s)",
                      highlight=False)
    if cc["ram"]:
        console.print(f"  RAM {cc['ram']['memory_gb']:.0f} GB: {cc['ram']['power_w']:g} W (codecarbon 3.x model)",
                      highlight=False)
    if cc["error"]:
        console.print(f"  {cc['error']}", highlight=False)
    plan = Table(title="what carbonllm track will use", show_header=True, header_style="bold")
    plan.add_column("component")
    plan.add_column("method", overflow="fold")
    for component, text in report["plan"].items():
        plan.add_row(component, text)
    console.print(plan)
    console.print(f"network: {report['network']}", highlight=False)


@click.command("doctor")
@click.option("--gpu-ids", help="GPUs to check selection for: NVML indices or UUIDs, comma-separated.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def doctor(gpu_ids: str | None, fmt: str) -> None:
    """Show which sensors carbonllm can read here, and its fall-backs."""
    config = resolve_config({"gpu_ids": gpu_ids, "intensity_g_per_kwh": 0})
    report = diagnose(config.gpu_ids, config.cuda_visible_devices, config.rapl_root)
    if fmt == "json":
        echo_json(report)
    else:
        render(report)
