"""Reports: what a user puts in a paper, a model card or a spreadsheet.

- :mod:`.data`: :class:`ReportData`, built from an estimate, a run summary or a codecarbon row.
- :mod:`.statement`: its renderings (Markdown and LaTeX paper statement, model-card metadata).
- :mod:`.inputs`: finds and reads the inputs of ``carbonllm report`` (estimate JSON, run summaries,
  codecarbon files).
- :mod:`.codecarbon_csv`: reads and writes codecarbon's ``emissions.csv``.
- :mod:`.plots`: matplotlib charts (``--plot``), imported only when asked for.
- :mod:`.prometheus`: GPU energy of a past job from DCGM exporter metrics through the Prometheus
  HTTP API; :mod:`.slurm`: a job's nodes, GPUs, time and recorded energy from ``sacct``;
  :mod:`.cluster`: either turned into a ``carbonllm.run/1`` summary.

May import ``measure``, ``estimator``, ``flops``, ``tables`` and the foundations; never ``cli``.
"""
