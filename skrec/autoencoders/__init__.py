"""Autoencoders: linear (EASE) and neural models that encode a user's history."""

from ._ease import EASE

__all__ = ["EASE"]
