"""Checked exercises: the learner writes a function, `check` runs it and prints a verdict.

    from helpers.exercises import lesson03
    lesson03.accumulate.check(accumulated_step)   # prints a verdict, returns True or False
    lesson03.accumulate.hint()                    # prints the next hint
    lesson03.accumulate.solution()                # prints the reference solution's code

One module per lesson (lesson01 ... lesson08), one `Exercise` per checked exercise. A check
runs the learner's function on fixed cases (their data drawn from seeded generators, so
every check prints the same verdict everywhere), compares each result with the expected
one (`torch.testing.assert_close`), and names a known mistake when the results are exactly
those of a wrong solution the exercise knows. It prints plain text and sends nothing
anywhere.
"""

import inspect
import textwrap
from dataclasses import dataclass

import numpy as np
import torch

STUB_ERROR = NotImplementedError   # what a starter cell's body raises until it is filled in


@dataclass
class Case:
    """One fixed input: `label` shows it to the learner, `make()` builds fresh arguments.

    make: returns the tuple of arguments for one call; it is called anew for every run, so
        that a function that modifies its arguments cannot spoil the next run.
    """
    label: str
    make: object


@dataclass
class Mistake:
    """A known wrong answer: `solve` is a function that makes it, `says` what went wrong."""
    says: str
    solve: object


def call(fn, case):
    """The default run of an exercise: fn(*arguments), its result the outcome."""
    return fn(*case.make())


def same(got, expected, rtol=None, atol=None):
    """None if `got` matches `expected` (torch.testing.assert_close), else why not, in words."""
    got = _like(got, expected)
    try:
        torch.testing.assert_close(got, expected, rtol=rtol, atol=atol, check_dtype=False,
                                   check_device=False)
    except (AssertionError, TypeError, ValueError, RuntimeError) as error:
        return _shortened(str(error))
    return None


def _like(got, expected):
    """`got` in the form of `expected`: a one-number tensor or NumPy number as a Python
    number (13, 13.0, np.int64(13) and torch.tensor(13) all match 13), and a list or NumPy
    array as a tensor where `expected` is a tensor."""
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) \
            and len(got) == len(expected):
        return type(got)(_like(g, e) for g, e in zip(got, expected))
    if isinstance(expected, (int, float)) and (
            isinstance(got, np.generic) or isinstance(got, torch.Tensor) and got.numel() == 1):
        return got.item()
    if isinstance(expected, torch.Tensor) and isinstance(got, (list, tuple, np.ndarray)):
        try:
            return torch.as_tensor(np.asarray(got))     # labels as a list or an array
        except (TypeError, ValueError, RuntimeError):
            return got
    return got


def _small_ints(value):
    """True for an integer tensor of 20 numbers or fewer: labels, shown in full."""
    return (isinstance(value, torch.Tensor) and not value.is_floating_point()
            and value.numel() <= 20)


def _shown(value):
    """`value` for a verdict: numbers to 6 significant digits, small tensors as lists."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, torch.Tensor):
        if value.numel() <= 20:
            return f"tensor({_shown(value.tolist())})"
        return f"a tensor of shape {tuple(value.shape)}"
    return repr(value)


def _tensors(value):
    """The tensors in `value`: itself, or the items of a tuple or list of them; else []."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)) and all(isinstance(v, torch.Tensor) for v in value):
        return list(value)
    return []


def _largest_gap(got, expected):
    """The largest absolute difference between matching tensors, or None if they don't match."""
    got, expected = _tensors(got), _tensors(expected)
    if len(got) != len(expected) or any(a.shape != b.shape for a, b in zip(got, expected)):
        return None
    return max(float((a.detach().cpu().double() - b.detach().cpu().double()).abs().max())
               for a, b in zip(got, expected))


