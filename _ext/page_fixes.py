"""Three fixes to the pages Jupyter Book 1 writes, the first two found by the browser tests.

- Two inline configuration scripts (sphinx-thebe's and sphinx-togglebutton's) end up
  twice in every page's head, and the second copy of sphinx-thebe's fails with
  "Identifier 'THEBE_JS_URL' has already been declared": once the pages are written,
  keep the first copy of each inline script in the head.
- The theme logs "Got invalid theme mode" because sphinx-book-theme leaves the page's
  colour mode empty: set it to "auto" (follow the reader's system setting), which is what
  the theme falls back to anyway.
- The Colab launch button opens the page's paired notebook, chapters/NAME.ipynb, whose
  Markdown is MyST and which holds the hidden checks: point it at the Colab edition,
  colab/NAME.ipynb (_ext/colab_edition.py), instead.
"""

import re
from pathlib import Path

INLINE_SCRIPT = re.compile(r"^\s*<script>.*</script>\s*$")
COLAB_LINK = re.compile(r'(href="https://colab\.research\.google\.com/github/[^"]+?/blob/[^"/]+/)'
                        r'chapters/([\w-]+\.ipynb")')


def _default_mode(app, pagename, templatename, context, doctree):
    context["default_mode"] = context.get("default_mode") or "auto"


def without_repeated_inline_scripts(html):
    """The page with every repeated one-line inline <script> in its <head> removed."""
    head_end = html.find("</head>")
    if head_end < 0:
        return html
    seen, kept = set(), []
    for line in html[:head_end].splitlines(keepends=True):
        if INLINE_SCRIPT.match(line):
            if line.strip() in seen:
                continue
            seen.add(line.strip())
        kept.append(line)
    return "".join(kept) + html[head_end:]


def with_colab_edition_links(html):
    """The page with its Colab launch links pointing at colab/NAME.ipynb."""
    return COLAB_LINK.sub(r"\1colab/\2", html)


def _rewrite_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        fixed = with_colab_edition_links(without_repeated_inline_scripts(html))
        if fixed != html:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("html-page-context", _default_mode)
    app.connect("build-finished", _rewrite_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
