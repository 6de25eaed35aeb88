"""The architecture model: exact parameter counts and one-line validation errors."""

from __future__ import annotations

import pytest

from carbonllm.errors import ConfigError
from carbonllm.flops.architecture import MLA, Architecture

TINY = dict(n_layers=2, d_model=8, n_heads=2, d_ff=32, vocab_size=10, context_length=4)


def llama2_7b() -> Architecture:
    # Touvron et al. 2023 / HF meta-llama/Llama-2-7b-hf config.json.
    return Architecture(name="llama2-7b", n_layers=32, d_model=4096, n_heads=32, d_ff=11008, vocab_size=32000,
                        context_length=4096, ffn_type="swiglu")


def test_llama2_7b_exact():
    assert llama2_7b().params() == 6_738_415_616  # HF num_parameters(); "6.74B" in the model card


def test_llama31_405b_exact():
    arch = Architecture(n_layers=126, d_model=16384, n_heads=128, n_kv_heads=8, d_ff=53248, vocab_size=128256,
                        context_length=8192, ffn_type="swiglu")  # Llama 3 paper Table 3
    assert arch.params() == 405_853_388_800


def test_mixtral_total_and_active():
    arch = Architecture(n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8, d_ff=14336, vocab_size=32000,
                        context_length=32768, ffn_type="swiglu", moe_experts=8, moe_top_k=2)
    assert arch.params() == 46_702_792_704
    assert arch.active_params() == 12_879_925_248


def test_bloom_exact():
    arch = Architecture(n_layers=70, d_model=14336, n_heads=112, d_ff=57344, vocab_size=250880,
                        context_length=2048, tied_embeddings=True, bias="all", norm="layernorm",
                        embedding_norm=True)
    assert arch.params() == 176_247_271_424  # HF bigscience/bloom num_parameters()


def test_gpt2_small_exact():
    arch = Architecture(n_layers=12, d_model=768, n_heads=12, d_ff=3072, vocab_size=50257, context_length=1024,
                        tied_embeddings=True, bias="all", learned_positions=1024, norm="layernorm")
    assert arch.params() == 124_439_808
    # Kaplan's N excludes token and position embeddings, the tied head and the final norm.
    assert arch.non_embedding_params() == 124_439_808 - 50257 * 768 - 1024 * 768 - 2 * 768


def test_deepseek_v3_mla_exact():
    arch = Architecture(n_layers=61, d_model=7168, n_heads=128, d_ff=18432, vocab_size=129280,
                        context_length=4096, ffn_type="swiglu", moe_experts=256, moe_top_k=8,
                        moe_shared_experts=1, moe_d_ff=2048, moe_dense_layers=3, moe_router_bias=True,
                        mla=MLA(q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64,
                                v_head_dim=128))
    assert arch.params() == 671_026_419_200  # DeepSeek-V3 paper: 671B (without the 14B MTP module)
    assert arch.active_params() == 37_552_297_472  # paper: 37B activated


def test_tiny_by_hand():
    arch = Architecture(**TINY)
    # per layer: Wq, Wk, Wv, Wo 4·8·8 = 256; FFN 2·8·32 = 512; two RMSNorms 2·8 = 16 → 784
    # embeddings 10·8 = 80, untied head 80, final norm 8 → 2·784 + 168 = 1736
    assert arch.params() == 2 * (256 + 512 + 16) + 80 + 80 + 8
    assert arch.active_params() == arch.params()


def test_gqa_and_gated_ffn_by_hand():
    arch = Architecture(**{**TINY, "n_heads": 4, "n_kv_heads": 2, "ffn_type": "swiglu", "tied_embeddings": True})
    # hd = 2: Wq 8·8, Wk and Wv 8·4 each, Wo 8·8 = 192; FFN 3·8·32 = 768; norms 16
    assert arch.params() == 2 * (192 + 768 + 16) + 80 + 8


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_heads": 3}, "n_heads (3) does not divide d_model (8)"),
        ({"n_kv_heads": 3}, "n_kv_heads (3) does not divide n_heads (2)"),
        ({"moe_experts": 4, "moe_top_k": 5}, "top-k (5) is larger than the number of experts (4)"),
        ({"n_layers": 0}, "zero layers"),
        ({"d_model": -8}, "d_model = -8"),
        ({"vocab_size": 0}, "vocab_size = 0"),
        ({"moe_top_k": 2}, "need moe_experts > 0"),
        ({"moe_experts": 4}, "needs moe_top_k >= 1"),
        ({"ffn_type": "mish"}, "ffn_type"),
        ({"d_ff": "wide"}, "d_ff"),
    ],
)
def test_invalid_architectures_raise_one_line_config_error(change, message):
    with pytest.raises(ConfigError) as info:
        Architecture(**{**TINY, **change})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_explicit_head_dim_allows_narrow_heads():
    arch = Architecture(**{**TINY, "n_heads": 3, "head_dim": 2})
    assert arch.head_size == 2
    assert arch.attention_params() == {"qkv": 3 * 8 * 6, "out": 6 * 8}


def test_frozen():
    arch = Architecture(**TINY)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on assignment
        arch.d_model = 16  # type: ignore[misc]
