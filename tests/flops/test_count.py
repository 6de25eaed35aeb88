"""The detailed FLOP count: a hand calculation, published ratios, and the purity of the core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from carbonllm.errors import InputError
from carbonllm.flops.architecture import Architecture
from carbonllm.flops.count import count_flops, matmul_flops, six_n_flops_per_token
from carbonllm.flops.presets import find_architecture

TINY = Architecture(name="tiny", n_layers=2, d_model=8, n_heads=2, d_ff=32, vocab_size=10, context_length=4)


def test_tiny_by_hand():
    # L = 2, d = 8, H = 2 heads of hd = 4, d_ff = 32, V = 10, s = 4; per token, 2·m·k·n per matmul (m = 1).
    qkv = 2 * 1 * 8 * 24  # x (1×8) · W_qkv (8×24)                     = 384
    logits = 2 * (2 * 1 * 4 * 4)  # per head q (1×4) · Kᵀ (4×4), 2 heads   = 64
    weighted = 2 * (2 * 1 * 4 * 4)  # per head p (1×4) · V (4×4), 2 heads  = 64
    out = 2 * 1 * 8 * 8  # concat (1×8) · W_o (8×8)                       = 128
    ffn = 2 * 1 * 8 * 32 + 2 * 1 * 32 * 8  # up (8×32) and down (32×8)    = 1024
    head = 2 * 1 * 8 * 10  # x (1×8) · W_out (8×10)                        = 160
    forward = 2 * (qkv + logits + weighted + out + ffn) + head
    assert forward == 3488
    count = count_flops(TINY)
    assert count.seq_len == 4
    assert count.forward_flops_per_token == forward
    assert count.backward_flops_per_token == 2 * forward  # backward = 2× forward
    assert count.training_flops_per_token == 3 * forward == 10464
    assert count.six_n_flops_per_token == 6 * 1736
    assert count.ratio_to_6n == pytest.approx(10464 / 10416)
    by_name = {c.component: c for c in count.components}
    assert by_name["QKV projections"].forward_flops_per_token_per_layer == qkv
    assert by_name["attention logits QKᵀ"].forward_flops_per_token == 2 * logits
    assert by_name["FFN"].params_per_layer == 2 * 8 * 32
    assert sum(c.params for c in count.components) == TINY.params()
    assert sum(c.share for c in count.components) == pytest.approx(1.0)


def test_tiny_causal_half_and_recompute_by_hand():
    attention_core = 2 * (64 + 64)  # QKᵀ + AV over both layers
    assert count_flops(TINY, causal_half=True).forward_flops_per_token == 3488 - attention_core / 2
    selective = count_flops(TINY, recompute="selective")
    assert selective.recompute_flops_per_token == attention_core  # Korthikanti Eq. 8: +4·s·h per layer
    assert selective.training_flops_per_token == 10464 + attention_core
    assert selective.model_flops_per_token == 10464  # recompute is never model FLOPs
    full = count_flops(TINY, recompute="full")
    assert full.recompute_flops_per_token == 3488 - 160  # every layer again, not the logits (Narayanan Eq. 3)


def test_seq_len_only_changes_attention():
    short, long = count_flops(TINY, 4), count_flops(TINY, 8)
    assert long.forward_flops_per_token - short.forward_flops_per_token == 2 * 2 * (2 * 4 * 4 * 2)


def test_gpt3_close_to_6n():
    # Notes §1.8 / Narayanan 72·(1 + s/6h + V/12lh): 1.076e12 vs 6N = 1.048e12 at s = 2048.
    count = count_flops(find_architecture("gpt3-175b"))
    assert count.seq_len == 2048
    assert count.ratio_to_6n == pytest.approx(1.027, abs=0.002)
    assert count.training_flops_per_token == pytest.approx(1.076e12, rel=1e-3)
    narayanan = 72 * 96 * 12288**2 * (1 + 2048 / (6 * 12288) + 50257 / (12 * 96 * 12288))
    assert count.training_flops_per_token == pytest.approx(narayanan, rel=1e-9)


def test_gpt3_6nd_reproduces_brown_2020():
    # Brown et al. 2020 Table D.1: 3.14e23 training FLOPs for 300B tokens.
    count = count_flops(find_architecture("gpt3-175b"))
    assert count.six_nd(300e9) == pytest.approx(3.14e23, rel=0.005)
    assert count.training_flops(300e9) == pytest.approx(count.training_flops_per_token * 300e9)


@pytest.mark.parametrize(
    ("name", "expected", "ratio"),
    [  # all-matmul 3×forward column of the reference notes §1.8 (no causal halving)
        ("llama2-7b", 4.608e10, 1.140),
        ("llama3.1-405b", 2.625e12, 1.078),
        ("falcon-40b", 2.599e11, 1.049),
        ("gemma-7b", 6.250e10, 1.220),
        ("qwen2-72b", 6.864e11, 1.574),
        ("mixtral-8x7b", 1.280e11, 1.657),
    ],
)
def test_presets_match_reference_column(name, expected, ratio):
    count = count_flops(find_architecture(name))
    assert count.training_flops_per_token == pytest.approx(expected, rel=1e-3)
    assert count.ratio_to_6n == pytest.approx(ratio, abs=0.002)


def test_llama31_405b_6nd_reproduces_paper():
    # Llama 3 paper: 3.8e25 FLOPs for 405B parameters over 15.6T tokens.
    assert count_flops(find_architecture("llama3.1-405b")).six_nd(15.6e12) == pytest.approx(3.8e25, rel=0.01)


def test_deepseek_v3_matches_reference_with_causal_halving():
    # Notes §1.8: all-matmul count with MLA and causal halving = 2.498e11 at s = 4096 (router excluded there).
    count = count_flops(find_architecture("deepseek-v3"), causal_half=True)
    router = next(c for c in count.components if c.component == "router")
    assert count.training_flops_per_token - router.training_flops_per_token == pytest.approx(2.498e11, rel=1e-3)
    assert count.six_n_flops_per_token == pytest.approx(2.253e11, rel=1e-3)


def test_moe_counts_only_top_k_experts():
    arch = find_architecture("mixtral-8x7b")
    experts = next(c for c in count_flops(arch).components if c.component.startswith("routed experts"))
    assert experts.forward_flops_per_token_per_layer == 2 * 3 * matmul_flops(1, 4096, 14336)  # top-2 × 3 matrices
    assert experts.params_per_layer == 8 * 3 * 4096 * 14336


def test_training_flops_linear_in_tokens():
    count = count_flops(find_architecture("llama2-7b"))
    assert count.training_flops(2e12) == pytest.approx(2 * count.training_flops(1e12))
    assert count.training_flops(0) == 0


def test_method_label():
    assert count_flops(find_architecture("llama3.1-405b")).method == (
        "detailed (llama3.1-405b, seq 8192, no causal halving)")
    assert "selective recompute" in count_flops(TINY, recompute="selective").method
    assert "approximate" in count_flops(find_architecture("chinchilla-70b")).method


@pytest.mark.parametrize("seq_len", [0, -4, 2.5])
def test_bad_seq_len(seq_len):
    with pytest.raises(InputError):
        count_flops(TINY, seq_len)  # type: ignore[arg-type]


def test_bad_recompute():
    with pytest.raises(InputError):
        count_flops(TINY, recompute="half")  # type: ignore[arg-type]


def test_six_n():
    assert six_n_flops_per_token(1e9) == 6e9


def test_core_modules_import_no_heavy_dependencies():
    code = ("import sys, carbonllm.flops.count, carbonllm.estimator.planner, carbonllm.flops.architecture; "
            "bad = [m for m in ('pandas', 'rich', 'click', 'codecarbon', 'pynvml') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
