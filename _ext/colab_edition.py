"""The Colab edition: each executed page of the book as a notebook that reads as the book does.

    python _ext/colab_edition.py          # (make colab) writes colab/NAME.ipynb for each page
    python _ext/colab_edition.py --check  # exits 1 if a committed notebook is not what it writes

jupytext reads the MyST source (chapters/NAME.md) into cells; this module turns the cells
into plain Jupyter ones:
- hidden checks (cells tagged remove-cell) are left out; a learner has no use for them;
- a self-check question (remove-input) keeps its code in a Colab form (`# @title`,
  cellView "form"), so that Colab shows the question, not the code that draws it;
- a solution ({solution-start} ... {solution-end}), text and code, becomes one Markdown
  cell in a <details> block, closed until the learner opens it: Jupyter, JupyterLab and
  Colab all honour <details>, where Colab's form view hides code in Colab only;
- MyST roles become plain words ({term}, {ref} within the page) or links to notebooks
  ({doc}, {ref} to another page); admonitions and dropdowns become asides between two
  rules, under their title in bold; exercises are numbered; a figure becomes an image link
  into the repository; a literalinclude becomes the code it includes;
- links to other lessons open their Colab notebooks; links to the book's other pages open
  their source in the repository.
Outputs are left out: the learner runs the notebook, on Colab's GPU or CPU, and outputs
from this page's CPU would only mislead there (and would make the committed edition
churn with every re-execution).
"""

import ast
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
OUT = ROOT / "colab"
REPOSITORY = "epochs-and-minibatches/course"
BRANCH = "main"
COLAB = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/colab"
BLOB = f"https://github.com/{REPOSITORY}/blob/{BRANCH}"
RAW = f"https://raw.githubusercontent.com/{REPOSITORY}/{BRANCH}"

FENCE = re.compile(r"^(?P<marker>`{3,}|:{3,})\{(?P<name>[\w-]+)\}\s*(?P<argument>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
ROLE = re.compile(r"\{(?P<role>term|ref|doc)\}`(?P<body>[^`]*)`")
TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^>]+)>$", re.S)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
LABEL_LINE = re.compile(r"^\(([\w-]+)\)=\s*$")
ADMONITIONS = {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important",
               "caution": "Caution", "seealso": "See also"}


def pages():
    """The executed pages of the book: every chapters/*.md that _toc.yml lists."""
    toc = (ROOT / "_toc.yml").read_text()
    return [CHAPTERS / f"{Path(name).name}.md"
            for name in re.findall(r"file:\s*chapters/([\w-]+)", toc)]


def colab_url(page):
    """The Colab address of a page's notebook in the edition (page: 'NN-name')."""
    return f"{COLAB}/{page}.ipynb"


def link_target(target):
    """Where a link of the book points from the Colab edition."""
    if re.match(r"^[a-z]+:", target) or target.startswith("#"):
        return target
    path, _, _ = target.partition("#")
    if re.fullmatch(r"[\w-]+\.md", path) and (CHAPTERS / path).is_file():
        return colab_url(Path(path).stem)            # another lesson: its Colab notebook
    resolved = (CHAPTERS / path).resolve()
    return f"{BLOB}/{resolved.relative_to(ROOT).as_posix()}"   # any other file: its source


def labels():
    """{label: the page that defines it} for the section and exercise labels of the pages."""
    found = {}
    for source in CHAPTERS.glob("*.md"):
        for label in re.findall(rf"{LABEL_LINE.pattern}|^:label:\s*([\w-]+)",
                                source.read_text(), re.M):
            found[label[0] or label[1]] = source.stem
    return found


LABELS = labels()


def inline(text, page):
    """Roles and links of one stretch of Markdown, made plain; `page`: the page's name."""
    def role(match):
        body = match["body"]
        named = TARGET.match(body)
        words, target = (named["text"], named["target"]) if named else (body, body)
        if match["role"] == "doc":
            return f"[{words}]({colab_url(Path(target).name)})"
        if match["role"] == "ref" and LABELS.get(target) not in (None, page):
            return f"[{words}]({colab_url(LABELS[target])})"   # on another page: link it
        return words
    text = ROLE.sub(role, text)
    return LINK.sub(lambda m: f"]({link_target(m['target'])})", text)


def python_object(path, name):
    """The source of the function or class `name` in the file at `path`."""
    source = path.read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            lines = source.splitlines()[node.lineno - 1:node.end_lineno]
            return "\n".join(lines)
    raise ValueError(f"{path} has no function or class {name!r}")


