"""Training FLOPs per token of a transformer, component by component. Pure: no I/O.

Convention (the one PaLM App. B, Megatron-LM and torchtitan use for MFU):

* every matrix multiply of an (m × k) by a (k × n) matrix costs **2·m·k·n** FLOPs (a
  multiply-accumulate is 2 FLOPs; Kaplan et al. 2020 §2.1, Hoffmann et al. 2022 App. F). Per token
  (m = 1), a weight matrix of k × n costs 2·k·n: "2 FLOPs per parameter".
* the **backward pass costs 2× the forward** (gradients w.r.t. activations and w.r.t. weights;
  Kaplan §2.1, Hoffmann App. F, Narayanan et al. 2021 App.), so training = 3 × forward.
* only matmuls are counted. Softmax, norms, activations, biases and residual adds are sub-leading
  and omitted, as in Kaplan Table 1 and Narayanan Eq. 3 (which calls its count a lower bound);
  the embedding lookup is a gather and costs 0 (Hoffmann App. F counts 2·V·d for it).
* attention adds the context-length term: QKᵀ and the weighted sum AV each cost 2·s·H·hd per token
  (Hoffmann App. F; PaLM App. B's 6·L·H·(2·Q·T) for training). By default the full s² work is
  counted, **no causal halving**, as in PaLM, Narayanan/Korthikanti, Hoffmann App. F, nanoGPT and
  torchtitan; ``causal_half=True`` halves it (a causal kernel skips the masked half; Megatron-LM
  since 2025 and the FlashAttention benchmarks do this).
* activation recomputation adds hardware FLOPs, never model FLOPs (PaLM App. B: HFU vs MFU):
  ``selective`` recomputes QKᵀ and AV (+4·s·h per layer per token, Korthikanti et al. 2022 Eq. 8);
  ``full`` recomputes every layer's forward once (Narayanan et al. 2021 Eq. 3: 96 instead of 72;
  the logit layer is not recomputed).

For GPT-3 175B at s = 2,048 the count is 1.027 × 6·N (Narayanan's 72·(1 + s/6h + V/12lh) form).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from carbonllm.errors import InputError
from carbonllm.flops.architecture import Architecture
from carbonllm.quantities import MAX_SEQ_LEN

Recompute = Literal["none", "selective", "full"]
RECOMPUTE = ("none", "selective", "full")


BACKWARD_FACTOR = 2.0  # backward = 2× forward (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 App. F)


class ComponentFlops(BaseModel):
    """One component of the count: its parameters and forward FLOPs per token, per layer and in all."""

    model_config = ConfigDict(frozen=True)

    component: str
    block: str  # "embedding", "layer" (all alike), "dense layer", "MoE layer", "head", "recompute"
    layers: int  # how many times the component occurs (1 outside the layers)
    params_per_layer: int
    active_params_per_layer: int
    forward_flops_per_token_per_layer: float
    params: int
    active_params: int
    forward_flops_per_token: float
    training_flops_per_token: float  # forward + backward (recompute rows: the extra forward only)
    share: float  # of the total training FLOPs per token
    formula: str  # forward FLOPs per token per layer, in symbols


class FlopCount(BaseModel):
    """The detailed FLOP count of an architecture at one sequence length, beside 6·N."""

    model_config = ConfigDict(frozen=True)

    model: str
    seq_len: int
    causal_half: bool
    recompute: Recompute
    params: int
    active_params: int
    non_embedding_params: int
    components: tuple[ComponentFlops, ...]
    forward_flops_per_token: float
    backward_flops_per_token: float
    recompute_flops_per_token: float
    model_flops_per_token: float  # forward + backward: the numerator of MFU
    training_flops_per_token: float  # model FLOPs + recompute: what the hardware executes (HFU)
    six_n_flops_per_token: float  # 6 × active parameters (Kaplan §2.1)
    ratio_to_6n: float  # training_flops_per_token / six_n_flops_per_token
    approximate: bool
    notes: tuple[str, ...]

    @property
    def method(self) -> str:
        """How the count was made, for ``assumptions.flop_method``."""
        parts = [self.model, f"seq {self.seq_len}",
                 "causal halving" if self.causal_half else "no causal halving"]
        if self.recompute != "none":
            parts.append(f"{self.recompute} recompute")
        if self.approximate:
            parts.append("approximate")
        return f"detailed ({', '.join(parts)})"

    def training_flops(self, tokens: float) -> float:
        """Training FLOPs for ``tokens`` tokens: FLOPs per token × D."""
        return self.training_flops_per_token * tokens

    def six_nd(self, tokens: float) -> float:
        """The 6·N·D value for the same ``tokens`` (N = active parameters)."""
        return self.six_n_flops_per_token * tokens


def six_n_flops_per_token(params: float) -> float:
    """Kaplan et al. 2020 §2.1: C ≈ 6·N per training token (2N forward + 4N backward)."""
    return 6.0 * params  # 2 FLOPs per parameter forward (one MAC), backward = 2× forward


def matmul_flops(m: float, k: float, n: float) -> float:
    """FLOPs of an (m × k)·(k × n) matrix product: 2·m·k·n (one multiply and one add per MAC)."""
    return 2.0 * m * k * n


class _Row:
    """A component before shares are known."""

    def __init__(self, component: str, block: str, layers: int, params: int, active: int,
                 forward: float, formula: str, training_factor: float = 1.0 + BACKWARD_FACTOR) -> None:
        self.component, self.block, self.layers = component, block, layers
        self.params, self.active, self.forward, self.formula = params, active, forward, formula
        self.training_factor = training_factor


def _attention_rows(arch: Architecture, block: str, layers: int, s: int, causal_half: bool) -> list[_Row]:
    """Attention of one layer (Hoffmann et al. 2022 App. F; Narayanan et al. 2021 App.)."""
    d, h = arch.d_model, arch.n_heads
    p = arch.attention_params()
    if arch.mla is not None:
        m = arch.mla
        qk_dim, v_dim = m.qk_nope_head_dim + m.qk_rope_head_dim, m.v_head_dim
        # each MLA projection is one weight matrix: 2·k·n per token; norm weights are not matmuls
        q_w = (d * m.q_lora_rank + m.q_lora_rank * h * qk_dim) if m.q_lora_rank else d * h * qk_dim
        kv_w = d * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank * h * (m.qk_nope_head_dim + v_dim)
        qkv_flops = 2.0 * (q_w + kv_w)
        qkv_formula = "2·(d·r_q + r_q·H·(nope+rope) + d·(r_kv+rope) + r_kv·H·(nope+v)) [MLA]"
    else:
        qk_dim = v_dim = arch.head_size
        kv = arch.kv_heads
        qkv_flops = matmul_flops(1, d, (h + 2 * kv) * qk_dim)  # 2·m·k·n: x (1×d) · W_qkv (d × (H+2·KV)·hd)
        qkv_formula = "2·d·(H + 2·KV)·hd"
    half = 0.5 if causal_half else 1.0  # a causal kernel skips the masked half of the s×s scores
    logits = half * matmul_flops(1, qk_dim, s) * h  # q (1×hd) · Kᵀ (hd×s), per head
    weighted = half * matmul_flops(1, s, v_dim) * h  # softmax row (1×s) · V (s×hd), per head
    out_flops = matmul_flops(1, h * v_dim, d)  # 2·m·k·n: concat heads (1×H·hd) · W_o (H·hd × d)
    c = " × ½" if causal_half else ""
    return [
        _Row("QKV projections", block, layers, p["qkv"], p["qkv"], qkv_flops, qkv_formula),
        _Row("attention logits QKᵀ", block, layers, 0, 0, logits, f"2·s·H·hd_qk{c}"),
        _Row("attention weighted sum AV", block, layers, 0, 0, weighted, f"2·s·H·hd_v{c}"),
        _Row("attention output projection", block, layers, p["out"], p["out"], out_flops, "2·H·hd_v·d"),
    ]


def _ffn_rows(arch: Architecture, block: str, layers: int, moe: bool) -> list[_Row]:
    """FFN of one layer: 2 (GELU/ReLU) or 3 (SwiGLU/GeGLU) d×d_ff matmuls (Shazeer 2020), or a routed MoE."""
    d, mats = arch.d_model, arch.ffn_matrices
    if not moe:
        p = arch.ffn_params(arch.d_ff)
        flops = mats * matmul_flops(1, d, arch.d_ff)  # each of the 2 or 3 matrices: 2·d·d_ff
        return [_Row("FFN", block, layers, p, p, flops, f"{mats}·2·d·d_ff")]
    e = arch.expert_d_ff
    one = arch.ffn_params(e)
    expert_flops = mats * matmul_flops(1, d, e)  # one expert: 2 or 3 matrices of 2·d·d_ff_e
    rows = [
        _Row("router", block, layers, arch.router_params(), arch.router_params(),
             matmul_flops(1, d, arch.moe_experts), "2·d·E"),  # gate logits: x (1×d) · W_g (d×E)
        _Row(f"routed experts (top-{arch.moe_top_k} of {arch.moe_experts})", block, layers,
             arch.moe_experts * one, arch.moe_top_k * one,
             arch.moe_top_k * expert_flops, f"k·{mats}·2·d·d_ff_e"),  # only the k chosen experts run
    ]
    if arch.moe_shared_experts:
        rows.append(_Row(f"shared experts ({arch.moe_shared_experts})", block, layers,
                         arch.moe_shared_experts * one, arch.moe_shared_experts * one,
                         arch.moe_shared_experts * expert_flops, f"shared·{mats}·2·d·d_ff_e"))
    return rows


def count_flops(
    arch: Architecture,
    seq_len: int | None = None,
    *,
    causal_half: bool = False,
    recompute: Recompute = "none",
) -> FlopCount:
    """FLOPs per training token of ``arch`` at ``seq_len`` (default: its training context length).

    Forward per token = Σ layers (QKV + QKᵀ + AV + output projection + FFN or router + experts)
    + final logits 2·d·V (Kaplan et al. 2020 Table 1; Hoffmann et al. 2022 App. F; Narayanan et
    al. 2021 App.). Training = forward × (1 + 2) (backward = 2× forward), plus the recomputed
    forward FLOPs chosen by ``recompute`` (Korthikanti et al. 2022 Eq. 8 for selective; Narayanan
    Eq. 3 for full). ``causal_half`` halves QKᵀ and AV (default False: PaLM App. B convention).
    """
    if not isinstance(arch, Architecture):
        raise InputError(f"arch must be an Architecture (find_architecture(name) or load_config(path)), "
                         f"not {type(arch).__name__}")
    if not isinstance(causal_half, bool):
        raise InputError(f"causal_half must be True or False, not {causal_half!r:.40}")
    if not isinstance(recompute, str) or recompute not in RECOMPUTE:
        raise InputError(f"recompute must be one of {', '.join(RECOMPUTE)}, not {recompute!r:.40}")
    s = arch.context_length if seq_len is None else seq_len
    if isinstance(s, bool) or not isinstance(s, int) or s <= 0:
        raise InputError(f"--seq-len must be a whole number of tokens > 0, got {s!r:.40}")
    if s > MAX_SEQ_LEN:
        shown = f"{s:,}" if s.bit_length() < 1000 else "of over 300 digits"
        raise InputError(f"--seq-len {shown} is above the plausible limit of {MAX_SEQ_LEN:,} tokens; "
                         f"give the length the run trains at")
    d, v = arch.d_model, arch.vocab_size

    rows = [_Row("embeddings" + (" (+ learned positions)" if arch.learned_positions else ""), "embedding", 1,
                 arch.embedding_params(), arch.embedding_params(), 0.0, "0 (a lookup, not a matmul)")]
    blocks: list[tuple[str, int, bool]] = []
    if not arch.is_moe:
        blocks.append(("layer", arch.n_layers, False))
    else:
        if arch.moe_dense_layers:
            blocks.append(("dense layer", arch.moe_dense_layers, False))
        blocks.append(("MoE layer", arch.n_moe_layers, True))
    for block, layers, moe in blocks:
        rows += _attention_rows(arch, block, layers, s, causal_half)
        rows += _ffn_rows(arch, block, layers, moe)
        extra = arch.layer_extra_params()
        label = "norms" + (" + relative positions" if arch.relative_positions else "")
        rows.append(_Row(label, block, layers, extra, extra, 0.0, "0 (not a matmul; omitted)"))
    head_formula = "2·d·V" + (" (tied to the embeddings)" if arch.tied_embeddings else "")
    rows.append(_Row("final norm + logits", "head", 1, arch.head_params(), arch.head_params(),
                     matmul_flops(1, d, v), head_formula))  # x (1×d) · W_out (d×V)

    forward = sum(r.forward * r.layers for r in rows)
    layer_forward = sum(r.forward * r.layers for r in rows if r.block not in ("embedding", "head"))
    attention_core = sum(r.forward * r.layers for r in rows if r.component.startswith("attention ")
                         and "projection" not in r.component)
    if recompute == "selective":  # recompute QKᵀ, softmax, AV: +4·s·h per layer (Korthikanti Eq. 8)
        rows.append(_Row("recompute: QKᵀ and AV (selective)", "recompute", 1, 0, 0, attention_core,
                         "Σ layers (QKᵀ + AV)", training_factor=1.0))
    elif recompute == "full":  # one more forward of every layer (Narayanan Eq. 3: 96 vs 72)
        rows.append(_Row("recompute: every layer's forward (full)", "recompute", 1, 0, 0, layer_forward,
                         "Σ layers forward", training_factor=1.0))
    recompute_flops = sum(r.forward for r in rows if r.block == "recompute")
    backward = BACKWARD_FACTOR * forward  # backward = 2× forward
    model_flops = forward + backward
    training = model_flops + recompute_flops

    components = tuple(
        ComponentFlops(
            component=r.component, block=r.block, layers=r.layers,
            params_per_layer=r.params, active_params_per_layer=r.active,
            forward_flops_per_token_per_layer=r.forward,
            params=r.params * r.layers, active_params=r.active * r.layers,
            forward_flops_per_token=r.forward * r.layers,
            training_flops_per_token=r.forward * r.layers * r.training_factor,
            share=r.forward * r.layers * r.training_factor / training,
            formula=r.formula,
        )
        for r in rows
    )
    notes = []
    if arch.relative_positions:
        notes.append("relative-position attention terms are counted in parameters but not in FLOPs")
    if arch.mla is not None:
        notes.append("MLA counted in its naive training form (no weight absorption)")
    six_n = six_n_flops_per_token(arch.active_params())
    return FlopCount(
        model=arch.name, seq_len=s, causal_half=causal_half, recompute=recompute,
        params=arch.params(), active_params=arch.active_params(),
        non_embedding_params=arch.non_embedding_params(), components=components,
        forward_flops_per_token=forward, backward_flops_per_token=backward,
        recompute_flops_per_token=recompute_flops, model_flops_per_token=model_flops,
        training_flops_per_token=training, six_n_flops_per_token=six_n,
        ratio_to_6n=training / six_n, approximate=arch.relative_positions, notes=tuple(notes),
    )


__all__ = ["RECOMPUTE", "ComponentFlops", "FlopCount", "Recompute", "count_flops", "matmul_flops",
           "six_n_flops_per_token"]
