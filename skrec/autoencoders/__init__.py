"""Autoencoders: linear (EASE, EDLAE, DLAE) and neural models that encode a user's history."""

from ._autorec import AutoRec
from ._cdae import CDAE
from ._ease import EASE
from ._linear import DLAE, EDLAE
from ._mult import MultDAE, MultVAE
from ._rbm import RBM

__all__ = ["CDAE", "DLAE", "EASE", "EDLAE", "AutoRec", "MultDAE", "MultVAE", "RBM"]
