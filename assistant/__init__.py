"""Metodguiden: a retrieval assistant for choosing and planning citizen participation."""

__version__ = "0.1.0"
