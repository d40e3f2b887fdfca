"""Lesson 8's checked exercise: `epoch_seconds`, an epoch's time from the cost model."""

import math

from helpers.exercises import Case, Exercise, Mistake


def epoch_seconds(n_samples, batch_size, t0, c):
    steps = math.ceil(n_samples / batch_size)   # a smaller last batch too
    return steps * t0 + n_samples * c   # fixed cost per step, c per sample


_solution = epoch_seconds   # the name `epoch_seconds` is the exercise's, below


def _fractional_steps(n_samples, batch_size, t0, c):
    return n_samples / batch_size * t0 + n_samples * c


def _full_last_batch(n_samples, batch_size, t0, c):
    return math.ceil(n_samples / batch_size) * (t0 + c * batch_size)


def _dropped_last_batch(n_samples, batch_size, t0, c):
    steps = n_samples // batch_size
    return steps * (t0 + c * batch_size)


def _no_sample_cost(n_samples, batch_size, t0, c):
    return math.ceil(n_samples / batch_size) * t0


def _case(n_samples, batch_size, t0, c):
    return Case(f"epoch_seconds({n_samples}, {batch_size}, t0={t0}, c={c})",
                lambda: (n_samples, batch_size, t0, c))


epoch_seconds = Exercise(
    "epoch_seconds", _solution,
    cases=[_case(8000, 1, 2e-4, 2e-6), _case(8000, 64, 2e-4, 2e-6),
           _case(8000, 3000, 2e-4, 2e-6), _case(1000, 1000, 1e-3, 1e-5),
           _case(50_000, 256, 5e-5, 1e-6)],
    rtol=1e-6, atol=1e-12,
    mistakes=[
        Mistake("a step is a whole step: an epoch of n samples takes ceil(n / B) of them, "
                "the last one on a smaller batch.", _fractional_steps),
        Mistake("the last batch is smaller than B and costs c per sample it holds: the "
                "per-sample cost of an epoch is c times n, not c times B for every step.",
                _full_last_batch),
        Mistake("the last, smaller batch is a step too (without drop_last): it pays t0, and "
                "c for each of its samples.", _dropped_last_batch),
        Mistake("each sample costs c as well: add c times the number of samples.",
                _no_sample_cost),
    ],
    hints=[
        "A step on a batch of B samples takes t0 + c*B seconds. Add that up over the steps "
        "of one epoch.",
        "There are ceil(n / B) steps, and together their batches hold all n samples.",
    ],
)
