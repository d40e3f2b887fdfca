import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))

from page_fixes import with_colab_edition_links, without_repeated_inline_scripts  # noqa: E402


def test_repeated_inline_scripts_in_the_head_are_kept_once():
    page = ("<html><head>\n<script>const A = 1;</script>\n<script src='x.js'></script>\n"
            "<script>const A = 1;</script>\n<script>let b;</script>\n</head>\n"
            "<body>\n<script>const A = 1;</script>\n</body></html>")
    fixed = without_repeated_inline_scripts(page)
    head, body = fixed.split("</head>")
    assert head.count("const A = 1;") == 1 and "let b;" in head and "x.js" in head
    assert body.count("const A = 1;") == 1  # the body is left alone


def test_page_without_head_is_unchanged():
    assert without_repeated_inline_scripts("<p>hi</p>") == "<p>hi</p>"


def test_colab_launch_links_point_at_the_colab_edition():
    base = "https://colab.research.google.com/github/owner/course/blob/main/"
    html = f'<a href="{base}chapters/01-epochs.ipynb">Colab</a> <a href="{base}intro.ipynb">x</a>'
    fixed = with_colab_edition_links(html)
    assert f'href="{base}colab/01-epochs.ipynb"' in fixed
    assert f'href="{base}intro.ipynb"' in fixed                   # only lessons' links change
