"""The checked exercises (helpers.exercises): what each verdict says, and that it is fair."""

import importlib
import inspect
import random

import numpy as np
import pytest
import torch

from helpers.exercises import Exercise

LESSONS = [f"lesson{n:02d}" for n in range(1, 10)]


def _exercises():
    for lesson in LESSONS:
        module = importlib.import_module(f"helpers.exercises.{lesson}")
        for name, value in vars(module).items():
            if isinstance(value, Exercise):
                yield pytest.param(module, value, id=f"{lesson}.{name}")


EXERCISES = list(_exercises())
MISTAKES = [pytest.param(exercise, mistake, id=f"{param.id}-{mistake.solve.__name__}")
            for param in EXERCISES for _, exercise in [param.values]
            for mistake in exercise.mistakes]


def stub(*args):
    raise NotImplementedError("write this function")


def test_every_lesson_has_a_checked_exercise():
    lessons = {param.id.split(".")[0] for param in EXERCISES}
    assert lessons == set(LESSONS)


def test_the_three_required_exercises_have_their_names_and_signatures():
    from helpers.exercises import lesson01, lesson03, lesson06
    signatures = {
        lesson01.early_stopping: "(val_losses, patience)",
        lesson03.accumulated_step: "(model, optimizer, loss_fn, x, y, micro_batches)",
        lesson06.momentum_step: "(w, g, v, lr, beta)",
    }
    for exercise, signature in signatures.items():
        assert str(inspect.signature(exercise.reference)) == signature
        assert exercise.reference.__name__ == exercise.name


@pytest.mark.parametrize("module, exercise", EXERCISES)
def test_the_reference_solution_passes_its_check(module, exercise, capsys):
    assert exercise.check(exercise.reference) is True
    assert capsys.readouterr().out.startswith(f"Correct: {exercise.name} gives the right")


@pytest.mark.parametrize("module, exercise", EXERCISES)
def test_the_starter_stub_is_not_attempted(module, exercise, capsys):
    assert exercise.check(stub) is False
    assert capsys.readouterr().out.startswith(f"Not attempted: {exercise.name} still raises")


@pytest.mark.parametrize("module, exercise", EXERCISES)
def test_an_exception_in_the_learners_code_is_reported_with_its_case(module, exercise, capsys):
    def broken(*args):
        return 1 / 0

    assert exercise.check(broken) is False          # reported, not raised
    out = " ".join(capsys.readouterr().out.split())    # the verdict, unwrapped
    assert f"{exercise.name} raised ZeroDivisionError: division by zero" in out
    assert f"in case 1: {exercise.cases[0].label}" in out


@pytest.mark.parametrize("exercise, mistake", MISTAKES)
def test_each_named_mistake_fails_with_its_own_message(exercise, mistake, capsys):
    assert exercise.check(mistake.solve) is False
    out = capsys.readouterr().out
    # the message of this mistake, and of no other (two implementations may share one)
    assert " ".join(out.split()).startswith(f"Not yet: {' '.join(mistake.says.split())}")
    others = {m.says for m in exercise.mistakes if m.says != mistake.says}
    assert not any(" ".join(says.split()) in " ".join(out.split()) for says in others)


@pytest.mark.parametrize("exercise, mistake", MISTAKES)
def test_each_mistake_differs_from_the_reference_in_some_case(exercise, mistake):
    verdict, passed = exercise.verdict(mistake.solve)
    assert not passed and "in case" in verdict


@pytest.mark.parametrize("module, exercise", EXERCISES)
def test_an_unknown_wrong_answer_gets_the_first_wrong_case(module, exercise):
    def wrong(*args):
        return "something else"

    verdict, passed = exercise.verdict(wrong)
    assert not passed
    assert verdict.startswith("Not yet:") and "in case 1:" in verdict


@pytest.mark.parametrize("module, exercise", EXERCISES)
def test_checks_are_deterministic_and_leave_the_global_generators_alone(module, exercise):
    """Same verdicts whatever the global seeds, and the generators' states unchanged."""
    functions = [exercise.reference, stub] + [m.solve for m in exercise.mistakes]
    verdicts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        states = torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy()
        verdicts.append([exercise.verdict(fn) for fn in functions])
        assert torch.equal(states[0], torch.get_rng_state())
        assert states[1] == random.getstate()
        assert np.array_equal(states[2], np.random.get_state()[1])
    assert verdicts[0] == verdicts[1]


