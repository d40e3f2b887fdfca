"""Saving and resuming training: model, optimizer, step, and whatever else a run needs."""

import os
from pathlib import Path

import torch


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read, or it does not fit the model or optimizer given."""


def save_checkpoint(path, model, optimizer, step, **extra):
    """Write model and optimizer state, the step count and `extra` values to `path`.

    extra: more state to restore exactly (a scheduler's state_dict, a data stream's seed,
        RNG states), as tensors, numbers, strings, lists and dicts of these.
    The file is written beside `path` and renamed over it, so an interrupted save never
    leaves a truncated checkpoint at `path`.
    """
    path = Path(path)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "step": step, **extra}
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def load_checkpoint(path, model, optimizer=None):
    """Restore `model` (and `optimizer`) from `path`; return the whole checkpoint dict.

    The file is read with torch.load(..., weights_only=True): tensors and plain values
    only, never arbitrary pickled code. Raises FileNotFoundError if there is no file,
    CheckpointError if it is damaged or truncated, or was saved from another model.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    device = next(model.parameters()).device
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # torch raises several kinds for a damaged file
        raise CheckpointError(f"{path} cannot be read as a checkpoint; it is truncated or "
                              f"damaged ({type(error).__name__}: {error})") from error
    if not isinstance(state, dict) or not {"model", "optimizer", "step"} <= state.keys():
        raise CheckpointError(f"{path} is not a checkpoint written by save_checkpoint: "
                              f"expected the keys model, optimizer and step")
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        raise CheckpointError(f"{path} was saved from a different model: "
                              f"{' '.join(line.strip() for line in first[:3])}") from error
    if optimizer is not None:
        try:
            optimizer.load_state_dict(state["optimizer"])
        except ValueError as error:
            raise CheckpointError(f"{path} holds the state of a different optimizer "
                                  f"or parameter set: {error}") from error
    return state
