"""The lessons as files: each MyST source has its executed notebook, in sync, in the book."""

import json
import sys
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
LESSONS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md"))
CLOSING = ROOT / "chapters" / "the-whole-loop.md"  # the page that ends the lessons
APPENDIX = ROOT / "chapters" / "published-results.md"
# every executed page: the lessons, the closing page and the appendix, which follow the same rules
EXECUTED = [*LESSONS, CLOSING, APPENDIX]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def cells(notebook):
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in notebook.cells]


def code_cells(path):
    return [c for c in jupytext.read(path).cells if c.cell_type == "code"]


@pytest.mark.parametrize("md", EXECUTED, ids=lambda p: p.stem)
def test_markdown_source_and_notebook_have_the_same_cells(md):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} is missing: run 'make notebooks'"
    assert cells(jupytext.read(md)) == cells(jupytext.read(ipynb)), (
        f"{md.name} and {ipynb.name} differ: run 'make notebooks' to re-execute the lesson")


@pytest.mark.parametrize("md", EXECUTED, ids=lambda p: p.stem)
def test_committed_notebook_holds_the_outputs_of_one_complete_run(md):
    notebook = json.loads(md.with_suffix(".ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    # executed top to bottom in one kernel (the Colab cell runs too, doing nothing here)
    assert counts == list(range(1, len(code) + 1))
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    warnings = [o["text"] for c in code for o in c["outputs"] if o.get("name") == "stderr"]
    assert not warnings, f"the lesson printed to stderr (a warning?): {warnings[0]}"
    figures = [o for c in code for o in c["outputs"] if "image/png" in o.get("data", {})]
    assert figures, "a lesson without a single figure"


@pytest.mark.parametrize("md", EXECUTED, ids=lambda p: p.stem)
def test_first_cell_installs_the_helpers_from_the_repository_only_in_colab(md):
    first = code_cells(md)[0].source
    url = CONFIG["repository"]["url"]
    branch = CONFIG["repository"]["branch"]
    assert 'if "google.colab" in sys.modules:' in first
    assert f'@ git+{url}@{branch}"' in first
    assert first.count("\n") <= 5


@pytest.mark.parametrize("md", EXECUTED, ids=lambda p: p.stem)
def test_second_cell_picks_the_device_and_seeds(md):
    second = code_cells(md)[1].source
    assert "helpers.pick_device()" in second
    assert "helpers.seed_everything(" in second


@pytest.mark.parametrize("md", LESSONS, ids=lambda p: p.stem)
def test_lesson_ends_with_exercises_whose_solutions_are_hidden(md):
    text = md.read_text()
    exercises = text.count("```{exercise}")
    assert exercises >= 2
    assert text.count("```{solution-start}") == exercises
    tail = text[text.index("## Exercises"):]
    assert tail.count(":class: dropdown") == exercises


@pytest.mark.parametrize("md", EXECUTED, ids=lambda p: p.stem)
def test_lesson_checks_its_claims_in_hidden_cells(md):
    hidden = [c for c in code_cells(md) if "remove-cell" in c.metadata.get("tags", [])]
    assert hidden and all("assert" in c.source for c in hidden)


def test_table_of_contents_lists_every_lesson_and_nothing_else():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    lessons = [ch["file"] for part in toc["parts"] if part["caption"] == "Lessons"
               for ch in part["chapters"]]
    assert lessons == [f"chapters/{md.stem}" for md in [*LESSONS, CLOSING]]
    appendix = [ch["file"] for part in toc["parts"] if part["caption"] == "Appendix"
                for ch in part["chapters"]]
    assert appendix == [f"chapters/{APPENDIX.stem}"]
    assert sorted(f for f in files if f.startswith("chapters/")) == sorted(lessons + appendix)
    assert {"glossary", "links", "execution-report"} <= set(files)


GLOSSARY = (ROOT / "glossary.md").read_text()


def test_glossary_defines_every_term_the_lessons_look_for():
    from glossary_terms import FORMS
    defined = {line.strip() for line in GLOSSARY.splitlines()
               if line and not line.startswith((" ", "#", "`", "The ", "term"))}
    assert set(FORMS) <= defined


@pytest.mark.parametrize("md", LESSONS, ids=lambda p: p.stem)
def test_lesson_links_each_glossary_term_where_it_first_uses_it(md):
    from glossary_terms import first_uses
    uses = first_uses(md.read_text())
    unlinked = {term: f"line {line + 1}" for term, (line, _, linked) in uses.items() if not linked}
    assert not unlinked, f"first uses not linked to the glossary: {unlinked}"
