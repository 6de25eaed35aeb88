"""carbonllm: estimate and measure the energy and CO2e of large-model training runs."""

__version__ = "0.1.0"
