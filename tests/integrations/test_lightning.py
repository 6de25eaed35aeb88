"""The Lightning callback: a real two-step ``Trainer.fit`` of a tiny GPT-2 on the CPU.

The model is built from a config in the test (no download) and trained on random token ids.
Without a GPU the tracker measures the CPU and RAM through its fall-backs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch")  # guard for users without the extra; CI installs it
transformers = pytest.importorskip("transformers")
pl = pytest.importorskip("lightning.pytorch")

from fakes import two_gpus  # noqa: E402

from carbonllm.errors import UnknownRegionError  # noqa: E402
from carbonllm.integrations.lightning import CO2E_KEY, ENERGY_KEY, CarbonLLMCallback  # noqa: E402
from carbonllm.report.inputs import load_report  # noqa: E402
from carbonllm.tables.loader import find_zone  # noqa: E402

# lightning 2.6 on torch 2.13 calls a deprecated torch pytree API while flattening data loaders
pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning")

VOCAB = 64
SEQ = 16


def tiny_module(base: Any) -> Any:
    class TinyGPT(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.net = transformers.GPT2LMHeadModel(transformers.GPT2Config(
                n_layer=1, n_embd=16, n_head=2, vocab_size=VOCAB, n_positions=32, bos_token_id=0, eos_token_id=0))

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            (ids,) = batch
            return self.net(input_ids=ids, labels=ids).loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    return TinyGPT()


def loader() -> Any:
    ids = torch.randint(0, VOCAB, (8, SEQ), generator=torch.Generator().manual_seed(0))
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(ids), batch_size=2)


def fit(package: Any, callback: Any, root: Path) -> Any:
    trainer = package.Trainer(max_steps=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                              enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=1,
                              default_root_dir=str(root), callbacks=[callback])
    trainer.fit(tiny_module(package.LightningModule), loader())
    return trainer


def test_two_real_steps_are_measured_logged_and_summarised(tmp_path: Path):
    callback = CarbonLLMCallback(region="FR", interval_s=0.05, tokens_per_step=2 * SEQ,
                                 output_dir=str(tmp_path / "run"))
    trainer = fit(pl, callback, tmp_path)

    result = callback.result
    assert result is not None and result.complete and result.method == "measured" and result.exit_status == 0
    assert result.facility_energy_kwh > 0  # CPU/RAM fall-backs without a GPU
    assert result.co2e_kg == pytest.approx(result.facility_energy_kwh * find_zone("FR").intensity_g_per_kwh / 1000)
    assert result.steps_done == 2 and result.tokens_done == 2 * 2 * SEQ
    assert result.projection is not None and result.projection.done == result.projection.total == 2

    assert float(trainer.callback_metrics[CO2E_KEY]) == pytest.approx(result.co2e_kg)
    assert float(trainer.callback_metrics[ENERGY_KEY]) == pytest.approx(result.facility_energy_kwh)
    assert load_report(tmp_path / "run").data.co2e_kg == pytest.approx(result.co2e_kg)
    assert callback.errors == []


def test_default_output_dir_is_under_the_trainer_root(tmp_path: Path):
    callback = CarbonLLMCallback(interval_s=0.05)
    fit(pl, callback, tmp_path)
    assert callback.output_dir is not None and callback.output_dir.parent == tmp_path / "carbonllm"


def test_a_failing_training_still_writes_its_summary(tmp_path: Path):
    class Boom(RuntimeError):
        pass

    class Failing(pl.Callback):
        def on_train_batch_end(self, *args: Any) -> None:
            raise Boom("step failed")

    callback = CarbonLLMCallback(interval_s=0.05, output_dir=str(tmp_path / "run"))
    trainer = pl.Trainer(max_steps=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[callback, Failing()])
    with pytest.raises(Boom):
        trainer.fit(tiny_module(pl.LightningModule), loader())
    assert callback.result is not None and callback.result.exit_status == 1
    assert "exited with status 1" in " ".join(load_report(tmp_path / "run").data.notes)


def test_only_the_local_main_process_measures(tmp_path: Path):
    callback = CarbonLLMCallback(interval_s=0.05, output_dir=str(tmp_path / "run"))
    trainer = SimpleNamespace(local_rank=1, global_step=0, log_every_n_steps=1)
    callback.on_train_start(trainer, None)
    callback.on_train_batch_end(trainer, None, None, None, 0)
    callback.on_train_end(trainer, None)
    assert callback.tracker is None and callback.result is None and not (tmp_path / "run").exists()


def test_embodied_is_charged_for_the_gpu_hours_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    two_gpus().install(monkeypatch)  # two fake H100s at the pynvml calls; training stays on the CPU
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    callback = CarbonLLMCallback(intensity=100, interval_s=0.05, embodied=True, output_dir=str(tmp_path / "run"))
    fit(pl, callback, tmp_path)
    result = callback.result
    assert result is not None and result.gpu_count == 2 and result.gpu_hours > 0
    # Luccioni et al. 2022 §4.3: 462.5 kg per GPU / (6 × 8,760 h × 0.85 = 44,676 h) = 0.0103523 kg per GPU-hour
    assert result.embodied_co2e_kg == pytest.approx(result.gpu_hours * 0.0103523, rel=1e-5)
    assert load_report(tmp_path / "run").data.embodied_co2e_kg == pytest.approx(result.embodied_co2e_kg)


def test_bad_options_fail_before_training():
    with pytest.raises(UnknownRegionError, match="Atlantis"):
        CarbonLLMCallback(region="Atlantis")


def test_the_pytorch_lightning_import_name(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    ptl = pytest.importorskip("pytorch_lightning")
    from carbonllm.integrations.lightning import PLCarbonLLMCallback

    assert issubclass(PLCarbonLLMCallback, ptl.Callback)
    callback = PLCarbonLLMCallback(interval_s=0.05, output_dir=str(tmp_path / "run"))
    with caplog.at_level(logging.INFO, logger="carbonllm"):
        fit(ptl, callback, tmp_path)
    assert callback.result is not None and callback.result.facility_energy_kwh > 0
    assert "run summary in" in caplog.text
