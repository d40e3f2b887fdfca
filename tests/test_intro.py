"""The landing page's map of the course: every lesson, its question, and honest times."""

import json
import re
from datetime import datetime
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md"))
CLOSING = ROOT / "chapters" / "the-whole-loop.md"   # the page that ends the course: "end"
MAPPED = [*LESSONS, CLOSING]
INTRO = (ROOT / "intro.md").read_text()
ROW = re.compile(r"^\| \[(\d+|end)\]\(chapters/([\w-]+)\.md\) \| (.+?) \| (\d+) min \| "
                 r"(\d+(?:\.\d+)?) (s|min) \|$", re.M)
# a "Going deeper" dropdown, fenced with three or more backticks, code blocks inside included
ASIDE = re.compile(r"^(`{3,})\{dropdown\}.*?^\1[ \t]*$", re.S | re.M)


def course_map():
    """{lesson file stem: (question, minutes to read, seconds to run)} from the intro."""
    return {stem: (question, int(read), float(run) * (60 if unit == "min" else 1))
            for _, stem, question, read, run, unit in ROW.findall(INTRO)}


def minutes_to_read(md):
    """The main path's reading time: prose at 200 words a minute, shown code at 30 lines.

    The main path is everything before "## Key takeaways" but the "Going deeper" asides.
    """
    words = lines = 0
    for cell in jupytext.read(md).cells:
        if cell.cell_type == "markdown":
            text = cell.source.split("## Key takeaways")[0]
            text = ASIDE.sub("", text)
            words += len(text.split())
            if "## Key takeaways" in cell.source:
                break
        elif not {"remove-cell", "remove-input"} & set(cell.metadata.get("tags", [])):
            lines += cell.source.count("\n") + 1
    return words / 200 + lines / 30


def test_the_map_lists_every_lesson_in_order_with_its_question():
    rows = ROW.findall(INTRO)
    assert [number for number, *_ in rows] == [*map(str, range(1, len(LESSONS) + 1)), "end"]
    assert [stem for _, stem, *_ in rows] == [md.stem for md in MAPPED]
    assert all(question.endswith("?") for _, _, question, *_ in rows)


@pytest.mark.parametrize("md", MAPPED, ids=lambda p: p.stem)
def test_the_reading_time_in_the_map_is_that_of_the_lesson(md):
    stated = course_map()[md.stem][1]
    assert abs(stated - minutes_to_read(md)) <= 1.5, (
        f"intro.md says {stated} min for {md.stem}; its main path reads in about "
        f"{minutes_to_read(md):.1f} min at 200 words and 30 code lines a minute")


def seconds_to_run(md):
    """How long the committed notebook's one complete run took: first cell busy to last idle.

    Jupyter records the times of each cell's execution in the notebook; `make notebooks`
    writes them. Reading them here keeps the clock out of the test.
    """
    cells = [c for c in json.loads(md.with_suffix(".ipynb").read_text())["cells"]
             if c["cell_type"] == "code"]
    start = cells[0]["metadata"]["execution"]["iopub.status.busy"]
    end = cells[-1]["metadata"]["execution"]["iopub.status.idle"]
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


@pytest.mark.parametrize("md", MAPPED, ids=lambda p: p.stem)
def test_the_running_time_in_the_map_is_that_of_the_committed_run_within_a_factor_of_three(md):
    stated = course_map()[md.stem][2]
    assert stated / 3 <= seconds_to_run(md) <= 3 * stated, (
        f"intro.md says {stated:.0f} s to run {md.stem}; its committed notebook ran in "
        f"{seconds_to_run(md):.0f} s (re-execute it on a quiet machine: make notebooks)")


EXECUTED_PAGES = sorted((ROOT / "chapters").glob("*.md"))


@pytest.mark.parametrize("md", EXECUTED_PAGES, ids=lambda p: p.stem)
def test_every_executed_page_ran_in_a_minute_or_less_when_it_was_committed(md):
    # The budget of the course (README, "Budgets"): a lesson runs in 60 s or less on a
    # 2-core CPU. The committed run is the one `make notebooks` made on a quiet machine.
    assert seconds_to_run(md) <= 60, (
        f"{md.stem}'s committed run took {seconds_to_run(md):.0f} s, over the 60 s budget "
        f"(or it was executed on a busy machine: make notebooks on a quiet one)")
