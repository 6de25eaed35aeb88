"""Transformer architectures: the frozen model of one decoder-only LM and its exact parameter count.

An :class:`Architecture` holds what a parameter or FLOP count needs: layers, widths, heads
(query and key/value), FFN type (2-matrix GELU/ReLU or 3-matrix SwiGLU/GeGLU), mixture of experts
(routed, shared, leading dense layers as in DeepSeek), Multi-head Latent Attention (DeepSeek-V2/V3),
tied embeddings, biases, learned positional embeddings and the norm type. Constructing one checks
it and raises :class:`~carbonllm.errors.ConfigError` with a one-line message.

Parameter counts are exact integers (they reproduce Hugging Face's ``num_parameters()``):

* attention   d·(H·hd) for Q, 2·d·(KV·hd) for K and V (GQA/MQA share K, V across query heads),
  (H·hd)·d for the output projection (Kaplan et al. 2020 Table 1, generalised to GQA as in Megatron)
* FFN         2·d·d_ff (GELU/ReLU: up, down) or 3·d·d_ff (SwiGLU/GeGLU: gate, up, down;
  Shazeer 2020) per expert; a router d·E; shared experts always active
* norms       d (RMSNorm: weight) or 2·d (LayerNorm: weight and bias) each
* embeddings  V·d input; V·d more for an untied output head; P·d for learned positions

Active parameters (per token) count the top-k routed experts instead of all of them, as torchtitan,
Megatron and llm-analysis do for MoE FLOPs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from carbonllm.errors import ConfigError

FfnType = Literal["gelu", "relu", "swiglu", "geglu"]
NormType = Literal["layernorm", "rmsnorm"]
BiasType = Literal["none", "qkv", "attention", "all"]

#: FFN types with a gate (three weight matrices instead of two).
GATED_FFN = ("swiglu", "geglu")


class MLA(BaseModel):
    """Multi-head Latent Attention (DeepSeek-V2 §2.1, DeepSeek-V3 §2.1.1).

    Queries go through a low-rank bottleneck ``q_lora_rank`` (0: a plain d → H·(nope+rope)
    projection), keys and values through a shared latent of ``kv_lora_rank`` plus one decoupled
    RoPE key of ``qk_rope_head_dim`` shared by all heads. Counted in the naive (non-absorbed) form
    used for training, as torchtitan and Hugging Face do.
    """

    model_config = ConfigDict(frozen=True)

    q_lora_rank: int = 0
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


class Architecture(BaseModel):
    """A decoder-only transformer. Sizes are counts; ``d_ff`` is the FFN hidden width (HF
    ``intermediate_size``, per matrix for gated FFNs). ``moe_experts`` 0 means a dense model."""

    model_config = ConfigDict(frozen=True)

    name: str = "custom"
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int | None = None  # None: = n_heads (multi-head attention)
    head_dim: int | None = None  # None: d_model // n_heads (must divide)
    d_ff: int
    vocab_size: int
    context_length: int  # the default training sequence length (the pretraining length)
    max_context_length: int | None = None  # what the model supports after extension, if longer
    ffn_type: FfnType = "gelu"
    moe_experts: int = 0  # routed experts per MoE layer; 0 = dense
    moe_top_k: int = 0  # routed experts per token
    moe_shared_experts: int = 0  # always-active experts (DeepSeek)
    moe_d_ff: int | None = None  # per-expert hidden width; None: = d_ff
    moe_dense_layers: int = 0  # leading layers with a dense FFN of d_ff (DeepSeek-V3: 3)
    moe_router_bias: bool = False  # a per-expert router bias (DeepSeek-V3 aux-loss-free balancing)
    tied_embeddings: bool = False
    # qkv: Q/K/V projections only (Qwen2); attention: Q/K/V and output; all: every linear (GPT-2, BLOOM)
    bias: BiasType = "none"
    learned_positions: int = 0  # rows of a learned absolute position table (GPT-2: 1024; 0 = RoPE/ALiBi)
    norm: NormType = "rmsnorm"
    norms_per_layer: int = 2  # pre-attention and pre-FFN; Falcon-7B's parallel block has 1
    embedding_norm: bool = False  # a norm right after the embedding (BLOOM)
    relative_positions: bool = False  # Transformer-XL relative-position projection (Gopher, Chinchilla)
    mla: MLA | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise ConfigError(_one_line(e, data.get("name", "custom"))) from None

    @model_validator(mode="after")
    def _check(self) -> Architecture:
        sizes = {"n_layers": self.n_layers, "d_model": self.d_model, "n_heads": self.n_heads,
                 "d_ff": self.d_ff, "vocab_size": self.vocab_size, "context_length": self.context_length}
        for field, value in sizes.items():
            if value <= 0:
                what = "zero layers" if field == "n_layers" and value == 0 else f"{field} = {value}"
                raise ConfigError(f"{self.name}: {what}; {field} must be a positive whole number")
        for field in ("n_kv_heads", "head_dim", "moe_d_ff", "max_context_length"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                raise ConfigError(f"{self.name}: {field} = {value}; it must be a positive whole number")
        for field in ("moe_experts", "moe_top_k", "moe_shared_experts", "moe_dense_layers",
                      "learned_positions", "norms_per_layer"):
            if getattr(self, field) < 0:
                raise ConfigError(f"{self.name}: {field} = {getattr(self, field)}; it cannot be negative")
        if self.head_dim is None and self.d_model % self.n_heads:
            raise ConfigError(f"{self.name}: n_heads ({self.n_heads}) does not divide d_model ({self.d_model}); "
                              f"give head_dim explicitly if the heads are narrower")
        if self.n_kv_heads is not None and self.n_heads % self.n_kv_heads:
            raise ConfigError(f"{self.name}: n_kv_heads ({self.n_kv_heads}) does not divide "
                              f"n_heads ({self.n_heads})")
        if self.moe_experts:
            if self.moe_top_k < 1:
                raise ConfigError(f"{self.name}: moe_experts = {self.moe_experts} needs moe_top_k >= 1")
            if self.moe_top_k > self.moe_experts:
                raise ConfigError(f"{self.name}: top-k ({self.moe_top_k}) is larger than the number of "
                                  f"experts ({self.moe_experts})")
            if self.moe_dense_layers >= self.n_layers:
                raise ConfigError(f"{self.name}: moe_dense_layers ({self.moe_dense_layers}) leaves no MoE "
                                  f"layer among {self.n_layers}")
        elif self.moe_top_k or self.moe_shared_experts or self.moe_dense_layers:
            raise ConfigError(f"{self.name}: moe_top_k/moe_shared_experts/moe_dense_layers need moe_experts > 0")
        if self.mla is not None:
            m = self.mla
            for field in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
                if getattr(m, field) <= 0:
                    raise ConfigError(f"{self.name}: MLA {field} must be positive")
            if m.q_lora_rank < 0:
                raise ConfigError(f"{self.name}: MLA q_lora_rank cannot be negative")
        return self

    # --- derived sizes --------------------------------------------------------------------

    @property
    def kv_heads(self) -> int:
        """Key/value heads (= query heads unless GQA/MQA)."""
        return self.n_kv_heads if self.n_kv_heads is not None else self.n_heads

    @property
    def head_size(self) -> int:
        """Width of one attention head."""
        return self.head_dim if self.head_dim is not None else self.d_model // self.n_heads

    @property
    def is_moe(self) -> bool:
        return self.moe_experts > 0

    @property
    def expert_d_ff(self) -> int:
        """Hidden width of one routed or shared expert."""
        return self.moe_d_ff if self.moe_d_ff is not None else self.d_ff

    @property
    def n_moe_layers(self) -> int:
        return self.n_layers - self.moe_dense_layers if self.is_moe else 0

    @property
    def n_dense_layers(self) -> int:
        return self.n_layers - self.n_moe_layers

    @property
    def ffn_matrices(self) -> int:
        """Weight matrices per FFN: 3 for SwiGLU/GeGLU (gate, up, down), else 2 (up, down)."""
        return 3 if self.ffn_type in GATED_FFN else 2

    @property
    def norm_params(self) -> int:
        """Parameters of one norm: weight (RMSNorm) or weight and bias (LayerNorm)."""
        return 2 * self.d_model if self.norm == "layernorm" else self.d_model

    # --- parameter counts per component --------------------------------------------------

    def attention_params(self) -> dict[str, int]:
        """Per layer: ``qkv`` (with their biases) and ``out`` (with its bias) parameters."""
        d, h = self.d_model, self.n_heads
        if self.mla is not None:
            m = self.mla
            qk = m.qk_nope_head_dim + m.qk_rope_head_dim
            if m.q_lora_rank:  # d → q_lora (+ its RMSNorm) → H·(nope+rope)
                q = d * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * h * qk
            else:
                q = d * h * qk
            # d → kv_lora + shared rope key, RMSNorm on the latent, latent → H·(nope + v)
            kv = d * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank
            kv += m.kv_lora_rank * h * (m.qk_nope_head_dim + m.v_head_dim)
            out = h * m.v_head_dim * d
            return {"qkv": q + kv, "out": out}
        q_dim, kv_dim = h * self.head_size, self.kv_heads * self.head_size
        qkv = d * q_dim + 2 * d * kv_dim
        out = q_dim * d
        if self.bias != "none":
            qkv += q_dim + 2 * kv_dim
        if self.bias in ("attention", "all"):
            out += d
        return {"qkv": qkv, "out": out}

    def ffn_params(self, d_ff: int) -> int:
        """One FFN (or one expert) of hidden width ``d_ff``, with its biases if any."""
        weights = self.ffn_matrices * self.d_model * d_ff
        biases = (d_ff * (self.ffn_matrices - 1) + self.d_model) if self.bias == "all" else 0
        return weights + biases

    def router_params(self) -> int:
        """The MoE router: a d × E linear map (plus a per-expert bias where the model has one)."""
        if not self.is_moe:
            return 0
        return self.d_model * self.moe_experts + (self.moe_experts if self.moe_router_bias else 0)

    def layer_extra_params(self) -> int:
        """Norms of one layer, plus Transformer-XL relative-position weights (d² + 2·H·hd) if any."""
        extra = self.norms_per_layer * self.norm_params
        if self.relative_positions:
            extra += self.d_model * self.d_model + 2 * self.n_heads * self.head_size
        return extra

    def embedding_params(self) -> int:
        """Input token embeddings (V·d), learned positions (P·d) and an embedding norm."""
        return (self.vocab_size * self.d_model + self.learned_positions * self.d_model
                + (self.norm_params if self.embedding_norm else 0))

    def head_params(self) -> int:
        """Final norm plus the output projection (0 more when tied to the input embeddings)."""
        return self.norm_params + (0 if self.tied_embeddings else self.vocab_size * self.d_model)

    def _layers_params(self, active: bool) -> int:
        attn = sum(self.attention_params().values()) + self.layer_extra_params()
        dense = self.n_dense_layers * (attn + self.ffn_params(self.d_ff))
        if not self.is_moe:
            return dense
        routed = self.moe_top_k if active else self.moe_experts
        moe_layer = (attn + self.router_params()
                     + (routed + self.moe_shared_experts) * self.ffn_params(self.expert_d_ff))
        return dense + self.n_moe_layers * moe_layer

    def params(self) -> int:
        """Exact total parameter count (embeddings included; a tied head counted once)."""
        return self.embedding_params() + self._layers_params(active=False) + self.head_params()

    def active_params(self) -> int:
        """Parameters used per token: all for a dense model, the top-k routed experts for MoE."""
        return self.embedding_params() + self._layers_params(active=True) + self.head_params()

    def non_embedding_params(self) -> int:
        """Kaplan et al. 2020's N (Eq. 2.1): the layers only, no embeddings, head or final norm."""
        return self._layers_params(active=False)


def _one_line(error: ValidationError, name: object) -> str:
    first = error.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, ConfigError):
        return str(cause)
    where = ".".join(str(p) for p in first.get("loc", ())) or "architecture"
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    extra = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{name}: {where}: {message}{extra}"


__all__ = ["GATED_FFN", "MLA", "Architecture", "BiasType", "FfnType", "NormType"]
