"""Hugging Face config.json files read from disk, and their errors through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbonllm.errors import ConfigError
from carbonllm.flops.count import count_flops
from carbonllm.flops.hf_config import architecture_from_dict, load_config
from carbonllm.flops.presets import find_preset

# The real config.json of meta-llama/Llama-2-7b-hf.
LLAMA2_7B = {
    "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
    "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096,
    "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "tie_word_embeddings": False,
    "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": True, "vocab_size": 32000,
}
# openai-community/gpt2 (n_inner absent: 4·n_embd; tie_word_embeddings absent: tied).
GPT2 = {
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1, "bos_token_id": 50256,
    "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
    "resid_pdrop": 0.1, "vocab_size": 50257,
}
# mistralai/Mixtral-8x7B-v0.1.
MIXTRAL = {
    "architectures": ["MixtralForCausalLM"], "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
    "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32, "num_experts_per_tok": 2,
    "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8, "rms_norm_eps": 1e-05,
    "rope_theta": 1e6, "router_aux_loss_coef": 0.02, "sliding_window": None, "tie_word_embeddings": False,
    "vocab_size": 32000,
}
QWEN2_72B = {
    "model_type": "qwen2", "hidden_act": "silu", "hidden_size": 8192, "intermediate_size": 29568,
    "max_position_embeddings": 32768, "num_attention_heads": 64, "num_hidden_layers": 80, "num_key_value_heads": 8,
    "tie_word_embeddings": False, "vocab_size": 152064,
}
GEMMA_7B = {
    "model_type": "gemma", "head_dim": 256, "hidden_act": "gelu", "hidden_size": 3072, "intermediate_size": 24576,
    "max_position_embeddings": 8192, "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 16,
    "vocab_size": 256000,
}
FALCON_40B = {
    "model_type": "falcon", "hidden_size": 8192, "num_attention_heads": 128, "num_hidden_layers": 60,
    "num_kv_heads": 8, "new_decoder_architecture": True, "parallel_attn": True, "bias": False, "vocab_size": 65024,
}
# tiiuae/falcon-7b's original RefinedWebModel config (multi-query, one LayerNorm per parallel block).
FALCON_7B = {
    "model_type": "RefinedWebModel", "hidden_size": 4544, "n_head": 71, "n_layer": 32, "multi_query": True,
    "parallel_attn": True, "bias": False, "vocab_size": 65024,
}
# EleutherAI/gpt-neox-20b.
NEOX_20B = {
    "model_type": "gpt_neox", "hidden_size": 6144, "intermediate_size": 24576, "max_position_embeddings": 2048,
    "num_attention_heads": 64, "num_hidden_layers": 44, "vocab_size": 50432, "tie_word_embeddings": False,
}


def write(tmp_path: Path, config: dict, name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("config", "preset"),
    [(LLAMA2_7B, "llama2-7b"), (GPT2, "gpt2-small"), (MIXTRAL, "mixtral-8x7b"), (QWEN2_72B, "qwen2-72b"),
     (GEMMA_7B, "gemma-7b"), (FALCON_40B, "falcon-40b")],
)
def test_config_counts_equal_presets(tmp_path, config, preset):
    arch = load_config(write(tmp_path, config))
    expected = find_preset(preset)
    assert arch.params() == expected.params
    assert arch.active_params() == expected.active_params


def test_llama_config_flops_equal_preset_flops(tmp_path):
    arch = load_config(write(tmp_path, LLAMA2_7B))
    preset = find_preset("llama2-7b").architecture
    assert count_flops(arch).training_flops_per_token == count_flops(preset).training_flops_per_token


def test_falcon_7b_and_neox_20b_match_hf_counts(tmp_path):
    assert load_config(write(tmp_path, FALCON_7B)).params() == 6_921_720_704  # HF tiiuae/falcon-7b
    assert load_config(write(tmp_path, NEOX_20B)).params() == 20_554_567_680  # HF EleutherAI/gpt-neox-20b


def test_directory_and_name(tmp_path):
    model_dir = tmp_path / "Llama-2-7b-hf"
    model_dir.mkdir()
    write(model_dir, LLAMA2_7B)
    arch = load_config(model_dir)
    assert arch.name == "Llama-2-7b-hf"
    assert architecture_from_dict({**LLAMA2_7B, "_name_or_path": "meta-llama/Llama-2-7b-hf"}).name == (
        "meta-llama/Llama-2-7b-hf")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"model_type": "bert", "hidden_size": 768}), "unsupported model_type 'bert'"),
        (json.dumps({"hidden_size": 768}), "missing field 'model_type'"),
        (json.dumps({k: v for k, v in LLAMA2_7B.items() if k != "hidden_size"}), "missing field 'hidden_size'"),
        (json.dumps({**LLAMA2_7B, "num_hidden_layers": "32"}), "'num_hidden_layers' must be a whole number"),
        (json.dumps({**LLAMA2_7B, "num_attention_heads": 48}), "n_heads (48) does not divide d_model (4096)"),
        (json.dumps({**LLAMA2_7B, "num_key_value_heads": 5}), "n_kv_heads (5) does not divide n_heads (32)"),
        (json.dumps({**MIXTRAL, "num_experts_per_tok": 9}), "top-k (9) is larger than the number of experts (8)"),
        (json.dumps({**LLAMA2_7B, "num_hidden_layers": 0}), "zero layers"),
    ],
)
def test_bad_configs_raise_config_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"model_type": "t5"}), "unsupported model_type 't5'"),
        (json.dumps({**LLAMA2_7B, "num_attention_heads": 48}), "does not divide d_model"),
        (json.dumps({**LLAMA2_7B, "num_key_value_heads": 5}), "does not divide n_heads"),
        (json.dumps({**MIXTRAL, "num_experts_per_tok": 9}), "top-k (9) is larger"),
        (json.dumps({**LLAMA2_7B, "num_hidden_layers": 0}), "zero layers"),
    ],
)
@pytest.mark.parametrize("command", [["flops"], ["estimate", "--tokens", "1T"]])
def test_cli_exit_2_with_one_line(tmp_path, run_cli, text, message, command):
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    result = run_cli(*command, "--config", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("carbonllm: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_cli_flops_from_config_equals_preset(tmp_path, run_cli):
    path = write(tmp_path, LLAMA2_7B)
    from_config = json.loads(run_cli("flops", "--config", str(path), "--format", "json").stdout)
    from_preset = json.loads(run_cli("flops", "--model", "llama-2-7b", "--format", "json").stdout)
    assert from_config["params"] == from_preset["params"] == 6_738_415_616
    assert from_config["training_flops_per_token"] == from_preset["training_flops_per_token"]
