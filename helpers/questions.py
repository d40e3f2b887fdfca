"""Self-check questions answered in the page: a number to type, or a choice to click.

The questions are drawn by jupyterquiz (https://github.com/jmshea/jupyterQuiz): one HTML
block and one script, both inlined in the cell's output. So they work in Jupyter, in Colab
and in the built book, with no kernel and no network: the answers and their feedback are
in the page.
"""

import json
import random

from jupyterquiz import display_quiz


def ask_number(question, answer, explain, wrong=None, otherwise=None):
    """Show a question whose answer is a number, typed into a box.

    answer: the right number, or a pair (low, high) that accepts low <= x < high.
    explain: the feedback for the right answer, which says why it is right.
    wrong: {number: feedback} for expected wrong answers, each saying what went wrong.
    otherwise: the feedback for any other answer (by default, a nudge to try again).
    """
    answers = [_number(answer, True, explain)]
    answers += [_number(value, False, feedback) for value, feedback in (wrong or {}).items()]
    answers.append({"type": "default",
                    "feedback": otherwise or "Not that one. Work it out again, step by step."})
    _show({"question": question, "type": "numeric", "answers": answers})


def ask_choice(question, choices, correct):
    """Show a multiple-choice question.

    choices: {choice: feedback}, in the order shown; each feedback says why that choice is
        right or wrong.
    correct: the right choice, one of the keys of `choices`.
    """
    if correct not in choices:
        raise ValueError(f"correct must be one of the choices {list(choices)}, got {correct!r}")
    _show({"question": question, "type": "multiple_choice",
           "answers": [{"answer": choice, "correct": choice == correct, "feedback": feedback}
                       for choice, feedback in choices.items()]})


def _number(value, correct, feedback):
    if isinstance(value, tuple):
        low, high = value
        return {"type": "range", "range": [low, high], "correct": correct, "feedback": feedback}
    return {"type": "value", "value": value, "correct": correct, "feedback": feedback}


def _show(question):
    """Display one question, with the same output every time it is shown.

    jupyterquiz names its HTML element with letters drawn from Python's `random`. Seeded
    from the question here, the output is the same on every run (nbval compares it), and
    the lesson's own random numbers are left as they were.
    """
    text = json.dumps([question], sort_keys=True)
    state = random.getstate()
    random.seed(text)
    try:
        display_quiz([question], shuffle_answers=False, max_width=700)
    finally:
        random.setstate(state)
