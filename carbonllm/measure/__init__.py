"""Live measurement: sensors → sampler → tracker → run files.

- :mod:`.sensors`: the :class:`Sensor` interface, ``FakeSensor`` and discovery of what a node has.
- :mod:`.nvml`, :mod:`.amd`, :mod:`.rapl`, :mod:`.modelled`: one module per backend (NVIDIA
  NVML, AMD amdsmi, Linux RAPL, codecarbon's CPU/RAM power models); each translates its vendor's errors at the boundary.
- :mod:`.sampler`: the background thread that reads every sensor each interval.
- :mod:`.tracker`: :class:`Tracker` and ``track()`` (start, stop, signals, progress).
- :mod:`.track_config`: :class:`TrackConfig` and how it is resolved from arguments, environment and
  config file.
- :mod:`.records`: the ``carbonllm.run/1`` models (:class:`RunSummary`, per device, per window).
- :mod:`.runfiles`: the summary and sample files on disk: safe writing, bounded reading, run
  directories.
- :mod:`.merge`: several node summaries combined into one run.
- :mod:`.projection`: the measured run projected to its full length and compared with an estimate.
- :mod:`.power_models`: the CPU/RAM power of codecarbon's models, read directly (known at once).
- :mod:`.progress`: progress read from ``--progress-file`` and checked.
- :mod:`.metrics`: Prometheus ``/metrics`` and Pushgateway for a tracked run (only when asked).

Imports ``estimator``, ``tables`` and the foundations; never ``report`` or ``cli``.
"""
