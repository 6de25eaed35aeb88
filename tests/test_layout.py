"""The package layout: the layers of docs/architecture.md hold, and no sub-package hides a public name.

The layer rule is read from the source with ``ast`` (every import, also those inside functions and
under ``TYPE_CHECKING``), so a lazy import that crosses a layer is caught as well as an eager one.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import carbonllm

PACKAGE_DIR = Path(carbonllm.__file__).resolve().parent

#: Each part, lowest first, and the parts it may import (besides itself). Mirrors the table in
#: docs/architecture.md; ``cli`` and the package ``__init__`` may import anything.
FOUNDATIONS = {"errors", "units", "quantities", "names", "settings", "files", "frozen", "_version"}
MAY_IMPORT: dict[str, set[str]] = {
    "foundations": set(),
    "tables": {"foundations"},
    "flops": {"foundations", "tables"},
    "estimator": {"foundations", "tables", "flops"},
    "measure": {"foundations", "tables", "flops", "estimator"},
    "report": {"foundations", "tables", "flops", "estimator", "measure"},
    "integrations": {"foundations", "tables", "flops", "estimator", "measure", "report"},
}


def part_of(dotted: str) -> str | None:
    """The part a ``carbonllm.…`` module belongs to (None for the package itself, data, cli)."""
    pieces = dotted.split(".")
    if pieces[0] != "carbonllm" or len(pieces) == 1:
        return None
    head = pieces[1]
    if head in FOUNDATIONS:
        return "foundations"
    if head in MAY_IMPORT:
        return head
    return None


def carbonllm_imports(path: Path, module: str) -> set[str]:
    """Every ``carbonllm`` module the file imports, resolved to dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("carbonllm"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join(parent + ([base] if base else []))
            if base == "carbonllm":  # from carbonllm import x: x may be a module
                found.update(f"carbonllm.{a.name}" for a in node.names)
            elif base.startswith("carbonllm"):
                found.add(base)
    return found


def all_modules() -> list[tuple[str, Path]]:
    modules = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.append((".".join(parts), path))
    return modules


def test_the_layout_has_the_documented_parts():
    subpackages = {p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists()}
    assert {"tables", "flops", "estimator", "measure", "report", "integrations", "cli"} <= subpackages
    docs = (PACKAGE_DIR.parent / "docs" / "architecture.md")
    if docs.exists():  # a source checkout: the map names every folder of the package
        text = docs.read_text(encoding="utf-8")
        for name in subpackages - {"data"}:
            assert f"{name}/" in text, f"docs/architecture.md does not mention {name}/"


@pytest.mark.parametrize(("module", "path"), all_modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_point_down_the_layers(module: str, path: Path):
    part = part_of(module)
    if part is None:
        return
    allowed = MAY_IMPORT[part] | {part}
    upward = sorted(i for i in carbonllm_imports(path, module)
                    if part_of(i) not in allowed and i not in ("carbonllm",))
    assert not upward, f"{module} ({part}) imports {upward}; {part} may import {sorted(allowed)}"


def test_no_module_imports_the_package_init():
    """Only sub-modules are imported through ``carbonllm``; a name from the package ``__init__``
    (``from carbonllm import __version__``) would load the whole public API (use ``_version``)."""
    modules = {m for m, _ in all_modules()}
    for module, path in all_modules():
        if module == "carbonllm":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "carbonllm" and not node.level:
                names = [a.name for a in node.names if f"carbonllm.{a.name}" not in modules]
                assert not names, f"{module} imports {names} from the package __init__"
            elif isinstance(node, ast.Import):
                assert "carbonllm" not in [a.name for a in node.names], f"{module} imports the package __init__"


def test_no_module_is_over_about_500_lines():
    long = {m: n for m, p in all_modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520}
    assert not long


def test_importing_every_module_keeps_the_public_functions():
    code = (
        "import importlib, inspect, pkgutil, carbonllm\n"
        "for m in pkgutil.walk_packages(carbonllm.__path__, 'carbonllm.'):\n"
        "    if not m.name.startswith(('carbonllm.integrations.huggingface', 'carbonllm.integrations.lightning')):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [n for n in ('estimate', 'compare', 'track', 'count_flops', 'plan_budget', 'load_run',\n"
        "       'merge_runs', 'load_report', 'load_config') if not inspect.isfunction(getattr(carbonllm, n))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves_and_no_subpackage_shares_a_public_name():
    for name in carbonllm.__all__:
        assert getattr(carbonllm, name) is not None, name
    subpackages = {m.name for m in pkgutil.iter_modules(carbonllm.__path__)}
    functions = {n for n in carbonllm.__all__ if inspect.isfunction(getattr(carbonllm, n))}
    assert not subpackages & functions
    for package in ("tables", "flops", "estimator", "measure", "report"):
        inner = {m.name for m in pkgutil.iter_modules(importlib.import_module(f"carbonllm.{package}").__path__)}
        assert not inner & functions, f"carbonllm.{package} has a module named like a public function"
