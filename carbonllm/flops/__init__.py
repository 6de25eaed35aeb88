"""The FLOP model: how many floating-point operations a training run needs.

- :mod:`.architecture`: :class:`Architecture`, a transformer's shape and its parameter count.
- :mod:`.count`: per-layer attention/FFN/logits FLOPs per token (Narayanan et al. 2021,
  Chinchilla App. F) beside the 6·N·D approximation (Kaplan et al. 2020).
- :mod:`.presets`: well-known architectures (``data/model_presets.csv``).
- :mod:`.hf_config`: reads a Hugging Face ``config.json`` into an :class:`Architecture`.

Imports ``tables`` and the foundations; never ``estimator``, ``measure``, ``report`` or ``cli``.
"""
