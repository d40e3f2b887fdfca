"""The built book, opened page by page in a real browser, as a reader meets it.

Uses the build in _build/html (the test command builds it first; if it is missing, this
module builds it) and Debian's Chromium driven by Playwright; no browser is downloaded.
A screenshot of the top of every page is saved under _build/screenshots/.
"""

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# px: each lesson's first figure must start above it. Lessons open with their question and
# "What you will learn" (the reading standard), and lesson 4 shows two experiments in
# printouts before its first figure: about five screens of a laptop.
FOLD = 6000
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [TOC["root"]] + [ch["file"] for part in TOC["parts"] for ch in part["chapters"]]
LINKS_PAGE = {url.rstrip("/") for url in
              re.findall(r"https?://[^\s)>\"'`]+", (ROOT / "links.md").read_text())}

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    if not (HTML / "index.html").is_file():
        jupyter_book = Path(sys.executable).with_name("jupyter-book")  # no `python -m` entry
        subprocess.run([str(jupyter_book), "build", "-W", str(ROOT)], check=True)
    assert CHROMIUM.is_file(), "Chromium is missing: 'make test' installs Debian's chromium"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


class Visit:
    """One page opened in the browser, with what it logged while loading."""

    def __init__(self, browser, name):
        self.name = name
        self.path = HTML / f"{name}.html"
        self.context = browser.new_context(viewport={"width": 1280, "height": FOLD})
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.path.as_uri(), wait_until="load")
        # wait for MathJax to finish typesetting, where the page uses it
        self.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                           " ? MathJax.startup.promise.then(() => true) : true")
        self.page.wait_for_timeout(200)


@pytest.fixture(scope="module")
def visits(browser):
    opened = {name: Visit(browser, name) for name in PAGES}
    for visit in opened.values():
        visit.page.screenshot(path=str(SHOTS / f"{visit.name.replace('/', '-')}.png"))
    yield opened
    for visit in opened.values():
        visit.context.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_console_errors(visits, name):
    assert visits[name].errors == []


@pytest.mark.parametrize("name", PAGES)
def test_every_image_loads_with_a_size_and_has_alt_text(visits, name):
    page = visits[name].page
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(100)
    images = page.evaluate("""() => [...document.querySelectorAll('article img')].map(i => ({
        src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth,
        height: i.naturalHeight, alt: (i.getAttribute('alt') || '').trim()}))""")
    page.evaluate("() => window.scrollTo(0, 0)")
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image["src"]
        assert image["alt"] and image["alt"] != "_images", f"no alt text: {image['src']}"


@pytest.mark.parametrize("name", PAGES)
def test_math_is_rendered_and_no_raw_dollars_remain(visits, name):
    page = visits[name].page
    has_math = page.evaluate("() => document.querySelectorAll('article .math').length")
    rendered = page.evaluate("() => document.querySelectorAll('article mjx-container').length")
    if has_math:
        assert rendered >= has_math
    prose = page.evaluate("""() => [...document.querySelectorAll('article p, article li')]
        .filter(e => !e.closest('pre, code, .cell_output')).map(e => e.innerText).join(' ')""")
    assert "$$" not in prose
    assert not re.search(r"(?<!\\)\$[^$\s][^$]*\$", prose), "raw $...$ math in the text"


