"""Importing a callback without its framework says which extra to install (not a bare ModuleNotFoundError)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(("module", "missing", "extra"), [
    ("carbonllm.integrations.huggingface", ["transformers"], "carbonllm[hf]"),
    ("carbonllm.integrations.lightning", ["lightning", "lightning.pytorch", "pytorch_lightning"],
     "carbonllm[lightning]"),
])
def test_a_missing_framework_names_the_extra(module: str, missing: list[str], extra: str) -> None:
    # a None entry in sys.modules makes "import X" raise ImportError, as if X were not installed
    code = (f"import sys\nfor name in {missing!r}: sys.modules[name] = None\n"
            f"try:\n    import {module}\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert extra in out and "from a checkout" in out
