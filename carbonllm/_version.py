"""The package version, in one place.

Modules that print or record the version import it from here, never from the package
``__init__`` (which would import the whole public API to get one string). ``pyproject.toml``
reads it too (``[tool.setuptools.dynamic]``).
"""

__version__ = "0.1.0"
