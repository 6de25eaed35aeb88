"""The Hugging Face Trainer callback: a real two-step training of a tiny GPT-2 on the CPU.

The model is built from a config in the test (no download) and trained on random token ids.
Without a GPU the tracker measures the CPU and RAM through its fall-backs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")  # guard for users without the extra; CI installs it
transformers = pytest.importorskip("transformers")

from carbonllm.errors import InputError, UnknownRegionError  # noqa: E402
from carbonllm.integrations.huggingface import CO2E_KEY, ENERGY_KEY, CarbonLLMCallback  # noqa: E402
from carbonllm.report.inputs import load_report  # noqa: E402
from carbonllm.tables.loader import find_zone  # noqa: E402

VOCAB = 64
SEQ = 16


class RandomTokens(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, object]:
        ids = torch.randint(0, VOCAB, (SEQ,), generator=torch.Generator().manual_seed(i))
        return {"input_ids": ids, "labels": ids}


def train(tmp_path: Path, callback: CarbonLLMCallback) -> transformers.Trainer:
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=VOCAB, n_positions=32,
                                     bos_token_id=0, eos_token_id=0)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=2, report_to=[],
        logging_steps=1, save_strategy="no", use_cpu=True, disable_tqdm=True,
        include_num_input_tokens_seen=True)
    trainer = transformers.Trainer(model=transformers.GPT2LMHeadModel(config), args=args,
                                   train_dataset=RandomTokens(), callbacks=[callback])
    trainer.train()
    return trainer


def test_two_real_steps_are_measured_logged_and_summarised(tmp_path: Path, run_cli):
    callback = CarbonLLMCallback(region="FR", interval_s=0.05, output_dir=str(tmp_path / "run"))
    trainer = train(tmp_path, callback)

    result = callback.result
    assert result is not None and result.complete and result.method == "measured"
    assert result.facility_energy_kwh > 0  # CPU/RAM fall-backs without a GPU
    assert result.co2e_kg == pytest.approx(result.facility_energy_kwh * find_zone("FR").intensity_g_per_kwh / 1000)
    assert result.steps_done == 2 and result.tokens_done == 2 * 2 * SEQ  # 2 steps × batch 2 × 16 tokens
    assert result.projection is not None and result.projection.unit == "steps"
    assert result.projection.done == result.projection.total == 2

    history = trainer.state.log_history
    assert all(ENERGY_KEY in entry and CO2E_KEY in entry for entry in history)  # every log, and the final
    final = history[-1]
    assert final[CO2E_KEY] == result.co2e_kg and final["carbonllm_run_dir"] == str(tmp_path / "run")

    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert [f for f in files if f.endswith(".summary.json")] and [f for f in files if f.endswith(".samples.jsonl")]
    assert load_report(tmp_path / "run").data.co2e_kg == pytest.approx(result.co2e_kg)
    card = run_cli("report", str(tmp_path / "run"), "--format", "json")
    assert json.loads(card.stdout)["method"] == "measured"
    assert callback.errors == []


def test_default_output_dir_is_under_the_trainer_output_dir(tmp_path: Path):
    callback = CarbonLLMCallback(interval_s=0.05)
    train(tmp_path, callback)
    assert callback.output_dir is not None and callback.output_dir.parent == tmp_path / "out" / "carbonllm"


def test_only_the_local_main_process_measures(tmp_path: Path):
    callback = CarbonLLMCallback(interval_s=0.05, output_dir=str(tmp_path / "run"))
    state = transformers.TrainerState(is_local_process_zero=False, is_world_process_zero=False, max_steps=2)
    args = transformers.TrainingArguments(output_dir=str(tmp_path / "out"), report_to=[], use_cpu=True)
    control = transformers.TrainerControl()
    callback.on_train_begin(args, state, control)
    callback.on_step_end(args, state, control)
    callback.on_log(args, state, control, logs={"loss": 1.0})
    callback.on_train_end(args, state, control)
    assert callback.tracker is None and callback.result is None
    assert not (tmp_path / "run").exists()


def test_bad_options_fail_before_training():
    with pytest.raises(UnknownRegionError, match="Atlantis"):
        CarbonLLMCallback(region="Atlantis")


def test_a_tracker_that_cannot_start_does_not_stop_training(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    callback = CarbonLLMCallback(interval_s=0.05, output_dir=str(blocker / "run"))  # cannot mkdir under a file
    with caplog.at_level(logging.WARNING, logger="carbonllm"):
        trainer = train(tmp_path, callback)
    assert trainer.state.global_step == 2 and callback.result is None
    assert callback.errors and "training goes on unmeasured" in callback.errors[0]
    assert "cannot write to output directory" in caplog.text
    strict = CarbonLLMCallback(interval_s=0.05, output_dir=str(blocker / "run"), strict=True)
    with pytest.raises(InputError, match="cannot write to output directory"):
        train(tmp_path, strict)
