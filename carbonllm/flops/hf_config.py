"""Read a Hugging Face ``config.json`` from disk into an :class:`~carbonllm.flops.architecture.Architecture`.

No network and no ``transformers`` import: the fields are read by ``model_type`` with the same
names and defaults as the transformers configuration classes (LlamaConfig, MistralConfig,
MixtralConfig, Qwen2Config, GPT2Config, GPTNeoXConfig, FalconConfig, GemmaConfig,
DeepseekV3Config). Anything unusable — unreadable file, malformed JSON, a missing field, an
unsupported ``model_type`` — raises :class:`~carbonllm.errors.ConfigError` with one line naming
the file and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carbonllm.errors import ConfigError
from carbonllm.flops.architecture import MLA, Architecture
from carbonllm.names import require_path

Config = dict[str, Any]


class _Fields:
    """Typed access to a config dict; every miss is a one-line ConfigError naming the file."""

    def __init__(self, config: Config, where: str) -> None:
        self.config, self.where = config, where

    def integer(self, *names: str, default: int | None = None) -> int:
        for name in names:
            value = self.config.get(name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"{self.where}: field {name!r} must be a whole number, not {value!r}")
                return value
        if default is None:
            raise ConfigError(f"{self.where}: missing field {names[0]!r} "
                              f"(model_type {self.config.get('model_type')!r})")
        return default

    def opt_int(self, name: str) -> int | None:
        return self.integer(name) if self.config.get(name) is not None else None

    def flag(self, name: str, default: bool) -> bool:
        value = self.config.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where}: field {name!r} must be true or false, not {value!r}")
        return value

    def text(self, name: str, default: str) -> str:
        value = self.config.get(name)
        return value if isinstance(value, str) else default


def _gated(act: str) -> str:
    """SwiGLU for SiLU/Swish gates, GeGLU for GELU gates (LlamaMLP/GemmaMLP)."""
    return "geglu" if act.startswith("gelu") else "swiglu"


def _llama_like(f: _Fields, name: str, **overrides: Any) -> Architecture:
    """Llama, Mistral, Mixtral, Qwen2, Gemma: RMSNorm, rotary, gated FFN, optional GQA."""
    fields: dict[str, Any] = dict(
        name=name,
        n_layers=f.integer("num_hidden_layers"),
        d_model=f.integer("hidden_size"),
        n_heads=f.integer("num_attention_heads"),
        n_kv_heads=f.opt_int("num_key_value_heads"),
        head_dim=f.opt_int("head_dim"),
        d_ff=f.integer("intermediate_size"),
        vocab_size=f.integer("vocab_size"),
        context_length=f.integer("max_position_embeddings"),
        ffn_type=_gated(f.text("hidden_act", "silu")),
        tied_embeddings=f.flag("tie_word_embeddings", False),
        bias=_llama_bias(f),
        norm="rmsnorm",
    )
    fields.update(overrides)
    return Architecture(**fields)


def _llama_bias(f: _Fields) -> str:
    """LlamaConfig: ``attention_bias`` puts biases on q, k, v and o; ``mlp_bias`` on the FFN (both
    default False, as in Llama 1/2/3). A bias on the FFN alone is not modelled."""
    attention, mlp = f.flag("attention_bias", False), f.flag("mlp_bias", False)
    if mlp and not attention:
        raise ConfigError(f"{f.where}: mlp_bias without attention_bias is not supported")
    return "all" if mlp else ("attention" if attention else "none")


def _mixtral(f: _Fields, name: str) -> Architecture:
    return _llama_like(f, name, moe_experts=f.integer("num_local_experts"),
                       moe_top_k=f.integer("num_experts_per_tok"))


def _qwen2(f: _Fields, name: str) -> Architecture:
    return _llama_like(f, name, bias="qkv")  # Qwen2Attention: bias on q/k/v, none on o_proj


def _gemma(f: _Fields, name: str) -> Architecture:
    act = f.text("hidden_activation", f.text("hidden_act", "gelu_pytorch_tanh"))
    return _llama_like(f, name, ffn_type=_gated(act), tied_embeddings=f.flag("tie_word_embeddings", True))


def _gpt2(f: _Fields, name: str) -> Architecture:
    d = f.integer("n_embd", "hidden_size")
    positions = f.integer("n_positions", "n_ctx", "max_position_embeddings")
    act = f.text("activation_function", "gelu_new")
    return Architecture(
        name=name, n_layers=f.integer("n_layer", "num_hidden_layers"), d_model=d,
        n_heads=f.integer("n_head", "num_attention_heads"), d_ff=f.integer("n_inner", default=4 * d),
        vocab_size=f.integer("vocab_size"), context_length=positions,
        ffn_type="relu" if act == "relu" else "gelu", tied_embeddings=f.flag("tie_word_embeddings", True),
        bias="all", learned_positions=positions, norm="layernorm",
    )


def _gpt_neox(f: _Fields, name: str) -> Architecture:
    d = f.integer("hidden_size")
    return Architecture(
        name=name, n_layers=f.integer("num_hidden_layers"), d_model=d, n_heads=f.integer("num_attention_heads"),
        d_ff=f.integer("intermediate_size", default=4 * d), vocab_size=f.integer("vocab_size"),
        context_length=f.integer("max_position_embeddings"), ffn_type="gelu",
        tied_embeddings=f.flag("tie_word_embeddings", False),
        bias="all" if f.flag("attention_bias", True) else "none", norm="layernorm",
    )


def _falcon(f: _Fields, name: str) -> Architecture:
    d = f.integer("hidden_size")
    heads = f.integer("num_attention_heads", "n_head")
    new_arch = f.flag("new_decoder_architecture", False)
    if new_arch:
        kv = f.integer("num_kv_heads", "n_head_kv", default=heads)
    else:
        kv = 1 if f.flag("multi_query", True) else heads
    parallel = f.flag("parallel_attn", True)
    return Architecture(
        name=name, n_layers=f.integer("num_hidden_layers", "n_layer"), d_model=d, n_heads=heads, n_kv_heads=kv,
        d_ff=f.integer("ffn_hidden_size", default=4 * d), vocab_size=f.integer("vocab_size"),
        context_length=f.integer("max_position_embeddings", default=2048), ffn_type="gelu",
        tied_embeddings=f.flag("tie_word_embeddings", True), bias="all" if f.flag("bias", False) else "none",
        norm="layernorm",
        # FalconDecoderLayer: two LayerNorms with new_decoder_architecture (ln_attn, ln_mlp), one
        # shared input LayerNorm for the old parallel block (Falcon-7B), two for a sequential block
        norms_per_layer=2 if new_arch or not parallel else 1,
    )


def _deepseek_v3(f: _Fields, name: str) -> Architecture:
    return Architecture(
        name=name, n_layers=f.integer("num_hidden_layers"), d_model=f.integer("hidden_size"),
        n_heads=f.integer("num_attention_heads"), d_ff=f.integer("intermediate_size"),
        vocab_size=f.integer("vocab_size"),
        context_length=f.integer("max_position_embeddings"), ffn_type="swiglu",
        moe_experts=f.integer("n_routed_experts"), moe_top_k=f.integer("num_experts_per_tok"),
        moe_shared_experts=f.integer("n_shared_experts", default=0), moe_d_ff=f.integer("moe_intermediate_size"),
        moe_dense_layers=f.integer("first_k_dense_replace", default=0), moe_router_bias=True,
        tied_embeddings=f.flag("tie_word_embeddings", False), norm="rmsnorm",
        mla=MLA(q_lora_rank=f.integer("q_lora_rank", default=0), kv_lora_rank=f.integer("kv_lora_rank"),
                qk_nope_head_dim=f.integer("qk_nope_head_dim"), qk_rope_head_dim=f.integer("qk_rope_head_dim"),
                v_head_dim=f.integer("v_head_dim")),
    )


#: model_type → reader. Aliases are the model_type values older checkpoints carry.
READERS: dict[str, Callable[[_Fields, str], Architecture]] = {
    "llama": _llama_like,
    "mistral": _llama_like,
    "mixtral": _mixtral,
    "qwen2": _qwen2,
    "gemma": _gemma,
    "gpt2": _gpt2,
    "gpt_neox": _gpt_neox,
    "falcon": _falcon,
    "RefinedWeb": _falcon,
    "RefinedWebModel": _falcon,
    "deepseek_v3": _deepseek_v3,
}


def architecture_from_dict(
    config: Config, where: str = "config.json", name: str | None = None, fallback_name: str | None = None
) -> Architecture:
    """The architecture described by a parsed ``config.json`` (``where`` names it in errors).

    Its name is ``name``, else the config's ``_name_or_path``, else ``fallback_name``, else the model_type.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: expected a JSON object at the top level")
    model_type = config.get("model_type")
    if model_type is None:
        raise ConfigError(f"{where}: missing field 'model_type'")
    reader = READERS.get(model_type)
    if reader is None:
        raise ConfigError(f"{where}: unsupported model_type {model_type!r}; "
                          f"supported: {', '.join(sorted(READERS, key=str.lower))}")
    label = name or config.get("_name_or_path") or fallback_name or model_type
    try:
        return reader(_Fields(config, where), str(label))
    except ConfigError as e:
        message = str(e)
        raise ConfigError(message if message.startswith(where) else f"{where}: {message}") from None


def load_config(path: str | Path, name: str | None = None) -> Architecture:
    """Read the ``config.json`` at ``path`` (a file, or a directory holding one)."""
    p = require_path(path, "--config")
    if p.is_dir():
        p = p / "config.json"
    from carbonllm.errors import InputError
    from carbonllm.files import MIB, read_bytes

    try:
        data = read_bytes(p, "config", 16 * MIB)  # a regular file only: never /dev/zero or a FIFO
        text = data.decode("utf-8")
    except (InputError, UnicodeDecodeError) as e:
        reason = type(e).__name__ if isinstance(e, UnicodeDecodeError) else " ".join(str(e).split())
        raise ConfigError(f"{p}: cannot read the file ({reason})") from e
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{p}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from e
    except RecursionError as e:
        raise ConfigError(f"{p}: not a config.json (JSON nested too deeply)") from e
    default_name = p.parent.name if p.name == "config.json" and p.parent.name else p.stem
    return architecture_from_dict(config, str(p), name, default_name)


__all__ = ["READERS", "architecture_from_dict", "load_config"]
