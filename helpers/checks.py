"""The one argument check that every public function of `helpers` uses."""

import numbers


def check(name, value, kind, valid, expected):
    """Return `value` if it is of `kind` and `valid(value)` is true; raise otherwise.

    kind: int (an integer, not a bool) or float (any real number, ints included, not
        a bool); valid: a predicate on the value; expected: what the value should be,
        in words, for the message ("a positive int").
    Raises TypeError for a value of the wrong kind and ValueError for a wrong value; both
    messages name the argument and show its value.
    """
    wrong_kind = isinstance(value, bool) or not isinstance(
        value, numbers.Integral if kind is int else numbers.Real)
    if wrong_kind:
        raise TypeError(f"{name} must be {expected}, got {value!r} ({type(value).__name__})")
    if not valid(value):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return value


def check_positive_int(name, value):
    """`check` for a count: an int >= 1."""
    return check(name, value, int, lambda v: v >= 1, "a positive int")