class Converter:
    """Markdown of one page, MyST made plain; numbers the exercises as it meets them."""

    def __init__(self, page):
        self.exercises = {}        # label -> number
        self.page = page

    def markdown(self, text):
        out, plain, lines = [], [], text.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            fence = FENCE.match(line.strip())
            if LABEL_LINE.match(line):
                i += 1
            elif not fence:
                plain.append(line)
                i += 1
            else:
                out.append(inline("\n".join(plain), self.page))     # a role may span lines
                plain = []
                body, options, i = self._directive_body(lines, i, fence["marker"])
                out.append(self.directive(fence["name"], fence["argument"].strip(), options,
                                          body))
        out.append(inline("\n".join(plain), self.page))
        return "\n".join(out).strip("\n")

    @staticmethod
    def _directive_body(lines, start, marker):
        """The body and options of the directive opened at lines[start]; the next index."""
        options, i = {}, start + 1
        while i < len(lines) and (option := OPTION.match(lines[i].strip())):
            options[option["key"]] = option["value"]
            i += 1
        body = []
        while i < len(lines) and lines[i].strip() != marker:
            body.append(lines[i])
            i += 1
        return "\n".join(body).strip("\n"), options, i + 1

    def directive(self, name, argument, options, body):
        if name == "exercise":
            number = self.exercises.setdefault(options.get("label", f"#{len(self.exercises)}"),
                                               len(self.exercises) + 1)
            return f"**Exercise {number}.** " + self.markdown(body)
        if name in ADMONITIONS or name == "dropdown":
            # an aside between two rules, under its title in bold: not a quote, whose "> "
            # would end up inside display math, which Jupyter reads before the Markdown
            title = argument if name == "dropdown" else ADMONITIONS[name]
            return f"---\n\n**{inline(title, self.page)}**\n\n{self.markdown(body)}\n\n---"
        if name == "figure":
            image = f"{RAW}/{(CHAPTERS / argument).resolve().relative_to(ROOT).as_posix()}"
            caption = self.markdown(body)
            return f"![{options.get('alt', '')}]({image})\n\n*{caption}*" if caption \
                else f"![{options.get('alt', '')}]({image})"
        if name == "literalinclude":
            path = (CHAPTERS / argument).resolve()
            code = python_object(path, options["pyobject"]) if "pyobject" in options \
                else path.read_text().rstrip()
            where = f"{BLOB}/{path.relative_to(ROOT).as_posix()}"
            return (f"```{options.get('language', 'python')}\n{code}\n```\n\n"
                    f"*From [`{path.relative_to(ROOT).as_posix()}`]({where}).*")
        raise ValueError(f"the Colab edition cannot convert the directive {{{name}}} yet")


SOLUTION = re.compile(r"^```\{solution-(start|end)\}\s*([\w-]*)\s*\n(?::[\w-]+:.*\n)*```\s*$",
                      re.M)


def edition(source):
    """The Colab-edition notebook of the page whose MyST source is at `source`."""
    notebook = jupytext.read(source)
    converter, cells = Converter(Path(source).stem), []
    solution = None            # while in a solution: [label, its parts]
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            if "remove-cell" in tags:
                continue
            if solution is not None:
                solution[1].append(f"```python\n{cell.source}\n```")
            elif "remove-input" in tags:
                cells.append(nbformat.v4.new_code_cell(
                    "# @title Self-check question: run this cell, then answer\n" + cell.source,
                    metadata={"cellView": "form"}))
            else:
                cells.append(nbformat.v4.new_code_cell(cell.source))
            continue
        text = cell.source
        while text:
            marker = SOLUTION.search(text)
            before = text[:marker.start()] if marker else text
            if solution is None:
                converted = converter.markdown(before)
                if converted:
                    cells.append(nbformat.v4.new_markdown_cell(converted))
            elif before.strip():
                solution[1].append(converter.markdown(before))
            if not marker:
                break
            if marker[1] == "start":
                solution = [marker[2], []]
            else:
                label, parts = solution
                number = converter.exercises.get(label, "")
                body = "\n\n".join(part for part in parts if part.strip())
                cells.append(nbformat.v4.new_markdown_cell(
                    f"<details>\n<summary>Solution to exercise {number} (click to open)"
                    f"</summary>\n\n{body}\n\n</details>"))
                solution = None
            text = text[marker.end():].lstrip("\n")
    if solution is not None:
        raise ValueError(f"{source}: a solution without its solution-end")
    edition = nbformat.v4.new_notebook(cells=cells)
    edition.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
        "colab": {"provenance": [], "gpuType": "T4"},
    }
    for number, cell in enumerate(edition.cells):
        cell.id = f"cell-{number}"        # stable ids: the committed edition does not churn
    return edition


def written(source):
    """The text `make colab` writes for the page at `source`."""
    return nbformat.writes(edition(source), version=4) + "\n"


def main(argv):
    check = "--check" in argv
    OUT.mkdir(exist_ok=True)
    stale = []
    for source in pages():
        target = OUT / f"{source.stem}.ipynb"
        text = written(source)
        if check:
            if not target.is_file() or target.read_text() != text:
                stale.append(target.relative_to(ROOT).as_posix())
        else:
            target.write_text(text)
    if stale:
        print("stale Colab edition (run 'make colab'):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
