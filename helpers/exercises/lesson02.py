"""Lesson 2's checked exercise: `steps_per_epoch`, with and without drop_last."""

import math

import helpers.batches
from helpers.exercises import Case, Exercise, Mistake


def steps_per_epoch(n_samples, batch_size, drop_last):
    if drop_last:                          # a last, smaller batch is dropped
        return n_samples // batch_size
    return math.ceil(n_samples / batch_size)   # ... or is a step too


_solution = steps_per_epoch   # the name `steps_per_epoch` is the exercise's, below


def _floor(n_samples, batch_size, drop_last):
    return n_samples // batch_size


def _ceil(n_samples, batch_size, drop_last):
    return math.ceil(n_samples / batch_size)


def _plus_one(n_samples, batch_size, drop_last):
    return n_samples // batch_size + (0 if drop_last else 1)


def _rounded(n_samples, batch_size, drop_last):
    return round(n_samples / batch_size)


def _case(n_samples, batch_size, drop_last):
    return Case(f"steps_per_epoch({n_samples}, {batch_size}, drop_last={drop_last})",
                lambda: (n_samples, batch_size, drop_last))


steps_per_epoch = Exercise(
    "steps_per_epoch", _solution,
    # the answer is the helpers' own steps_per_epoch, which the lessons print
    expected=lambda case: helpers.batches.steps_per_epoch(*case.make()),
    cases=[_case(n, batch_size, drop_last)
           for n, batch_size in [(506, 50), (506, 46), (506, 500), (506, 506), (30, 50),
                                 (60_000, 128)]
           for drop_last in (False, True)
           if not (drop_last and n < batch_size)],   # helpers.minibatches refuses that
    mistakes=[
        Mistake("without drop_last, the last, smaller batch is a step too: round the "
                "division up.", _floor),
        Mistake("with drop_last=True, the last, smaller batch is left out: round the "
                "division down.", _ceil),
        Mistake("when the batch size divides the samples, there is no smaller batch at the "
                "end: 506 samples in batches of 46 are 11 steps, not 12.", _plus_one),
        Mistake("a step count is not rounded to the nearest: round up without drop_last, and "
                "down with it.", _rounded),
    ],
    hints=[
        "Work out one case by hand first: 506 samples in batches of 50 are 10 full batches "
        "and one of 6.",
        "math.ceil rounds up and // rounds down. Which one each setting of drop_last needs "
        "depends on what happens to the last, smaller batch.",
    ],
)

