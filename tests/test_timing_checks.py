"""Hidden checks that compare clock readings are tagged `clock`, so make timing-check runs them.

The rule (README, "Writing a lesson"): a check that compares timings holds on any
processor and on a busy machine, and `make timing-check` proves it by running every lesson
with a `clock` cell under nbval ten times with one core busy. This test finds the
comparisons of clock readings in the hidden cells by following what each lesson computes
from `helpers.fastest`, `time.perf_counter` and `fit`'s "seconds", so that no timing check
escapes that run.
"""

import ast
import subprocess
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = [*sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md")),
           ROOT / "chapters" / "the-whole-loop.md",
           ROOT / "chapters" / "published-results.md"]
CLOCK_SOURCES = ("fastest(", "perf_counter(", "['seconds']")  # as ast.unparse writes them


def parse(source):
    """The cell's code as a syntax tree, IPython's % and ! lines read as `pass`."""
    lines = [line[:len(line) - len(line.lstrip())] + "pass"
             if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def uses_clock(node, names):
    return any(marker in ast.unparse(node) for marker in CLOCK_SOURCES) or any(
        isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def clock_names(trees):
    """Every name whose value is computed from a clock reading, followed to a fixed point,
    and every function that reads the clock itself."""
    names, grown = set(), True
    while grown:
        grown = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    found = {node.name} if any(
                        marker in ast.unparse(node) for marker in CLOCK_SOURCES) else set()
                elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    found = set().union(*map(assigned, targets)) if node.value is not None \
                        and uses_clock(node.value, names) else set()
                elif isinstance(node, (ast.For, ast.comprehension)):
                    found = loop_names(node.target, node.iter, names)
                else:
                    continue
                if not found <= names:
                    names |= found
                    grown = True
    return names


def loop_names(target, iterable, names):
    """The loop variables that take clock readings: the values, not the keys, of
    `d.items()`, and the matching parts of `zip(...)`."""
    call = iterable if isinstance(iterable, ast.Call) else None
    pairs = None
    if call and isinstance(target, ast.Tuple):
        if isinstance(call.func, ast.Attribute) and call.func.attr == "items" \
                and len(target.elts) == 2:
            pairs = [(target.elts[1], call.func.value)]
        elif isinstance(call.func, ast.Name) and call.func.id == "zip" \
                and len(target.elts) == len(call.args):
            pairs = list(zip(target.elts, call.args))
    if pairs is None:
        pairs = [(target, iterable)]
    return set().union(*(assigned(t) for t, source in pairs if uses_clock(source, names)))


def assigned(target):
    """The names an assignment to `target` binds or changes: `d[k] = ...` changes d, not k."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*map(assigned, target.elts))
    while isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
        target = target.value
    return {target.id} if isinstance(target, ast.Name) else set()


def is_sign_check(compare):
    """`t > 0` and the like: true of any clock reading on any machine."""
    operands = [compare.left, *compare.comparators]
    return len(operands) == 2 and any(
        isinstance(o, ast.Constant) and o.value == 0 for o in operands)


def clock_comparisons(md):
    """(cell index, source line) of each comparison of clock readings in a hidden cell,
    and the indices of the hidden cells tagged `clock`."""
    cells = [c for c in jupytext.read(md).cells if c.cell_type == "code"]
    trees = [parse(c.source) for c in cells]
    names = clock_names(trees)
    found, tagged = [], set()
    for index, (cell, tree) in enumerate(zip(cells, trees)):
        tags = cell.metadata.get("tags", [])
        if "remove-cell" not in tags:
            continue
        if "clock" in tags:
            tagged.add(index)
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and uses_clock(node, names) \
                    and not is_sign_check(node):
                found.append((index, ast.unparse(node)))
    return found, tagged


@pytest.mark.parametrize("md", LESSONS, ids=lambda p: p.stem)
def test_every_hidden_comparison_of_clock_readings_is_in_a_cell_tagged_clock(md):
    found, tagged = clock_comparisons(md)
    untagged = [line for index, line in found if index not in tagged]
    assert not untagged, (f"{md.name}: hidden checks that compare clock readings in cells "
                          f"not tagged 'clock' (make timing-check would miss them): {untagged}")
    pointless = tagged - {index for index, _ in found}
    assert not pointless, f"{md.name}: cells tagged 'clock' compare no clock readings"


def test_timing_check_runs_exactly_the_lessons_with_clock_cells():
    timed = {md.with_suffix(".ipynb").relative_to(ROOT).as_posix()
             for md in LESSONS if clock_comparisons(md)[1]}
    listed = subprocess.run(["make", "-s", "-C", str(ROOT), "print-timed-lessons"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert timed and set(listed) == timed


def test_the_finder_sees_a_comparison_made_through_a_function_and_a_loop():
    source = ("def race():\n    start = time.perf_counter()\n    return [start]\n"
              "curves = {b: race() for b in (1, 2)}\n"
              "for b, curve in curves.items():\n    best = min(curve)\n"
              "assert best < 3 * len(curves)\nassert best > 0\n")
    names = clock_names([parse(source)])
    assert {"race", "curves", "curve", "best"} <= names and "b" not in names
    compares = [n for n in ast.walk(parse(source)) if isinstance(n, ast.Compare)]
    assert [is_sign_check(c) for c in compares] == [False, True]
