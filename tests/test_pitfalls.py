"""The pitfalls page: every silent bug the course shows, with its symptom, fix and section."""

import re
from pathlib import Path

import pytest
import yaml
from docutils.nodes import make_id
from mdit_py_plugins.anchors.index import slugify

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "pitfalls.md").read_text()
# | the bug | what you see | the fix | shown in |, header and separator rows left out
ROWS = [[cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in PAGE.splitlines()
        if line.startswith("| ") and not line.startswith("| the bug") and "---" not in line]
LINK = re.compile(r"\]\((chapters/[\w.-]+\.md)#([\w-]+)\)")
REF = re.compile(r"\{ref\}`[^`<]*<([\w-]+)>`")

# The bugs the course demonstrates, each as a phrase the page must use for it.
REQUIRED = {
    "the tolerance loop that never ends": "never updates the previous loss",
    "state_dict aliasing": "`model.state_dict()` and no copy",
    "zero_grad placement in accumulation": "`zero_grad()` inside the accumulation loop",
    "a logged loss that keeps its graph": "`total = total + loss`",
    "next(iter(loader))": "`next(iter(loader))`",
    "a forgotten set_epoch": "`sampler.set_epoch(epoch)`",
    "the double softmax": "`Softmax` layer before `F.cross_entropy`",
    "the with-replacement split": "drawn with replacement",
    "a reused optimizer state between runs": "One optimizer reused across the runs",
    "a padded per-rank evaluation": "each rank's share of `DistributedSampler`",
    "a summed loss under DDP": "`reduction=\"sum\"` under `DistributedDataParallel`",
    "accumulation that all-reduces every micro-batch": "without `no_sync()`",
    "an unscaled learning rate at a larger world size": "More processes with the learning rate",
}


def headings(md):
    """{anchor: id} of the ## and ### headings of a page.

    The anchor is the one MyST resolves a `page.md#anchor` link with (myst_heading_anchors:
    3); the id is the one the HTML page gives the section. They differ for headings with
    code or punctuation (`zero_grad()`: zero_grad against zero-grad), and then the built
    link leads nowhere: such a section needs a (label)= and a {ref} link instead.
    """
    titles = [line.lstrip("#").strip().replace("`", "")
              for line in md.read_text().splitlines() if re.match(r"#{2,3} ", line)]
    return {slugify(title): make_id(title) for title in titles}


def labels(md):
    """The labels a page defines: (label)= targets and :label: options."""
    text = md.read_text()
    return set(re.findall(r"^\(([\w-]+)\)=$", text, re.M)) | set(
        re.findall(r"^:label: ([\w-]+)$", text, re.M))


def test_page_is_in_the_reference_part():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    reference = [ch["file"] for part in toc["parts"] if part["caption"] == "Reference"
                 for ch in part["chapters"]]
    assert "pitfalls" in reference


@pytest.mark.parametrize("name, phrase", REQUIRED.items())
def test_page_lists_each_bug_the_course_demonstrates(name, phrase):
    assert any(phrase in row[0] for row in ROWS), f"no row for {name} ({phrase!r})"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row[0][:40])
def test_each_bug_has_a_one_line_symptom_and_fix_and_a_link_to_its_section(row):
    assert len(row) == 4 and all(row), row
    bug, symptom, fix, where = row
    for what, text in (("symptom", symptom), ("fix", fix)):
        assert len(text.split()) <= 25, f"{bug}: the {what} is over one line ({text!r})"
    links, refs = LINK.findall(where), REF.findall(where)
    assert links or refs, f"{bug}: no link to the section that shows it"
    for page, anchor in links:
        assert anchor in headings(ROOT / page), f"{bug}: {page} has no section #{anchor}"
        assert headings(ROOT / page)[anchor] == anchor, (
            f"{bug}: the section #{anchor} has another id in the built page; link to a label")
    for label in refs:
        assert any(label in labels(md) for md in (ROOT / "chapters").glob("*.md")), (
            f"{bug}: no page defines the label {label}")
