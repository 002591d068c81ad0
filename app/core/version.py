"""The software's version, written into reports, packages and the API document."""

__version__ = "0.1.0"
