"""Lesson 5's checked exercise: `double_softmax_floor`, the lowest loss of the double softmax."""

import math

from helpers.exercises import Case, Exercise, Mistake


def double_softmax_floor(n_classes):
    # At best, softmax outputs 1 for the right class and 0 for the others.
    # cross_entropy takes those as logits and applies a second softmax:
    # -log(e**1 / (e**1 + (n_classes - 1) * e**0))
    return math.log(math.e + n_classes - 1) - 1


_solution = double_softmax_floor   # the name is the exercise's, below


def _uniform(n_classes):
    return math.log(n_classes)


def _no_minus_one(n_classes):
    return math.log(math.e + n_classes - 1)


def _all_classes(n_classes):
    return math.log(math.e + n_classes) - 1


def _zero(n_classes):
    return 0.0


def _case(n_classes):
    return Case(f"double_softmax_floor({n_classes})", lambda: (n_classes,))


double_softmax_floor = Exercise(
    "double_softmax_floor", _solution,
    cases=[_case(n) for n in (2, 10, 26, 1000)],
    rtol=1e-5, atol=1e-6,     # float32 arithmetic (torch's) is close enough
    mistakes=[
        Mistake("ln(C) is the loss of a model that gives every class the same probability, "
                "one that has learned nothing. The floor is the loss of a perfect model whose "
                "outputs pass through a second softmax.", _uniform),
        Mistake("you left out the logit of the right class in the numerator: the loss is "
                "-log(e**1 / (e**1 + (C - 1) * e**0)), and its log(e**1) is 1.",
                _no_minus_one),
        Mistake("the denominator counts the right class twice: it holds e**1 once and e**0 "
                "for each of the other C - 1 classes.", _all_classes),
        Mistake("0 is the floor of the plain cross-entropy, on logits. With the double "
                "softmax, a perfect one-hot output still costs a loss.", _zero),
    ],
    hints=[
        "The best a model can output after its softmax is 1 for the right class and 0 for "
        "the others. F.cross_entropy treats those numbers as logits.",
        "Softmax of the logits (1, 0, ..., 0) gives the right class e / (e + C - 1). The "
        "loss is minus its log.",
    ],
)
