"""Lesson 1's checked exercise: `early_stopping`, the rule that ends training."""

from helpers.exercises import Case, Exercise, Mistake


def early_stopping(val_losses, patience):
    best_epoch, best = 1, val_losses[0]
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:            # strictly lower: a tie is no improvement
            best_epoch, best = epoch, loss
        elif epoch - best_epoch >= patience:     # that many without one
            return epoch, best_epoch
    return len(val_losses), best_epoch


_solution = early_stopping   # the name `early_stopping` is the exercise's, below


def _counted_from_0(val_losses, patience):
    stop, best = _solution(val_losses, patience)
    return stop - 1, best - 1


def _tie_resets(val_losses, patience):
    best_epoch, best = 1, val_losses[0]
    for epoch, loss in enumerate(val_losses, start=1):
        if loss <= best:
            best_epoch, best = epoch, loss
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses), best_epoch


def _tie_resets_count(val_losses, patience):
    best_epoch, best, waited = 1, val_losses[0], 0
    for epoch, loss in enumerate(val_losses[1:], start=2):
        if loss < best:
            best_epoch, best, waited = epoch, loss, 0
        elif loss == best:
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch


def _first_rise(val_losses, patience):
    for epoch in range(2, len(val_losses) + 1):
        if val_losses[epoch - 1] > val_losses[epoch - 2]:
            return epoch, min(range(1, epoch + 1), key=lambda e: val_losses[e - 1])
    return len(val_losses), min(range(1, len(val_losses) + 1), key=lambda e: val_losses[e - 1])


def _one_late(val_losses, patience):
    return _solution(val_losses, patience + 1)


def _case(val_losses, patience):
    return Case(f"early_stopping({val_losses}, patience={patience})",
                lambda: (list(val_losses), patience))


TIE = ("a loss equal to the best resets your patience. Only a loss strictly below the best is "
       "an improvement; on a tie, keep the first epoch.")   # two ways of making that mistake

early_stopping = Exercise(
    "early_stopping", _solution,
    cases=[
        _case([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.5, 0.55, 0.56, 0.57], 3),
        _case([1.0, 0.8, 0.8, 0.9, 0.85, 0.7], 2),
        _case([1.0, 0.9, 0.8, 0.7], 2),
        _case([0.5, 0.6, 0.4, 0.45, 0.46, 0.47, 0.3], 3),
        _case([0.5, 0.4, 0.45, 0.46], 5),
        _case([0.3, 0.4, 0.2], 1),
        _case([0.6, 0.6, 0.6, 0.6, 0.6], 3),
    ],
    mistakes=[
        Mistake("your epochs are counted from 0. Count them from 1, as the lesson's plots do: "
                "the first value of val_losses is epoch 1.", _counted_from_0),
        Mistake(TIE, _tie_resets),
        Mistake(TIE, _tie_resets_count),
        Mistake("you stop at the first rise of the loss. Wait `patience` epochs after the "
                "best one: the loss may fall below it again.", _first_rise),
        Mistake("you stop one epoch late. With patience p and the best at epoch b, the "
                "last epoch trained is b + p, when p epochs in a row have not improved.",
                _one_late),
    ],
    hints=[
        "Keep two things as you go through the losses: the best loss so far and its epoch. "
        "enumerate(val_losses, start=1) counts the epochs from 1.",
        "The epochs since the best one are `epoch - best_epoch`. Stop when that reaches "
        "`patience`.",
        "Compare with `<`, not `<=`: a tie is not an improvement. If the loop ends without "
        "stopping, the stop is len(val_losses).",
    ],
)
