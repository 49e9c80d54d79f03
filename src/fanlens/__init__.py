"""fanlens: which content works across platforms, and who the most engaged fans are."""

__version__ = "0.1.0"
