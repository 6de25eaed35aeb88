"""The estimate: FLOPs ÷ (peak × MFU) → device-hours → kWh (× power × PUE) → CO2e (× grid).

- :mod:`.calculator`: the pure formulas over frozen inputs (no I/O, no look-ups).
- :mod:`.defaults`: the documented default assumptions (PUE, region, power spans) and ``Span``.
- :mod:`.results`: what an estimate returns (:class:`Estimate`, :class:`Assumptions`).
- :mod:`.resolve`: ``estimate()``: validates input, looks up tables, applies defaults, calls the
  calculator.
- :mod:`.comparison`: ``compare()`` over chips × regions.
- :mod:`.planner`: ``plan_budget()``: what a fixed budget of device-hours, kWh or CO2e buys.
- :mod:`.market`: market-based CO2e (GHG Protocol Scope 2) beside the location-based headline.
- :mod:`.mfu_calibration`: the whole-run MFU of published runs on both FLOP bases, from which
  ``data/mfu_defaults.csv`` is derived.

Imports ``flops``, ``tables`` and the foundations; never ``measure``, ``report`` or ``cli``.
(No module here is named ``estimate`` or ``compare``: importing it would replace the public
function of that name on the package.)
"""
