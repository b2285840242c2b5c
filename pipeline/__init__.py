"""ddlens: how far national laws and cybersecurity strategies build in due diligence.

Imports nothing heavy: torch, spaCy pipelines and PDF engines load inside the functions
that need them, so `ddlens --help` stays fast.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