def _wrapped(text, width=76):
    """`text` with each line wrapped at `width` columns, keeping its indent, for any page."""
    lines = []
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip()))
        lines.append(textwrap.fill(line, width, subsequent_indent=indent * 2,
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def _shortened(message):
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return "; ".join(lines[:4])


class Exercise:
    """A checked exercise: `check(fn)`, `hint()` and `solution()`.

    name: the name of the function the learner writes, as in the lesson's starter cell.
    reference: the reference solution, with the learner's signature.
    cases: the fixed inputs (a list of `Case`).
    mistakes: known wrong answers (a list of `Mistake`), each told apart from the reference
        by at least one case (tests/test_exercises.py checks that).
    hints: printed one by one by `hint()`.
    run: run(fn, case) -> the outcome compared; by default fn's result.
    expected: expected(case) -> the right outcome; by default run(reference, case).
    rtol, atol: the tolerances of the comparison (None: assert_close's defaults for the
        dtype, exact for ints).
    compared: what a tensor outcome is, and what it is compared with, for the verdict:
        "{yours} and {theirs} differ by up to 0.26".
    """

    def __init__(self, name, reference, cases, mistakes=(), hints=(), run=call,
                 expected=None, rtol=None, atol=None,
                 compared=("your result", "the expected one")):
        self.name, self.reference, self.cases = name, reference, list(cases)
        self.compared = compared
        self.mistakes, self.hints = list(mistakes), list(hints)
        self.run = run
        self.expected = expected or (lambda case: run(reference, case))
        self.rtol, self.atol = rtol, atol
        self._hints_shown = 0

    def check(self, fn):
        """Run `fn` on every case and print a verdict; return True if every case is right."""
        verdict, passed = self.verdict(fn)
        print(_wrapped(verdict))
        return passed

    def verdict(self, fn):
        """(the verdict as text, True if every case is right); prints nothing.

        Runs under a forked torch generator seeded with 0: a model built inside a case draws
        the same numbers every time, and the learner's generator is left as it was.
        """
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return self._verdict(fn)

    def _verdict(self, fn):
        if not callable(fn):
            return (f"Not yet: check() needs your function, {self.name}, "
                    f"got {fn!r:.60} ({type(fn).__name__}).", False)
        outcomes = []
        for number, case in enumerate(self.cases, start=1):
            try:
                outcomes.append(self.run(fn, case))
            except STUB_ERROR:
                return (f"Not attempted: {self.name} still raises NotImplementedError. "
                        "Write its body in place of the `raise`, run that cell, then run "
                        "this one again.", False)
            except Exception as error:  # the learner's error, reported, not raised
                return (f"Not yet: {self.name} raised {type(error).__name__}: {error}\n"
                        f"  in case {number}: {case.label}", False)
        wrong = []                     # (number, case, outcome, expected, why), each wrong case
        for number, (case, outcome) in enumerate(zip(self.cases, outcomes), start=1):
            expected = self.expected(case)
            if why := self._differs(outcome, expected):
                wrong.append((number, case, outcome, expected, why))
        if not wrong:
            return (f"Correct: {self.name} gives the right answer in all "
                    f"{len(self.cases)} cases.", True)
        number, case, outcome, expected, why = wrong[0]
        example = f"  in case {number}: {case.label}\n  {self._difference(outcome, expected, why)}"
        for mistake in self.mistakes:
            if self._makes(mistake, outcomes):
                return f"Not yet: {mistake.says}\n{example}", False
        return (f"Not yet: {len(wrong)} of {len(self.cases)} cases give a wrong answer. "
                f"The first:\n{example}", False)

    def hint(self):
        """Print the next hint (the last one again once all have been shown)."""
        if not self.hints:
            print("This exercise has no hints.")
            return
        number = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown += 1
        last = number == len(self.hints) - 1
        more = " (the last; .solution() shows a solution)" if last else ""
        print(_wrapped(f"Hint {number + 1} of {len(self.hints)}{more}: {self.hints[number]}"))

    def solution(self):
        """Print the reference solution's code and return the function."""
        print(textwrap.dedent(inspect.getsource(self.reference)).rstrip())
        return self.reference

    def _differs(self, got, expected):
        return same(got, expected, self.rtol, self.atol)

    def _makes(self, mistake, outcomes):
        """True if `outcomes` are exactly what `mistake` gives, case by case."""
        for case, outcome in zip(self.cases, outcomes):
            try:
                if self._differs(outcome, self.run(mistake.solve, case)):
                    return False
            except Exception:
                return False
        return True

    def _difference(self, got, expected, why):
        if not _tensors(expected) or _small_ints(expected):
            return f"expected {_shown(expected)}, got {_shown(got)}"
        gap = _largest_gap(got, expected)
        yours, theirs = self.compared
        if gap is None:
            return f"{yours} cannot be compared with {theirs}: {why}"
        return f"{yours} and {theirs} differ by up to {gap:.2g}"

    def __repr__(self):
        return (f"<exercise {self.name}: .check({self.name}), .hint(), .solution(); "
                f"{len(self.cases)} cases>")
