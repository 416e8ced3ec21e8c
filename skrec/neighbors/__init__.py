"""Neighbourhood models: item-based and user-based k-nearest neighbours."""

from ._knn import ItemKNN, UserKNN

__all__ = ["ItemKNN", "UserKNN"]
