"""Device resolution and seeding for torch models.

This is the only module of skrec that looks at ``torch.cuda``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state


def cuda_available():
    """Whether a CUDA device can be used."""
    import torch

    return torch.cuda.is_available()


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device
        ``"auto"`` picks CUDA when available, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If CUDA is asked for but not available, or the string is not a device.
    """
    import torch

    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device, got "
            f"{type(device).__name__}."
        )
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this machine; "
                "use device='cpu' or device='auto'."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) present."
            )
    elif dev.type != "cpu":
        raise ValueError(f"device={device!r}: only 'cpu' and 'cuda' devices are supported.")
    return dev


def is_cuda_param(device):
    """Whether a (not yet resolved) ``device`` parameter would run on CUDA."""
    import torch

    if isinstance(device, torch.device):
        return device.type == "cuda"
    if device is None or device == "auto":
        return torch.cuda.is_available()
    return isinstance(device, str) and device.startswith("cuda")


def seed_from_random_state(random_state):
    """Draw a 63-bit integer seed from ``random_state`` (int, RandomState or None)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) % (2**63)
    rng = check_random_state(random_state)
    return int(rng.randint(0, np.iinfo(np.int32).max)) * 2**31 + int(
        rng.randint(0, np.iinfo(np.int32).max)
    )


def loading_device(device, owner="This model"):
    """The device to put a loaded (unpickled) model's tensors on.

    ``device`` is the ``device_`` it was fitted on. A CUDA device that is
    not available here falls back to the CPU with a warning. Every torch
    model (the engine, ALS, EASE) loads through this one function.
    """
    import warnings

    import torch

    dev = torch.device(device)
    if dev.type == "cuda" and (not cuda_available()
                               or (dev.index or 0) >= torch.cuda.device_count()):
        warnings.warn(
            f"{owner} was trained on {dev}, but that device is not available here; it is "
            "loaded on the CPU (device_ is now 'cpu').",
            UserWarning,
        )
        return torch.device("cpu")
    return dev
