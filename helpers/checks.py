"""The argument checks that every public function of `helpers` uses."""

import numbers

import numpy as np
import torch


def check(name, value, kind, valid, expected):
    """Return `value` as a Python int or float if it is of `kind` and `valid(value)` is true.

    kind: int (an integer, NumPy's included, not a bool) or float (any real number, ints
        included, not a bool); valid: a predicate on the value; expected: what the value
        should be, in words, for the message ("a positive int").
    The value comes back as a plain int or float (np.int64(3) as 3), so that everything
    downstream, torch and pickling included, sees the type it expects.
    Raises TypeError for a value of the wrong kind and ValueError for a wrong value; both
    messages name the argument and show its value.
    """
    wrong_kind = isinstance(value, (bool, np.bool_)) or not isinstance(
        value, numbers.Integral if kind is int else numbers.Real)
    if wrong_kind:
        raise TypeError(f"{name} must be {expected}, got {value!r} ({type(value).__name__})")
    if not valid(value):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value) if kind is int else float(value)


def check_positive_int(name, value):
    """`check` for a count: an int >= 1; returns it as a Python int."""
    return check(name, value, int, lambda v: v >= 1, "a positive int")


def check_flag(name, value):
    """Return `value` as a bool if it is True or False (NumPy's too); raise TypeError otherwise.

    Strings and numbers are refused: "no" and "False" would read as True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_generator(generator):
    """Return `generator` if it is None or a torch.Generator; raise TypeError otherwise."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {generator!r} "
                        f"({type(generator).__name__}); make one with "
                        f"torch.Generator().manual_seed(seed)")
    return generator
