"""carbonllm's data tables (CSV, one row per item, every row with a ``source``).

Kept at the repository's top level as ``data/`` and installed as the package ``carbonllm.data``;
read them through :mod:`carbonllm.tables.loader`, never by path.
"""
