"""Saving and resuming training: model, optimizer, step, and whatever else a run needs."""

import copy
import io
import os
import pickle
import re
import reprlib
import secrets
import stat
from pathlib import Path

import torch

from helpers.checks import check
from helpers.leftovers import MACHINE, remove_leftovers

SAME_STATE = {"FusedAdam": "Adam"}  # optimizers whose state_dicts are interchangeable


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or read, or it does not fit the model or optimizer."""


def save_checkpoint(path, model, optimizer, step, **extra):
    """Write model and optimizer state, the step count and `extra` values to `path`.

    step: optimizer steps taken so far, an int >= 0 (a NumPy int is stored as a Python int).

    extra: more state to restore exactly (a scheduler's state_dict, a seed, RNG states as
        tensors): tensors, numbers, strings, None, torch dtypes and sizes, and lists,
        tuples and dicts of these.
    Everything written (the model's and the optimizer's state, step and extra) must load
    back with torch.load(..., weights_only=True), as load_checkpoint reads it; the
    checkpoint is serialised and loaded that way first, and a value that fails (a NumPy
    number, a learning rate given as np.float64, a datetime, ...) raises TypeError naming
    where it sits, before anything is written.
    The file is written beside `path` under a name of its own (PARTIAL: this machine,
    this process, a random part), flushed to disk and renamed over it: an interrupted
    save never leaves a truncated checkpoint at `path`, and saves at once (threads,
    processes) each leave a whole checkpoint of one of them. A save also removes the
    partial files that saves on this machine left when their process was killed, and
    nothing else.
    """
    step = check("step", step, int, lambda v: v >= 0, "an int >= 0 (optimizer steps taken)")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CheckpointError(f"cannot save {path}: the folder {folder} does not exist")
    try:
        if path.is_dir():
            raise CheckpointError(f"cannot save {path}: it is a folder")
    except OSError as error:  # a name too long, a loop of links, ...
        raise CheckpointError(f"cannot save {path}: {type(error).__name__}: {error}") from error
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "optimizer_class": type(optimizer).__name__, "step": step, **extra}
    data = _serialized(state, names={"model": "model", "optimizer": "optimizer",
                                     "step": "step", **{k: f"extra {k}" for k in extra}})
    _remove_stale_partials(folder)
    partial = folder / _partial_name(os.getpid())
    try:
        with open(partial, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if not isinstance(error, (OSError, RuntimeError)):
            raise
        raise CheckpointError(f"cannot save {path}: {type(error).__name__}: {error}. Check "
                              f"that the folder {folder} is writable and has room") from error
    _sync_folder(folder)


# The partial files of this module, and only they: ".save_checkpoint-<machine>-<process
# id>-<random>.partial". <machine> is a hash of the host name, so that a save on another
# machine sharing the folder is never taken for a killed one of this machine.
PARTIAL = re.compile(r"\.save_checkpoint-([0-9a-f]{8})-([0-9]+)-[0-9a-f]{16}\.partial")


def _partial_name(pid):
    """A new partial file name for a save by process `pid` of this machine (58 characters)."""
    return f".save_checkpoint-{MACHINE}-{pid}-{secrets.token_hex(8)}.partial"


def _serialized(state, names):
    """The bytes of torch.save(state), after checking that safe loading reads them back.

    The rule is torch.load(..., weights_only=True) itself, not a list of types. If it
    fails, the innermost value that fails is found and named: names maps each key of
    state to the argument it came from.
    """
    buffer = io.BytesIO()
    if _loads(state, buffer):
        return buffer.getvalue()
    for key, value in state.items():
        if not _loads({key: value}):
            where, culprit, error = _innermost_unloadable(value, names.get(key, key))
            raise TypeError(
                f"{where} is {_describe(culprit)}, which load_checkpoint's safe loading would "
                f"refuse (torch.load with weights_only=True: {error}); store it as a tensor "
                f"(torch.as_tensor), a number (int(), float()), a string, or lists and dicts "
                f"of these")
    raise TypeError("the checkpoint would not load back with torch.load(weights_only=True)")


def _loads(value, buffer=None):
    """Whether `value` survives torch.save, then torch.load(..., weights_only=True)."""
    buffer = io.BytesIO() if buffer is None else buffer
    try:
        torch.save(value, buffer)
        buffer.seek(0)
        torch.load(buffer, weights_only=True)
    except Exception:  # any failure, to pickle or to unpickle, means no
        return False
    return True


def _innermost_unloadable(value, where, depth=0):
    """(where, value, reason) of the deepest part of `value` that does not load back."""
    if depth < 20 and isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if not _loads(item):
                return _innermost_unloadable(item, f"{where}[{key!r}]", depth + 1)
    try:
        torch.save(value, io.BytesIO())
    except RecursionError:
        return where, value, "nested too deeply to save"
    except Exception as error:
        return where, value, f"it cannot be pickled: {type(error).__name__}"
    return where, value, "its type is not one of the weights-only types"


def _describe(value):
    kind = type(value)
    name = kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"
    text = reprlib.repr(value)      # short, and safe on deeply nested values
    return f"a {name} ({text[:60]}{'...' if len(text) > 60 else ''})"


def _remove_stale_partials(folder):
    """Delete the partial files of saves on this machine whose process has ended."""
    remove_leftovers(folder.glob(".save_checkpoint-*.partial"), PARTIAL,
                     lambda partial: partial.unlink(missing_ok=True))


def _sync_folder(folder):
    """Flush the folder's entry of the renamed file to disk (where the system allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load_checkpoint(path, model, optimizer=None):
    """Restore `model` (and `optimizer`) from `path`; return the whole checkpoint dict.

    Reads with torch.load(..., weights_only=True): tensors and plain values, never pickled
    code, onto the device of the model's parameters (or buffers; else the CPU). Raises
    FileNotFoundError if there is no file, and CheckpointError if `path` is not a regular
    file (a folder, a FIFO, a device), or the file is damaged, holds objects safe loading
    refuses, or was saved from another model or optimizer. Whatever fails, neither model
    nor optimizer is changed.
    """
    path = Path(path)
    _check_is_file(path)
    tensors = [*model.parameters(), *model.buffers()]
    device = tensors[0].device if tensors else torch.device("cpu")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as error:
        if "weights_only" in str(error) or "Weights only" in str(error):
            first = str(error).strip().splitlines()[0]
            raise CheckpointError(
                f"{path} holds objects that safe loading (weights_only=True) refuses: {first} "
                f"If you trust the file, load it with torch.load(path, weights_only=False) or "
                f"allow the type with torch.serialization.add_safe_globals.") from error
        raise _damaged(path, error) from error
    except Exception as error:  # torch raises several kinds for a damaged file
        raise _damaged(path, error) from error
    if not isinstance(state, dict) or not {"model", "optimizer", "step"} <= state.keys():
        raise CheckpointError(f"{path} is not a checkpoint written by save_checkpoint: "
                              f"expected the keys model, optimizer and step")
    saved_class, given_class = state.get("optimizer_class"), type(optimizer).__name__
    if optimizer is not None and saved_class is not None and \
            SAME_STATE.get(saved_class, saved_class) != SAME_STATE.get(given_class, given_class):
        raise CheckpointError(f"{path} holds the state of a {saved_class} optimizer; "
                              f"expected {given_class}")
    for key in ("model", "optimizer") if optimizer is not None else ("model",):
        if not isinstance(state[key], dict):
            raise CheckpointError(f"{path} is not a checkpoint written by save_checkpoint: "
                                  f"its {key} state is {_describe(state[key])}, not a dict")
    model_before = copy.deepcopy(model.state_dict())
    optimizer_before = copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None
    try:
        model.load_state_dict(state["model"])
        if optimizer is not None:
            optimizer.load_state_dict(state["optimizer"])
    except BaseException as error:  # whatever fails, and however: put both back as they were
        model.load_state_dict(model_before)
        if optimizer is not None:
            optimizer.load_state_dict(optimizer_before)
        if not isinstance(error, Exception):
            raise
        first = str(error).strip().splitlines()
        what = "model" if "state_dict for" in str(error) else "optimizer or parameter set"
        raise CheckpointError(f"{path} was saved from a different {what}: "
                              f"{type(error).__name__}: "
                              f"{' '.join(line.strip() for line in first[:3])}") from error
    return state


def _check_is_file(path):
    """Raise FileNotFoundError if nothing is at `path`, CheckpointError if not a regular file.

    A FIFO would make reading wait forever for a writer, and /dev/zero never ends.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint at {path}") from None
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {type(error).__name__}: {error}") from error
    if not stat.S_ISREG(mode):
        what = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "not a regular file")
        raise CheckpointError(f"{path} is {what}, not a checkpoint file")


def _damaged(path, error):
    return CheckpointError(f"{path} cannot be read as a checkpoint; it is truncated or "
                           f"damaged ({type(error).__name__}: {error})")
