"""The engine's parameters, documented once and filled into every torch model.

A torch estimator writes ``{engine_params}`` on a line of its own in the
``Parameters`` section of its docstring and decorates the class with
:func:`fill_engine_doc`: the line becomes the description of every engine
parameter its ``__init__`` takes, with that estimator's own defaults.
"""

from __future__ import annotations

import inspect
import textwrap

#: name -> (type, description); in the order of the docstrings.
ENGINE_PARAMS = {
    "max_iter": ("int", "Epochs: passes over the training examples per call to ``fit``."),
    "batch_size": ("int", "Training examples per mini-batch."),
    "lr": ("float", "Learning rate of the optimizer."),
    "weight_decay": (
        "float",
        "Weight decay passed to the optimizer (on every parameter at every step; models "
        "with ``reg`` also have a per-example L2 penalty).",
    ),
    "optimizer": ('{"adam", "adamw", "sgd", "adagrad", "sparse_adam"}',
                  "The torch optimizer. ``\"sparse_adam\"`` (torch's SparseAdam, a lazy "
                  "Adam: each step updates only the embedding rows the batch uses) is for "
                  "models made only of embedding tables (MF, BPRMF): much faster on large "
                  "tables, no ``weight_decay``."),
    "lr_schedule": (
        '{"constant", "linear"}',
        "Learning rate over the epochs of one fit: constant, or decayed linearly towards "
        "zero.",
    ),
    "early_stopping": (
        "bool",
        "Hold out ``validation_fraction`` of the training examples (within each user), "
        "monitor the loss on them and restore the weights of the best epoch. When False, "
        "training stops once the training loss has not improved by ``tol`` for "
        "``n_iter_no_change`` epochs.",
    ),
    "validation_fraction": ("float in (0, 1)", "Share held out for early stopping."),
    "n_iter_no_change": ("int", "Epochs without improvement before stopping."),
    "tol": ("float", "Minimum decrease of the monitored loss that counts as an improvement."),
    "warm_start": ("bool", "Continue from the fitted weights when refitting on the same ids."),
    "device": (
        '{"auto", "cpu", "cuda", "cuda:N"} or torch.device',
        '``"auto"`` uses CUDA when available; resolved into ``device_`` at fit. With CUDA, '
        "use ``n_jobs=1`` in searches.",
    ),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds a local :class:`torch.Generator`; the global RNGs are untouched, and the "
        "same seed gives the same model on the CPU.",
    ),
    "verbose": ("int", "Show a progress bar over epochs when positive."),
}


def params_doc(cls, table, indent="    "):
    """Numpydoc lines for the parameters of ``table`` that ``cls.__init__`` takes.

    Each gets that class's own default, and the class's own description
    where its ``_param_notes`` dict has one (what ``batch_size`` counts for
    that model, say). A class taking none of them (the abstract engine)
    lists them all, without defaults.
    """
    params = inspect.signature(cls.__init__).parameters
    notes = getattr(cls, "_param_notes", {})
    every = not any(name in params for name in table)
    lines = []
    for name, (kind, text) in table.items():
        if name not in params and not every:
            continue
        head = f"{indent}{name} : {kind}"
        default = params[name].default if name in params else inspect.Parameter.empty
        if default is not inspect.Parameter.empty:
            shown = f'"{default}"' if isinstance(default, str) else repr(default)
            head += f", default={shown}"
        lines.append(head)
        lines.extend(textwrap.wrap(notes.get(name, text), width=79, initial_indent=indent + "    ",
                                   subsequent_indent=indent + "    "))
    return "\n".join(lines)


def engine_params_doc(cls, indent="    "):
    """Numpydoc lines for the engine parameters of ``cls.__init__``, with its defaults."""
    return params_doc(cls, ENGINE_PARAMS, indent)


def fill_params_doc(cls, placeholder, table):
    """Replace the line ``{placeholder}`` of ``cls``'s docstring by :func:`params_doc`."""
    doc = cls.__doc__ or ""
    for line in doc.splitlines():
        if line.strip() == "{" + placeholder + "}":
            indent = line[: len(line) - len(line.lstrip())]
            cls.__doc__ = doc.replace(line, params_doc(cls, table, indent))
            break
    return cls


def fill_engine_doc(cls):
    """Class decorator: replace the ``{engine_params}`` line of the docstring."""
    return fill_params_doc(cls, "engine_params", ENGINE_PARAMS)
