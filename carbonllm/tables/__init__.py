"""The shipped data tables, read and typed.

- :mod:`.loader`: the only reader of ``data/*.csv`` (or ``$CARBONLLM_DATA_DIR``); cached look-ups
  ``find_accelerator``, ``find_zone``, ``mfu_defaults``.
- :mod:`.hardware`: :class:`Accelerator` (TDP, peak TFLOP/s per dtype).
- :mod:`.grid`: :class:`GridZone` (carbon intensity of a country, subregion or cloud region, with
  its basis).
- :mod:`.mfu`: the MFU defaults per hardware generation, on the 6·N·D and detailed FLOP bases.

Imports only the foundations (``errors``, ``names``, ``units``).
"""