def test_a_check_that_is_not_handed_a_function_says_so(capsys):
    from helpers.exercises import lesson01
    assert lesson01.early_stopping.check(None) is False
    assert "check() needs your function, early_stopping, got None" in capsys.readouterr().out


def test_hints_come_one_by_one_and_the_last_points_to_the_solution(capsys):
    from helpers.exercises import lesson06
    exercise = Exercise("f", lesson06._solution, lesson06.momentum_step.cases,
                        hints=["first", "second"])
    exercise.hint()
    exercise.hint()
    exercise.hint()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Hint 1 of 2: first"
    assert out[1] == out[2] == "Hint 2 of 2 (the last; .solution() shows a solution): second"


def test_the_solution_prints_its_code_and_returns_the_function(capsys):
    from helpers.exercises import lesson01
    fn = lesson01.early_stopping.solution()
    out = capsys.readouterr().out
    assert out.startswith("def early_stopping(val_losses, patience):")
    assert fn((0.5, 0.4, 0.45), 1) == (3, 2)


def test_numbers_of_any_kind_are_accepted_for_a_python_number(capsys):
    from helpers.exercises import lesson02
    exercise = lesson02.steps_per_epoch
    for kind in (float, np.int64, torch.tensor):
        assert exercise.check(lambda *args, kind=kind: kind(exercise.reference(*args)))
    assert not exercise.check(lambda *args: exercise.reference(*args) + 0.5)
    assert "expected 11, got 11.5" in capsys.readouterr().out


def test_accumulation_is_checked_against_one_step_on_all_the_rows():
    """The expected weights come from one step on the whole batch, not from the reference."""
    from helpers.exercises import lesson03
    exercise = lesson03.accumulated_step
    for case in exercise.cases:
        for got, expected in zip(exercise.run(exercise.reference, case), exercise.expected(case)):
            torch.testing.assert_close(got, expected)
    assert any("[3, 3, 2, 2]" in case.label for case in exercise.cases)   # uneven chunks


def test_momentum_is_checked_against_torch_sgd_and_the_averaging_steps_are_1_minus_beta():
    from helpers.exercises import lesson06
    exercise = lesson06.momentum_step
    case = exercise.cases[0]
    w0, _, lr, beta = case.make()
    pytorch, averaging = exercise.expected(case), exercise.run(lesson06._averaging, case)
    steps = [(before - after) for before, after in zip((w0, *pytorch), pytorch)]
    steps_avg = [(before - after) for before, after in zip((w0, *averaging), averaging)]
    for step, step_avg in zip(steps, steps_avg):
        torch.testing.assert_close(step_avg, (1 - beta) * step)
    assert "(1 - beta) times PyTorch's" in exercise.verdict(lesson06._averaging)[0]


def test_an_exact_resume_is_compared_to_the_last_bit():
    from helpers.exercises import lesson04
    exercise = lesson04.restore
    case = exercise.cases[0]

    def nudged(checkpoint, model, optimizer, schedule):
        step = exercise.reference(checkpoint, model, optimizer, schedule)
        with torch.no_grad():
            next(model.parameters()).add_(1e-7)
        return step

    assert exercise.verdict(exercise.reference)[1]
    assert not exercise.verdict(nudged)[1]
    assert "differ by up to" in exercise.verdict(nudged)[0]
    assert all(torch.equal(a, b) for a, b in zip(exercise.run(exercise.reference, case),
                                                 exercise.expected(case)))



def test_a_resume_that_returns_nothing_is_told_it_started_again_from_step_0():
    from helpers.exercises import lesson04
    exercise = lesson04.restore

    def returns_nothing(checkpoint, model, optimizer, schedule):
        exercise.reference(checkpoint, model, optimizer, schedule)

    verdict, passed = exercise.verdict(returns_nothing)
    assert not passed and "returns 0 (or nothing" in verdict

def test_labels_as_a_list_or_an_array_are_accepted_for_a_tensor(capsys):
    from helpers.exercises import lesson07
    exercise = lesson07.nearest_labels
    assert exercise.check(lambda *args: exercise.reference(*args).tolist())
    assert exercise.check(lambda *args: exercise.reference(*args).numpy())
    assert not exercise.check(lambda *args: (exercise.reference(*args) + 1).tolist())
