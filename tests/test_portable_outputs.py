"""The committed outputs that nbval compares hold on any processor and on a GPU.

nbval compares a cell's new output with the committed one literally, so a compared cell
may print only what every machine prints the same: shapes, counts, exact equalities. A
number that comes out of training is tagged `nbval-ignore-output` and checked instead by
a hidden assertion with a tolerance; the device line is sanitized.
"""

import configparser
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [*sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb")),
             ROOT / "chapters" / "the-whole-loop.ipynb",
             ROOT / "chapters" / "published-results.ipynb"]
SANITIZE = configparser.ConfigParser()
SANITIZE.read(ROOT / "tests" / "nbval-sanitize.cfg")
# what names a device or its CPU threads in an output
DEVICE_WORDS = re.compile(r"\b(cpu|cuda|mps|GPU|threads?)\b", re.IGNORECASE)
# a clock reading: a line of output with a time in it
CLOCK = re.compile(r"\d\s*(s|ms|µs)\b|samples/s")
THREADS = re.compile(r"\d+ (CPU )?threads?")  # a device label's thread count


def sanitize(text):
    for section in SANITIZE.sections():
        text = re.sub(SANITIZE[section]["regex"], SANITIZE[section]["replace"], text)
    return text


def code_cells(notebook):
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    for cell in cells:
        cell["source"] = "".join(cell["source"])
        cell["tags"] = cell["metadata"].get("tags", [])
    return cells


def text_outputs(cell):
    for output in cell["outputs"]:
        if output["output_type"] == "stream":
            yield "".join(output["text"])
        elif "text/plain" in output.get("data", {}):
            yield "".join(output["data"]["text/plain"])


def is_clock_or_animation(cell):
    """Output that no tolerance could pin: timings (every line with a number has a time in
    it), an animation, or nothing at all."""
    lines = [line for text in text_outputs(cell) for line in text.splitlines()
             if re.search(r"\d", THREADS.sub("", line))]
    return "animation_html" in cell["source"] or all(CLOCK.search(line) for line in lines)


def compared(cell):
    return not {"nbval-ignore-output", "nbval-skip"} & set(cell["tags"])


def test_the_device_line_is_the_same_after_sanitizing_on_every_device():
    lines = ["Using device: cpu", "Using device: cuda (NVIDIA H100 80GB HBM3)",
             "Using device: mps (Apple GPU)"]
    assert len({sanitize(line) for line in lines}) == 1
    assert not DEVICE_WORDS.search(sanitize(lines[1]))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_compared_cell_names_the_device_once_sanitized(notebook):
    shown = [(n, text) for n, cell in enumerate(code_cells(notebook)) if compared(cell)
             for text in text_outputs(cell) if DEVICE_WORDS.search(sanitize(text))]
    assert not shown, f"compared cells that name the device (code cell, output): {shown}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_unchecked_training_result_is_followed_by_a_hidden_assertion(notebook):
    cells = code_cells(notebook)
    unchecked = []
    for n, cell in enumerate(cells):
        if compared(cell) or is_clock_or_animation(cell):
            continue
        following = cells[n + 1] if n + 1 < len(cells) else None
        if not (following and "remove-cell" in following["tags"]
                and "assert" in following["source"]):
            unchecked.append(n)
    assert not unchecked, ("nbval-ignore-output cells with no hidden assertion after them: "
                           f"{unchecked}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_most_cells_are_still_compared_literally(notebook):
    # a cell that prints nothing is compared too: it must still print nothing (no warning)
    cells = code_cells(notebook)
    literal = [cell for cell in cells if compared(cell)]
    assert len(literal) > len(cells) / 2, f"{len(literal)} of {len(cells)} code cells compared"
