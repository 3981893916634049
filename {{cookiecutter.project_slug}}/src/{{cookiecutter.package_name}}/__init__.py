"""Data contract, pipeline stages and command line of this project."""

__version__ = "0.1.0"
