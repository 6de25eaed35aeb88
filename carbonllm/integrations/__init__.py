"""Optional integrations (Hugging Face Trainer, PyTorch Lightning). Each imports its framework
only when used; install the matching extra (``pip install carbonllm[hf]`` / ``[lightning]``)."""