def link_target(page_path, href):
    """The file and fragment an internal href points at, relative to the page."""
    parsed = urlparse(href)
    target = page_path if not parsed.path else (page_path.parent / unquote(parsed.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parsed.fragment


@pytest.mark.parametrize("name", PAGES)
def test_every_internal_link_resolves(visits, name):
    visit = visits[name]
    hrefs = visit.page.evaluate("() => [...document.querySelectorAll('a[href]')]"
                                ".map(a => a.getAttribute('href'))")
    broken = []
    for href in hrefs:
        if re.match(r"^(https?:|mailto:|javascript:)", href) or href == "#":
            continue
        target, fragment = link_target(visit.path, href)
        if not target.is_file():
            broken.append(href)
        elif fragment and f'id="{fragment}"' not in target.read_text():
            broken.append(href)
    assert not broken, f"links that lead nowhere: {broken}"


@pytest.mark.parametrize("name", PAGES)
def test_external_links_in_the_text_are_listed_on_the_links_page(visits, name):
    hrefs = visits[name].page.evaluate("() => [...document.querySelectorAll('article a[href]')]"
                                       ".map(a => a.href).filter(h => h.startsWith('http'))")
    hrefs = {href.rstrip("/") for href in hrefs}
    assert hrefs <= LINKS_PAGE, f"not on links.md: {hrefs - LINKS_PAGE}"


LESSONS = [name for name in PAGES if name.startswith("chapters/")]


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_opens_in_colab_from_its_colab_edition_in_the_repository(visits, name):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = urlparse(config["repository"]["url"]).path.strip("/")
    hrefs = visits[name].page.evaluate("() => [...document.querySelectorAll('a[href]')]"
                                       ".map(a => a.href).filter(h => h.includes('colab'))")
    prefix = f"https://colab.research.google.com/github/{repository}/blob/main/"
    assert hrefs, "no Colab launch link"
    for href in hrefs:
        assert href.startswith(prefix), href
        notebook = href.removeprefix(prefix)
        edition = f"colab/{name.removeprefix('chapters/')}.ipynb"   # _ext/colab_edition.py
        assert notebook == edition and (ROOT / notebook).is_file(), notebook


@pytest.mark.parametrize("name", [name for name in LESSONS if name != "chapters/published-results"])
def test_lesson_shows_its_first_figure_above_the_fold(visits, name):
    page = visits[name].page
    page.evaluate("() => window.scrollTo(0, 0)")
    top = page.evaluate("""() => {
        const image = document.querySelector('article img');
        return image ? image.getBoundingClientRect().top + window.scrollY : null; }""")
    assert top is not None and top < FOLD, f"first figure starts at {top} px"
    assert (SHOTS / f"{name.replace('/', '-')}.png").is_file()


NUMBERED_LESSONS = [name for name in LESSONS if re.fullmatch(r"chapters/\d\d-[\w-]+", name)]


@pytest.mark.parametrize("name", NUMBERED_LESSONS)
def test_lesson_asks_a_question_answered_in_the_page(visits, name):
    quiz = visits[name].page.locator(".Quiz")
    assert quiz.count() >= 1, "no self-check question"
    # drawn by the question's own script: a box to type into, or choices to click
    assert quiz.first.locator("input.Input-text, label.MCButton").count() >= 1


@pytest.fixture
def offline_page(browser):
    """Open a page with every request but the book's own files refused; `outside` lists them."""
    context = browser.new_context()
    outside = []

    def refuse_outside(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", refuse_outside)

    def open_page(name):
        page = context.new_page()
        page.goto((HTML / f"{name}.html").as_uri(), wait_until="load")
        page.wait_for_timeout(1000)       # jupyterquiz checks for MathJax after 500 ms
        return page

    yield open_page, outside
    context.close()


def test_a_number_question_marks_a_wrong_answer_then_the_right_one_offline(offline_page):
    open_page, outside = offline_page
    quiz = open_page("chapters/02-mini-batches").locator(".Quiz").first   # 506 rows, batches of 50
    box, feedback = quiz.locator("input.Input-text"), quiz.locator(".Feedback")
    box.fill("10")
    box.press("Enter")
    sync_api.expect(feedback).to_have_class(re.compile(r"\bincorrect\b"))
    sync_api.expect(feedback).to_contain_text("The last 6 rows make a batch too")
    box.fill("11")
    box.press("Enter")
    sync_api.expect(feedback).to_have_class(re.compile(r"\bcorrect\b"))
    sync_api.expect(feedback).to_contain_text("Right: ten full batches of 50")
    assert outside == [], f"the page asked the network for {outside}"


def test_a_choice_question_marks_a_wrong_answer_then_the_right_one_offline(offline_page):
    open_page, outside = offline_page
    quiz = open_page("chapters/06-momentum-and-adam").locator(".Quiz").first
    feedback = quiz.locator(".Feedback")
    quiz.locator("label.MCButton", has_text="Gradient descent").click()
    sync_api.expect(feedback).to_have_class(re.compile(r"\bincorrect\b"))
    sync_api.expect(feedback).to_contain_text("It ends jumping between two points")
    quiz.locator("label.MCButton", has_text="Adam").click()
    sync_api.expect(feedback).to_have_class(re.compile(r"\bcorrect\b"))
    sync_api.expect(feedback).to_contain_text("Right: on the steep walls its steps stay")
    assert outside == [], f"the page asked the network for {outside}"
