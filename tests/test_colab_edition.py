"""The Colab edition (colab/*.ipynb, written by _ext/colab_edition.py): fresh, and as the
book reads, without MyST syntax, without hidden checks, with its solutions hidden."""

import ast
import builtins
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))

import colab_edition  # noqa: E402

PAGES = colab_edition.pages()
IDS = [page.stem for page in PAGES]
MYST = re.compile(r"\{[a-z-]+\}`|^\s*(`{3,}|:{3,})\{[a-z-]+\}|^\([\w-]+\)=\s*$", re.M)
SOLUTION_FENCE = re.compile(r"^```\{solution-(start|end)\}", re.M)


def edition(page):
    return nbformat.read(ROOT / "colab" / f"{page.stem}.ipynb", as_version=4)


def source_cells(page):
    """The MyST page's code cells: (source, tags, inside a solution)."""
    cells, in_solution = [], False
    for cell in jupytext.read(page).cells:
        if cell.cell_type == "markdown":
            for kind in SOLUTION_FENCE.findall(cell.source):
                in_solution = kind == "start"
        else:
            cells.append((cell.source, cell.metadata.get("tags", []), in_solution))
    return cells


def test_every_executed_page_has_its_colab_notebook():
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"file:\s*chapters/([\w-]+)", toc))
    assert set(IDS) == listed and len(listed) >= 10
    assert {path.stem for path in (ROOT / "colab").glob("*.ipynb")} == listed


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_committed_edition_is_what_make_colab_writes_now(page):
    committed = (ROOT / "colab" / f"{page.stem}.ipynb").read_text()
    assert committed == colab_edition.written(page), "stale: run 'make colab'"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_role_or_directive_syntax_is_left_in_any_markdown_cell(page):
    for cell in edition(page).cells:
        if cell.cell_type == "markdown":
            assert not MYST.search(cell.source), MYST.search(cell.source)[0]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_hidden_check_is_in_the_edition(page):
    hidden = [source for source, tags, _ in source_cells(page) if "remove-cell" in tags]
    assert hidden, "every executed page has hidden checks"
    text = "\n".join(cell.source for cell in edition(page).cells)
    for source in hidden:
        assert source not in text, source[:80]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_visible_code_cell_is_there_in_order(page):
    visible = [source for source, tags, in_solution in source_cells(page)
               if "remove-cell" not in tags and not in_solution]
    code = [cell.source for cell in edition(page).cells if cell.cell_type == "code"]
    shown = [re.sub(r"\A# @title .*\n", "", source) for source in code]
    assert shown == visible


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_solutions_are_closed_until_asked_for_and_hold_their_code(page):
    solutions = [source for source, tags, in_solution in source_cells(page)
                 if in_solution and "remove-cell" not in tags]
    details = "\n".join(cell.source for cell in edition(page).cells
                        if cell.cell_type == "markdown" and cell.source.startswith("<details>"))
    assert details.count("<details>") == details.count("</details>")
    assert details.count("<details>") >= (2 if page.stem[:2].isdigit() else 0)  # 2+ exercises
    assert "<details open" not in details
    positions = [details.find(f"```python\n{source}\n```") for source in solutions]
    assert all(position >= 0 for position in positions) and positions == sorted(positions)


@pytest.mark.parametrize("page", [page for page in PAGES if page.stem[:2].isdigit()],
                         ids=[i for i in IDS if i[:2].isdigit()])
def test_each_lesson_keeps_its_question_in_a_colab_form_and_its_exercise_check(page):
    cells = edition(page).cells
    forms = [cell for cell in cells if cell.metadata.get("cellView") == "form"]
    assert forms and all(cell.source.startswith("# @title Self-check question") for cell in forms)
    assert any("helpers.ask_" in cell.source for cell in forms)
    lesson = f"lesson{page.stem[:2]}"
    assert any(re.search(rf"^{lesson}\.\w+\.check\(\w+\)$", cell.source, re.M)
               for cell in cells if cell.cell_type == "code")


def test_lesson_6_shows_its_three_optimizers():
    page = ROOT / "chapters" / "06-momentum-and-adam.md"
    text = "\n".join(cell.source for cell in edition(page).cells)
    optimizers = (ROOT / "helpers" / "optimizers.py").read_text()
    for name in ("gradient_descent_step", "momentum_step", "adam_step"):
        source = colab_edition.python_object(ROOT / "helpers" / "optimizers.py", name)
        assert f"def {name}(" in optimizers and f"```python\n{source}\n```" in text


def test_links_to_other_lessons_open_their_colab_notebooks():
    text = "\n".join(cell.source for cell in edition(ROOT / "chapters/the-whole-loop.md").cells)
    assert f"]({colab_edition.COLAB}/03-keeping-the-books.ipynb)" in text
    # a cross-reference to a section of another page links that page's notebook
    lesson_1 = "\n".join(cell.source for cell in edition(ROOT / "chapters/01-epochs.md").cells)
    assert f"[the published results]({colab_edition.COLAB}/published-results.ipynb)" in lesson_1
    for page in PAGES:
        for cell in edition(page).cells:
            if cell.cell_type != "markdown":
                continue
            prose = re.sub(r"```.*?```|`[^`]*`", "", cell.source, flags=re.S)  # not code
            relative = re.findall(r"\[[^\]]*\]\((?![a-z]+:)([^)\s]*)\)", prose)
            assert relative == [], f"{page.stem}: links that only work in the book: {relative}"


def test_outputs_are_left_out():
    for page in PAGES:
        assert all(not cell.get("outputs") for cell in edition(page).cells
                   if cell.cell_type == "code")


def _names(source):
    """(names a cell defines, names it reads) in one code cell, IPython magics allowed."""
    from IPython.core.inputtransformer2 import TransformerManager
    tree = ast.parse(TransformerManager().transform_cell(source))
    defined, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return defined, read


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_visible_cell_needs_a_name_that_only_a_hidden_cell_or_a_solution_defines(page):
    """The edition runs the visible cells alone: a name they read must come from one of them."""
    visible, elsewhere = set(dir(builtins)), set()
    for source, tags, in_solution in source_cells(page):
        defined, read = _names(source)
        if "remove-cell" in tags or in_solution:
            elsewhere |= defined
            continue
        missing = (read - defined - visible) & elsewhere
        assert not missing, f"{page.stem}: {sorted(missing)} in\n{source[:200]}"
        visible |= defined


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_display_math_stands_on_lines_of_its_own(page):
    """Jupyter reads $$ ... $$ before the Markdown: a quote's "> " would land in the formula."""
    for cell in edition(page).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"^\s*>.*\$\$", cell.source, re.M)
